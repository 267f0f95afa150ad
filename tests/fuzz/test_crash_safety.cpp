// Kills quantscope-cli with SIGKILL at random moments while it writes, then
// checks what a user would find: every project file still opens and holds
// every run that had finished, and an --out directory is either absent or
// complete (stages are hidden `.<name>.partial-<pid>` siblings until renamed).
// QS_CRASH_KILLS sets the number of kills (default 10; the long run uses 60).
// To cover another command, add a CrashCommand to commands() below.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "formats/checkpoint.h"
#include "project/project_file.h"

namespace fs = std::filesystem;

namespace {

const std::string kModel = qs::test::sharedDir() + "/models/qs-tiny-llama";

// One way of writing that must survive a kill: its command line for attempt
// `i` (commands may vary it, e.g. to force a new cache entry), and the check
// of what it left, told whether the process finished on its own.
struct CrashCommand {
    std::string name;
    std::function<std::vector<std::string>(int i)> args;
    std::function<void(bool finished)> check;
};

// kl --project: every attempt stores a run; a new --top-k also stores a base reference.
CrashCommand projectSaves(const std::string& dir) {
    const std::string text = dir + "/text.txt";
    {
        std::ifstream in(qs::test::sharedDir() + "/data/text/wikitext-2-raw.wiki.test.raw", std::ios::binary);
        std::string head(20000, '\0');
        in.read(head.data(), std::streamsize(head.size()));
        std::ofstream(text, std::ios::binary) << head;
    }
    const std::string project = dir + "/crash.qsproj.h5";
    auto finishedRuns = std::make_shared<std::vector<std::string>>();
    return {
        "kl --project",
        [=](int i) {
            return std::vector<std::string>{"kl", kModel, "--method", "rtn", "--bits", "4", "--text", text, "--ctx", "64",
                                            "--max-windows", "4", "--top-k", std::to_string(2 + i % 7), "--project", project};
        },
        [=](bool finished) {
            std::vector<qs::RunRecord> runs;
            const std::string error = qs::test::thrownMessage([&] { runs = qs::listRuns(project); });
            QS_CHECK_EQ(error, std::string("(nothing thrown)"));
            // A killed run may have saved just before the kill; a finished one must have.
            const size_t known = finishedRuns->size();
            QS_CHECK(runs.size() == known + 1 || (!finished && runs.size() == known));
            for (size_t r = 0; r < std::min(known, runs.size()); ++r) QS_CHECK_EQ(runs[r].id, (*finishedRuns)[r]);
            finishedRuns->clear();
            for (const auto& r : runs) finishedRuns->push_back(r.id);
        },
    };
}

std::map<std::string, bool> listing(const std::string& dir) {
    std::map<std::string, bool> names;
    for (const auto& e : fs::directory_iterator(dir)) names[e.path().filename().string()] = e.is_directory();
    return names;
}

// quantize --out --overwrite: the directory is replaced by a staged one.
CrashCommand exportWrites(const std::string& dir) {
    const std::string parent = dir + "/exports";
    fs::create_directories(parent);
    const std::string out = parent + "/out";
    auto complete = std::make_shared<std::map<std::string, bool>>();
    return {
        "quantize --out",
        [=](int) {
            return std::vector<std::string>{"quantize", kModel, "--method", "rtn", "--bits", "4", "--out", out, "--overwrite"};
        },
        [=](bool finished) {
            if (finished && complete->empty()) *complete = listing(out);
            QS_CHECK(!finished || fs::exists(out));
            if (fs::exists(out)) {
                QS_CHECK(listing(out) == *complete);
                const std::string error = qs::test::thrownMessage([&] { qs::openCheckpoint(out); });
                QS_CHECK_EQ(error, std::string("(nothing thrown)"));
            }
            for (const auto& [name, isDir] : listing(parent))
                QS_CHECK(name == "out" || name.starts_with(".out.partial-"));
        },
    };
}

// sweep --project: a killed sweep keeps its finished runs, and the next
// attempt of the same name completes it without duplicates. The sweep's
// attempts are every third (i = 2, 5, 8, ...); three in a row share a name.
CrashCommand sweepRuns(const std::string& dir) {
    const std::string text = dir + "/text.txt";  // written by projectSaves
    const std::string project = dir + "/sweep.qsproj.h5";
    auto seen = std::make_shared<std::vector<std::string>>();
    auto sweepName = [](int i) { return "crash-" + std::to_string((i + 7) / 9); };
    auto lastAttempt = std::make_shared<int>(0);
    return {
        "sweep --project",
        [=](int i) {
            *lastAttempt = i;
            return std::vector<std::string>{"sweep", kModel, "--methods", "rtn", "--bits", "4,8", "--group", "128",
                                            "--text", text, "--ctx", "64", "--max-windows", "2", "--name",
                                            sweepName(i), "--project", project};
        },
        [=](bool finished) {
            std::vector<qs::RunRecord> runs;
            const std::string error = qs::test::thrownMessage([&] { runs = qs::listRuns(project); });
            QS_CHECK_EQ(error, std::string("(nothing thrown)"));
            QS_CHECK(runs.size() >= seen->size());
            for (size_t r = 0; r < std::min(seen->size(), runs.size()); ++r) QS_CHECK_EQ(runs[r].id, (*seen)[r]);
            std::map<std::string, int> cells;  // of the current sweep name
            for (const auto& r : runs)
                if (r.settings["sweep"]["name"] == sweepName(*lastAttempt)) ++cells[r.settings["sweep"]["cell"]];
            for (const auto& [cell, count] : cells) QS_CHECK_EQ(count, 1);  // never stored twice
            if (finished) QS_CHECK_EQ(cells.size(), size_t(3));            // base, rtn-w8, rtn-w4
            seen->clear();
            for (const auto& r : runs) seen->push_back(r.id);
        },
    };
}

std::vector<CrashCommand> commands(const std::string& dir) {
    return {projectSaves(dir), exportWrites(dir), sweepRuns(dir)};
}

pid_t spawnCli(const std::vector<std::string>& args) {
    const pid_t pid = fork();
    if (pid == 0) {
        const int devNull = open("/dev/null", O_WRONLY);
        dup2(devNull, STDOUT_FILENO);
        dup2(devNull, STDERR_FILENO);
        std::vector<char*> argv = {const_cast<char*>(QS_CLI_PATH)};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(QS_CLI_PATH, argv.data());
        _exit(127);
    }
    return pid;
}

// Whether a killed process left a temporary (`<project>.tmp-<pid>`) or a
// stage (`.<out>.partial-<pid>[.old]`) behind: the kill hit it mid-write.
bool leftWorkInProgress(const std::string& dir, pid_t pid) {
    const std::string mark = "-" + std::to_string(pid);
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        const size_t at = name.find(mark);
        if (at != std::string::npos && (at + mark.size() == name.size() || name[at + mark.size()] == '.')) return true;
    }
    return false;
}

// Waits up to `delay`; kills the process if it is still running. Returns true
// when it finished on its own (and checks that it succeeded).
bool runAndMaybeKill(const std::vector<std::string>& args, std::chrono::microseconds delay, pid_t* spawned = nullptr) {
    const pid_t pid = spawnCli(args);
    if (spawned) *spawned = pid;
    QS_CHECK(pid > 0);
    const auto deadline = std::chrono::steady_clock::now() + delay;
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return false;
    QS_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return true;
}

}  // namespace

QS_TEST(sigkill_during_project_saves_and_exports_loses_nothing_finished) {
    const char* env = std::getenv("QS_CRASH_KILLS");
    const int wantedKills = env ? std::atoi(env) : 10;
    const std::string dir = qs::test::tempDir();
    std::vector<CrashCommand> cmds = commands(dir);

    // One undisturbed run each: the reference state and how long a run takes.
    std::vector<std::chrono::microseconds> duration;
    for (CrashCommand& c : cmds) {
        const auto t0 = std::chrono::steady_clock::now();
        QS_CHECK(runAndMaybeKill(c.args(0), std::chrono::minutes(5)));
        duration.push_back(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
        c.check(true);
    }
    std::mt19937 rng(20261123);
    int kills = 0, midWrite = 0, finished = 0;
    for (int i = 1; kills < wantedKills && i <= 4 * wantedKills; ++i) {
        CrashCommand& c = cmds[size_t(i) % cmds.size()];
        // Anywhere in the run, or (every other time) in its last 30%, where
        // the writes are; up to 1.1 x its length, so some attempts finish.
        const int64_t t = duration[size_t(i) % cmds.size()].count();
        const auto delay = std::chrono::microseconds(std::uniform_int_distribution<int64_t>(i % 2 ? 0 : t * 8 / 10, t * 11 / 10)(rng));
        pid_t pid = 0;
        const bool done = runAndMaybeKill(c.args(i), delay, &pid);
        (done ? finished : kills)++;
        if (!done && leftWorkInProgress(dir, pid)) ++midWrite;
        c.check(done);
    }
    std::printf("%d kills (%d of them mid-write), %d runs finished between them\n", kills, midWrite, finished);
    QS_CHECK(kills >= wantedKills);
}
