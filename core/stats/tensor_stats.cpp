#include "stats/tensor_stats.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "cpu/code_census.h"
#include "cpu/tensor_moments.h"
#include "cpu/value_histogram.h"
#include "formats/checkpoint.h"

namespace qs {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Below this many elements one thread does it all: starting threads would cost more than they save.
constexpr int64_t kMinElemsForThreads = int64_t(1) << 20;
// Default chunk: ~4 MiB of decoded floats between progress reports.
constexpr int64_t kChunkFloats = (int64_t(4) << 20) / int64_t(sizeof(float));
// Floats decoded at a time (64 KiB, a multiple of the 32-element GGUF blocks):
// small enough to stay in L2 between decoding a piece and passing over it.
constexpr int64_t kPieceFloats = 16384;
// symlog linthresh = absmax / kSymlogScale: three decades of log axis below absmax.
constexpr double kSymlogScale = 1000.0;

// How a tensor's rows are split: one contiguous band per worker, walked in chunks.
struct WorkPlan {
    int64_t rows = 0;
    int64_t cols = 0;
    int workers = 1;
    int64_t rowsPerChunk = 1;
};

WorkPlan planWork(const TensorView& t, const StatsOptions& opts) {
    WorkPlan p;
    p.rows = t.rows();
    p.cols = t.cols();
    const int64_t wanted = t.numel() < kMinElemsForThreads ? 1 : std::max(opts.threads, 1);
    p.workers = int(std::max<int64_t>(1, std::min(wanted, p.rows)));
    p.rowsPerChunk = opts.rowsPerChunk > 0 ? opts.rowsPerChunk : std::max<int64_t>(1, kChunkFloats / std::max<int64_t>(p.cols, 1));
    return p;
}

// Runs chunk(worker, row0, row1) over every chunk of every band, worker 0 on
// the calling thread. Only worker 0 calls job->step (progress callbacks stay on
// one thread); when it throws (JobCancelled) or any worker fails, the others
// stop at their next chunk and the first exception is rethrown after joining.
void runBands(const WorkPlan& plan, const JobControl* job, double progress0, double progressSpan,
              const std::function<void(int, int64_t, int64_t)>& chunk) {
    std::atomic<int64_t> rowsDone{0};
    std::atomic<bool> stop{false};
    std::exception_ptr error;
    std::mutex errorMutex;
    auto band = [&](int w) {
        try {
            const int64_t b0 = plan.rows * w / plan.workers;
            const int64_t b1 = plan.rows * (w + 1) / plan.workers;
            for (int64_t r0 = b0; r0 < b1 && !stop.load(std::memory_order_relaxed); r0 += plan.rowsPerChunk) {
                const int64_t r1 = std::min(b1, r0 + plan.rowsPerChunk);
                chunk(w, r0, r1);
                const int64_t done = rowsDone.fetch_add(r1 - r0) + (r1 - r0);
                if (w == 0 && job) job->step(progress0 + progressSpan * double(done) / double(plan.rows));
            }
        } catch (...) {
            std::lock_guard lock(errorMutex);
            if (!error) error = std::current_exception();
            stop = true;
        }
    };
    std::vector<std::thread> threads;
    for (int w = 1; w < plan.workers; ++w) threads.emplace_back(band, w);
    band(0);
    for (auto& th : threads) th.join();
    if (error) std::rethrow_exception(error);
    if (job) job->step(progress0 + progressSpan);  // a cancel after worker 0's last chunk still stops here
}

// The two histogram axes, known once the range pass is done.
struct Axes {
    LinearAxis linear;
    double linthresh = 1.0;
    LinearAxis symlog;
};

Axes axesFor(const RangeAccumulator& range, int bins) {
    Axes a;
    const bool any = range.finite > 0;
    a.linear = fitLinearAxis(any ? range.min : 0.0, any ? range.max : 0.0, bins);
    const double absmax = any ? std::max(std::fabs(range.min), std::fabs(range.max)) : 0.0;
    a.linthresh = absmax > 0 ? absmax / kSymlogScale : 1.0;
    const double tmax = symlog(absmax, a.linthresh);
    a.symlog = fitLinearAxis(-tmax, tmax, bins);
    return a;
}

Histogram makeHistogram(const LinearAxis& axis, std::vector<uint64_t> counts, bool isSymlog, double linthresh) {
    Histogram h;
    h.symlog = isSymlog;
    h.linthresh = isSymlog ? linthresh : 0.0;
    h.lo = axis.lo;
    h.hi = axis.hi;
    h.counts = std::move(counts);
    return h;
}

// max / median of channel absmaxes (numpy's median: mean of the middle two).
double maxOverMedian(std::vector<float> v) {
    if (v.empty()) return kNaN;
    const size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + long(mid), v.end());
    double median = v[mid];
    if (v.size() % 2 == 0) median = 0.5 * (median + *std::max_element(v.begin(), v.begin() + long(mid)));
    const double mx = *std::max_element(v.begin(), v.end());
    if (median > 0) return mx / median;
    return mx > 0 ? std::numeric_limits<double>::infinity() : 1.0;
}

// Everything but the profiles, from the merged accumulators.
void setMoments(TensorStats& s, const RangeAccumulator& range, const CentralMomentAccumulator& central) {
    s.finite = range.finite;
    s.zeros = range.zeros;
    s.nans = range.nans;
    s.infs = range.infs;
    if (range.finite == 0) {
        s.min = s.max = s.mean = s.std = s.absmax = s.kurtosis = kNaN;
        return;
    }
    const double n = double(range.finite);
    const double var = central.m2 / n;  // population variance
    s.min = range.min;
    s.max = range.max;
    s.mean = central.mean;
    s.std = std::sqrt(var);
    s.absmax = std::max(std::fabs(range.min), std::fabs(range.max));
    s.kurtosis = var > 0 ? central.m4 / n / (var * var) - 3.0 : 0.0;
}

void setOutlierRatios(TensorStats& s) {
    s.outlierRatioOut = s.finite > 0 ? maxOverMedian(s.rowAbsmax) : kNaN;
    s.outlierRatioIn = s.finite > 0 ? maxOverMedian(s.colAbsmax) : kNaN;
}

bool readsAsCodeCensus(const TensorView& t) {
    const bool sixteenBitFloat = t.dtype == DType::BF16 || t.dtype == DType::F16;
    return sixteenBitFloat && !t.scales && reinterpret_cast<uintptr_t>(t.data) % alignof(uint16_t) == 0;
}

// BF16 / F16: one pass counting codes and channel magnitude ranks; the rest
// follows from the 65536-entry census in float64.
void statsFromCodeCensus(TensorStats& s, const TensorView& t, const WorkPlan& plan, int bins, const JobControl* job) {
    std::vector<uint16_t> allCodes(kCodes16);
    std::iota(allCodes.begin(), allCodes.end(), uint16_t(0));
    TensorView table;
    table.dtype = t.dtype;
    table.shape = {kCodes16};
    table.data = reinterpret_cast<const std::byte*>(allCodes.data());
    table.nbytes = int64_t(sizeof(uint16_t)) * kCodes16;
    std::vector<float> values(kCodes16);
    decodeToFloat(table, 0, kCodes16, values.data());
    int16_t nonFiniteRank = 0x7fff;
    for (int r = 0; r <= 0x7fff; ++r)
        if (!std::isfinite(values[size_t(r)])) {
            nonFiniteRank = int16_t(r);
            break;
        }

    const auto* codes = reinterpret_cast<const uint16_t*>(t.data);
    std::vector<CodeCensus16> census(size_t(plan.workers));
    std::vector<std::vector<int16_t>> colRank(size_t(plan.workers), std::vector<int16_t>(size_t(plan.cols), 0));
    std::vector<int16_t> rowRank(size_t(plan.rows), 0);
    runBands(plan, job, 0.0, 1.0, [&](int w, int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const uint16_t* row = codes + r * plan.cols;
            census[size_t(w)].add(row, plan.cols);
            rowRank[size_t(r)] = maxFiniteRank16(row, plan.cols, nonFiniteRank, colRank[size_t(w)].data());
        }
    });
    for (size_t w = 1; w < census.size(); ++w) {
        census[0].merge(census[w]);
        for (size_t j = 0; j < colRank[0].size(); ++j) colRank[0][j] = std::max(colRank[0][j], colRank[w][j]);
    }
    const std::vector<uint64_t>& counts = census[0].counts();

    RangeAccumulator range;
    for (int c = 0; c < kCodes16; ++c) range.addRepeated(values[size_t(c)], counts[size_t(c)]);
    CentralMomentAccumulator central;
    central.mean = range.finite > 0 ? range.sum / double(range.finite) : 0.0;
    const Axes axes = axesFor(range, bins);
    std::vector<uint64_t> linear(size_t(bins), 0), sym(size_t(bins), 0);
    for (int c = 0; c < kCodes16; ++c) {
        const double v = values[size_t(c)];
        const uint64_t n = counts[size_t(c)];
        if (n == 0 || !std::isfinite(v)) continue;
        central.addRepeated(v, n);
        linear[size_t(axes.linear.bin(v))] += n;
        sym[size_t(axes.symlog.bin(symlog(v, axes.linthresh)))] += n;
    }
    setMoments(s, range, central);
    s.histogram = makeHistogram(axes.linear, std::move(linear), false, 0.0);
    s.symlogHistogram = makeHistogram(axes.symlog, std::move(sym), true, axes.linthresh);
    s.rowAbsmax.resize(size_t(plan.rows));
    for (int64_t r = 0; r < plan.rows; ++r) s.rowAbsmax[size_t(r)] = values[size_t(rowRank[size_t(r)])];
    s.colAbsmax.resize(size_t(plan.cols));
    for (int64_t j = 0; j < plan.cols; ++j) s.colAbsmax[size_t(j)] = values[size_t(colRank[0][size_t(j)])];
}

// Decodes rows [r0, r1) piece by piece into buf and calls fn(row, col0, piece, len).
template <typename Fn>
void forEachPiece(const TensorView& t, const WorkPlan& plan, int64_t r0, int64_t r1, std::vector<float>& buf, Fn&& fn) {
    for (int64_t r = r0; r < r1; ++r)
        for (int64_t c0 = 0; c0 < plan.cols; c0 += kPieceFloats) {
            const int64_t len = std::min(kPieceFloats, plan.cols - c0);
            decodeToFloat(t, r * plan.cols + c0, len, buf.data());
            fn(r, c0, buf.data(), len);
        }
}

// Every other dtype: decoded in pieces, a range pass then a moments-and-histograms pass.
void statsFromDecodedFloats(TensorStats& s, const TensorView& t, const WorkPlan& plan, int bins, const JobControl* job) {
    const size_t workers = size_t(plan.workers);
    const size_t pieceLen = size_t(std::min(kPieceFloats, std::max<int64_t>(plan.cols, 1)));
    std::vector<std::vector<float>> bufs(workers, std::vector<float>(pieceLen));

    std::vector<RangeAccumulator> ranges(workers);
    std::vector<std::vector<float>> colMax(workers, std::vector<float>(size_t(plan.cols), 0.0f));
    s.rowAbsmax.assign(size_t(plan.rows), 0.0f);
    runBands(plan, job, 0.0, 0.5, [&](int w, int64_t r0, int64_t r1) {
        forEachPiece(t, plan, r0, r1, bufs[size_t(w)], [&](int64_t r, int64_t c0, const float* x, int64_t len) {
            ranges[size_t(w)].add(x, len);
            float& rowMax = s.rowAbsmax[size_t(r)];
            rowMax = std::max(rowMax, absmaxWithColumns(x, len, colMax[size_t(w)].data() + c0));
        });
    });
    for (size_t w = 1; w < workers; ++w) {
        ranges[0].merge(ranges[w]);
        for (size_t j = 0; j < colMax[0].size(); ++j) colMax[0][j] = std::max(colMax[0][j], colMax[w][j]);
    }
    const RangeAccumulator& range = ranges[0];
    s.colAbsmax = std::move(colMax[0]);

    const Axes axes = axesFor(range, bins);
    const double mean = range.finite > 0 ? range.sum / double(range.finite) : 0.0;
    std::vector<CentralMomentAccumulator> centrals(workers);
    for (auto& c : centrals) c.mean = mean;
    std::vector<std::vector<uint64_t>> linear(workers, std::vector<uint64_t>(size_t(bins), 0));
    std::vector<std::vector<uint64_t>> sym(workers, std::vector<uint64_t>(size_t(bins), 0));
    runBands(plan, job, 0.5, 0.5, [&](int w, int64_t r0, int64_t r1) {
        const size_t k = size_t(w);
        forEachPiece(t, plan, r0, r1, bufs[k], [&](int64_t, int64_t, const float* x, int64_t len) {
            centrals[k].add(x, len);
            binLinear(x, len, axes.linear, linear[k].data());
            binSymlog(x, len, axes.linthresh, axes.symlog, sym[k].data());
        });
    });
    for (size_t w = 1; w < workers; ++w) {
        centrals[0].merge(centrals[w]);
        for (size_t b = 0; b < size_t(bins); ++b) {
            linear[0][b] += linear[w][b];
            sym[0][b] += sym[w][b];
        }
    }
    setMoments(s, range, centrals[0]);
    s.histogram = makeHistogram(axes.linear, std::move(linear[0]), false, 0.0);
    s.symlogHistogram = makeHistogram(axes.symlog, std::move(sym[0]), true, axes.linthresh);
}

}  // namespace

TensorStats computeTensorStats(const TensorView& t, const StatsOptions& opts, const JobControl* job) {
    if (opts.bins < 1) throw std::invalid_argument("statistics need at least one histogram bin, got " + std::to_string(opts.bins));
    TensorStats s;
    s.name = t.name;
    s.dtype = std::string(dtypeName(t.dtype));
    s.shape = t.shape;
    s.count = t.numel();
    const WorkPlan plan = planWork(t, opts);
    if (readsAsCodeCensus(t))
        statsFromCodeCensus(s, t, plan, opts.bins, job);
    else
        statsFromDecodedFloats(s, t, plan, opts.bins, job);
    setOutlierRatios(s);
    return s;
}

std::vector<TensorStats> computeCheckpointStats(const Checkpoint& ckpt, const StatsOptions& opts, const JobControl* job) {
    double totalBytes = 0;
    for (const TensorView& t : ckpt.tensors()) totalBytes += double(t.nbytes);
    std::vector<TensorStats> out;
    out.reserve(ckpt.tensors().size());
    double bytesBefore = 0;
    for (const TensorView& t : ckpt.tensors()) {
        if (job) job->step(totalBytes > 0 ? bytesBefore / totalBytes : 0.0, t.name);
        // Maps this tensor's progress into the checkpoint's; the parent's step
        // throws JobCancelled when the caller cancelled.
        const JobControl perTensor([&](double f, const std::string&) {
            job->step(totalBytes > 0 ? (bytesBefore + f * double(t.nbytes)) / totalBytes : 1.0, t.name);
        });
        out.push_back(computeTensorStats(t, opts, job ? &perTensor : nullptr));
        bytesBefore += double(t.nbytes);
    }
    if (job) job->step(1.0);
    return out;
}

}  // namespace qs
