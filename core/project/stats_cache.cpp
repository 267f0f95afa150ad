#include "project/stats_cache.h"

#include <algorithm>
#include <filesystem>
#include <sys/stat.h>

#include "project/fnv1a.h"
#include "project/hdf5_file.h"
#include "project/model_side_path.h"

namespace qs {
namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "quantscope-stats-1";

void writeHistogram(const Hdf5Node& g, const std::string& prefix, const Histogram& h) {
    g.setAttr(prefix + "_symlog", static_cast<int64_t>(h.symlog));
    g.setAttr(prefix + "_linthresh", h.linthresh);
    g.setAttr(prefix + "_lo", h.lo);
    g.setAttr(prefix + "_hi", h.hi);
    g.writeUInt64s(prefix + "_counts", h.counts);
}

Histogram readHistogram(const Hdf5Node& g, const std::string& prefix) {
    Histogram h;
    h.symlog = g.attrInt(prefix + "_symlog") != 0;
    h.linthresh = g.attrDouble(prefix + "_linthresh");
    h.lo = g.attrDouble(prefix + "_lo");
    h.hi = g.attrDouble(prefix + "_hi");
    h.counts = g.readUInt64s(prefix + "_counts");
    return h;
}

// One group per tensor, named by its canonical name; scalars are attributes so
// `h5dump -A` reads like the layer table.
void writeTensorStats(const Hdf5Node& parent, const TensorStats& s) {
    Hdf5Node g = parent.createGroup(s.name);
    g.setAttr("dtype", s.dtype);
    g.writeInt64s("shape", s.shape);
    g.setAttr("count", s.count);
    g.setAttr("finite", s.finite);
    g.setAttr("zeros", s.zeros);
    g.setAttr("nans", s.nans);
    g.setAttr("infs", s.infs);
    g.setAttr("min", s.min);
    g.setAttr("max", s.max);
    g.setAttr("mean", s.mean);
    g.setAttr("std", s.std);
    g.setAttr("absmax", s.absmax);
    g.setAttr("kurtosis", s.kurtosis);
    g.setAttr("outlier_ratio_out", s.outlierRatioOut);
    g.setAttr("outlier_ratio_in", s.outlierRatioIn);
    writeHistogram(g, "histogram", s.histogram);
    writeHistogram(g, "symlog_histogram", s.symlogHistogram);
    g.writeFloats("row_absmax", s.rowAbsmax);
    g.writeFloats("col_absmax", s.colAbsmax);
}

TensorStats readTensorStats(const Hdf5Node& parent, const std::string& name) {
    Hdf5Node g = parent.group(name);
    TensorStats s;
    s.name = name;
    s.dtype = g.attrString("dtype");
    s.shape = g.readInt64s("shape");
    s.count = g.attrInt("count");
    s.finite = g.attrInt("finite");
    s.zeros = g.attrInt("zeros");
    s.nans = g.attrInt("nans");
    s.infs = g.attrInt("infs");
    s.min = g.attrDouble("min");
    s.max = g.attrDouble("max");
    s.mean = g.attrDouble("mean");
    s.std = g.attrDouble("std");
    s.absmax = g.attrDouble("absmax");
    s.kurtosis = g.attrDouble("kurtosis");
    s.outlierRatioOut = g.attrDouble("outlier_ratio_out");
    s.outlierRatioIn = g.attrDouble("outlier_ratio_in");
    s.histogram = readHistogram(g, "histogram");
    s.symlogHistogram = readHistogram(g, "symlog_histogram");
    s.rowAbsmax = g.readFloats("row_absmax");
    s.colAbsmax = g.readFloats("col_absmax");
    return s;
}

}  // namespace

std::string checkpointFingerprint(const Checkpoint& ckpt) {
    std::string fp;
    for (const auto& f : ckpt.files()) {
        struct stat st {};
        int64_t mtimeNs = 0;
        if (::stat(f->path().c_str(), &st) == 0)
            mtimeNs = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        const int64_t head = std::min<int64_t>(f->size(), 64 * 1024);
        if (!fp.empty()) fp += '|';
        fp += std::to_string(f->size()) + ":" + std::to_string(mtimeNs) + ":" +
              std::to_string(fnv1a64(f->data(), size_t(head)));
    }
    return fp;
}

std::string statsCachePath(const Checkpoint& ckpt) {
    return modelSidePath(ckpt.path, ".quantscope-stats.h5", ".qsstats.h5");
}

std::optional<std::vector<TensorStats>> loadCachedStats(const std::string& cachePath, const std::string& fingerprint,
                                                        int bins) {
    if (!fs::exists(cachePath)) return std::nullopt;
    // A cache that is corrupt, from another version or for other files is ignored, never trusted.
    try {
        Hdf5File file = Hdf5File::openRead(cachePath);
        if (file.attrString("format") != kFormat || file.attrString("fingerprint") != fingerprint ||
            file.attrInt("bins") != bins)
            return std::nullopt;
        Hdf5Node stats = file.group("stats");
        std::vector<TensorStats> out;
        for (const std::string& name : stats.children()) out.push_back(readTensorStats(stats, name));
        return out;
    } catch (const Hdf5Error&) {
        return std::nullopt;
    }
}

void saveCachedStats(const std::string& cachePath, const std::string& fingerprint, int bins,
                     const std::vector<TensorStats>& stats) {
    fs::create_directories(fs::path(cachePath).parent_path());
    writeHdf5Atomically(cachePath, [&](const Hdf5Node& root) {
        root.setAttr("format", std::string(kFormat));
        root.setAttr("fingerprint", fingerprint);
        root.setAttr("bins", static_cast<int64_t>(bins));
        Hdf5Node group = root.createGroup("stats");
        for (const TensorStats& s : stats) writeTensorStats(group, s);
    });
}

std::vector<TensorStats> checkpointStatsCached(const Checkpoint& ckpt, const StatsOptions& opts,
                                               const JobControl* job) {
    const std::string path = statsCachePath(ckpt);
    const std::string fingerprint = checkpointFingerprint(ckpt);
    if (auto cached = loadCachedStats(path, fingerprint, opts.bins)) {
        if (cached->size() == ckpt.tensors().size()) return std::move(*cached);
    }
    std::vector<TensorStats> stats = computeCheckpointStats(ckpt, opts, job);
    try {
        saveCachedStats(path, fingerprint, opts.bins, stats);
    } catch (const std::exception&) {
        // Read-only places and full disks only cost the next open its speed.
    }
    return stats;
}

}  // namespace qs
