// quantscope-cli import-results: lm-evaluation-harness result files read into
// a project as runs (analysis/lm_eval_results.h), so a sweep evaluated on a
// cluster (export-jobs) gives the same tables and charts as a local one.
// With --jobs DIR every cell's results are found and tagged with the cell;
// a file imported before (same content hash) is skipped, so importing a jobs
// directory again after more array tasks finished adds only the new ones.
#include <cstdio>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "analysis/lm_eval_results.h"
#include "analysis/slurm_jobs.h"
#include "cli_commands.h"
#include "project/project_file.h"

namespace fs = std::filesystem;

namespace qs::cli {

namespace {

// FILE.json ... after the options: Args has no count of what is left, so
// positionals are taken until none is.
std::vector<std::string> remainingPositionals(Args& args) {
    std::vector<std::string> out;
    for (;;) {
        try {
            out.push_back(args.positional("FILE"));
        } catch (const UsageError&) {
            return out;
        }
    }
}

}  // namespace

static int runImportResults(Args& args) {
    const bool json = args.flag("--json");
    const auto jobsDir = args.option("--jobs");
    const std::string projectPath = args.positional("PROJECT");
    const std::vector<std::string> files = remainingPositionals(args);
    args.finish();
    if (!jobsDir && files.empty()) throw UsageError("import-results needs --jobs DIR or result files (results_*.json)");

    std::vector<JobsResultFile> inputs;
    std::vector<std::string> missingCells;
    if (jobsDir) {
        inputs = jobsResultFiles(*jobsDir);
        std::set<std::string> withResults;
        for (const JobsResultFile& f : inputs) withResults.insert(f.cell.key());
        for (const JobCell& c : readJobsManifest(*jobsDir).cells)
            if (!withResults.count(c.key())) missingCells.push_back(c.key());
    }
    for (const std::string& f : files) inputs.push_back({f, JobCell{}});

    std::set<std::string> known = importedLmEvalFileHashes(listRuns(projectPath));
    nlohmann::json report = nlohmann::json::array();
    int imported = 0;
    for (const JobsResultFile& in : inputs) {
        const std::string path = fs::absolute(in.path).lexically_normal().string();
        const LmEvalImport parsed = parseLmEvalResults(path, in.cell.sweep, in.cell.plan);
        nlohmann::json entry = {{"path", path}, {"cell", in.cell.key()}, {"runs", nlohmann::json::array()},
                                {"skipped_tasks", parsed.skipped}};
        const std::string hash = parsed.runs.empty() ? "" : parsed.runs.front().settings["file_hash"].get<std::string>();
        if (parsed.runs.empty()) {
            entry["status"] = "no task we import";
        } else if (known.count(hash)) {
            entry["status"] = "imported before";
        } else {
            for (const RunRecord& run : parsed.runs) entry["runs"].push_back(addRun(projectPath, run));
            imported += int(parsed.runs.size());
            known.insert(hash);
            entry["status"] = "imported";
        }
        if (!json) {
            std::printf("%s%s: %s", path.c_str(), in.cell.key().empty() ? "" : (" (" + in.cell.key() + ")").c_str(),
                        entry["status"].get<std::string>().c_str());
            if (!entry["runs"].empty()) std::printf(", %zu runs", entry["runs"].size());
            std::printf("\n");
            if (!entry["runs"].empty())
                for (const std::string& s : parsed.skipped) std::printf("  skipped %s\n", s.c_str());
        }
        report.push_back(std::move(entry));
    }

    if (json) {
        const nlohmann::json j = {{"project", projectPath}, {"imported_runs", imported}, {"files", report},
                                  {"cells_without_results", missingCells}};
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%d runs imported into %s from %zu files\n", imported, projectPath.c_str(), inputs.size());
        for (const std::string& c : missingCells) std::printf("  no results yet for cell %s\n", c.c_str());
    }
    return 0;
}

static const CommandRegistration runImportResultsRegistration("import-results", runImportResults,
    "  import-results PROJECT.qsproj.h5 (--jobs DIR | RESULTS.json ...) [--json]\n");

}  // namespace qs::cli
