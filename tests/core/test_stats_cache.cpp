// The HDF5 statistics cache (core/project): what is written is read back
// field for field, a second open is served from the cache, and a stale,
// corrupt or foreign cache is ignored and rewritten, never trusted. Saves are
// atomic: a failed save leaves the previous file as it was.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "check.h"
#include "formats/checkpoint.h"
#include "project/hdf5_file.h"
#include "project/stats_cache.h"

using namespace qs;
using namespace qs::test;
namespace fs = std::filesystem;

namespace {

// A private copy of the demo model, so the cache can be written beside it.
std::string copyOfTinyModel(const std::string& name) {
    const fs::path src = fs::path(sharedDir()) / "models" / "qs-tiny-llama";
    const fs::path dst = fs::path(tempDir()) / name;
    fs::create_directories(dst);
    for (const char* f : {"config.json", "model.safetensors"}) {
        fs::copy_file(src / f, dst / f, fs::copy_options::overwrite_existing);
        fs::permissions(dst / f, fs::perms::owner_write, fs::perm_options::add);
    }
    return dst.string();
}

bool sameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

bool sameHistogram(const Histogram& a, const Histogram& b) {
    return a.symlog == b.symlog && a.linthresh == b.linthresh && a.lo == b.lo && a.hi == b.hi && a.counts == b.counts;
}

bool sameStats(const TensorStats& a, const TensorStats& b) {
    return a.name == b.name && a.dtype == b.dtype && a.shape == b.shape && a.count == b.count &&
           a.finite == b.finite && a.zeros == b.zeros && a.nans == b.nans && a.infs == b.infs &&
           sameDouble(a.min, b.min) && sameDouble(a.max, b.max) && sameDouble(a.mean, b.mean) &&
           sameDouble(a.std, b.std) && sameDouble(a.absmax, b.absmax) && sameDouble(a.kurtosis, b.kurtosis) &&
           sameDouble(a.outlierRatioOut, b.outlierRatioOut) && sameDouble(a.outlierRatioIn, b.outlierRatioIn) &&
           sameHistogram(a.histogram, b.histogram) && sameHistogram(a.symlogHistogram, b.symlogHistogram) &&
           a.rowAbsmax == b.rowAbsmax && a.colAbsmax == b.colAbsmax;
}

}  // namespace

QS_TEST(real_stats_round_trip_field_for_field) {
    const auto ckpt = openCheckpoint(copyOfTinyModel("round-trip"));
    StatsOptions opts;
    opts.bins = 64;
    const auto stats = computeCheckpointStats(*ckpt, opts);
    QS_CHECK_EQ(stats.size(), size_t(39));
    const std::string path = tempDir() + "/round-trip.h5";
    saveCachedStats(path, "fp", opts.bins, stats);
    const auto loaded = loadCachedStats(path, "fp", opts.bins);
    QS_CHECK(loaded.has_value());
    if (!loaded) return;
    QS_CHECK_EQ(loaded->size(), stats.size());
    for (size_t i = 0; i < stats.size() && i < loaded->size(); ++i) QS_CHECK(sameStats((*loaded)[i], stats[i]));
    // Index order, not alphabetical: the embedding comes first in this file.
    QS_CHECK_EQ((*loaded)[0].name, stats[0].name);
}

QS_TEST(nan_fields_and_empty_channels_survive) {
    TensorStats s;
    s.name = "model.layers.0.mlp.down_proj.weight";
    s.dtype = "BF16";
    s.shape = {0, 4};
    s.min = s.max = s.mean = s.std = s.absmax = s.kurtosis = std::numeric_limits<double>::quiet_NaN();
    s.outlierRatioIn = std::numeric_limits<double>::infinity();
    s.histogram.counts = {0, 0};
    s.symlogHistogram.symlog = true;
    s.colAbsmax = {0, 0, 0, 0};
    const std::string path = tempDir() + "/nan.h5";
    saveCachedStats(path, "fp", 2, {s});
    const auto loaded = loadCachedStats(path, "fp", 2);
    QS_CHECK(loaded && loaded->size() == 1 && sameStats(loaded->front(), s));
}

QS_TEST(fingerprint_or_bins_mismatch_is_a_miss) {
    const std::string path = tempDir() + "/mismatch.h5";
    saveCachedStats(path, "fp-a", 32, {});
    QS_CHECK(loadCachedStats(path, "fp-a", 32).has_value());
    QS_CHECK(!loadCachedStats(path, "fp-b", 32).has_value());
    QS_CHECK(!loadCachedStats(path, "fp-a", 64).has_value());
    QS_CHECK(!loadCachedStats(tempDir() + "/absent.h5", "fp-a", 32).has_value());
}

QS_TEST(second_open_is_served_from_the_cache_beside_the_model) {
    const std::string dir = copyOfTinyModel("served");
    auto ckpt = openCheckpoint(dir);
    const std::string cache = statsCachePath(*ckpt);
    QS_CHECK_EQ(cache, dir + "/.quantscope-stats.h5");
    StatsOptions opts;
    opts.bins = 32;
    const auto first = checkpointStatsCached(*ckpt, opts);
    QS_CHECK(fs::exists(cache));
    // A served result must come from the file: plant a marker in the cached
    // copy and see it come back.
    auto planted = first;
    planted[3].kurtosis = 12345.0;
    saveCachedStats(cache, checkpointFingerprint(*ckpt), opts.bins, planted);
    const auto second = checkpointStatsCached(*ckpt, opts);
    QS_CHECK_EQ(second[3].kurtosis, 12345.0);
    QS_CHECK(sameStats(second[0], first[0]));
}

QS_TEST(a_changed_model_file_invalidates_the_cache) {
    const std::string dir = copyOfTinyModel("stale");
    std::string before;
    {
        auto ckpt = openCheckpoint(dir);
        before = checkpointFingerprint(*ckpt);
        StatsOptions opts;
        opts.bins = 16;
        checkpointStatsCached(*ckpt, opts);
    }
    fs::last_write_time(dir + "/model.safetensors", fs::file_time_type::clock::now() + std::chrono::hours(1));
    auto ckpt = openCheckpoint(dir);
    const std::string after = checkpointFingerprint(*ckpt);
    QS_CHECK(before != after);
    QS_CHECK(!loadCachedStats(statsCachePath(*ckpt), after, 16).has_value());
}

QS_TEST(corrupt_or_truncated_cache_is_ignored_and_rewritten) {
    const std::string dir = copyOfTinyModel("corrupt");
    auto ckpt = openCheckpoint(dir);
    const std::string cache = statsCachePath(*ckpt);
    StatsOptions opts;
    opts.bins = 16;
    const auto good = checkpointStatsCached(*ckpt, opts);
    // Truncate the valid file to half, then to garbage.
    const auto size = fs::file_size(cache);
    fs::resize_file(cache, size / 2);
    QS_CHECK(!loadCachedStats(cache, checkpointFingerprint(*ckpt), opts.bins).has_value());
    { std::ofstream(cache, std::ios::trunc) << "not an HDF5 file"; }
    QS_CHECK(!loadCachedStats(cache, checkpointFingerprint(*ckpt), opts.bins).has_value());
    const auto again = checkpointStatsCached(*ckpt, opts);
    QS_CHECK(sameStats(again[5], good[5]));
    QS_CHECK(loadCachedStats(cache, checkpointFingerprint(*ckpt), opts.bins).has_value());
}

QS_TEST(a_failed_save_leaves_the_previous_file_and_no_temporary) {
    const std::string path = tempDir() + "/atomic.h5";
    saveCachedStats(path, "old", 8, {});
    const std::string msg = thrownMessage([&] {
        writeHdf5Atomically(path, [](const Hdf5Node& root) {
            root.setAttr("format", std::string("half-written"));
            throw std::runtime_error("disk full");
        });
    });
    QS_CHECK_EQ(msg, std::string("disk full"));
    QS_CHECK(loadCachedStats(path, "old", 8).has_value());
    QS_CHECK(!fs::exists(temporarySibling(path)));
}

QS_TEST(hdf5_errors_name_the_file_and_object) {
    const std::string path = tempDir() + "/errors.h5";
    saveCachedStats(path, "fp", 8, {});
    Hdf5File f = Hdf5File::openRead(path);
    const std::string missing = thrownMessage([&] { f.group("nope"); });
    QS_CHECK(missing.find(path + ":/nope") != std::string::npos);
    const std::string garbage = tempDir() + "/garbage.h5";
    { std::ofstream(garbage) << "garbage"; }
    const std::string notHdf5 = thrownMessage([&] { Hdf5File::openRead(garbage); });
    QS_CHECK(notHdf5.find(garbage) != std::string::npos && notHdf5.find("not an HDF5 file") != std::string::npos);
}

QS_TEST(read_only_model_folder_caches_elsewhere) {
    const std::string dir = copyOfTinyModel("read-only");
    fs::permissions(dir, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    ::setenv("XDG_CACHE_HOME", (tempDir() + "/xdg").c_str(), 1);
    auto ckpt = openCheckpoint(dir);
    const std::string cache = statsCachePath(*ckpt);
    QS_CHECK(cache.rfind(tempDir() + "/xdg/quantscope/", 0) == 0);
    StatsOptions opts;
    opts.bins = 8;
    checkpointStatsCached(*ckpt, opts);
    QS_CHECK(fs::exists(cache));
    QS_CHECK(!fs::exists(dir + "/.quantscope-stats.h5"));
    fs::permissions(dir, fs::perms::owner_write, fs::perm_options::add);
}
