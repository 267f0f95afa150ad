// Summary statistics of one weight tensor, streamed with float64 accumulation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/job_control.h"
#include "tensor/tensor_view.h"

namespace qs {

class Checkpoint;

struct Histogram {
    // Linear: bin i covers [lo + i*w, lo + (i+1)*w), w = (hi - lo) / bins, the last bin closed.
    // Symmetric-log: the same on the axis t(x) = sign(x) * log10(1 + |x| / linthresh),
    // so lo/hi are t-values; it shows both the bulk and the far tails of a weight tensor.
    // A degenerate range (a constant tensor) is widened to [v - |v|/2, v + |v|/2]
    // ([-0.5, 0.5] for 0), so its one occupied bin has a width to plot.
    bool symlog = false;
    double linthresh = 0.0;  // symlog only: width of the near-linear region around 0
    double lo = 0.0;
    double hi = 0.0;
    std::vector<uint64_t> counts;
};

struct TensorStats {
    std::string name;
    std::string dtype;
    std::vector<int64_t> shape;
    int64_t count = 0;     // elements
    int64_t finite = 0;    // elements that are neither NaN nor Inf; moments use only these
    // zeros counts +0 and -0; with no finite element (empty or all NaN/Inf)
    // min .. kurtosis and the outlier ratios are NaN (JSON null).
    int64_t zeros = 0;
    int64_t nans = 0;
    int64_t infs = 0;
    double min = 0, max = 0, mean = 0, std = 0, absmax = 0;
    double kurtosis = 0;   // excess kurtosis, E[(x-mean)^4] / var^2 - 3 (0 for a Gaussian)
    Histogram histogram;        // linear over [min, max]; counts sum to `finite`
    // Symmetric-log over [-t(absmax), t(absmax)] with linthresh = absmax / 1000:
    // the log part then spans the three decades below absmax, where a weight
    // tensor's bulk and tails lie, and everything under absmax / 1000 (below
    // the resolution of an 8-bit absmax grid) shares the near-linear core.
    Histogram symlogHistogram;
    // Absmax of each output channel (row) and each input channel (column) of
    // the tensor seen as rows x cols (TensorView::rows/cols), over finite
    // values; 0 for a channel without any. A 1-D tensor is one row.
    std::vector<float> rowAbsmax;
    std::vector<float> colAbsmax;
    // max channel absmax / median channel absmax, per direction: the score that
    // exposes LLaMA3-70B-like layers whose few channels dwarf the rest.
    // The median of an even count is the mean of the two middle values; a zero
    // median gives +Inf (1 when every channel is 0).
    double outlierRatioOut = 0;  // over rowAbsmax
    double outlierRatioIn = 0;   // over colAbsmax
};

struct StatsOptions {
    int bins = 256;
    int threads = 2;
    // Rows per unit of work between progress reports and cancellation checks;
    // 0: chosen so a chunk is ~4 MiB of decoded floats.
    int64_t rowsPerChunk = 0;
};

// Statistics of one tensor, streamed in chunks of rows with float64
// accumulation; each of opts.threads threads takes one contiguous band of rows.
// BF16 and F16 tensors are read as a census of their 16-bit codes (exact
// counts; see kernels/cpu/code_census.h), other types are decoded in pieces of
// rows and passed over twice (range, then central moments and histograms).
// Progress is reported from the calling thread only. Throws JobCancelled if
// `job` asks to stop, std::invalid_argument if opts.bins < 1.
TensorStats computeTensorStats(const TensorView& t, const StatsOptions& opts = {}, const JobControl* job = nullptr);

// Statistics of every tensor of a checkpoint in index order, progress by bytes.
std::vector<TensorStats> computeCheckpointStats(const Checkpoint& ckpt, const StatsOptions& opts = {},
                                                const JobControl* job = nullptr);

}  // namespace qs
