#include "analysis/slurm_jobs.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "eval/text_windows.h"  // readTextFile
#include "formats/format_error.h"
#include "formats/staged_directory.h"

namespace fs = std::filesystem;

namespace qs {

namespace {

constexpr const char* kManifestFormat = "quantscope-jobs";
constexpr int kManifestVersion = 1;

bool onlyCharsOf(const std::string& s, const std::string& extra) {
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && extra.find(c) == std::string::npos) return false;
    return !s.empty();
}

std::string joinTasks(const std::vector<std::string>& tasks) {
    std::string out;
    for (const std::string& t : tasks) out += (out.empty() ? "" : ",") + t;
    return out;
}

void checkTasks(const std::vector<std::string>& tasks) {
    if (tasks.empty()) throw std::invalid_argument("tasks: no lm-eval task given");
    for (const std::string& t : tasks)
        if (!onlyCharsOf(t, "_.-")) throw std::invalid_argument("tasks: '" + t + "' is not an lm-eval task name");
}

// lm_eval splits --model_args at commas, so no path with one can be passed as pretrained=.
void checkCheckpointPaths(const std::string& jobsDir, const JobsManifest& manifest) {
    for (const JobCell& cell : manifest.cells)
        if (jobCheckpointPath(jobsDir, cell).find(',') != std::string::npos)
            throw std::invalid_argument(jobCheckpointPath(jobsDir, cell) +
                                        ": lm_eval's --model_args cannot hold a path with a comma; choose another directory");
}

std::string manifestPath(const std::string& jobsDir) { return (fs::path(jobsDir) / kJobsManifestFile).string(); }

}  // namespace

std::string JobCell::key() const { return sweep.is_object() ? sweep.value("cell", std::string()) : std::string(); }

nlohmann::json jobsManifestJson(const JobsManifest& manifest) {
    nlohmann::json cells = nlohmann::json::array();
    for (size_t i = 0; i < manifest.cells.size(); ++i) {
        const JobCell& c = manifest.cells[i];
        cells.push_back({{"index", i}, {"sweep", c.sweep}, {"plan", c.plan}, {"checkpoint", c.checkpoint},
                         {"format", c.format}});
    }
    return {{"format", kManifestFormat}, {"version", kManifestVersion}, {"model", manifest.model},
            {"tasks", manifest.tasks},   {"cells", cells}};
}

JobsManifest readJobsManifest(const std::string& jobsDir) {
    const std::string path = manifestPath(jobsDir);
    if (!fs::exists(path)) throw FormatError(path, "no jobs manifest here (written by quantscope-cli export-jobs)");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(readTextFile(path));
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path, std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object() || j.value("format", std::string()) != kManifestFormat)
        throw FormatError(path, std::string("not a jobs manifest (\"format\" is not \"") + kManifestFormat + "\")");
    if (!j.contains("cells") || !j["cells"].is_array()) throw FormatError(path, "no \"cells\" array");
    JobsManifest m;
    m.model = j.value("model", std::string());
    if (j.contains("tasks") && j["tasks"].is_array())
        for (const auto& t : j["tasks"])
            if (t.is_string()) m.tasks.push_back(t.get<std::string>());
    for (size_t i = 0; i < j["cells"].size(); ++i) {
        const nlohmann::json& c = j["cells"][i];
        const std::string where = "cells[" + std::to_string(i) + "]";
        if (!c.is_object() || !c.contains("sweep") || !c["sweep"].is_object() || !c["sweep"].contains("cell") ||
            !c["sweep"]["cell"].is_string())
            throw FormatError(path, where + ": no \"sweep\" object with a \"cell\" name");
        if (!c.contains("checkpoint") || !c["checkpoint"].is_string())
            throw FormatError(path, where + ": no \"checkpoint\" path");
        m.cells.push_back({c["sweep"], c.value("plan", std::string()), c["checkpoint"].get<std::string>(),
                           c.value("format", std::string())});
        if (!onlyCharsOf(m.cells.back().key(), "_.-"))
            throw FormatError(path, where + ": cell name '" + m.cells.back().key() + "' is not a folder name");
    }
    return m;
}

std::string jobCheckpointPath(const std::string& jobsDir, const JobCell& cell) {
    const fs::path p(cell.checkpoint);
    return p.is_absolute() ? p.string() : (fs::path(jobsDir) / p).string();
}

void validateSlurmOptions(const SlurmJobOptions& o) {
    if (!onlyCharsOf(o.jobName, "_.-")) throw std::invalid_argument("job name '" + o.jobName + "': use letters, digits, _ . -");
    if (!o.partition.empty() && !onlyCharsOf(o.partition, "_.-,"))
        throw std::invalid_argument("--partition '" + o.partition + "': use letters, digits, _ . - ,");
    if (o.gpus < 1) throw std::invalid_argument("--gpus must be at least 1");
    if (!onlyCharsOf(o.time, ":-") || o.time.find(':') == std::string::npos)
        throw std::invalid_argument("--time '" + o.time + "': expected [D-]HH:MM:SS");
    if (!(o.gpuMemoryUtilization > 0 && o.gpuMemoryUtilization <= 1))
        throw std::invalid_argument("gpu_memory_utilization must be in (0, 1]");
}

std::vector<std::string> parseLmEvalTasks(const std::string& list) {
    std::vector<std::string> tasks;
    std::stringstream in(list);
    for (std::string t; std::getline(in, t, ',');) tasks.push_back(t);
    checkTasks(tasks);
    return tasks;
}

std::string shellQuote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string slurmArrayScript(const std::string& jobsDir, const JobsManifest& manifest, const SlurmJobOptions& o) {
    validateSlurmOptions(o);
    checkTasks(manifest.tasks);
    if (manifest.cells.empty()) throw std::invalid_argument("a jobs directory needs at least one cell");
    checkCheckpointPaths(jobsDir, manifest);
    const std::string absDir = fs::absolute(jobsDir).lexically_normal().string();
    char memory[32];
    std::snprintf(memory, sizeof memory, "%g", o.gpuMemoryUtilization);

    std::ostringstream s;
    s << "#!/bin/bash\n"
      << "# Written by quantscope-cli export-jobs: evaluates the " << manifest.cells.size()
      << " cells of cells.json with lm-evaluation-harness on vLLM, one array task per cell.\n"
      << "# Activate the Python environment that has lm_eval and vllm, then: sbatch evaluate.slurm\n"
      << "# Set QS_JOBS_DIR when this directory was moved. Import the results with\n"
      << "#   quantscope-cli import-results PROJECT.qsproj.h5 --jobs DIR\n"
      << "#SBATCH --job-name=" << o.jobName << "\n"
      << "#SBATCH --array=0-" << manifest.cells.size() - 1 << "\n"
      << "#SBATCH --ntasks=1\n"
      << "#SBATCH --gres=gpu:" << o.gpus << "\n"
      << "#SBATCH --time=" << o.time << "\n";
    if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
    s << "set -euo pipefail\n\n"
      << "JOBS_DIR=${QS_JOBS_DIR:-}\n"
      << "if [ -z \"$JOBS_DIR\" ]; then\n"
      << "    JOBS_DIR=" << shellQuote(absDir) << "\n"
      << "fi\n"
      << "TASKS=" << shellQuote(joinTasks(manifest.tasks)) << "\n"
      << "INDEX=${SLURM_ARRAY_TASK_ID:?submit this script as a Slurm array job: sbatch evaluate.slurm}\n\n"
      << "# One field of cell INDEX of cells.json; a relative checkpoint lies inside JOBS_DIR.\n"
      << "cell_field() {\n"
      << "    python3 - \"$JOBS_DIR\" \"$INDEX\" \"$1\" <<'PY'\n"
      << "import json, os, sys\n"
      << "jobs_dir, index, field = sys.argv[1], int(sys.argv[2]), sys.argv[3]\n"
      << "with open(os.path.join(jobs_dir, \"" << kJobsManifestFile << "\")) as f:\n"
      << "    cell = json.load(f)[\"cells\"][index]\n"
      << "print(cell[\"sweep\"][\"cell\"] if field == \"cell\" else os.path.join(jobs_dir, cell[\"checkpoint\"]))\n"
      << "PY\n"
      << "}\n"
      << "CELL=$(cell_field cell)\n"
      << "CHECKPOINT=$(cell_field checkpoint)\n"
      << "OUT_DIR=\"$JOBS_DIR/$CELL/" << kJobsResultsFolder << "\"\n\n"
      << "if compgen -G \"$OUT_DIR/*/results_*.json\" > /dev/null; then\n"
      << "    echo \"$CELL: results already in $OUT_DIR, skipped\"\n"
      << "    exit 0\n"
      << "fi\n"
      << "case \"$CHECKPOINT\" in\n"
      << "    *,*) echo \"$CHECKPOINT: lm_eval's --model_args cannot hold a path with a comma\" >&2; exit 1 ;;\n"
      << "esac\n"
      << "mkdir -p \"$OUT_DIR\"\n"
      << "echo \"$CELL: evaluating $CHECKPOINT on $TASKS\"\n"
      << "lm_eval --model vllm \\\n"
      << "    --model_args \"pretrained=$CHECKPOINT,tensor_parallel_size=" << o.gpus
      << ",dtype=auto,gpu_memory_utilization=" << memory << "\" \\\n"
      << "    --tasks \"$TASKS\" \\\n"
      << "    --batch_size auto \\\n"
      << "    --output_path \"$OUT_DIR\"\n";
    return s.str();
}

void writeJobsManifestAndScript(const std::string& jobsDir, const JobsManifest& manifest,
                                const SlurmJobOptions& options) {
    const std::string script = slurmArrayScript(jobsDir, manifest, options);
    writeFileAtomically(manifestPath(jobsDir), jobsManifestJson(manifest).dump(2) + "\n", "the jobs manifest");
    const std::string scriptPath = (fs::path(jobsDir) / kJobsScriptFile).string();
    writeFileAtomically(scriptPath, script, "the Slurm script");
    std::error_code ec;
    fs::permissions(scriptPath, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add, ec);
}

}  // namespace qs
