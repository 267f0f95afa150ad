#include "project/project_file.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "project/fnv1a.h"
#include "project/model_side_path.h"
#include "project/stats_cache.h"

namespace qs {
namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "quantscope-project-1";

std::string nowUtc() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm {};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

void checkFormat(const Hdf5Node& root) {
    if (!root.has("runs") && !root.has("kl_base")) return;  // empty project
    if (root.attrString("format") != kFormat)
        throw Hdf5Error(root.where() + ": not a QuantScope project (format " + root.attrString("format") + ")");
}

void writeRun(const Hdf5Node& runs, const RunRecord& r) {
    Hdf5Node g = runs.createGroup(r.id);
    g.setAttr("kind", r.kind);
    g.setAttr("model", r.model);
    g.setAttr("plan", r.plan);
    g.setAttr("dataset", r.dataset);
    g.setAttr("created", r.created);
    g.setAttr("seconds", r.seconds);
    g.writeString("settings", r.settings.dump());
    g.writeString("metrics", r.metrics.dump());
}

RunRecord readRun(const Hdf5Node& runs, const std::string& id) {
    Hdf5Node g = runs.group(id);
    RunRecord r;
    r.id = id;
    r.kind = g.attrString("kind");
    r.model = g.attrString("model");
    r.plan = g.attrString("plan");
    r.dataset = g.attrString("dataset");
    r.created = g.attrString("created");
    r.seconds = g.attrDouble("seconds");
    try {
        r.settings = nlohmann::json::parse(g.readString("settings"));
        r.metrics = nlohmann::json::parse(g.readString("metrics"));
    } catch (const nlohmann::json::exception& e) {
        throw Hdf5Error(g.where() + ": broken JSON: " + e.what());
    }
    return r;
}

}  // namespace

std::string defaultProjectPath(const Checkpoint& ckpt) {
    return modelSidePath(ckpt.path, "quantscope.qsproj.h5", ".qsproj.h5");
}

void updateProject(const std::string& path, const std::function<void(const Hdf5Node& root)>& change) {
    if (!fs::path(path).parent_path().empty()) fs::create_directories(fs::path(path).parent_path());
    std::optional<Hdf5File> old;
    if (fs::exists(path)) {
        old.emplace(Hdf5File::openRead(path));
        checkFormat(*old);
    }
    writeHdf5Atomically(path, [&](const Hdf5Node& root) {
        if (old)
            for (const std::string& name : old->children()) old->copyChild(name, root);
        root.setAttr("format", std::string(kFormat));
        change(root);
    });
}

std::string addRun(const std::string& projectPath, RunRecord run) {
    if (run.created.empty()) run.created = nowUtc();
    updateProject(projectPath, [&](const Hdf5Node& root) {
        Hdf5Node runs = root.has("runs") ? root.group("runs") : root.createGroup("runs");
        const size_t n = runs.children().size();
        char id[32];
        std::snprintf(id, sizeof id, "run-%04zu", n + 1);
        run.id = id;
        writeRun(runs, run);
    });
    return run.id;
}

std::vector<RunRecord> listRuns(const std::string& projectPath) {
    std::vector<RunRecord> out;
    if (!fs::exists(projectPath)) return out;
    Hdf5File file = Hdf5File::openRead(projectPath);
    checkFormat(file);
    if (!file.has("runs")) return out;
    Hdf5Node runs = file.group("runs");
    for (const std::string& id : runs.children()) out.push_back(readRun(runs, id));
    return out;
}

std::string baseReferenceKey(const Checkpoint& base, const TokenBatch& windows, int topK) {
    const std::string fp = checkpointFingerprint(base);
    uint64_t h = fnv1a64(fp.data(), fp.size());
    h = fnv1a64(windows.tokens.data(), windows.tokens.size() * sizeof(int32_t), h);
    h = fnv1a64(windows.starts.data(), windows.starts.size() * sizeof(int64_t), h);
    h = fnv1a64(&topK, sizeof topK, h);
    char key[32];
    std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(h));
    return key;
}

std::optional<BaseReference> loadBaseReference(const std::string& projectPath, const std::string& key) {
    if (!fs::exists(projectPath)) return std::nullopt;
    Hdf5File file = Hdf5File::openRead(projectPath);
    checkFormat(file);
    if (!file.has("kl_base")) return std::nullopt;
    Hdf5Node all = file.group("kl_base");
    if (!all.has(key)) return std::nullopt;
    Hdf5Node g = all.group(key);
    BaseReference ref;
    ref.logProbs.vocab = g.attrInt("vocab");
    ref.logProbs.k = int(g.attrInt("k"));
    ref.logProbs.ids = g.readInt32s("ids");
    ref.logProbs.logProbs = g.readFloats("log_probs");
    PerplexityResult& p = ref.perplexity;
    p.ctx = g.attrInt("ctx");
    p.windows = g.attrInt("windows");
    p.tokens = g.attrInt("tokens");
    p.nll = g.attrDouble("nll");
    p.nllStderr = g.attrDouble("nll_stderr");
    p.ppl = g.attrDouble("ppl");
    p.pplStderr = g.attrDouble("ppl_stderr");
    if (ref.logProbs.ids.size() != ref.logProbs.logProbs.size() || ref.logProbs.positions() != p.tokens)
        throw Hdf5Error(g.where() + ": inconsistent base reference");
    return ref;
}

void saveBaseReference(const std::string& projectPath, const std::string& key, const BaseReference& ref) {
    updateProject(projectPath, [&](const Hdf5Node& root) {
        Hdf5Node all = root.has("kl_base") ? root.group("kl_base") : root.createGroup("kl_base");
        all.remove(key);
        Hdf5Node g = all.createGroup(key);
        g.setAttr("vocab", ref.logProbs.vocab);
        g.setAttr("k", int64_t(ref.logProbs.k));
        g.writeInt32s("ids", ref.logProbs.ids);
        g.writeFloats("log_probs", ref.logProbs.logProbs);
        const PerplexityResult& p = ref.perplexity;
        g.setAttr("ctx", p.ctx);
        g.setAttr("windows", p.windows);
        g.setAttr("tokens", p.tokens);
        g.setAttr("nll", p.nll);
        g.setAttr("nll_stderr", p.nllStderr);
        g.setAttr("ppl", p.ppl);
        g.setAttr("ppl_stderr", p.pplStderr);
    });
}

}  // namespace qs
