#include "model/memory_estimate.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace qs {

namespace {

constexpr int64_t kF32 = 4, kF64 = 8;

int64_t blockParameters(const ModelConfig& c) {
    const int64_t qDim = c.numHeads * c.headDim, kvDim = c.numKvHeads * c.headDim;
    const int64_t attention = c.hiddenSize * qDim * 2 + c.hiddenSize * kvDim * 2;  // q, o; k, v
    const int64_t mlp = 3 * c.hiddenSize * c.intermediateSize;                     // gate, up, down
    return attention + mlp + 2 * c.hiddenSize;                                     // + the two RMSNorm weights
}

// The input sites of a block's linears ([tokens, in] each): q/k/v share the
// hidden-width input, o reads the attention output, gate/up share the hidden
// width again, down reads the intermediate width.
int64_t siteInputColumns(const ModelConfig& c) {
    return c.hiddenSize + c.numHeads * c.headDim + c.hiddenSize + c.intermediateSize;
}

// GiB, or MiB below one GiB, so small models' parts do not all read 0.00.
std::string sizeText(int64_t bytes) {
    char s[32];
    if (bytes >= int64_t(1) << 30)
        std::snprintf(s, sizeof s, "%.2f GiB", double(bytes) / double(int64_t(1) << 30));
    else
        std::snprintf(s, sizeof s, "%.1f MiB", double(bytes) / double(1 << 20));
    return s;
}

}  // namespace

int64_t methodWorkingSetBytes(const ModelConfig& c, QuantMethod method, int64_t tokens) {
    const int64_t maxIn = std::max({c.hiddenSize, c.numHeads * c.headDim, c.intermediateSize});
    switch (method) {
    case QuantMethod::Rtn: return 0;
    case QuantMethod::Gptq:
        // quant/gptq_block.cpp keeps the stage's Hessian [in, in] float64 while
        // quant/gptq.cpp factors its own copy in place (Cholesky) and builds U
        // [in, in]: three [in, in] float64, plus the layer's weights in float64.
        // The largest is down_proj (in = intermediate, out = hidden).
        return 3 * maxIn * maxIn * kF64 + c.hiddenSize * c.intermediateSize * kF64;
    case QuantMethod::Awq:
    case QuantMethod::SmoothQuant:
    case QuantMethod::BiSmooth: {
        // quant/block_calibration.h keeps every input site [tokens, in]
        // float32; quant/smoothing_groups.cpp's error meter keeps the reference
        // outputs [tokens, out] of the group it searches (largest: gate + up)
        // and the candidate weights; per-channel statistics are two float64 per column.
        const int64_t sites = tokens * siteInputColumns(c) * kF32;
        const int64_t gateUp = 2 * c.intermediateSize;
        const int64_t search = tokens * gateUp * kF32 + gateUp * c.hiddenSize * kF32;
        const int64_t stats = 2 * maxIn * kF64;
        return sites + search + stats;
    }
    }
    return 0;
}

int64_t WorkingSet::total() const { return hidden + std::max(blocks + scratch + attention + method, head); }

WorkingSet estimateWorkingSet(const ModelConfig& c, const WorkingSetRequest& r) {
    const int64_t weightBytes = dtypeByteSize(r.weights, 1);
    if (weightBytes <= 0)
        throw std::invalid_argument("a working-set estimate needs blocks held in a plain dtype, not " +
                                    std::string(dtypeName(r.weights)));
    const int64_t qDim = c.numHeads * c.headDim, kvDim = c.numKvHeads * c.headDim;
    const int64_t chunk = std::min(r.chunkRows, r.tokens);
    WorkingSet w;
    w.blocks = 2 * blockParameters(c) * weightBytes;
    w.hidden = r.tokens * c.hiddenSize * kF32;
    w.scratch = chunk * (c.hiddenSize + 2 * qDim + 2 * kvDim + 2 * c.intermediateSize) * kF32;
    w.attention = c.numHeads * r.longestSequence * r.longestSequence * kF32;
    for (QuantMethod m : r.methods) w.method = std::max(w.method, methodWorkingSetBytes(c, m, r.tokens));
    // layer_major.cpp's head chunk: rows bounded by the logits budget and chunkRows.
    const int64_t headRows =
        std::min(r.tokens, std::max<int64_t>(1, std::min(r.chunkRows, r.logitsChunkBytes / (c.vocabSize * kF32))));
    w.head = (c.vocabSize + 1) * c.hiddenSize * weightBytes + headRows * (c.hiddenSize + c.vocabSize) * kF32;
    return w;
}

std::string workingSetLine(const WorkingSet& w) {
    return "peak working set ≈ " + sizeText(w.total()) + ": blocks " + sizeText(w.blocks) + ", hidden " +
           sizeText(w.hidden) + ", scratch " + sizeText(w.scratch + w.attention) + ", method " + sizeText(w.method) +
           " (head phase " + sizeText(w.head) + ")";
}

nlohmann::json workingSetJson(const WorkingSet& w) {
    return {{"total_bytes", w.total()},     {"blocks_bytes", w.blocks}, {"hidden_bytes", w.hidden},
            {"scratch_bytes", w.scratch},   {"attention_bytes", w.attention}, {"method_bytes", w.method},
            {"head_bytes", w.head}};
}

}  // namespace qs
