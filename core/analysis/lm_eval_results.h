// Results of lm-evaluation-harness read back as project runs
// (`quantscope-cli import-results`), so the cluster's numbers of an exported
// sweep (slurm_jobs.h) land in the same tables and charts as local runs.
//
// The harness writes <output_path>/<model>/results_<date>.json with
//   "results": {task: {"alias", "acc,none", "acc_stderr,none", "acc_norm,none", ...}}
// (metric,filter keys; a stderr the harness could not compute is "N/A"),
// groups such as mmlu among the tasks with their members in
// "group_subtasks", "n-samples": {task: {"original", "effective"}},
// "n-shot", "versions", "config": {"model_args": "pretrained=...,...", ...},
// "lm_eval_version" and "date" (Unix seconds).
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/slurm_jobs.h"
#include "project/run_record.h"

namespace qs {

struct LmEvalImport {
    // One run per task (and group), in task name order, with the
    // unfiltered (",none") metrics our own runs use:
    //   kind "task": acc, acc_stderr, acc_norm, acc_norm_stderr, n (those present)
    //   kind "perplexity" (wikitext-style rolling log-likelihood tasks):
    //     word_perplexity, byte_perplexity, bits_per_byte (+ _stderr when numeric), n
    // settings: source "lm-eval", file, file_hash, lm_eval_version, date,
    // n_shot, task_version, group (the group a task belongs to) when present,
    // and sweep (the cell json) when known.
    std::vector<RunRecord> runs;
    std::vector<std::string> skipped;  // "gsm8k: no acc, acc_norm or perplexity metric"
};

// Parses one results file. `sweep` (the cell's sweepCellJson, or null) and
// `planLabel` are recorded in every run. Throws FormatError naming the file
// and the problem (unreadable, not JSON, no "results" object).
LmEvalImport parseLmEvalResults(const std::string& path, const nlohmann::json& sweep = nullptr,
                                const std::string& planLabel = "");

// The content hash recorded in settings["file_hash"] (FNV-1a 64, hex).
std::string lmEvalFileHash(const std::string& bytes);
// The file hashes of the lm-eval runs already in a project: a file whose hash
// is among them was imported before (under this path or another).
std::set<std::string> importedLmEvalFileHashes(const std::vector<RunRecord>& runs);

struct JobsResultFile {
    std::string path;
    JobCell cell;
};
// Every <jobsDir>/<cell>/lm_eval/**/results*.json of the manifest's cells, by
// cell then path; cells without results yet are left out.
std::vector<JobsResultFile> jobsResultFiles(const std::string& jobsDir);

}  // namespace qs
