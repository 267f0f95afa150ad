// Runs one reader harness (LLVMFuzzerTestOneInput) on deterministic mutations
// of seed files, without libFuzzer, so every build (g++ included) can run it:
//   fuzz_<reader> [--inputs N] [--seed S] [--timeout-s T] SEED_FILE...
// Input i mutates seed file i % count with a PRNG seeded by (S, i), so any
// input can be replayed alone with --only i (--save FILE writes it out).
// A crash, sanitizer report or unexpected exception aborts and names the
// input (and writes it to fuzz-crash-<i>.bin); an input running longer
// than T seconds is killed the same way, as a hang.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

// gcc says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define QS_FUZZ_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QS_FUZZ_HAVE_ASAN 1
#endif
#endif
#ifdef QS_FUZZ_HAVE_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#include "fuzz_target.h"
#include "mutator.h"

namespace {

// What a crash handler may read: set before each input runs.
const std::vector<uint8_t>* g_input = nullptr;
long g_index = -1;

// Async-signal-safe: names the input and saves it beside the working directory.
void reportCurrentInput(const char* why) {
    if (!g_input) return;
    char name[64];
    std::snprintf(name, sizeof name, "fuzz-crash-%ld.bin", g_index);
    char line[160];
    const int n = g_index >= 0 ? std::snprintf(line, sizeof line, "\nfuzz: %s on input %ld (replay: --only %ld), saved to %s\n",
                                               why, g_index, g_index, name)
                               : std::snprintf(line, sizeof line, "\nfuzz: %s on seed file #%ld as it is\n", why, -1 - g_index);
    if (n > 0) (void)!::write(2, line, size_t(n));
    const int fd = ::open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        (void)!::write(fd, g_input->data(), g_input->size());
        ::close(fd);
    }
}

void onFatalSignal(int sig) {
    reportCurrentInput(sig == SIGALRM ? "timeout (hang)" : "crash");
    std::signal(sig, SIG_DFL);
    std::raise(sig == SIGALRM ? SIGABRT : sig);
}

std::vector<uint8_t> readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "fuzz: cannot read seed %s\n", path.c_str());
        std::exit(2);
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

long peakRssMb() {
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
    long inputs = 100, only = -1;
    unsigned long long seed = 1;
    unsigned timeoutS = 5;
    std::string savePath;
    std::vector<std::string> seedFiles;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool hasValue = i + 1 < argc;
        if (a == "--inputs" && hasValue) inputs = std::atol(argv[++i]);
        else if (a == "--seed" && hasValue) seed = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--timeout-s" && hasValue) timeoutS = unsigned(std::atoi(argv[++i]));
        else if (a == "--only" && hasValue) only = std::atol(argv[++i]);
        else if (a == "--save" && hasValue) savePath = argv[++i];
        else if (a.starts_with("--")) {
            std::fprintf(stderr, "fuzz: unknown option %s\n", a.c_str());
            return 2;
        } else seedFiles.push_back(a);
    }
    if (seedFiles.empty()) {
        std::fprintf(stderr, "usage: %s [--inputs N] [--seed S] [--timeout-s T] [--only I [--save FILE]] SEED_FILE...\n", argv[0]);
        return 2;
    }
    std::vector<std::vector<uint8_t>> seeds;
    for (const auto& f : seedFiles) seeds.push_back(readFile(f));

    // Under ASan its own handler reports SIGSEGV & co. (with a stack) and
    // then calls the death callback; ours would replace it.
#ifdef QS_FUZZ_HAVE_ASAN
    __sanitizer_set_death_callback([] { reportCurrentInput("sanitizer report"); });
    for (int sig : {SIGABRT, SIGALRM}) std::signal(sig, onFatalSignal);
#else
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM}) std::signal(sig, onFatalSignal);
#endif

    double slowestS = 0;
    long slowestIndex = 0, ran = 0;
    auto run = [&](const std::vector<uint8_t>& input, long index) {
        g_input = &input;
        g_index = index;
        alarm(timeoutS);
        const auto t0 = std::chrono::steady_clock::now();
        LLVMFuzzerTestOneInput(input.data(), input.size());
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        alarm(0);
        g_input = nullptr;
        if (s > slowestS) slowestS = s, slowestIndex = index;
        ++ran;
    };
    // The seeds as they are first: regression inputs are kept as seed files.
    if (only < 0)
        for (size_t k = 0; k < seeds.size(); ++k) run(seeds[k], -1 - long(k));
    const long first = only >= 0 ? only : 0, last = only >= 0 ? only + 1 : inputs;
    for (long i = first; i < last; ++i) {
        const std::vector<uint8_t> input = qs::fuzz::mutate(seeds[size_t(i) % seeds.size()], seed, uint64_t(i));
        if (!savePath.empty())
            std::ofstream(savePath, std::ios::binary).write(reinterpret_cast<const char*>(input.data()), std::streamsize(input.size()));
        run(input, i);
    }
    std::printf("%ld inputs (%zu seed files as they are, %ld mutated): no crash, no hang over %u s; "
                "slowest %s %ld took %.3f s; peak RSS %ld MB\n",
                ran, only < 0 ? seeds.size() : 0, last - first, timeoutS, slowestIndex < 0 ? "seed file" : "input",
                slowestIndex < 0 ? -1 - slowestIndex : slowestIndex, slowestS, peakRssMb());
    std::fflush(stdout);  // a leak report at exit ends the process without flushing
    return 0;
}
