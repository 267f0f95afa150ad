// quantscope-cli export-jobs: a sweep too large for this machine's
// evaluation, exported as a jobs directory for a cluster (analysis/slurm_jobs.h):
// every cell's plan and quantized checkpoint, the cells manifest and a Slurm
// array script that evaluates them with vLLM + lm-evaluation-harness. Each
// checkpoint is written through a staging directory renamed into place, so a
// rerun after a crash or a cancel keeps the finished cells and redoes the rest.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "analysis/slurm_jobs.h"
#include "analysis/sweep_grid.h"
#include "cli_commands.h"
#include "cli_export.h"
#include "cli_io.h"
#include "cli_plan.h"
#include "eval/text_windows.h"  // readTextFile
#include "formats/checkpoint.h"
#include "formats/format_error.h"

namespace fs = std::filesystem;

namespace qs::cli {

namespace {

constexpr const char* kDefaultTasks = "arc_challenge,hellaswag,piqa,winogrande,mmlu,wikitext";

// The format of a finished export in modelDir (its quantization record), none when there is none.
std::optional<std::string> finishedExportFormat(const fs::path& modelDir) {
    const fs::path record = modelDir / kQuantizationRecordFile;
    if (!fs::exists(record)) return std::nullopt;
    try {
        return nlohmann::json::parse(readTextFile(record.string())).at("format").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(record.string(), std::string("unreadable quantization record: ") + e.what() +
                                               " (remove " + modelDir.string() + " to write it again)");
    }
}

// Staging directories of an earlier run that crashed (StagedDirectory removes
// only its own): a 70B export leaves tens of GB. Assumes one export-jobs per directory at a time.
void removeStaleStages(const fs::path& cellDir) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cellDir, ec))
        if (e.path().filename().string().rfind(".model.partial-", 0) == 0) fs::remove_all(e.path(), ec);
}

struct CellOutcome {
    std::string status;  // "original", "written", "kept"
    std::string note;    // why the format differs from the one asked for
};

}  // namespace

static int runExportJobs(Args& args) {
    const bool json = args.flag("--json");
    const auto out = args.option("--out");
    const auto methods = args.option("--methods");
    const auto bits = args.option("--bits");
    const std::string groups = args.option("--group").value_or("128");
    const std::string tasks = args.option("--tasks").value_or(kDefaultTasks);
    const ExportFormat format = exportFormatFromArg(args.option("--format").value_or("fake"));
    const auto name = args.option("--name");
    SlurmJobOptions slurm;
    slurm.partition = args.option("--partition").value_or("");
    slurm.gpus = int(args.intOption("--gpus", slurm.gpus));
    slurm.time = args.option("--time").value_or(slurm.time);
    const CliPlan calibration = calibrationFromArgs(args);
    const CliDevice device = deviceFromArgs(args);
    const std::string modelPath = args.positional("MODEL");
    args.finish();
    if (!out) throw UsageError("export-jobs needs --out DIR");
    if (!methods || !bits) throw UsageError("export-jobs needs --methods M,M --bits B,B [--group G,G]");

    const auto started = std::chrono::steady_clock::now();
    std::vector<SweepCell> cells;
    JobsManifest manifest;
    try {
        cells = sweepCells(parseSweepGrid(*methods, *bits, groups));
        manifest.tasks = parseLmEvalTasks(tasks);
        validateSlurmOptions(slurm);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    const fs::path outDir = fs::absolute(*out).lexically_normal();
    const std::string sweepName = name.value_or(outDir.filename().string());
    manifest.model = sweepModelId(modelPath);
    for (const SweepCell& cell : cells)
        manifest.cells.push_back({sweepCellJson(sweepName, manifest.model, cell), cell.plan ? quantPlanLabel(*cell.plan) : "",
                                  cell.plan ? cell.key() + "/model" : manifest.model,
                                  cell.plan ? exportFormatName(format) : "original"});
    try {
        slurmArrayScript(outDir.string(), manifest, slurm);  // refuses paths lm_eval cannot take, before any work
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }

    const auto ckpt = openCheckpoint(modelPath);
    const LlamaModel model(*ckpt);
    for (const SweepCell& cell : cells)
        if (cell.plan && planNeedsCalibration(*cell.plan, model.config()) && !calibration.calibPath)
            throw UsageError("cell " + cell.key() + " needs calibration data: give --calib FILE [--nsamples N --seqlen L]");
    const auto tokenizer = tokenizerForCheckpoint(*ckpt);
    fs::create_directories(outDir);
    std::vector<CellOutcome> outcomes;
    for (size_t i = 0; i < cells.size(); ++i) {
        const SweepCell& cell = cells[i];
        JobCell& job = manifest.cells[i];
        const fs::path cellDir = outDir / cell.key();
        fs::create_directories(cellDir);
        CellOutcome o{"original", ""};
        if (cell.plan) {
            saveQuantPlan(*cell.plan, (cellDir / "plan.json").string());
            const fs::path modelDir = cellDir / "model";
            if (const auto kept = finishedExportFormat(modelDir)) {
                job.format = *kept;
                o.status = "kept";
            } else {
                ExportFormat cellFormat = format;
                if (format == ExportFormat::Gptq) o.note = packedFormatProblem(*cell.plan, model.config());
                if (!o.note.empty()) cellFormat = ExportFormat::Fake;
                removeStaleStages(cellDir);
                CliPlan plan = calibration;
                plan.plan = cell.plan;
                writeQuantizedExport(*ckpt, model, *tokenizer, plan, cellFormat, ExportOptions{}, modelDir.string(),
                                     device.backend.get());
                job.format = exportFormatName(cellFormat);
                o.status = "written";
            }
        }
        if (!json)
            std::printf("[%zu/%zu] %s: %s%s%s\n", i + 1, cells.size(), cell.key().c_str(),
                        o.status == "original" ? "the original model" : (o.status + " as " + job.format).c_str(),
                        o.note.empty() ? "" : ", not gptq: ", o.note.c_str());
        outcomes.push_back(o);
    }
    writeJobsManifestAndScript(outDir.string(), manifest, slurm);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    const std::string script = (outDir / kJobsScriptFile).string();
    if (json) {
        nlohmann::json j = {{"out", outDir.string()},
                            {"manifest", (outDir / kJobsManifestFile).string()},
                            {"script", script},
                            {"total_seconds", seconds},
                            {"cells", nlohmann::json::array()}};
        for (size_t i = 0; i < cells.size(); ++i) {
            const JobCell& c = manifest.cells[i];
            j["cells"].push_back({{"index", i}, {"cell", c.key()}, {"checkpoint", jobCheckpointPath(outDir.string(), c)},
                                  {"format", c.format}, {"status", outcomes[i].status}, {"note", outcomes[i].note}});
        }
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%zu cells in %s (%.1f s); on the cluster: sbatch %s\n", cells.size(), outDir.c_str(), seconds,
                    script.c_str());
    }
    return 0;
}

static const CommandRegistration runExportJobsRegistration("export-jobs", runExportJobs,
    "  export-jobs MODEL --methods rtn,gptq,awq --bits 2,3,4,8 [--group 128] --out DIR\n"
    "           [--calib FILE [--nsamples N] [--seqlen L] [--seed S]] [--tasks arc_challenge,piqa,...]\n"
    "           [--format fake|gptq] [--name SWEEP] [--partition P] [--gpus N] [--time HH:MM:SS]\n"
    "           [--device cpu|cuda|auto] [--json]\n");

}  // namespace qs::cli
