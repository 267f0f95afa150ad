// The jobs directory of `export-jobs` (analysis/slurm_jobs.h): the Slurm
// array script is valid bash (`bash -n`) and, run as array task i with a
// stand-in lm_eval, evaluates cell i's checkpoint with the vLLM arguments;
// the manifest round-trips; options Slurm would misread are refused; and
// the real command exports the tiny model's cells as checkpoints that
// re-open, keeping finished cells on a rerun.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "analysis/slurm_jobs.h"
#include "check.h"
#include "eval/text_windows.h"  // readTextFile
#include "formats/checkpoint.h"
#include "formats/tensor_names.h"
#include "model/llama_model.h"

namespace fs = std::filesystem;
using namespace qs;

namespace {

// Symmetric RTN g128: a W4 grid's step is 255/15 = 17 times a W8 grid's, so
// the rounding error is about 17 times larger. Relative Frobenius errors of
// the tiny model's block-0 q_proj, re-opened from the packed export, measured
// 0.1168 (W4) and 0.00644 (W8): ratio 18.1.
constexpr double kW4MaxRelativeError = 0.15;
constexpr double kW8MaxRelativeError = 0.01;
constexpr double kMinW4OverW8ErrorRatio = 10;

void writeText(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

int runShell(const std::string& command) { return std::system(command.c_str()); }

JobsManifest twoCellManifest() {
    JobsManifest m;
    m.model = "/models/base model";
    m.tasks = {"arc_challenge", "piqa"};
    m.cells.push_back({{{"name", "s"}, {"cell", "base"}, {"method", ""}, {"bits", 16}, {"group", 0}}, "",
                       "/models/base model", "original"});
    m.cells.push_back({{{"name", "s"}, {"cell", "rtn-w4-g128"}, {"method", "rtn"}, {"bits", 4}, {"group", 128}},
                       "W4 g128 RTN", "rtn-w4-g128/model", "gptq"});
    return m;
}

// quantscope-cli beside this test binary (<build>/tests -> <build>/bin).
std::string cliPath() { return (fs::canonical("/proc/self/exe").parent_path().parent_path() / "bin" / "quantscope-cli").string(); }

double relativeError(const LinearWeights& a, const LinearWeights& b) {
    double diff = 0, norm = 0;
    for (size_t i = 0; i < a.w.size(); ++i) {
        diff += (double(a.w[i]) - b.w[i]) * (double(a.w[i]) - b.w[i]);
        norm += double(a.w[i]) * a.w[i];
    }
    return std::sqrt(diff / norm);
}

}  // namespace

QS_TEST(script_declares_one_array_task_per_cell_and_passes_bash_n) {
    const fs::path dir = fs::path(test::tempDir()) / "plain";
    fs::create_directories(dir);
    SlurmJobOptions o;
    o.partition = "gpu-a100";
    o.gpus = 2;
    o.time = "1-12:00:00";
    const std::string script = slurmArrayScript(dir.string(), twoCellManifest(), o);
    QS_CHECK(script.rfind("#!/bin/bash\n", 0) == 0);
    QS_CHECK(script.find("#SBATCH --array=0-1\n") != std::string::npos);
    QS_CHECK(script.find("#SBATCH --partition=gpu-a100\n") != std::string::npos);
    QS_CHECK(script.find("#SBATCH --gres=gpu:2\n") != std::string::npos);
    QS_CHECK(script.find("#SBATCH --time=1-12:00:00\n") != std::string::npos);
    QS_CHECK(script.find("tensor_parallel_size=2,dtype=auto,gpu_memory_utilization=0.9") != std::string::npos);
    QS_CHECK(script.find("TASKS='arc_challenge,piqa'") != std::string::npos);
    writeJobsManifestAndScript(dir.string(), twoCellManifest(), o);
    QS_CHECK_EQ(readTextFile((dir / kJobsScriptFile).string()), script);
    QS_CHECK_EQ(runShell("bash -n " + shellQuote((dir / kJobsScriptFile).string())), 0);
}

QS_TEST(array_task_runs_lm_eval_on_its_cell_and_skips_finished_cells) {
    // A directory name with a space and a quote: the script must keep it one word.
    const fs::path dir = fs::path(test::tempDir()) / "jobs it's here";
    const fs::path bin = fs::path(test::tempDir()) / "bin";
    fs::create_directories(dir);
    fs::create_directories(bin);
    writeJobsManifestAndScript(dir.string(), twoCellManifest(), SlurmJobOptions{});
    // The stand-in lm_eval records its arguments and writes a results file where the harness would.
    writeText(bin / "lm_eval",
              "#!/bin/bash\nprintf '%s\\n' \"$@\" > \"$QS_ARGS_FILE\"\n"
              "out=\"${@: -1}\"; mkdir -p \"$out/m\" && echo '{}' > \"$out/m/results_2024.json\"\n");
    fs::permissions(bin / "lm_eval", fs::perms::owner_all);
    const fs::path argsFile = fs::path(test::tempDir()) / "args.txt";
    const std::string run = "PATH=" + shellQuote(bin.string()) + ":\"$PATH\" QS_ARGS_FILE=" + shellQuote(argsFile.string()) +
                            " SLURM_ARRAY_TASK_ID=1 bash " + shellQuote((dir / kJobsScriptFile).string()) + " > /dev/null";
    QS_CHECK_EQ(runShell(run), 0);
    const std::string outDir = (dir / "rtn-w4-g128" / kJobsResultsFolder).string();
    QS_CHECK_EQ(readTextFile(argsFile.string()),
                "--model\nvllm\n--model_args\npretrained=" + (dir / "rtn-w4-g128/model").string() +
                    ",tensor_parallel_size=1,dtype=auto,gpu_memory_utilization=0.9\n--tasks\narc_challenge,piqa\n"
                    "--batch_size\nauto\n--output_path\n" + outDir + "\n");
    QS_CHECK(fs::exists(fs::path(outDir) / "m" / "results_2024.json"));
    // Run again: the cell has results, lm_eval is not called.
    fs::remove(argsFile);
    QS_CHECK_EQ(runShell(run), 0);
    QS_CHECK(!fs::exists(argsFile));
    // Outside an array job the script refuses to guess a cell.
    QS_CHECK(runShell("bash " + shellQuote((dir / kJobsScriptFile).string()) + " 2> /dev/null") != 0);
}

QS_TEST(manifest_round_trips_and_bad_manifests_name_the_file) {
    const fs::path dir = fs::path(test::tempDir()) / "manifest";
    fs::create_directories(dir);
    writeJobsManifestAndScript(dir.string(), twoCellManifest(), SlurmJobOptions{});
    const JobsManifest back = readJobsManifest(dir.string());
    const JobsManifest want = twoCellManifest();
    QS_CHECK_EQ(back.model, want.model);
    QS_CHECK(back.tasks == want.tasks);
    QS_CHECK_EQ(back.cells.size(), size_t(2));
    QS_CHECK_EQ(back.cells[1].key(), "rtn-w4-g128");
    QS_CHECK_EQ(back.cells[1].sweep.dump(), want.cells[1].sweep.dump());
    QS_CHECK_EQ(back.cells[1].plan, "W4 g128 RTN");
    QS_CHECK_EQ(back.cells[1].format, "gptq");
    QS_CHECK_EQ(jobCheckpointPath(dir.string(), back.cells[1]), (dir / "rtn-w4-g128/model").string());
    QS_CHECK_EQ(jobCheckpointPath(dir.string(), back.cells[0]), "/models/base model");

    const std::string path = (dir / kJobsManifestFile).string();
    writeText(path, "{\"format\": \"quantscope-jobs\", \"cells\": [{\"sweep\": {\"cell\": \"../x\"}, \"checkpoint\": \"m\"}]}");
    QS_CHECK_THROWS_WITH(readJobsManifest(dir.string()), path + ": cells[0]: cell name '../x' is not a folder name");
    writeText(path, "{\"format\": \"quantscope-jobs\", \"cells\": [{\"sweep\": {\"cell\": \"base\"}}]}");
    QS_CHECK_THROWS_WITH(readJobsManifest(dir.string()), path + ": cells[0]: no \"checkpoint\" path");
    writeText(path, "[1, 2");
    QS_CHECK_THROWS_WITH(readJobsManifest(dir.string()), path + ": not valid JSON");
    QS_CHECK_THROWS_WITH(readJobsManifest((dir / "none").string()), "no jobs manifest here");
}

QS_TEST(options_slurm_or_lm_eval_would_misread_are_refused) {
    const JobsManifest m = twoCellManifest();
    SlurmJobOptions o;
    o.time = "4 hours";
    QS_CHECK_THROWS_WITH(slurmArrayScript("/j", m, o), "--time '4 hours': expected [D-]HH:MM:SS");
    o = {};
    o.partition = "gpu; rm -rf";
    QS_CHECK_THROWS_WITH(slurmArrayScript("/j", m, o), "--partition 'gpu; rm -rf'");
    o = {};
    o.gpus = 0;
    QS_CHECK_THROWS_WITH(slurmArrayScript("/j", m, o), "--gpus must be at least 1");
    QS_CHECK_THROWS_WITH(slurmArrayScript("/j,k", m, {}), "/j,k/rtn-w4-g128/model: lm_eval's --model_args cannot hold a path with a comma");
    QS_CHECK_THROWS_WITH(parseLmEvalTasks("arc_challenge,,piqa"), "tasks: '' is not an lm-eval task name");
    QS_CHECK_THROWS_WITH(parseLmEvalTasks("piqa;ls"), "tasks: 'piqa;ls'");
    QS_CHECK(parseLmEvalTasks("arc_challenge,mmlu") == (std::vector<std::string>{"arc_challenge", "mmlu"}));
    QS_CHECK_EQ(shellQuote("it's"), "'it'\\''s'");
}

QS_TEST(export_jobs_writes_reopenable_checkpoints_and_keeps_them_on_rerun) {
    const std::string model = test::sharedDir() + "/models/qs-tiny-llama";
    const fs::path out = fs::path(test::tempDir()) / "tiny-jobs";
    const fs::path report = fs::path(test::tempDir()) / "export.json";
    const std::string command = shellQuote(cliPath()) + " export-jobs " + shellQuote(model) +
                                " --methods rtn --bits 4,8 --group 128 --format gptq --tasks piqa --out " +
                                shellQuote(out.string()) + " --json > " + shellQuote(report.string());
    QS_CHECK_EQ(runShell(command), 0);
    const nlohmann::json first = nlohmann::json::parse(readTextFile(report.string()));
    QS_CHECK_EQ(first["cells"].size(), size_t(3));

    const JobsManifest manifest = readJobsManifest(out.string());
    QS_CHECK_EQ(manifest.cells.size(), size_t(3));
    QS_CHECK_EQ(manifest.cells[0].key(), "base");
    QS_CHECK_EQ(jobCheckpointPath(out.string(), manifest.cells[0]), fs::absolute(model).lexically_normal().string());
    QS_CHECK_EQ(manifest.cells[1].key(), "rtn-w8-g128");
    QS_CHECK_EQ(manifest.cells[2].key(), "rtn-w4-g128");
    QS_CHECK_EQ(runShell("bash -n " + shellQuote((out / kJobsScriptFile).string())), 0);

    const auto base = openCheckpoint(model);
    const LinearWeights baseQ = LlamaModel(*base).loadBlock(0)[Projection::Q];
    const double maxError[] = {0, kW8MaxRelativeError, kW4MaxRelativeError};
    double errors[3] = {0, 0, 0};
    for (size_t i = 1; i < 3; ++i) {
        QS_CHECK_EQ(manifest.cells[i].format, "gptq");
        QS_CHECK(fs::exists(out / manifest.cells[i].key() / "plan.json"));
        const auto ckpt = openCheckpoint(jobCheckpointPath(out.string(), manifest.cells[i]));
        QS_CHECK_EQ(ckpt->config.numLayers, base->config.numLayers);
        const LinearWeights q = LlamaModel(*ckpt).loadBlock(0)[Projection::Q];
        QS_CHECK_EQ(q.w.size(), baseQ.w.size());
        errors[i] = relativeError(baseQ, q);
        QS_CHECK(errors[i] > 0);
        QS_CHECK(errors[i] < maxError[i]);
    }
    QS_CHECK(errors[2] > kMinW4OverW8ErrorRatio * errors[1]);

    // A rerun keeps the finished checkpoints.
    QS_CHECK_EQ(runShell(command), 0);
    const nlohmann::json second = nlohmann::json::parse(readTextFile(report.string()));
    QS_CHECK_EQ(second["cells"][0]["status"], "original");
    QS_CHECK_EQ(second["cells"][1]["status"], "kept");
    QS_CHECK_EQ(second["cells"][2]["status"], "kept");
}
