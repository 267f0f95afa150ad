// Weight statistics (core/stats): every field on the real qs-tiny-llama
// tensors (BF16 through the code census, F32 through the decoded two-pass
// path) against a plain float64 recomputation written here, loop by loop;
// the two paths against each other; kurtosis of known distributions; NaN/Inf,
// all-NaN, constant, empty and 1-D tensors; threads; cancellation; progress.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "check.h"
#include "formats/checkpoint.h"
#include "stats/tensor_stats.h"

using namespace qs;
using namespace qs::test;

namespace {

// ---- Tolerances -----------------------------------------------------------
// Library and reference both accumulate in float64, in different orders.
constexpr double kMomentRel = 1e-12;        // min/max/mean/std/absmax, relative to std (mean) or itself
constexpr double kKurtosisAbs = 1e-9;       // excess kurtosis, absolute
constexpr double kThreadsRel = 1e-12;       // threads=1 vs threads=2 (float path; the census is exact)
// Sampling error of the excess kurtosis for n = 2^20: sd = sqrt(24/n) = 0.005
// for a Gaussian, sqrt((8!/2^4 - 6^2)/n) = 0.049 for a Laplace (5 sd allowed).
constexpr double kGaussianKurtosisAbs = 0.025;
constexpr double kLaplaceKurtosisAbs = 0.25;
constexpr int64_t kSampleCount = int64_t(1) << 20;

std::string tinyDir() { return sharedDir() + "/models/qs-tiny-llama"; }

// A tensor that owns its bytes.
struct OwnedTensor {
    std::vector<std::byte> bytes;
    TensorView view;
};

OwnedTensor makeTensor(DType dtype, std::vector<int64_t> shape, const std::vector<float>& values, size_t misalign = 0) {
    OwnedTensor t;
    const size_t esize = dtype == DType::F32 ? 4 : 2;
    t.bytes.resize(values.size() * esize + misalign);
    std::byte* p = t.bytes.data() + misalign;
    for (size_t i = 0; i < values.size(); ++i) {
        if (dtype == DType::F32) {
            std::memcpy(p + i * 4, &values[i], 4);
        } else {
            const uint16_t h = dtype == DType::BF16 ? floatToBf16(values[i]) : floatToF16(values[i]);
            std::memcpy(p + i * 2, &h, 2);
        }
    }
    t.view.name = "synthetic";
    t.view.dtype = dtype;
    t.view.shape = std::move(shape);
    t.view.data = p;
    t.view.nbytes = int64_t(values.size() * esize);
    return t;
}

// ---- The plain float64 reference ------------------------------------------
struct PlainStats {
    int64_t finite = 0, zeros = 0, nans = 0, infs = 0;
    double min = 0, max = 0, mean = 0, std = 0, absmax = 0, kurtosis = 0;
    double linLo = 0, linHi = 0, symLo = 0, symHi = 0, linthresh = 0;
    std::vector<uint64_t> lin, sym;
    std::vector<float> rowAbsmax, colAbsmax;
    double ratioOut = 0, ratioIn = 0;
};

double plainMedian(std::vector<float> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (double(v[n / 2 - 1]) + double(v[n / 2]));
}

double plainRatio(const std::vector<float>& v) {
    const double med = plainMedian(v);
    const double mx = *std::max_element(v.begin(), v.end());
    return med > 0 ? mx / med : (mx > 0 ? std::numeric_limits<double>::infinity() : 1.0);
}

// Bin of x on [lo, hi] with `bins` bins as documented in tensor_stats.h, ranges widened as documented.
int plainBin(double x, double lo, double hi, int bins) {
    const double w = (hi - lo) / bins;
    const double i = std::floor((x - lo) / w);
    return int(std::clamp(i, 0.0, double(bins - 1)));
}

void widen(double& lo, double& hi) {
    if (hi > lo) return;
    const double half = lo != 0 ? std::fabs(lo) / 2 : 0.5;
    hi = lo + half;
    lo = lo - half;
}

PlainStats plainStats(const TensorView& t, int bins) {
    const int64_t n = t.numel(), cols = t.cols(), rows = t.rows();
    std::vector<float> x(static_cast<size_t>(n));
    if (n > 0) decodeToFloat(t, 0, n, x.data());
    PlainStats p;
    p.min = std::numeric_limits<double>::infinity();
    p.max = -p.min;
    double sum = 0;
    for (float v : x) {
        if (std::isnan(v)) { ++p.nans; continue; }
        if (std::isinf(v)) { ++p.infs; continue; }
        ++p.finite;
        if (v == 0) ++p.zeros;
        p.min = std::min(p.min, double(v));
        p.max = std::max(p.max, double(v));
        sum += v;
    }
    p.mean = sum / double(p.finite);
    double s2 = 0, s4 = 0;
    for (float v : x)
        if (std::isfinite(v)) {
            s2 += (v - p.mean) * (v - p.mean);
            s4 += std::pow(v - p.mean, 4);
        }
    const double var = s2 / double(p.finite);
    p.std = std::sqrt(var);
    p.kurtosis = var > 0 ? s4 / double(p.finite) / (var * var) - 3 : 0;
    p.absmax = std::max(std::fabs(p.min), std::fabs(p.max));

    p.linLo = p.finite ? p.min : 0;
    p.linHi = p.finite ? p.max : 0;
    widen(p.linLo, p.linHi);
    const double am = p.finite ? p.absmax : 0;
    p.linthresh = am > 0 ? am / 1000 : 1;
    auto t10 = [&](double v) { return (v < 0 ? -1 : 1) * std::log10(1 + std::fabs(v) / p.linthresh); };
    p.symHi = t10(am);
    p.symLo = -p.symHi;
    widen(p.symLo, p.symHi);
    p.lin.assign(size_t(bins), 0);
    p.sym.assign(size_t(bins), 0);
    for (float v : x)
        if (std::isfinite(v)) {
            ++p.lin[size_t(plainBin(v, p.linLo, p.linHi, bins))];
            ++p.sym[size_t(plainBin(t10(v), p.symLo, p.symHi, bins))];
        }

    p.rowAbsmax.assign(size_t(rows), 0.0f);
    p.colAbsmax.assign(size_t(cols), 0.0f);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            const float v = x[size_t(r * cols + c)];
            if (!std::isfinite(v)) continue;
            p.rowAbsmax[size_t(r)] = std::max(p.rowAbsmax[size_t(r)], std::fabs(v));
            p.colAbsmax[size_t(c)] = std::max(p.colAbsmax[size_t(c)], std::fabs(v));
        }
    if (rows > 0) p.ratioOut = plainRatio(p.rowAbsmax);
    if (cols > 0 && rows > 0) p.ratioIn = plainRatio(p.colAbsmax);
    return p;
}

bool relNear(double a, double b, double rel, double scale) { return std::fabs(a - b) <= rel * scale; }

// Every field of `s` against the plain recomputation of the same tensor.
void checkAgainstPlain(const TensorStats& s, const TensorView& t, int bins) {
    const PlainStats p = plainStats(t, bins);
    QS_CHECK_EQ(s.name, t.name);
    QS_CHECK(s.shape == t.shape);
    QS_CHECK_EQ(s.count, t.numel());
    QS_CHECK_EQ(s.finite, p.finite);
    QS_CHECK_EQ(s.zeros, p.zeros);
    QS_CHECK_EQ(s.nans, p.nans);
    QS_CHECK_EQ(s.infs, p.infs);
    QS_CHECK_EQ(s.min, p.min);  // a value of the tensor: exact
    QS_CHECK_EQ(s.max, p.max);
    QS_CHECK_EQ(s.absmax, p.absmax);
    QS_CHECK_NEAR(s.mean, p.mean, kMomentRel * p.std);
    QS_CHECK_NEAR(s.std, p.std, kMomentRel * p.std);
    QS_CHECK_NEAR(s.kurtosis, p.kurtosis, kKurtosisAbs);

    QS_CHECK(!s.histogram.symlog);
    QS_CHECK_EQ(s.histogram.lo, p.linLo);
    QS_CHECK_EQ(s.histogram.hi, p.linHi);
    QS_CHECK(s.histogram.counts == p.lin);
    QS_CHECK(s.symlogHistogram.symlog);
    QS_CHECK_EQ(s.symlogHistogram.linthresh, p.linthresh);
    QS_CHECK_EQ(s.symlogHistogram.lo, p.symLo);
    QS_CHECK_EQ(s.symlogHistogram.hi, p.symHi);
    QS_CHECK(s.symlogHistogram.counts == p.sym);
    uint64_t linSum = 0, symSum = 0;
    for (uint64_t c : s.histogram.counts) linSum += c;
    for (uint64_t c : s.symlogHistogram.counts) symSum += c;
    QS_CHECK_EQ(linSum, uint64_t(p.finite));
    QS_CHECK_EQ(symSum, uint64_t(p.finite));

    QS_CHECK(s.rowAbsmax == p.rowAbsmax);
    QS_CHECK(s.colAbsmax == p.colAbsmax);
    QS_CHECK_NEAR(s.outlierRatioOut, p.ratioOut, kMomentRel * p.ratioOut);
    QS_CHECK_NEAR(s.outlierRatioIn, p.ratioIn, kMomentRel * p.ratioIn);
}

std::vector<float> gaussian(int64_t n, double sd, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> d(0.0, sd);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = float(d(rng));
    return v;
}

// Laplace(0, b) as the difference of two exponentials.
std::vector<float> laplace(int64_t n, double b, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> e(1.0 / b);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = float(e(rng) - e(rng));
    return v;
}

// Every field that must not depend on how the work was split or which path read it.
void checkSameStats(const TensorStats& a, const TensorStats& b, double rel) {
    QS_CHECK_EQ(a.finite, b.finite);
    QS_CHECK_EQ(a.zeros, b.zeros);
    QS_CHECK_EQ(a.nans, b.nans);
    QS_CHECK_EQ(a.infs, b.infs);
    QS_CHECK_EQ(a.min, b.min);
    QS_CHECK_EQ(a.max, b.max);
    QS_CHECK_EQ(a.absmax, b.absmax);
    QS_CHECK_NEAR(a.mean, b.mean, rel * b.std);
    QS_CHECK_NEAR(a.std, b.std, rel * b.std);
    QS_CHECK_NEAR(a.kurtosis, b.kurtosis, rel * std::max(1.0, std::fabs(b.kurtosis)));
    QS_CHECK(a.histogram.counts == b.histogram.counts);
    QS_CHECK(a.symlogHistogram.counts == b.symlogHistogram.counts);
    QS_CHECK(a.rowAbsmax == b.rowAbsmax);
    QS_CHECK(a.colAbsmax == b.colAbsmax);
    QS_CHECK_EQ(a.outlierRatioOut, b.outlierRatioOut);
    QS_CHECK_EQ(a.outlierRatioIn, b.outlierRatioIn);
}

}  // namespace

QS_TEST(real_bf16_tensors_match_plain_float64) {
    const auto ckpt = openCheckpoint(tinyDir());
    QS_CHECK_EQ(ckpt->tensors().size(), size_t(39));
    StatsOptions opts;
    opts.bins = 256;
    for (const TensorView& t : ckpt->tensors()) {
        QS_CHECK(t.dtype == DType::BF16);
        checkAgainstPlain(computeTensorStats(t, opts), t, opts.bins);
    }
}

QS_TEST(real_f32_tensors_match_plain_float64) {
    const auto ckpt = openCheckpoint(tinyDir() + "/model.f32.safetensors");
    StatsOptions opts;
    opts.bins = 100;
    opts.rowsPerChunk = 7;  // chunks that do not divide the rows
    for (const TensorView& t : ckpt->tensors()) {
        QS_CHECK(t.dtype == DType::F32);
        checkAgainstPlain(computeTensorStats(t, opts), t, opts.bins);
    }
}

// Known values of the real BF16 file: a 1-D norm is one row; the trained
// down projection is heavy-tailed (positive excess kurtosis).
QS_TEST(real_profiles_have_channel_shapes) {
    const auto ckpt = openCheckpoint(tinyDir());
    const TensorStats norm = computeTensorStats(ckpt->at("model.norm.weight"));
    QS_CHECK_EQ(norm.rowAbsmax.size(), size_t(1));
    QS_CHECK_EQ(norm.colAbsmax.size(), size_t(256));
    QS_CHECK_EQ(double(norm.rowAbsmax[0]), norm.absmax);
    const TensorStats down = computeTensorStats(ckpt->at("model.layers.3.mlp.down_proj.weight"));
    QS_CHECK_EQ(down.rowAbsmax.size(), size_t(256));
    QS_CHECK_EQ(down.colAbsmax.size(), size_t(512));
    QS_CHECK_EQ(down.count, int64_t(256 * 512));
    QS_CHECK(down.outlierRatioOut >= 1.0 && down.outlierRatioIn >= 1.0);
    QS_CHECK(down.kurtosis > 0.0);
}

// The BF16 census and the decoded float path give the same statistics for the
// same values (an F32 copy, and a BF16 copy at an odd address, which the census cannot read).
QS_TEST(census_and_decoded_paths_agree) {
    const auto ckpt = openCheckpoint(tinyDir());
    const TensorView& t = ckpt->at("model.layers.1.self_attn.q_proj.weight");
    std::vector<float> values(static_cast<size_t>(t.numel()));
    decodeToFloat(t, 0, t.numel(), values.data());
    const OwnedTensor f32 = makeTensor(DType::F32, t.shape, values);
    const OwnedTensor odd = makeTensor(DType::BF16, t.shape, values, 1);
    const TensorStats census = computeTensorStats(t);
    checkSameStats(computeTensorStats(f32.view), census, kMomentRel);
    checkSameStats(computeTensorStats(odd.view), census, kMomentRel);
}

QS_TEST(f16_census_matches_plain_float64) {
    auto v = gaussian(4096, 0.5, 11);
    v[17] = 70000.0f;  // overflows F16 to +Inf
    const OwnedTensor t = makeTensor(DType::F16, {64, 64}, v);
    StatsOptions opts;
    opts.bins = 64;
    const TensorStats s = computeTensorStats(t.view, opts);
    QS_CHECK_EQ(s.infs, int64_t(1));
    checkAgainstPlain(s, t.view, opts.bins);
}

QS_TEST(kurtosis_of_gaussian_is_near_zero_and_laplace_near_three) {
    const OwnedTensor g = makeTensor(DType::BF16, {1024, kSampleCount / 1024}, gaussian(kSampleCount, 0.02, 1));
    const OwnedTensor l = makeTensor(DType::F32, {1024, kSampleCount / 1024}, laplace(kSampleCount, 0.01, 2));
    const TensorStats gs = computeTensorStats(g.view);
    const TensorStats ls = computeTensorStats(l.view);
    QS_CHECK_NEAR(gs.kurtosis, 0.0, kGaussianKurtosisAbs);
    QS_CHECK_NEAR(gs.std, 0.02, 0.02 * 0.01);
    QS_CHECK_NEAR(ls.kurtosis, 3.0, kLaplaceKurtosisAbs);
    QS_CHECK_NEAR(ls.std, 0.01 * std::sqrt(2.0), 0.01 * 0.02);
}

QS_TEST(nan_and_inf_are_counted_and_excluded) {
    for (DType dtype : {DType::BF16, DType::F32}) {
        std::vector<float> v = gaussian(2048, 1.0, 3);
        std::vector<float> finiteOnly = v;
        v[5] = std::numeric_limits<float>::quiet_NaN();
        v[700] = -std::numeric_limits<float>::quiet_NaN();
        v[9] = std::numeric_limits<float>::infinity();
        v[2047] = -std::numeric_limits<float>::infinity();
        v[64] = 0.0f;
        v[65] = -0.0f;
        const OwnedTensor t = makeTensor(dtype, {32, 64}, v);
        StatsOptions opts;
        opts.bins = 50;
        const TensorStats s = computeTensorStats(t.view, opts);
        QS_CHECK_EQ(s.nans, int64_t(2));
        QS_CHECK_EQ(s.infs, int64_t(2));
        QS_CHECK_EQ(s.finite, int64_t(2044));
        QS_CHECK_EQ(s.zeros, int64_t(2));
        QS_CHECK(std::isfinite(s.mean) && std::isfinite(s.std) && std::isfinite(s.absmax));
        checkAgainstPlain(s, t.view, opts.bins);
        // Moments equal those of the finite values alone.
        std::vector<float> kept;
        for (size_t i = 0; i < v.size(); ++i)
            if (std::isfinite(v[i])) kept.push_back(v[i]);
        const OwnedTensor k = makeTensor(dtype, {int64_t(kept.size())}, kept);
        const TensorStats ks = computeTensorStats(k.view, opts);
        QS_CHECK_NEAR(s.mean, ks.mean, kMomentRel * ks.std);
        QS_CHECK_NEAR(s.std, ks.std, kMomentRel * ks.std);
        QS_CHECK_NEAR(s.kurtosis, ks.kurtosis, kKurtosisAbs);
        QS_CHECK(s.histogram.counts == ks.histogram.counts);
    }
}

QS_TEST(all_nan_tensor_has_counts_and_no_moments) {
    for (DType dtype : {DType::BF16, DType::F32}) {
        const OwnedTensor t = makeTensor(dtype, {4, 8}, std::vector<float>(32, std::numeric_limits<float>::quiet_NaN()));
        const TensorStats s = computeTensorStats(t.view);
        QS_CHECK_EQ(s.count, int64_t(32));
        QS_CHECK_EQ(s.nans, int64_t(32));
        QS_CHECK_EQ(s.finite, int64_t(0));
        QS_CHECK(std::isnan(s.min) && std::isnan(s.max) && std::isnan(s.mean) && std::isnan(s.std));
        QS_CHECK(std::isnan(s.absmax) && std::isnan(s.kurtosis));
        QS_CHECK(std::isnan(s.outlierRatioOut) && std::isnan(s.outlierRatioIn));
        QS_CHECK_EQ(s.histogram.counts.size(), size_t(256));
        QS_CHECK(std::all_of(s.histogram.counts.begin(), s.histogram.counts.end(), [](uint64_t c) { return c == 0; }));
        QS_CHECK(std::all_of(s.rowAbsmax.begin(), s.rowAbsmax.end(), [](float a) { return a == 0; }));
        QS_CHECK(std::isfinite(s.histogram.lo) && s.histogram.hi > s.histogram.lo);
    }
}

QS_TEST(constant_tensor_has_zero_std_and_one_bin) {
    for (DType dtype : {DType::BF16, DType::F32})
        for (float value : {0.5f, 0.0f, -3.0f}) {
            const OwnedTensor t = makeTensor(dtype, {16, 16}, std::vector<float>(256, value));
            const TensorStats s = computeTensorStats(t.view);
            QS_CHECK_EQ(s.std, 0.0);
            QS_CHECK_EQ(s.kurtosis, 0.0);
            QS_CHECK_EQ(s.mean, double(value));
            QS_CHECK(s.histogram.hi > s.histogram.lo);
            QS_CHECK(s.symlogHistogram.hi > s.symlogHistogram.lo);
            QS_CHECK_EQ(*std::max_element(s.histogram.counts.begin(), s.histogram.counts.end()), uint64_t(256));
            QS_CHECK_EQ(*std::max_element(s.symlogHistogram.counts.begin(), s.symlogHistogram.counts.end()),
                        uint64_t(256));
            QS_CHECK_EQ(s.outlierRatioOut, 1.0);
            QS_CHECK_EQ(s.outlierRatioIn, 1.0);
            QS_CHECK_EQ(s.zeros, value == 0 ? int64_t(256) : int64_t(0));
            checkAgainstPlain(s, t.view, 256);
        }
}

QS_TEST(empty_tensors_give_empty_statistics) {
    for (DType dtype : {DType::BF16, DType::F32}) {
        const OwnedTensor t = makeTensor(dtype, {0, 16}, {});
        const TensorStats s = computeTensorStats(t.view);
        QS_CHECK_EQ(s.count, int64_t(0));
        QS_CHECK_EQ(s.finite, int64_t(0));
        QS_CHECK(std::isnan(s.mean));
        QS_CHECK(s.rowAbsmax.empty());
        QS_CHECK_EQ(s.colAbsmax.size(), size_t(16));
        QS_CHECK_EQ(s.histogram.counts.size(), size_t(256));
        const OwnedTensor z = makeTensor(dtype, {4, 0}, {});
        QS_CHECK_EQ(computeTensorStats(z.view).count, int64_t(0));
    }
}

// Sizes over the one-thread threshold (2^20 elements), rows not divisible by the thread count.
QS_TEST(threads_give_the_same_statistics) {
    const auto v = laplace(1023 * 1031, 0.01, 5);
    for (DType dtype : {DType::BF16, DType::F32}) {
        const OwnedTensor t = makeTensor(dtype, {1023, 1031}, v);
        StatsOptions one, two, three;
        one.threads = 1;
        two.threads = 2;
        three.threads = 3;
        three.rowsPerChunk = 10;
        const TensorStats s1 = computeTensorStats(t.view, one);
        checkSameStats(computeTensorStats(t.view, two), s1, kThreadsRel);
        checkSameStats(computeTensorStats(t.view, three), s1, kThreadsRel);
        checkAgainstPlain(s1, t.view, 256);
    }
}

// The callback asks to cancel at its third report; the next step throws
// before reporting, so the work stops after one more chunk, not at the end.
QS_TEST(cancellation_throws_job_cancelled) {
    const OwnedTensor t = makeTensor(DType::BF16, {1024, 1100}, gaussian(1024 * 1100, 1.0, 7));
    const OwnedTensor f = makeTensor(DType::F32, {1024, 1100}, gaussian(1024 * 1100, 1.0, 7));
    for (const TensorView* view : {&t.view, &f.view})
        for (int threads : {1, 2}) {
            StatsOptions opts;
            opts.threads = threads;
            opts.rowsPerChunk = 16;
            int reports = 0;
            JobControl* self = nullptr;
            JobControl job([&](double, const std::string&) {
                if (++reports == 3) self->requestCancel();
            });
            self = &job;
            QS_CHECK_THROWS_WITH(computeTensorStats(*view, opts, &job), "cancelled");
            QS_CHECK_EQ(reports, 3);
        }
    const auto ckpt = openCheckpoint(tinyDir());
    int reports = 0;
    JobControl* self = nullptr;
    JobControl job([&](double, const std::string&) {
        if (++reports == 5) self->requestCancel();
    });
    self = &job;
    QS_CHECK_THROWS_WITH(computeCheckpointStats(*ckpt, {}, &job), "cancelled");
    QS_CHECK_EQ(reports, 5);
}

QS_TEST(checkpoint_progress_is_by_bytes_and_reaches_one) {
    const auto ckpt = openCheckpoint(tinyDir());
    std::vector<double> fractions;
    std::vector<std::string> stages;
    JobControl job([&](double f, const std::string& stage) {
        fractions.push_back(f);
        stages.push_back(stage);
    });
    const auto all = computeCheckpointStats(*ckpt, {}, &job);
    QS_CHECK_EQ(all.size(), ckpt->tensors().size());
    for (size_t i = 0; i < all.size(); ++i) QS_CHECK_EQ(all[i].name, ckpt->tensors()[i].name);
    QS_CHECK(std::is_sorted(fractions.begin(), fractions.end()));
    QS_CHECK_EQ(fractions.front(), 0.0);
    QS_CHECK_EQ(fractions.back(), 1.0);
    // When the last tensor (lm_head, 2048 x 256 BF16 = 1 MiB) starts, the bytes before it are done.
    double total = 0, beforeHead = 0;
    for (const auto& t : ckpt->tensors()) total += double(t.nbytes);
    for (const auto& t : ckpt->tensors()) {
        if (t.name == "lm_head.weight") break;
        beforeHead += double(t.nbytes);
    }
    const auto it = std::find(stages.begin(), stages.end(), "lm_head.weight");
    QS_CHECK(it != stages.end());
    if (it != stages.end()) QS_CHECK_NEAR(fractions[size_t(it - stages.begin())], beforeHead / total, 1e-12);
}

QS_TEST(bins_below_one_are_refused) {
    const OwnedTensor t = makeTensor(DType::F32, {4}, {1, 2, 3, 4});
    StatsOptions opts;
    opts.bins = 0;
    QS_CHECK_THROWS_WITH(computeTensorStats(t.view, opts), "at least one histogram bin");
}
