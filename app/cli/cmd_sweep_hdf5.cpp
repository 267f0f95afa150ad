// quantscope-cli sweep: a quantization paper's grid, methods x bits x
// granularities plus the unquantized baseline, for one model or several in
// turn, each cell evaluated on every text (perplexity, and KL with --kl) and
// task, every run stored in the project as it finishes. A sweep that was
// stopped continues where it was: run the same command again.
#include <cstdio>
#include <memory>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_io.h"
#include "cli_plan.h"
#include "formats/checkpoint.h"
#include "project/project_file.h"
#include "project/sweep_runner.h"

namespace qs::cli {

namespace {

std::vector<SweepMetric> metricsFromArgs(Args& args) {
    const std::vector<std::string> texts = args.options("--text");
    const bool kl = args.flag("--kl");
    const std::vector<std::string> tasks = args.options("--task");
    const std::vector<std::string> taskTypes = args.options("--task-type");
    const long long limit = args.intOption("--limit", 0);
    if (tasks.size() != taskTypes.size()) throw UsageError("every --task needs its --task-type");
    if (limit < 0 || limit > 1 << 30) throw UsageError("--limit must be a non-negative count");
    if (kl && texts.empty()) throw UsageError("--kl compares on the --text files: give at least one");
    std::vector<SweepMetric> metrics = textMetrics(texts, kl);
    for (size_t i = 0; i < tasks.size(); ++i) {
        const auto type = taskTypeFromName(taskTypes[i]);
        if (!type) throw UsageError("--task-type must be one of hellaswag, arc, piqa, winogrande, boolq, lambada, mmlu, openbookqa");
        metrics.push_back({RunKind::Task, tasks[i], *type, int(limit)});
    }
    if (metrics.empty()) throw UsageError("sweep needs --text FILE and/or --task FILE --task-type T");
    return metrics;
}

void printStatus(const std::string& model, const SweepStatus& s) {
    std::fprintf(stderr, "\r%s[%d/%d] %-16s %-40.40s %3d%%", model.c_str(), s.run + 1 > s.runs ? s.runs : s.run + 1,
                 s.runs, s.cellKey.c_str(), s.stage.c_str(), int(s.runFraction * 100.0 + 0.5));
}

// One model of the sweep, opened (memory-mapped) and checked before any model runs.
struct SweepModel {
    std::unique_ptr<Checkpoint> checkpoint;
    std::unique_ptr<LlamaModel> model;
    std::unique_ptr<Tokenizer> tokenizer;
};

SweepModel openSweepModel(const std::string& path, const SweepOptions& options) {
    SweepModel m;
    m.checkpoint = openCheckpoint(path);
    m.model = std::make_unique<LlamaModel>(*m.checkpoint);
    m.tokenizer = tokenizerForCheckpoint(*m.checkpoint);
    try {
        validateSweep(*m.model, options);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(path + ": " + e.what());
    }
    return m;
}

}  // namespace

static int runSweepCommand(Args& args) {
    const bool json = args.flag("--json");
    const auto project = args.option("--project");
    const std::string name = args.option("--name").value_or("sweep");
    const std::string methods = args.option("--methods").value_or("rtn,gptq,awq");
    const auto bits = args.option("--bits");
    const std::string groups = args.option("--group").value_or("128");
    const bool asym = args.flag("--asym");
    const PerplexityOptions windows = perplexityOptionsFromArgs(args);
    const std::vector<SweepMetric> metrics = metricsFromArgs(args);
    const CliPlan calibration = calibrationFromArgs(args);
    const CliDevice device = deviceFromArgs(args);
    const std::vector<std::string> modelPaths = args.positionals("MODEL");
    args.finish();
    if (!bits) throw UsageError("sweep needs --bits (e.g. 2,3,4,8)");
    if (windows.addBos) throw UsageError("--bos is not a sweep option");
    if (modelPaths.size() > 1 && !project) throw UsageError("a sweep over several models needs --project P.qsproj.h5");

    SweepOptions o;
    o.name = name;
    try {
        o.grid = parseSweepGrid(methods, *bits, groups);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    o.grid.symmetric = !asym;
    o.metrics = metrics;
    o.ctx = windows.ctx;
    o.maxWindows = windows.maxWindows;
    o.calibPath = calibration.calibPath;
    o.calib = calibration.calib;
    o.backend = device.backend.get();

    // Every model is opened and checked first, so a bad third model is found
    // before hours of work on the first two.
    std::vector<SweepModel> models;
    for (const std::string& path : modelPaths) models.push_back(openSweepModel(path, o));
    const std::string projectPath = project ? *project : defaultProjectPath(*models.front().checkpoint);
    const bool terminal = ::isatty(STDERR_FILENO);

    nlohmann::json stored = nlohmann::json::array();
    int skipped = 0;
    for (const SweepModel& m : models) {
        const std::string shortName = modelShortName(m.checkpoint->path);
        SweepHooks hooks;
        if (terminal)
            hooks.progress = [&](const SweepStatus& s) { printStatus(models.size() > 1 ? shortName + " " : "", s); };
        const SweepOutcome outcome = runSweep(*m.model, *m.tokenizer, projectPath, o, hooks);
        if (terminal) std::fprintf(stderr, "\n");
        skipped += outcome.skipped;
        if (!json)
            std::printf("sweep '%s' of %s into %s: %zu runs stored, %d already there\n", name.c_str(),
                        m.checkpoint->path.c_str(), projectPath.c_str(), outcome.stored.size(), outcome.skipped);
        for (const RunRecord& r : outcome.stored) {
            const std::string cell = r.settings["sweep"]["cell"];
            stored.push_back({{"id", r.id}, {"model", shortName}, {"cell", cell}, {"kind", r.kind},
                              {"dataset", r.dataset}, {"metrics", r.metrics}, {"seconds", r.seconds}});
            const char* key = r.kind == "task" ? "acc" : r.kind == "kl" ? "kl_mean" : "ppl";
            if (!json)
                std::printf("  %-16s %-10s %-40.40s %s %.6g\n", cell.c_str(), r.kind.c_str(), r.dataset.c_str(), key,
                            r.metrics.value(key, 0.0));
        }
    }
    if (json) {
        const nlohmann::json out = {{"project", projectPath}, {"sweep", name},       {"stored", stored},
                                    {"skipped", skipped},  {"device", device.json()}};
        std::printf("%s\n", out.dump(2).c_str());
    }
    return 0;
}

static const CommandRegistration runSweepRegistration("sweep", runSweepCommand,
    "  sweep MODEL [MODEL...] --bits 2,3,4,8 [--methods rtn,gptq,awq] [--group 128|0,128] [--asym] [--name NAME]\n"
    "           (--text FILE [--kl] ... | --task FILE --task-type T ... [--limit N]) [--ctx N] [--max-windows N]\n"
    "           [--calib FILE [--nsamples N] [--seqlen L] [--seed S]] [--project P.qsproj.h5] [--device cpu|cuda|auto] [--json]\n"
    "           (the baseline and every cell, for each model in turn; a rerun continues a stopped sweep)\n");

}  // namespace qs::cli
