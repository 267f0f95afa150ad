#include "analysis/lm_eval_results.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>

#include "eval/text_windows.h"  // readTextFile
#include "formats/format_error.h"
#include "project/fnv1a.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace qs {

namespace {

// The harness's unfiltered metrics are "<metric>,none"; other filters
// (strict-match, ...) belong to generation tasks we do not import.
constexpr const char* kUnfiltered = ",none";
constexpr const char* kTaskMetrics[] = {"acc", "acc_norm"};
constexpr const char* kPerplexityMetrics[] = {"word_perplexity", "byte_perplexity", "bits_per_byte"};

const json* member(const json& j, const char* key) {
    if (!j.is_object()) return nullptr;
    const auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
}

// A metric's value; none when absent or not a number (the harness writes "N/A").
std::optional<double> metricValue(const json& entry, const std::string& metric) {
    const json* v = member(entry, (metric + kUnfiltered).c_str());
    if (!v || !v->is_number()) return std::nullopt;
    return v->get<double>();
}

// Copies each metric and its standard error ("m_stderr", as our runs name it).
bool copyMetrics(const json& entry, const auto& names, json& metrics) {
    bool any = false;
    for (const char* m : names) {
        if (const auto v = metricValue(entry, m)) metrics[m] = *v, any = true;
        if (const auto se = metricValue(entry, std::string(m) + "_stderr")) metrics[std::string(m) + "_stderr"] = *se;
    }
    return any;
}

// pretrained=... of config.model_args: a "k=v,k=v" string, or an object in newer harness versions.
std::string modelOf(const json& root) {
    if (const json* config = member(root, "config")) {
        if (const json* args = member(*config, "model_args")) {
            if (args->is_object() && args->contains("pretrained") && (*args)["pretrained"].is_string())
                return (*args)["pretrained"].get<std::string>();
            if (args->is_string()) {
                const std::string s = args->get<std::string>();
                for (size_t start = 0; start <= s.size();) {
                    const size_t end = std::min(s.find(',', start), s.size());
                    const std::string item = s.substr(start, end - start);
                    if (item.rfind("pretrained=", 0) == 0) return item.substr(11);
                    start = end + 1;
                }
            }
        }
    }
    const json* name = member(root, "model_name");
    return name && name->is_string() ? name->get<std::string>() : std::string();
}

// Samples a task scored: n-samples' "effective" count; for a group, the sum
// over its member tasks (group_subtasks, nested for mmlu's categories).
std::optional<int64_t> sampleCount(const json& root, const std::string& task, int depth = 0) {
    if (const json* ns = member(root, "n-samples"))
        if (const json* t = member(*ns, task.c_str()))
            for (const char* k : {"effective", "original"})
                if (const json* v = member(*t, k); v && v->is_number_integer()) return v->get<int64_t>();
    const json* groups = member(root, "group_subtasks");
    const json* members = groups ? member(*groups, task.c_str()) : nullptr;
    if (!members || !members->is_array() || members->empty() || depth > 8) return std::nullopt;
    int64_t sum = 0;
    for (const json& m : *members) {
        const auto n = m.is_string() ? sampleCount(root, m.get<std::string>(), depth + 1) : std::nullopt;
        if (!n) return std::nullopt;
        sum += *n;
    }
    return sum;
}

// The group that lists `task` among its members, if any.
std::optional<std::string> groupOf(const json& root, const std::string& task) {
    if (const json* groups = member(root, "group_subtasks"); groups && groups->is_object())
        for (const auto& [group, members] : groups->items())
            if (members.is_array() && std::find(members.begin(), members.end(), json(task)) != members.end())
                return group;
    return std::nullopt;
}

std::string isoUtc(double unixSeconds) {
    const std::time_t t = static_cast<std::time_t>(unixSeconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// The settings every run of the file shares.
json fileSettings(const json& root, const std::string& path, const std::string& hash, const json& sweep) {
    json s = {{"source", "lm-eval"}, {"file", path}, {"file_hash", hash}};
    if (const json* v = member(root, "lm_eval_version"); v && v->is_string()) s["lm_eval_version"] = *v;
    if (const json* d = member(root, "date"); d && (d->is_number() || d->is_string())) s["date"] = *d;
    if (!sweep.is_null()) s["sweep"] = sweep;
    return s;
}

void addTaskSettings(const json& root, const std::string& task, json& settings) {
    if (const json* shots = member(root, "n-shot"))
        if (const json* v = member(*shots, task.c_str()); v && v->is_number()) settings["n_shot"] = *v;
    if (const json* versions = member(root, "versions"))
        if (const json* v = member(*versions, task.c_str()); v && (v->is_number() || v->is_string()))
            settings["task_version"] = *v;
    if (const auto group = groupOf(root, task)) settings["group"] = *group;
}

}  // namespace

std::string lmEvalFileHash(const std::string& bytes) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016" PRIx64, fnv1a64(bytes.data(), bytes.size()));
    return hex;
}

LmEvalImport parseLmEvalResults(const std::string& path, const json& sweep, const std::string& planLabel) {
    const std::string text = readTextFile(path);
    json root;
    try {
        root = json::parse(text);
    } catch (const json::exception& e) {
        throw FormatError(path, std::string("not valid JSON: ") + e.what());
    }
    const json* results = member(root, "results");
    if (!results || !results->is_object())
        throw FormatError(path, "no \"results\" object: not an lm-evaluation-harness results file");

    const json shared = fileSettings(root, path, lmEvalFileHash(text), sweep);
    const std::string model = modelOf(root);
    const json* date = member(root, "date");
    LmEvalImport out;
    for (const auto& [task, entry] : results->items()) {
        RunRecord run;
        json metrics = json::object();
        if (copyMetrics(entry, kPerplexityMetrics, metrics)) {
            run.kind = "perplexity";
        } else if (metrics = json::object(); copyMetrics(entry, kTaskMetrics, metrics)) {
            run.kind = "task";
        } else {
            out.skipped.push_back(task + ": no acc, acc_norm or perplexity metric (filter none)");
            continue;
        }
        if (const auto n = sampleCount(root, task)) metrics["n"] = *n;
        run.model = model;
        run.plan = planLabel;
        run.dataset = task;
        if (date && date->is_number()) run.created = isoUtc(date->get<double>());
        run.settings = shared;
        addTaskSettings(root, task, run.settings);
        run.metrics = std::move(metrics);
        out.runs.push_back(std::move(run));
    }
    return out;
}

std::set<std::string> importedLmEvalFileHashes(const std::vector<RunRecord>& runs) {
    std::set<std::string> hashes;
    for (const RunRecord& r : runs)
        if (r.settings.value("source", std::string()) == "lm-eval" && r.settings.contains("file_hash") &&
            r.settings["file_hash"].is_string())
            hashes.insert(r.settings["file_hash"].get<std::string>());
    return hashes;
}

std::vector<JobsResultFile> jobsResultFiles(const std::string& jobsDir) {
    const JobsManifest manifest = readJobsManifest(jobsDir);
    std::vector<JobsResultFile> files;
    for (const JobCell& cell : manifest.cells) {
        const fs::path dir = fs::path(jobsDir) / cell.key() / kJobsResultsFolder;
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        std::vector<std::string> found;
        for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (it->is_regular_file(ec) && name.rfind("results", 0) == 0 && it->path().extension() == ".json")
                found.push_back(it->path().string());
        }
        if (ec) throw FormatError(dir.string(), "cannot list: " + ec.message());
        std::sort(found.begin(), found.end());
        for (std::string& p : found) files.push_back({std::move(p), cell});
    }
    return files;
}

}  // namespace qs
