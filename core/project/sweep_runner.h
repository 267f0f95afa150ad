// Runs a sweep (analysis/sweep_grid.h) into a project: for every cell, every
// metric, one run stored with addRun, the cell recorded in
// settings["sweep"]. Runs already in the project (same sweep name, cell and
// metric) are skipped, so a sweep that was stopped or crashed continues where
// it was: every finished run is already on disk (addRun replaces the file
// atomically). Cells run one after another; each calibrated cell is quantized
// once and shared by its metrics.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/sweep_grid.h"
#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "project/run_evaluation.h"
#include "quant/calibration.h"
#include "tokenize/tokenizer.h"

namespace qs {

struct SweepMetric {
    RunKind kind = RunKind::Perplexity;
    std::string dataset;  // text file, or task file
    TaskType taskType = TaskType::HellaSwag;
    int taskLimit = 0;

    // What identifies the metric's runs within a cell: kind, dataset and the
    // settings that change the number ("perplexity|wiki.txt|ctx=256|windows=64").
    std::string key(int64_t ctx, int64_t maxWindows) const;
};

struct SweepOptions {
    std::string name = "sweep";
    SweepGrid grid;
    std::vector<SweepMetric> metrics;
    int64_t ctx = 0;         // perplexity / KL windows; 0: the model's context
    int64_t maxWindows = 0;  // 0: the whole text
    std::optional<std::string> calibPath;  // needed when a method calibrates (gptq, awq, ...)
    CalibrationOptions calib;
    const KernelBackend* backend = nullptr;  // where evaluation and quantization run; null: the CPU
};

// The metrics of `texts` as the CLI's repeated --text (and --kl) ask for
// them: each text's perplexity, then its KL when `kl`.
std::vector<SweepMetric> textMetrics(const std::vector<std::string>& texts, bool kl);

struct SweepStatus {
    int cell = 0, cells = 0;  // the cell being run (0-based) and how many
    int run = 0, runs = 0;    // runs done so far (stored or skipped) of all
    std::string cellKey;
    std::string stage;        // "quantizing", "perplexity wiki.txt", ...
    double runFraction = 0.0; // progress of the current run or quantization
};

struct SweepOutcome {
    std::vector<RunRecord> stored;  // new runs, in order
    int skipped = 0;                // runs found in the project already
};

struct SweepHooks {
    const JobControl* control = nullptr;                 // cancels between and within runs
    std::function<void(const SweepStatus&)> progress;    // from the calling thread and core's threads
    std::function<void(const RunRecord&)> stored;        // each run once it is in the project
};

SweepOutcome runSweep(const LlamaModel& model, const Tokenizer& tokenizer, const std::string& projectPath,
                      const SweepOptions& options, const SweepHooks& hooks = {});

// Checks the options before any work (cells valid, metrics present, calibration given when a method needs it);
// throws std::invalid_argument.
void validateSweep(const LlamaModel& model, const SweepOptions& options);

}  // namespace qs
