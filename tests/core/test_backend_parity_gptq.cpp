// Backend parity of GPTQ's column sweep and of the block stager
// (kernels/backend.h), as test_backend_parity.cpp does for the other ops:
// the sweep on every backend against the CPU's, and GPTQ on a whole layer on
// every backend, the CPU included, against the independent float64 GPTQ of
// gptq_reference.h (core GPTQ always runs through a backend, so comparing
// backends with each other alone could not catch a drift they share).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "backend_parity.h"
#include "gptq_reference.h"
#include "quant/gptq.h"

using namespace qs;
using namespace qs::parity;

namespace {

// Tolerances of the whole-layer case beside backend_parity.h's kTol::kGptq*:
// where a code agrees with the reference, its value differs only when its
// grid was fitted on weights that drifted in the last float64 bits (dynamic
// groups), which moves float(q) by an ulp or so (relative 6e-8).
constexpr double kGptqValueRel = 1e-6;

// Calibration-like inputs [tokens, cols]: neighbouring channels correlated,
// channel scales spread over two decades, three outlier channels and one
// channel that is never excited (a dead column of GPTQ).
std::vector<float> layerInputs(Rng& rng, int64_t tokens, int64_t cols) {
    std::vector<float> x = rng.normal(tokens * cols);
    std::vector<float> scale = rng.normal(cols);
    for (float& s : scale) s = std::exp(1.2f * s);
    for (int64_t c : {int64_t(3), cols / 2, cols - 9}) scale[size_t(c)] *= 20.0f;
    scale[size_t(cols / 3)] = 0.0f;
    // Unit-variance AR(1) along the channels, then each channel's scale.
    for (int64_t t = 0; t < tokens; ++t)
        for (int64_t c = 1; c < cols; ++c) x[size_t(t * cols + c)] = 0.8f * x[size_t(t * cols + c - 1)] + 0.6f * x[size_t(t * cols + c)];
    for (int64_t t = 0; t < tokens; ++t)
        for (int64_t c = 0; c < cols; ++c) x[size_t(t * cols + c)] *= scale[size_t(c)];
    return x;
}

// The upper U with H^-1 = Uᵀ U, column-major (cpu/gptq_sweep.h's layout), of a dampened H.
std::vector<double> sweepFactor(std::vector<double> h, int64_t n) {
    for (int64_t i = 0; i < n; ++i) h[size_t(i * n + i)] += 0.01 * h[size_t(i * n + i)] + 1e-6;
    QS_CHECK(cpu().upperCholeskyOfInverse(h.data(), n));
    std::vector<double> u(h.size());
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) u[size_t(j * n + i)] = h[size_t(i * n + j)];  // row-major -> column-major
    return u;
}

struct SweepOutput {
    std::vector<uint8_t> codes;
    std::vector<float> values;
    std::vector<double> w;  // W after the sweep
};

// One sweep over a layer in blocks of `block` columns, one per-row grid for all columns.
SweepOutput sweepLayer(const KernelBackend& b, std::vector<double> w, int64_t rows, int64_t cols,
                       const std::vector<double>& u, const std::vector<IntGrid>& grids, int64_t block) {
    SweepOutput out{std::vector<uint8_t>(w.size()), std::vector<float>(w.size()), std::vector<double>(w.size())};
    const std::unique_ptr<GptqSweep> sweep = b.makeGptqSweep(w.data(), rows, cols, u.data());
    const std::vector<int32_t> setOf(size_t(block), 0);
    for (int64_t i1 = 0; i1 < cols; i1 += block) {
        const int64_t i2 = std::min(cols, i1 + block);
        sweep->quantizeBlock(i1, i2, grids.data(), 1, setOf.data(), out.codes.data() + i1 * rows,
                             out.values.data() + i1 * rows);
    }
    sweep->readColumns(0, cols, out.w.data());
    return out;
}

double share(int64_t equal, size_t total) { return double(equal) / double(total); }

}  // namespace

QS_TEST(gptq_sweep_blocks_match_across_backends) {
    Rng rng(131);
    const int64_t rows = 64, cols = 300, tokens = 1024;
    auto hb = cpu().makeHessian(cols);
    const std::vector<float> x = layerInputs(rng, tokens, cols);
    hb->add(x.data(), tokens);
    const std::vector<double> u = sweepFactor(hb->takeMatrix(), cols);
    const std::vector<float> wf = rng.normal(rows * cols, 0.02);
    std::vector<double> w(wf.size());
    std::vector<IntGrid> grids(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        double absmax = 0.0;
        for (int64_t c = 0; c < cols; ++c) {
            w[size_t(c * rows + r)] = wf[size_t(r * cols + c)];  // column-major
            absmax = std::max(absmax, std::fabs(double(wf[size_t(r * cols + c)])));
        }
        grids[size_t(r)] = fitIntGrid(-absmax, absmax, 4, true);
    }
    // One block: no GEMM, so the CUDA kernel's float64 operations are the CPU's one for one.
    const int64_t single = 96;
    std::vector<double> head(w.begin(), w.begin() + single * rows);
    const std::vector<double> uHead = [&] {
        std::vector<double> h(size_t(single * single));
        for (int64_t j = 0; j < single; ++j)
            for (int64_t i = 0; i < single; ++i) h[size_t(j * single + i)] = u[size_t(j * cols + i)];
        return h;
    }();
    const SweepOutput one = sweepLayer(cpu(), head, rows, single, uHead, grids, single);
    const SweepOutput ref = sweepLayer(cpu(), w, rows, cols, u, grids, 64);
    // The sweep did its job: codes on the grid, and error feedback moved the later columns.
    QS_CHECK(*std::max_element(ref.codes.begin(), ref.codes.end()) <= 15);
    QS_CHECK(relError(ref.w, w) > 1e-3);
    for (const auto& b : others()) {
        const SweepOutput gotOne = sweepLayer(*b, head, rows, single, uHead, grids, single);
        QS_CHECK(gotOne.codes == one.codes);
        QS_CHECK_EQ(mismatches(gotOne.values, one.values), 0);
        QS_CHECK(gotOne.w == one.w);
        const SweepOutput got = sweepLayer(*b, w, rows, cols, u, grids, 64);
        int64_t equal = 0;
        for (size_t i = 0; i < got.codes.size(); ++i) equal += got.codes[i] == ref.codes[i];
        QS_CHECK(share(equal, ref.codes.size()) >= kTol::kGptqCodesAgree);
        QS_CHECK(relError(got.w, ref.w) < kTol::kGptqSweepDrift);
    }
}

QS_TEST(gptq_sweep_refuses_blocks_out_of_order_and_bad_grid_sets) {
    const int64_t rows = 3, cols = 8;
    std::vector<double> u(size_t(cols * cols), 0.0), w(size_t(rows * cols), 0.5), column(size_t(rows * cols));
    for (int64_t i = 0; i < cols; ++i) u[size_t(i * cols + i)] = 1.0;
    const std::vector<IntGrid> grids(size_t(rows), fitIntGrid(-1.0, 1.0, 4, true));
    const std::vector<int32_t> set0(size_t(cols), 0), set1(size_t(cols), 1);
    std::vector<uint8_t> codes(w.size());
    std::vector<float> values(w.size());
    std::vector<const KernelBackend*> backends = {&cpu()};
    for (const auto& b : others()) backends.push_back(b.get());
    for (const KernelBackend* b : backends) {
        std::vector<double> work = w;
        const auto sweep = b->makeGptqSweep(work.data(), rows, cols, u.data());
        QS_CHECK_THROWS_WITH(sweep->quantizeBlock(4, 8, grids.data(), 1, set0.data(), codes.data(), values.data()),
                             "block [4, 8) is not the next block");
        QS_CHECK_THROWS_WITH(sweep->quantizeBlock(0, 4, grids.data(), 1, set1.data(), codes.data(), values.data()),
                             "uses grid set 1 of 1");
        QS_CHECK_THROWS_WITH(sweep->readColumns(6, 3, column.data()), "columns [6, 9) are outside the layer's 8");
        sweep->quantizeBlock(0, 8, grids.data(), 1, set0.data(), codes.data(), values.data());
        // U = I: no error feedback, so this is RTN: 0.5 on the 4-bit grid of ±1 (scale 1/7) rounds to 4, code 4 + 8.
        QS_CHECK_EQ(int(codes[0]), 12);
        QS_CHECK_EQ(values[0], float(4.0 / 7.0));
    }
}

// Every backend's whole GPTQ (core/quant/gptq.cpp: dead columns, grids,
// act-order, its backend's factor of H^-1 and column sweep) against the
// independent float64 GPTQ of gptq_reference.h, on a calibration-like layer,
// so the CPU is held to the bar as much as a GPU.
QS_TEST(gptq_layer_on_every_backend_meets_the_bar) {
    Rng rng(141);
    const int64_t rows = 256, cols = 512, tokens = 2048;
    const std::vector<float> x = layerInputs(rng, tokens, cols);
    auto hb = cpu().makeHessian(cols);
    hb->add(x.data(), tokens);
    const std::vector<double> h = hb->takeMatrix();
    LinearWeights layer;
    layer.outFeatures = rows;
    layer.inFeatures = cols;
    layer.w = rng.normal(rows * cols, 0.02);
    // The GPTQ objective tr(ΔW H ΔWᵀ) (the layer's output error on the calibration inputs, times 2 / tokens).
    const auto loss = [&](const std::vector<float>& q) {
        double total = 0.0;
        std::vector<double> d(static_cast<size_t>(cols));
        for (int64_t r = 0; r < rows; ++r) {
            for (int64_t c = 0; c < cols; ++c) d[size_t(c)] = double(layer.w[size_t(r * cols + c)]) - q[size_t(r * cols + c)];
            for (int64_t i = 0; i < cols; ++i) {
                double hi = 0.0;
                for (int64_t j = 0; j < cols; ++j) hi += h[size_t(i * cols + j)] * d[size_t(j)];
                total += d[size_t(i)] * hi;
            }
        }
        return total;
    };
    std::vector<float> rtn = layer.w;
    cpu().fakeQuantizeIntRows(rtn.data(), rows, cols, cols, 4, true);
    const double rtnLoss = loss(rtn);

    GptqOptions perChannel, dynamicGroups, staticGroups;
    dynamicGroups.groupSize = staticGroups.groupSize = 128;
    dynamicGroups.actOrder = staticGroups.actOrder = true;
    staticGroups.staticGroups = true;
    staticGroups.bits = 3;
    std::vector<const KernelBackend*> backends = {&cpu()};
    for (const auto& b : others()) backends.push_back(b.get());
    for (GptqOptions o : {perChannel, dynamicGroups, staticGroups}) {
        const test::ReferenceGptq ref = test::referenceGptq(layer.w, size_t(rows), size_t(cols), h, o);
        const double refLoss = loss(ref.dequantized);
        if (o.bits == 4 && o.groupSize == 0) QS_CHECK(refLoss < 0.8 * rtnLoss);  // GPTQ earns its keep
        for (const KernelBackend* b : backends) {
            o.backend = b;
            const GptqResult got = gptqQuantize(layer, h, o, "parity");
            QS_CHECK_EQ(got.deadColumns, 1);
            int64_t equal = 0;
            double valueDiff = 0.0;  // largest |got - ref| / |ref| where the codes agree (0 where both are 0)
            for (size_t i = 0; i < got.codes.size(); ++i)
                if (int(got.codes[i]) == ref.codes[i]) {
                    ++equal;
                    const double diff = std::fabs(double(got.dequantized[i]) - double(ref.dequantized[i]));
                    if (diff > 0) valueDiff = std::max(valueDiff, diff / std::fabs(double(ref.dequantized[i])));
                }
            const double gotLoss = loss(got.dequantized);
            const std::string device(deviceName(b->device()));
            std::printf("%s g%lld%s%s %d-bit: codes equal %.6f, value diff %.3g, objective %.10g vs reference %.10g\n",
                        device.c_str(), (long long)o.groupSize, o.actOrder ? " act-order" : "",
                        o.staticGroups ? " static" : "", o.bits, share(equal, got.codes.size()), valueDiff, gotLoss,
                        refLoss);
            QS_CHECK(share(equal, got.codes.size()) >= kTol::kGptqCodesAgree);
            QS_CHECK(valueDiff <= kGptqValueRel);
            QS_CHECK_NEAR(gotLoss, refLoss, kTol::kGptqLoss * refLoss);
            QS_CHECK(got.gIdx == ref.gIdx);
        }
    }
}

QS_TEST(block_stager_hands_out_blocks_in_order_and_refuses_misuse) {
    const std::vector<uint8_t> a(100, 1), b(64, 2), c(100, 3);
    const auto stager = cpu().makeBlockStager(100);
    QS_CHECK_THROWS_WITH(stager->acquire(), "nothing staged");
    stager->stage(a.data(), a.size());
    QS_CHECK_EQ(stager->acquire(), static_cast<const void*>(a.data()));  // the CPU computes on the block where it lies
    stager->stage(b.data(), b.size());
    QS_CHECK_THROWS_WITH(stager->stage(c.data(), c.size()), "both slots are in use");
    QS_CHECK_THROWS_WITH(stager->acquire(), "was not released");
    stager->release();
    QS_CHECK_EQ(stager->acquire(), static_cast<const void*>(b.data()));
    QS_CHECK_THROWS_WITH(stager->stage(c.data(), 101), "exceeds the slot's 100");
    stager->release();
    QS_CHECK_THROWS_WITH(stager->release(), "release without an acquired block");
    // The GPU stagers: the same order of calls, alternating device slots (their contents are the ops' to read).
    for (const auto& backend : others()) {
        const auto s = backend->makeBlockStager(100);
        s->stage(a.data(), a.size());
        const void* first = s->acquire();
        s->stage(b.data(), b.size());
        s->release();
        const void* second = s->acquire();
        s->stage(c.data(), c.size());
        s->release();
        QS_CHECK(first != second && first != nullptr && second != nullptr);
        QS_CHECK_EQ(s->acquire(), first);
        s->release();
        QS_CHECK_THROWS_WITH(s->acquire(), "nothing staged");
    }
}
