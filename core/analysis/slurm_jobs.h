// A sweep exported for a cluster (`quantscope-cli export-jobs`): a jobs
// directory holding one folder per sweep cell with its quantized checkpoint,
// a manifest of the cells (cells.json) and a Slurm array script
// (evaluate.slurm) whose task i evaluates cell i with lm-evaluation-harness
// on vLLM, writing the harness's results to <dir>/<cell>/lm_eval/. The
// results come back with `quantscope-cli import-results` (lm_eval_results.h).
//
//   <dir>/cells.json               the manifest (array index -> cell)
//   <dir>/evaluate.slurm           sbatch evaluate.slurm
//   <dir>/<cell>/plan.json         the cell's plan (quantized cells)
//   <dir>/<cell>/model/            the cell's checkpoint (quantized cells)
//   <dir>/<cell>/lm_eval/<model>/results_<date>.json   written by the harness
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qs {

inline constexpr const char* kJobsManifestFile = "cells.json";
inline constexpr const char* kJobsScriptFile = "evaluate.slurm";
inline constexpr const char* kJobsResultsFolder = "lm_eval";

// One array task of the jobs directory.
struct JobCell {
    nlohmann::json sweep;    // sweepCellJson: name, cell, method, bits, group
    std::string plan;        // quantPlanLabel ("" for the baseline)
    std::string checkpoint;  // relative to the jobs directory (<cell>/model), or absolute (the baseline's original model)
    std::string format;      // "fake", "gptq", or "original" for the baseline

    std::string key() const;  // sweep["cell"]: the cell's folder name ("" without a sweep)
};

struct JobsManifest {
    std::string model;  // the source checkpoint
    std::vector<std::string> tasks;
    std::vector<JobCell> cells;  // in array index order
};

nlohmann::json jobsManifestJson(const JobsManifest& manifest);
// Reads <jobsDir>/cells.json; throws FormatError naming the file and the problem.
JobsManifest readJobsManifest(const std::string& jobsDir);
// The checkpoint a cell's array task evaluates (a relative one resolved against jobsDir).
std::string jobCheckpointPath(const std::string& jobsDir, const JobCell& cell);

struct SlurmJobOptions {
    std::string jobName = "quantscope-eval";
    std::string partition;         // empty: the cluster's default partition
    int gpus = 1;                  // per array task; also vLLM's tensor_parallel_size
    std::string time = "04:00:00"; // per array task: [D-]HH:MM:SS
    double gpuMemoryUtilization = 0.9;
};

// Throws std::invalid_argument naming the option: the #SBATCH lines cannot be
// quoted, so names and times are limited to characters Slurm reads literally.
void validateSlurmOptions(const SlurmJobOptions& options);

// The text of evaluate.slurm for the manifest's cells: one array task per
// cell, which reads its checkpoint from cells.json (python3, present wherever
// lm_eval is) and skips cells whose results are already there.
std::string slurmArrayScript(const std::string& jobsDir, const JobsManifest& manifest, const SlurmJobOptions& options);

// Writes cells.json and evaluate.slurm into jobsDir, each through a temporary
// file renamed into place. Throws FormatError naming a file that cannot be written.
void writeJobsManifestAndScript(const std::string& jobsDir, const JobsManifest& manifest,
                                const SlurmJobOptions& options);

// "arc_challenge,piqa,mmlu" as lm_eval's --tasks list; std::invalid_argument
// naming an empty or odd item (one lm_eval could not take).
std::vector<std::string> parseLmEvalTasks(const std::string& list);

// `s` as one bash word in single quotes (an inner ' becomes '\'').
std::string shellQuote(const std::string& s);

}  // namespace qs
