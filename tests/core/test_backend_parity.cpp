// Backend parity (kernels/backend.h), in the manner of ggml's test-backend-ops:
// every op runs on the CPU backend (the reference, kernels/cpu) and on every
// other backend available at run time (CUDA when resolveDevice("auto") finds a
// GPU), on seeded random inputs with awkward sizes, and the results must agree
// within the op's tolerance in kTol below. NaN positions are compared before
// any norm. Without a GPU the comparisons run against nothing, so each op
// also checks the CPU backend against a plain float64 recomputation written
// here (or an exact identity), and the test can still fail.
// To add an op: a QS_TEST that builds inputs with Rng, runs cpu() and each of
// others() on copies, and compares with the matching helper and a kTol entry.
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "backend_parity.h"
#include "cpu/fake_quant.h"
#include "cpu/fp8_e4m3.h"
#include "cpu/int8_linear.h"
#include "tensor/dtype.h"

using namespace qs;
using namespace qs::parity;

QS_TEST(device_resolution_names_what_it_found) {
    QS_CHECK(resolveDevice("cpu").device == Device::Cpu);
    QS_CHECK_THROWS_WITH(resolveDevice("gpu"), "unknown device \"gpu\"");
    const DeviceChoice automatic = resolveDevice("auto");
    const DeviceChoice cuda = resolveDevice("cuda");
    QS_CHECK(automatic.device == cuda.device);
#ifdef QS_HAVE_CUDA
    QS_CHECK(automatic.line.rfind("CUDA: ", 0) == 0);
    // The build's own libqs_cuda.so is always found (it may still fail to load without the CUDA runtime).
    QS_CHECK(automatic.line.find("libqs_cuda.so not found") == std::string::npos);
    QS_CHECK((automatic.device == Device::Cuda) == (automatic.line.find("using the CPU") == std::string::npos));
#else
    QS_CHECK(automatic.device == Device::Cpu);
    QS_CHECK_EQ(automatic.line, std::string("CUDA not built in, using the CPU"));
#endif
    QS_CHECK_EQ(std::string(deviceName(Device::Cuda)), std::string("cuda"));
}

QS_TEST(sixteen_bit_codes_decode_exactly_on_every_backend) {
    std::vector<uint16_t> codes(65536);
    for (size_t i = 0; i < codes.size(); ++i) codes[i] = uint16_t(i);
    std::vector<float> bf16(codes.size()), f16(codes.size()), bf16Core(codes.size()), f16Core(codes.size());
    cpu().decodeBf16(codes.data(), int64_t(codes.size()), bf16.data());
    cpu().decodeF16(codes.data(), int64_t(codes.size()), f16.data());
    for (size_t i = 0; i < codes.size(); ++i) {
        bf16Core[i] = bf16ToFloat(codes[i]);
        f16Core[i] = f16ToFloat(codes[i]);
    }
    // The kernels' decoders are the checkpoint readers' (core/tensor/dtype.h) to the bit.
    QS_CHECK_EQ(mismatches(bf16, bf16Core), 0);
    QS_CHECK_EQ(mismatches(f16, f16Core), 0);
    QS_CHECK_EQ(f16[0x3c00], 1.0f);
    QS_CHECK_EQ(f16[0x0001], std::ldexp(1.0f, -24));
    for (const auto& b : others()) {
        std::vector<float> got(codes.size());
        b->decodeBf16(codes.data(), int64_t(codes.size()), got.data());
        QS_CHECK_EQ(mismatches(got, bf16), 0);
        b->decodeF16(codes.data(), int64_t(codes.size()), got.data());
        QS_CHECK_EQ(mismatches(got, f16), 0);
    }
}

QS_TEST(fp8_codes_round_trip_and_encode_identically) {
    std::vector<uint8_t> all(256);
    for (int i = 0; i < 256; ++i) all[size_t(i)] = uint8_t(i);
    std::vector<float> decoded(256);
    cpu().decodeF8e4m3(all.data(), 256, decoded.data());
    std::vector<uint8_t> again(256);
    cpu().encodeF8e4m3(decoded.data(), 256, again.data());
    QS_CHECK(again == all);  // every code, NaNs (0x7f, 0xff) and -0 included, is its own round trip

    Rng rng(11);
    std::vector<float> x = rng.normal(20000, 100.0);
    // Edges: ties between subnormals, the largest finite, saturation, zeros, non-finite.
    const float edges[] = {0.0f, -0.0f, std::ldexp(1.0f, -10), 3 * std::ldexp(1.0f, -10), std::ldexp(1.0f, -6),
                           448.0f, 464.0f, -500.0f, 1e30f, std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(), 240.0f,
                           232.0f, 1e-30f};
    x.insert(x.end(), std::begin(edges), std::end(edges));
    std::vector<uint8_t> ref(x.size());
    cpu().encodeF8e4m3(x.data(), int64_t(x.size()), ref.data());
    QS_CHECK_EQ(int(ref[20000 + 2]), 0x00);  // 2^-10: halfway to 2^-9, ties to even 0
    QS_CHECK_EQ(int(ref[20000 + 3]), 0x02);  // 3 * 2^-10: halfway between 1 and 2 units, to even 2
    QS_CHECK_EQ(int(ref[20000 + 6]), 0x7e);  // 464 saturates to 448
    QS_CHECK_EQ(int(ref[20000 + 12]), 0x77);  // 240 = 1.875 * 2^7, exact
    QS_CHECK_EQ(int(ref[20000 + 13]), 0x76);  // 232: between 224 and 240, ties to even 224
    for (const auto& b : others()) {
        std::vector<float> dec(256);
        b->decodeF8e4m3(all.data(), 256, dec.data());
        QS_CHECK_EQ(mismatches(dec, decoded), 0);
        std::vector<uint8_t> got(x.size());
        b->encodeF8e4m3(x.data(), int64_t(x.size()), got.data());
        QS_CHECK_EQ(mismatches(got, ref), 0);
    }
}

QS_TEST(int_fake_quant_codes_match_for_every_granularity) {
    Rng rng(21);
    const int64_t rows = 7, cols = 96;
    const std::vector<float> w = awkwardMatrix(rng, rows, cols);
    for (int bits : {2, 3, 4, 8})
        for (bool symmetric : {true, false}) {
            for (int64_t group : {int64_t(32), cols})
                exactInPlace(w, [&](const KernelBackend& b, float* x) {
                    b.fakeQuantizeIntRows(x, rows, cols, group, bits, symmetric);
                });
            exactInPlace(w, [&](const KernelBackend& b, float* x) {
                b.fakeQuantizeIntTensor(x, rows * cols, bits, symmetric);
            });
        }
    exactInPlace(w, [&](const KernelBackend& b, float* x) { b.fakeQuantizeIntWithGrid(x, rows * cols, int8GridForScale(0.003)); });
    // A tensor longer than one device reduction chunk (65536).
    const std::vector<float> big = rng.normal(200003);
    exactInPlace(big, [&](const KernelBackend& b, float* x) { b.fakeQuantizeIntTensor(x, 200003, 4, false); });

    // The CPU against the grid's definition in float64: per-channel symmetric 4 bits on row 4.
    std::vector<float> q = w;
    cpu().fakeQuantizeIntRows(q.data(), rows, cols, cols, 4, true);
    double absmax = 0.0;
    for (int64_t c = 0; c < cols; ++c) absmax = std::max(absmax, std::fabs(double(w[size_t(4 * cols + c)])));
    const double scale = absmax / 7.0;
    for (int64_t c = 0; c < cols; ++c) {
        const double code = std::clamp(std::nearbyint(double(w[size_t(4 * cols + c)]) / scale) + 8.0, 0.0, 15.0);
        QS_CHECK_EQ(q[size_t(4 * cols + c)], float(scale * (code - 8.0)));
    }
    QS_CHECK(std::isnan(q[3]));
    QS_CHECK(std::isinf(q[size_t(cols + 5)]));
}

QS_TEST(fp8_fake_quant_matches_and_lands_on_the_grid) {
    Rng rng(31);
    const int64_t rows = 5, cols = 160;
    const std::vector<float> w = awkwardMatrix(rng, rows, cols);
    const std::vector<float> perRow =
        exactInPlace(w, [&](const KernelBackend& b, float* x) { b.fakeQuantizeF8Rows(x, rows, cols); });
    exactInPlace(w, [&](const KernelBackend& b, float* x) { b.fakeQuantizeF8Tensor(x, rows * cols); });
    exactInPlace(w, [&](const KernelBackend& b, float* x) { b.fakeQuantizeF8WithScale(x, rows * cols, 0.0005); });

    // Row 3 (outlier 0.9): scale 0.9 / 448, every output is scale times an E4M3 value, the outlier exact.
    const double scale = double(0.9f) / kF8e4m3Max;
    QS_CHECK_NEAR(perRow[size_t(3 * cols + 1)], 0.9f, 1e-7);
    for (int64_t c = 0; c < cols; ++c) {
        const double units = double(perRow[size_t(3 * cols + c)]) / scale;
        QS_CHECK_NEAR(decodeF8e4m3(encodeF8e4m3(units)), units, 1e-5 * std::fabs(units));
    }
    for (int64_t c = 0; c < cols; ++c) QS_CHECK_EQ(perRow[size_t(2 * cols + c)], 0.0f);  // zeros stay zeros
}

QS_TEST(statistics_agree_across_backends) {
    Rng rng(41);
    const int64_t rows = 300, cols = 37;
    std::vector<float> x = awkwardMatrix(rng, rows, cols);
    x[100] = -std::numeric_limits<float>::infinity();

    RangeAccumulator range;
    cpu().accumulateRange(range, x.data(), int64_t(x.size()));
    CentralMomentAccumulator moments;
    moments.mean = range.sum / double(range.finite);
    cpu().accumulateCentralMoments(moments, x.data(), int64_t(x.size()));
    std::vector<float> colMax(size_t(cols), 0.0f);
    const float maxAll = cpu().absmaxWithColumns(x.data(), rows, cols, colMax.data());
    double sumAbs = 0.0, m2 = 0.0;
    std::vector<float> colMax64(size_t(cols), 0.0f);
    for (size_t i = 0; i < x.size(); ++i)
        if (std::isfinite(x[i])) {
            sumAbs += std::fabs(double(x[i]));
            m2 += (double(x[i]) - moments.mean) * (double(x[i]) - moments.mean);
            colMax64[i % size_t(cols)] = std::max(colMax64[i % size_t(cols)], std::fabs(x[i]));
        }
    QS_CHECK_EQ(range.nans, 1);
    QS_CHECK_EQ(range.infs, 2);
    QS_CHECK_EQ(range.finite, rows * cols - 3);
    QS_CHECK_NEAR(moments.m2, m2, kTol::kSumRelToAbs * m2);
    QS_CHECK(colMax == colMax64);
    QS_CHECK_EQ(maxAll, 0.9f);

    for (const auto& b : others()) {
        RangeAccumulator r;
        b->accumulateRange(r, x.data(), int64_t(x.size()));
        QS_CHECK_EQ(r.finite, range.finite);
        QS_CHECK_EQ(r.zeros, range.zeros);
        QS_CHECK_EQ(r.nans, range.nans);
        QS_CHECK_EQ(r.infs, range.infs);
        QS_CHECK_EQ(r.min, range.min);
        QS_CHECK_EQ(r.max, range.max);
        QS_CHECK_NEAR(r.sum, range.sum, kTol::kSumRelToAbs * sumAbs);
        CentralMomentAccumulator m;
        m.mean = moments.mean;
        b->accumulateCentralMoments(m, x.data(), int64_t(x.size()));
        QS_CHECK_NEAR(m.m2, moments.m2, kTol::kSumRelToAbs * moments.m2);
        QS_CHECK_NEAR(m.m4, moments.m4, kTol::kSumRelToAbs * moments.m4);
        std::vector<float> cm(size_t(cols), 0.0f);
        QS_CHECK_EQ(b->absmaxWithColumns(x.data(), rows, cols, cm.data()), maxAll);
        QS_CHECK(cm == colMax);
    }
}

QS_TEST(histograms_count_the_same_bins) {
    Rng rng(51);
    std::vector<float> x = rng.normal(100001, 0.05);
    x[7] = std::numeric_limits<float>::quiet_NaN();
    const LinearAxis axis = fitLinearAxis(-0.2, 0.2, 64);
    const LinearAxis wide = fitLinearAxis(-0.2, 0.2, 20000);  // past the shared-memory bins on the GPU
    const LinearAxis logAxis = fitLinearAxis(-2.0, 2.0, 80);
    std::vector<uint64_t> lin(64, 0), linWide(20000, 0), sym(80, 0);
    cpu().binLinear(x.data(), int64_t(x.size()), axis, lin.data());
    cpu().binLinear(x.data(), int64_t(x.size()), wide, linWide.data());
    cpu().binSymlog(x.data(), int64_t(x.size()), 1e-3, logAxis, sym.data());
    const auto total = [](const std::vector<uint64_t>& c) { uint64_t t = 0; for (uint64_t v : c) t += v; return t; };
    QS_CHECK_EQ(total(lin), uint64_t(100000));  // every finite value counted once, the NaN skipped
    QS_CHECK_EQ(total(sym), uint64_t(100000));
    QS_CHECK(lin[31] > lin[0] && lin[32] > lin[63]);  // a normal distribution peaks in the middle
    for (const auto& b : others()) {
        std::vector<uint64_t> got(64, 0), gotWide(20000, 0), gotSym(80, 0);
        b->binLinear(x.data(), int64_t(x.size()), axis, got.data());
        b->binLinear(x.data(), int64_t(x.size()), wide, gotWide.data());
        b->binSymlog(x.data(), int64_t(x.size()), 1e-3, logAxis, gotSym.data());
        QS_CHECK(got == lin);
        QS_CHECK(gotWide == linWide);
        int64_t moved = 0;
        for (size_t i = 0; i < sym.size(); ++i) moved += std::llabs(int64_t(gotSym[i]) - int64_t(sym[i]));
        QS_CHECK(moved <= 2 * kTol::kSymlogBinMoves);
        QS_CHECK_EQ(total(gotSym), total(sym));
    }
}

QS_TEST(linear_forward_matches_float64_and_across_backends) {
    Rng rng(61);
    const int64_t rows = 33, in = 70, out = 17;
    const std::vector<float> x = rng.normal(rows * in), w = rng.normal(out * in, 0.1), y0 = rng.normal(rows * out);
    std::vector<double> ref(static_cast<size_t>(rows * out));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < out; ++o) {
            double s = y0[size_t(r * out + o)];  // the accumulate form: y += x Wᵀ
            for (int64_t i = 0; i < in; ++i) s += double(x[size_t(r * in + i)]) * w[size_t(o * in + i)];
            ref[size_t(r * out + o)] = s;
        }
    std::vector<float> y = y0;
    cpu().linearForward(x.data(), rows, in, w.data(), out, y.data(), true);
    QS_CHECK(relError(y, ref) < kTol::kGemmF32);

    std::vector<uint16_t> xb(x.size()), wb(w.size());
    std::transform(x.begin(), x.end(), xb.begin(), floatToBf16);
    std::transform(w.begin(), w.end(), wb.begin(), floatToBf16);
    std::vector<float> yb(static_cast<size_t>(rows * out));
    cpu().linearForwardBf16(xb.data(), rows, in, wb.data(), out, yb.data(), false);
    std::vector<double> product(ref.size());  // x Wᵀ alone, for the non-accumulating BF16 call
    for (size_t i = 0; i < ref.size(); ++i) product[i] = ref[i] - y0[i];
    QS_CHECK(relError(yb, product) > 1e-4);  // the BF16 inputs really were rounded...
    QS_CHECK(relError(yb, product) < 2e-2);  // ...to 8 significant bits

    for (const auto& b : others()) {
        std::vector<float> got = y0, gotB(size_t(rows * out), -1.0f);
        b->linearForward(x.data(), rows, in, w.data(), out, got.data(), true);
        QS_CHECK(relError(got, y) < kTol::kGemmF32);
        b->linearForwardBf16(xb.data(), rows, in, wb.data(), out, gotB.data(), false);
        QS_CHECK(relError(gotB, yb) < kTol::kGemmBf16);
    }
}

QS_TEST(row_ops_match_float64_and_across_backends) {
    Rng rng(71);
    const int64_t rows = 9, cols = 300;
    const std::vector<float> x = rng.normal(rows * cols, 3.0), weight = rng.normal(cols), up = rng.normal(rows * cols);

    std::vector<float> norm(x.size());
    cpu().rmsNormRows(x.data(), weight.data(), norm.data(), rows, cols, 1e-5f);
    std::vector<double> norm64(x.size()), swiglu64(x.size()), lse64(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        double ss = 0.0, mx = -INFINITY, se = 0.0;
        for (int64_t c = 0; c < cols; ++c) ss += double(x[size_t(r * cols + c)]) * x[size_t(r * cols + c)];
        for (int64_t c = 0; c < cols; ++c) mx = std::max(mx, double(x[size_t(r * cols + c)]));
        for (int64_t c = 0; c < cols; ++c) se += std::exp(double(x[size_t(r * cols + c)]) - mx);
        for (int64_t c = 0; c < cols; ++c)
            norm64[size_t(r * cols + c)] = x[size_t(r * cols + c)] / std::sqrt(ss / double(cols) + 1e-5) * weight[size_t(c)];
        lse64[size_t(r)] = mx + std::log(se);
    }
    for (size_t i = 0; i < x.size(); ++i) swiglu64[i] = double(x[i]) / (1.0 + std::exp(-double(x[i]))) * up[i];
    QS_CHECK(relError(norm, norm64) < kTol::kRowOp);

    std::vector<float> gated = x;
    cpu().swigluInPlace(gated.data(), up.data(), int64_t(x.size()));
    QS_CHECK(relError(gated, swiglu64) < kTol::kRowOp);

    std::vector<double> lse(static_cast<size_t>(rows));
    cpu().logSumExpRows(x.data(), rows, cols, lse.data());
    for (int64_t r = 0; r < rows; ++r) QS_CHECK_NEAR(lse[size_t(r)], lse64[size_t(r)], kTol::kLogSumExpAbs);

    for (const auto& b : others()) {
        std::vector<float> got(x.size(), -1.0f);
        b->rmsNormRows(x.data(), weight.data(), got.data(), rows, cols, 1e-5f);
        QS_CHECK(relError(got, norm) < kTol::kRowOp);
        got = x;
        b->swigluInPlace(got.data(), up.data(), int64_t(x.size()));
        QS_CHECK(relError(got, gated) < kTol::kRowOp);
        std::vector<double> l(size_t(rows), -1.0);
        b->logSumExpRows(x.data(), rows, cols, l.data());
        for (int64_t r = 0; r < rows; ++r) QS_CHECK_NEAR(l[size_t(r)], lse[size_t(r)], kTol::kLogSumExpAbs);
    }
}

QS_TEST(rope_rotates_pairs_in_both_layouts) {
    Rng rng(81);
    const int64_t rows = 6, heads = 3, headDim = 8, stride = heads * headDim + 5;  // a strided view of wider rows
    std::vector<double> invFreq;
    for (int64_t i = 0; i < headDim / 2; ++i) invFreq.push_back(std::pow(10000.0, -2.0 * double(i) / double(headDim)));
    const RopeTable table = makeRopeTable(invFreq, 64);
    const std::vector<int32_t> positions = {0, 1, 2, 0, 40, 63};
    const std::vector<float> x = rng.normal(rows * stride);
    for (RopeLayout layout : {RopeLayout::SplitHalves, RopeLayout::InterleavedPairs}) {
        std::vector<float> ref = x;
        cpu().applyRope(ref.data(), rows, stride, heads, headDim, positions.data(), table, layout);
        // float64 rotation of each pair by position * invFreq[i]; padding untouched.
        std::vector<double> ref64(x.begin(), x.end());
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t h = 0; h < heads; ++h)
                for (int64_t i = 0; i < headDim / 2; ++i) {
                    const int64_t base = r * stride + h * headDim;
                    const int64_t ia = base + (layout == RopeLayout::SplitHalves ? i : 2 * i);
                    const int64_t ib = ia + (layout == RopeLayout::SplitHalves ? headDim / 2 : 1);
                    const double angle = positions[size_t(r)] * invFreq[size_t(i)], a = x[size_t(ia)], b = x[size_t(ib)];
                    ref64[size_t(ia)] = a * std::cos(angle) - b * std::sin(angle);
                    ref64[size_t(ib)] = b * std::cos(angle) + a * std::sin(angle);
                }
        QS_CHECK(relError(ref, ref64) < kTol::kRowOp);
        for (const auto& b : others()) {
            std::vector<float> got = x;
            b->applyRope(got.data(), rows, stride, heads, headDim, positions.data(), table, layout);
            QS_CHECK(relError(got, ref) < kTol::kRowOp);
        }
    }
}

QS_TEST(causal_attention_matches_float64_and_across_backends) {
    Rng rng(91);
    const AttentionShape shape{4, 2, 16};
    const std::vector<int64_t> starts = {0, 5, 42};  // sequences of 5 and 37 rows
    const int64_t rows = starts.back(), qw = shape.heads * shape.headDim, kw = shape.kvHeads * shape.headDim;
    const std::vector<float> q = rng.normal(rows * qw), k = rng.normal(rows * kw), v = rng.normal(rows * kw);
    std::vector<float> out(size_t(rows * qw), -1.0f);
    cpu().causalAttention(q.data(), k.data(), v.data(), out.data(), starts.data(), 2, shape);

    std::vector<double> ref(out.size());
    for (size_t s = 0; s + 1 < starts.size(); ++s)
        for (int64_t r = starts[s]; r < starts[s + 1]; ++r)
            for (int64_t h = 0; h < shape.heads; ++h) {
                const int64_t kvh = h / (shape.heads / shape.kvHeads);
                std::vector<double> p;
                for (int64_t j = starts[s]; j <= r; ++j) {
                    double dot = 0.0;
                    for (int64_t d = 0; d < shape.headDim; ++d)
                        dot += double(q[size_t(r * qw + h * shape.headDim + d)]) * k[size_t(j * kw + kvh * shape.headDim + d)];
                    p.push_back(dot / std::sqrt(double(shape.headDim)));
                }
                const double mx = *std::max_element(p.begin(), p.end());
                double sum = 0.0;
                for (double& e : p) sum += (e = std::exp(e - mx));
                for (int64_t d = 0; d < shape.headDim; ++d) {
                    double acc = 0.0;
                    for (size_t j = 0; j < p.size(); ++j)
                        acc += p[j] / sum * v[size_t((starts[s] + int64_t(j)) * kw + kvh * shape.headDim + d)];
                    ref[size_t(r * qw + h * shape.headDim + d)] = acc;
                }
            }
    QS_CHECK(relError(out, ref) < kTol::kAttention);
    for (const auto& b : others()) {
        std::vector<float> got(out.size(), -1.0f);
        b->causalAttention(q.data(), k.data(), v.data(), got.data(), starts.data(), 2, shape);
        QS_CHECK(relError(got, out) < kTol::kAttention);
    }
}

QS_TEST(hessian_accumulates_the_running_average_on_every_backend) {
    Rng rng(101);
    const int64_t cols = 24, first = 5000, second = 123;  // the first batch spans two 4096-row slabs
    const std::vector<float> x = rng.normal((first + second) * cols);
    std::vector<double> ref64(size_t(cols * cols), 0.0);
    for (int64_t r = 0; r < first + second; ++r)
        for (int64_t i = 0; i < cols; ++i)
            for (int64_t j = 0; j < cols; ++j)
                ref64[size_t(i * cols + j)] += 2.0 * x[size_t(r * cols + i)] * x[size_t(r * cols + j)] / double(first + second);
    const auto build = [&](const KernelBackend& b) {
        auto h = b.makeHessian(cols);
        h->add(x.data(), first);
        h->add(x.data() + first * cols, second);
        QS_CHECK_EQ(h->samples(), first + second);
        return h->takeMatrix();
    };
    const std::vector<double> ref = build(cpu());
    QS_CHECK(relError(ref, ref64) < kTol::kHessian);
    QS_CHECK_NEAR(ref[0], 2.0, 0.1);  // E[2 x²] for unit normals
    for (const auto& b : others()) QS_CHECK(relError(build(*b), ref) < kTol::kHessian);
}

// n = 600 spans three panels of the CPU's parallel triangular inverse.
QS_TEST(cholesky_of_the_inverse_is_upper_and_exact) {
    for (const int64_t n : {int64_t(40), int64_t(600)}) {
        Rng rng(111);
        const int64_t samples = 2 * n + 100;
        const std::vector<float> a = rng.normal(samples * n);
        std::vector<double> h(size_t(n * n), 0.0);
        for (int64_t r = 0; r < samples; ++r)
            for (int64_t i = 0; i < n; ++i)
                for (int64_t j = 0; j < n; ++j)
                    h[size_t(i * n + j)] += double(a[size_t(r * n + i)]) * a[size_t(r * n + j)] / samples;
        for (int64_t i = 0; i < n; ++i) h[size_t(i * n + i)] += 0.01;

        std::vector<double> u = h;
        QS_CHECK(cpu().upperCholeskyOfInverse(u.data(), n));
        // U upper with a positive diagonal, and Uᵀ (U H) = I.
        std::vector<double> uh(size_t(n * n), 0.0);
        for (int64_t i = 0; i < n; ++i) {
            QS_CHECK(u[size_t(i * n + i)] > 0.0);
            for (int64_t j = 0; j < i; ++j) QS_CHECK_EQ(u[size_t(i * n + j)], 0.0);
            for (int64_t t = i; t < n; ++t)
                for (int64_t j = 0; j < n; ++j) uh[size_t(i * n + j)] += u[size_t(i * n + t)] * h[size_t(t * n + j)];
        }
        double residual = 0.0;
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < n; ++j) {
                double p = 0.0;
                for (int64_t t = 0; t <= i; ++t) p += u[size_t(t * n + i)] * uh[size_t(t * n + j)];
                residual = std::max(residual, std::fabs(p - (i == j ? 1.0 : 0.0)));
            }
        QS_CHECK(residual < kTol::kCholesky * 1e3);  // float64 with cond(H) ~ 1e2..1e3

        for (const auto& b : others()) {
            std::vector<double> got = h;
            QS_CHECK(b->upperCholeskyOfInverse(got.data(), n));
            QS_CHECK(relError(got, u) < kTol::kCholesky);
        }
    }
    const std::vector<double> notPd = {1.0, 1.0, 1.0, 0.5};  // determinant -0.5: indefinite
    std::vector<double> scratch = notPd;
    QS_CHECK(!cpu().upperCholeskyOfInverse(scratch.data(), 2));
    for (const auto& b : others()) {
        scratch = notPd;
        QS_CHECK(!b->upperCholeskyOfInverse(scratch.data(), 2));
    }
}

QS_TEST(int8_w8a8_equals_fake_quant_and_is_exact_across_backends) {
    Rng rng(121);
    // 64 x 256 x 48: cuBLAS's int8 tensor-core path; 33 x 70 x 17: the plain kernel (k, out not multiples of 4).
    for (const auto [rows, in, out] : {std::array<int64_t, 3>{64, 256, 48}, std::array<int64_t, 3>{33, 70, 17}}) {
        std::vector<float> x = rng.normal(rows * in), w = awkwardMatrix(rng, out, in);
        for (int64_t r = 0; r < rows; ++r) x[size_t(r * in + 5)] *= 30.0f;  // an outlier channel
        x[size_t(2 * in + 1)] = std::numeric_limits<float>::quiet_NaN();    // row 2 of y must come out NaN
        const std::vector<float> y0 = rng.normal(rows * out);
        std::vector<int8_t> xq(x.size()), wq(w.size());
        std::vector<float> xs(size_t(rows), 0.0f), ws(size_t(out), 0.0f);
        cpu().quantizeRowsInt8(x.data(), rows, in, xq.data(), xs.data());
        cpu().quantizeRowsInt8(w.data(), out, in, wq.data(), ws.data());
        std::vector<float> y = y0;
        cpu().linearForwardInt8(xq.data(), xs.data(), rows, in, wq.data(), ws.data(), out, y.data(), true);

        // y0 + fake-quant(x) · fake-quant(W)ᵀ in float64, NaN where a row or channel held NaN/Inf.
        std::vector<float> fx = x, fw = w;
        cpu().fakeQuantizeIntRows(fx.data(), rows, in, in, 8, true);
        cpu().fakeQuantizeIntRows(fw.data(), out, in, in, 8, true);
        std::vector<double> ref(y.size());
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t o = 0; o < out; ++o) {
                double sum = y0[size_t(r * out + o)];
                for (int64_t k = 0; k < in; ++k) sum += double(fx[size_t(r * in + k)]) * fw[size_t(o * in + k)];
                ref[size_t(r * out + o)] = std::isfinite(sum) ? sum : std::numeric_limits<double>::quiet_NaN();
            }
        QS_CHECK(relError(y, ref) < kTol::kInt8VsFakeQuant);
        // The NaN row of x, and W's channels 0 (a NaN) and 1 (an Inf), give NaN; the rest stays finite.
        QS_CHECK(std::isnan(y[size_t(2 * out + 4)]) && std::isnan(y[size_t(out)]) && std::isnan(y[1]));
        QS_CHECK(std::isfinite(y[size_t(out + 7)]));

        for (const auto& b : others()) {
            std::vector<int8_t> gotXq(xq.size(), 99), gotWq(wq.size(), 99);
            std::vector<float> gotXs(xs.size(), -1.0f), gotWs(ws.size(), -1.0f);
            b->quantizeRowsInt8(x.data(), rows, in, gotXq.data(), gotXs.data());
            b->quantizeRowsInt8(w.data(), out, in, gotWq.data(), gotWs.data());
            QS_CHECK(gotXq == xq && gotWq == wq);
            QS_CHECK_EQ(mismatches(gotXs, xs) + mismatches(gotWs, ws), 0);
            std::vector<float> got = y0;
            b->linearForwardInt8(xq.data(), xs.data(), rows, in, wq.data(), ws.data(), out, got.data(), true);
            QS_CHECK_EQ(mismatches(got, y), 0);  // exact int32 sums, the same three float roundings
        }
    }
}
