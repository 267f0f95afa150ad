#include "quant/gptq_block.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "formats/tensor_names.h"
#include "model/decoder_block.h"
#include "model/default_backend.h"
#include "quant/output_error.h"

namespace qs {

namespace {

// Layers that read one input, quantized together on that input's Hessian.
struct Stage {
    Projection input;  // the projection whose input the Hessian is taken of
    std::vector<Projection> layers;
    const char* label;
};
const std::array<Stage, 4> kStages = {{
    {Projection::Q, {Projection::Q, Projection::K, Projection::V}, "q, k, v"},
    {Projection::O, {Projection::O}, "o"},
    {Projection::Gate, {Projection::Gate, Projection::Up}, "gate, up"},
    {Projection::Down, {Projection::Down}, "down"},
}};

double secondsSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Rows pushed through the block at once: whole sequences up to this many rows
// (a longer sequence goes alone), bounding the MLP's [rows, intermediate]
// work buffers while keeping the GEMMs large.
constexpr int64_t kChunkRows = 4096;

// Runs every sequence through the block, a chunk of sequences at a time. With
// `inPlace`, hidden becomes the block's outputs; otherwise each chunk runs on
// a copy, only for the observer's sake.
void runSequences(const ModelConfig& config, const DecoderBlockWeights& weights, const RopeTable& rope,
                  RopeLayout layout, std::vector<float>& hidden, std::span<const int64_t> seqStarts, bool inPlace,
                  const LinearInputObserver& observer, const KernelBackend& backend) {
    BlockScratch scratch;
    std::vector<float> copy;
    std::vector<int64_t> starts;  // the chunk's sequence starts, from 0
    const size_t nseq = seqStarts.size() - 1;
    for (size_t s0 = 0, s1 = 0; s0 < nseq; s0 = s1) {
        for (s1 = s0 + 1; s1 < nseq && seqStarts[s1 + 1] - seqStarts[s0] <= kChunkRows;) ++s1;
        starts.clear();
        for (size_t s = s0; s <= s1; ++s) starts.push_back(seqStarts[s] - seqStarts[s0]);
        const int64_t rows = starts.back();
        float* first = hidden.data() + seqStarts[s0] * config.hiddenSize;
        if (!inPlace) {
            copy.assign(first, first + rows * config.hiddenSize);
            first = copy.data();
        }
        forwardDecoderBlock(config, weights, rope, layout, first, starts.data(), int64_t(s1 - s0), scratch, observer,
                            backend);
    }
}

}  // namespace

std::vector<GptqLayerReport> gptqQuantizeBlock(const ModelConfig& config, DecoderBlockWeights& weights,
                                               const RopeTable& rope, RopeLayout layout, std::vector<float>& hidden,
                                               std::span<const int64_t> seqStarts, const GptqBlockOptions& options) {
    const auto optionsFor = [&](Projection p) {
        std::optional<GptqOptions> o = options.perLayer ? options.perLayer(p) : options.quant;
        if (o && options.backend) o->backend = options.backend;
        return o;
    };
    const KernelBackend& backend = backendOrCpu(options.backend);
    for (int p = 0; p < kProjectionCount; ++p)
        if (const auto o = optionsFor(Projection(p))) validateGptqOptions(*o);
    if (seqStarts.size() < 2 || seqStarts.front() != 0 ||
        int64_t(hidden.size()) != seqStarts.back() * config.hiddenSize)
        throw std::invalid_argument("GPTQ block " + std::to_string(weights.block) +
                                    ": hidden must hold [seqStarts.back(), hidden_size] rows of at least one sequence");
    const auto progress = [&](size_t stage, const std::string& what) {
        if (!options.job) return;
        const double f = double(stage) / double(kStages.size() + 1);
        options.job->step(options.progressBegin + (options.progressEnd - options.progressBegin) * f,
                          "block " + std::to_string(weights.block) + ": " + what);
    };

    std::vector<GptqLayerReport> reports;
    for (size_t st = 0; st < kStages.size(); ++st) {
        const Stage& stage = kStages[st];
        progress(st, std::string("GPTQ ") + stage.label);
        const bool any = std::any_of(stage.layers.begin(), stage.layers.end(),
                                     [&](Projection p) { return optionsFor(p).has_value(); });
        if (!any) continue;
        const auto t0 = std::chrono::steady_clock::now();
        const std::unique_ptr<HessianBuilder> accumulator = backend.makeHessian(weights[stage.input].inFeatures);
        runSequences(
            config, weights, rope, layout, hidden, seqStarts, false,
            [&](Projection p, const float* x, int64_t rows, int64_t) {
                if (p == stage.input) accumulator->add(x, rows);
            },
            backend);
        const std::vector<double> hessian = accumulator->takeMatrix();
        const double captureSeconds = secondsSince(t0);

        for (const Projection p : stage.layers) {
            const std::optional<GptqOptions> layerOptions = optionsFor(p);
            if (!layerOptions) continue;
            const auto t1 = std::chrono::steady_clock::now();
            GptqLayerReport report;
            report.block = weights.block;
            report.projection = p;
            report.name = linearTensorName(weights.block, int(p));
            report.captureSeconds = captureSeconds;
            GptqResult result = gptqQuantize(weights[p], hessian, *layerOptions, report.name);
            report.relativeError = relativeOutputError(weights[p], result.dequantized, hessian);
            report.deadColumns = result.deadColumns;
            report.solveSeconds = secondsSince(t1);
            weights[p].w = result.dequantized;
            if (options.onLayer) options.onLayer(report, result, hessian);
            reports.push_back(std::move(report));
        }
    }
    progress(kStages.size(), "output of the quantized block");
    runSequences(config, weights, rope, layout, hidden, seqStarts, true, {}, backend);
    return reports;
}

}  // namespace qs
