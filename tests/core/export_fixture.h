// What the export tests (test_export*.cpp) build their exports from and
// compare them on: a plan of one spec applied to the real model's blocks, its
// export options, RTN codes per layer, the weights a re-opened GPTQ export
// computes with, and the held-out windows their perplexities are taken on.
#pragma once

#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include "check.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"
#include "formats/tensor_names.h"
#include "model/llama_model.h"
#include "quant/apply_plan.h"
#include "quant/export_fake.h"
#include "quant/export_gptq.h"
#include "quant/rtn_codes.h"
#include "tokenize/tokenizer.h"

namespace qs::test {

inline constexpr int64_t kExportCtx = 128, kExportWindows = 4;

inline std::string heldoutText() {
    std::ifstream in(sharedDir() + "/data/text/frankenstein-heldout.txt", std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// kExportWindows windows of kExportCtx tokens of the held-out book.
inline TokenBatch heldoutWindows(const Tokenizer& tokenizer) {
    return cutWindows(tokenizer.encode(heldoutText(), false), kExportCtx, kExportWindows, "frankenstein-heldout.txt");
}

// Perplexity over `windows`, each block adjusted first when `adjust` is given.
inline double exportPerplexity(const LlamaModel& model, const TokenBatch& windows,
                               std::function<void(DecoderBlockWeights&)> adjust = {}) {
    PerplexityOptions o;
    o.ctx = windows.longest();
    o.adjustBlock = std::move(adjust);
    return evaluatePerplexity(model, windows, o).ppl;
}

// Integer RTN groups of 128, symmetric unless said.
inline QuantSpec groupSpec(int bits, bool symmetric = true) {
    QuantSpec s;
    s.bits = bits;
    s.granularity = Granularity::PerGroup;
    s.groupSize = 128;
    s.symmetric = symmetric;
    return s;
}

// The export options of a uniform plan of `spec` (dtype unset: the model's own).
inline ExportOptions exportOptionsFor(const QuantSpec& spec, std::optional<DType> dtype) {
    ExportOptions o;
    o.dtype = dtype;
    o.planLabel = quantPlanLabel(uniformPlan(spec));
    o.plan = quantPlanToJson(uniformPlan(spec));
    return o;
}

// Each block of `model`, fake-quantized by `spec`; `model` must outlive it.
inline QuantizedBlockSource fakeBlocks(const LlamaModel& model, const QuantSpec& spec) {
    return [&model, spec](int b) {
        DecoderBlockWeights w = model.loadBlock(b);
        applyPlanToBlock(uniformPlan(spec), w);
        return w;
    };
}

// Each layer's RTN codes and grids, for a packed export.
inline QuantizedLayerSource rtnLayers(const LlamaModel& model, const QuantSpec& spec) {
    return [&model, spec](int b, Projection p) {
        return rtnLayerCodes(model.loadBlock(b)[p], spec, linearTensorName(b, int(p)));
    };
}

// What a re-opened GPTQ export computes with: RTN codes on grids whose
// scales are rounded to F16 as stored.
inline void toStoredGrids(const QuantSpec& spec, DecoderBlockWeights& w) {
    for (int p = 0; p < kProjectionCount; ++p) {
        LinearWeights& l = w.linear[size_t(p)];
        const GptqResult r = rtnLayerCodes(l, spec, "test");
        for (int64_t row = 0; row < r.outFeatures; ++row)
            for (int64_t c = 0; c < r.inFeatures; ++c) {
                const size_t i = size_t(row * r.inFeatures + c);
                const IntGrid g = gptqStoredGrid(r.grids[size_t(r.gIdx[size_t(c)] * r.outFeatures + row)]);
                l.w[i] = dequantizeCode(r.codes[i], g);
            }
    }
}

}  // namespace qs::test
