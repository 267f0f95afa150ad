#include "quant/export_rotary_order.h"

#include <algorithm>

namespace qs {

namespace {

template <typename T>
std::vector<T> rowsInOrder(const std::vector<T>& m, int64_t cols, const std::vector<int64_t>& order) {
    std::vector<T> out(m.size());
    for (size_t r = 0; r < order.size(); ++r)
        std::copy_n(m.begin() + order[r] * cols, cols, out.begin() + int64_t(r) * cols);
    return out;
}

}  // namespace

std::vector<int64_t> interleavedToHalvesRows(int64_t heads, int64_t headDim) {
    std::vector<int64_t> order;
    order.reserve(size_t(heads * headDim));
    for (int64_t h = 0; h < heads; ++h)
        for (int64_t t = 0; t < 2; ++t)
            for (int64_t i = 0; i < headDim / 2; ++i) order.push_back(h * headDim + 2 * i + t);
    return order;
}

std::optional<std::vector<int64_t>> exportRowOrder(const ModelConfig& config, int projection) {
    if (!config.ropeInterleaved || projection > 1) return std::nullopt;  // kProjections: q = 0, k = 1
    return interleavedToHalvesRows(projection == 0 ? config.numHeads : config.numKvHeads, config.headDim);
}

std::vector<float> reorderRows(const std::vector<float>& w, int64_t cols, const std::vector<int64_t>& order) {
    return rowsInOrder(w, cols, order);
}

void reorderRows(GptqResult& layer, const std::vector<int64_t>& order) {
    layer.codes = rowsInOrder(layer.codes, layer.inFeatures, order);
    if (!layer.dequantized.empty()) layer.dequantized = rowsInOrder(layer.dequantized, layer.inFeatures, order);
    // grids are [groups, out]: within each group, one grid per row.
    std::vector<IntGrid> grids(layer.grids.size());
    for (int64_t g = 0; g < layer.groups; ++g)
        for (size_t r = 0; r < order.size(); ++r)
            grids[size_t(g * layer.outFeatures) + r] = layer.grids[size_t(g * layer.outFeatures + order[r])];
    layer.grids = std::move(grids);
}

}  // namespace qs
