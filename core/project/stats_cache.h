// Statistics cached in HDF5 beside the model, so a second open is instant.
// The cache is keyed by a fingerprint of the checkpoint's files (size, mtime
// and a hash of each file's header bytes) and by the number of histogram bins;
// a stale or unreadable cache is ignored and rewritten, never trusted.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "formats/checkpoint.h"
#include "stats/tensor_stats.h"

namespace qs {

// "<size>:<mtime_ns>:<fnv1a64 of the first 64 KiB>" per file, joined with '|'.
std::string checkpointFingerprint(const Checkpoint& ckpt);

// Beside the model (`<model>.qsstats.h5`, or `.quantscope-stats.h5` inside a
// Hugging Face directory) when that place is writable, else
// $XDG_CACHE_HOME/quantscope (default ~/.cache/quantscope) under a name
// derived from the model's absolute path.
std::string statsCachePath(const Checkpoint& ckpt);

std::optional<std::vector<TensorStats>> loadCachedStats(const std::string& cachePath, const std::string& fingerprint,
                                                        int bins);
// Writes to a temporary file and renames it over cachePath (atomic).
void saveCachedStats(const std::string& cachePath, const std::string& fingerprint, int bins,
                     const std::vector<TensorStats>& stats);

// The cached statistics when valid, else computed (with progress/cancel) and cached.
// A cache that cannot be written is not an error: the statistics are returned anyway.
std::vector<TensorStats> checkpointStatsCached(const Checkpoint& ckpt, const StatsOptions& opts,
                                               const JobControl* job = nullptr);

}  // namespace qs
