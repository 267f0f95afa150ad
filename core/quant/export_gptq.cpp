#include "quant/export_gptq.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

#include "cpu/gptq_packing.h"
#include "formats/format_error.h"
#include "formats/gptq_packed.h"
#include "formats/staged_directory.h"
#include "formats/tensor_names.h"
#include "quant/export_rotary_order.h"
#include "quant/export_tokenizer.h"

namespace fs = std::filesystem;

namespace qs {

namespace {

const char* const kPartSuffixes[] = {".qweight", ".qzeros", ".scales", ".g_idx"};

template <typename T>
std::vector<std::byte> asBytes(const std::vector<T>& v) {
    std::vector<std::byte> out(v.size() * sizeof(T));
    std::memcpy(out.data(), v.data(), out.size());
    return out;
}

void checkLayer(const GptqResult& r, const GptqLayout& layout, const TensorView& source, const std::string& name) {
    auto bad = [&](const std::string& problem) { return FormatError(name, problem); };
    const int64_t out = source.rows(), in = source.cols();
    if (r.outFeatures != out || r.inFeatures != in)
        throw bad("codes are " + std::to_string(r.outFeatures) + " x " + std::to_string(r.inFeatures) +
                  " but the weight is " + std::to_string(out) + " x " + std::to_string(in));
    const int64_t groups = layout.groupSize > 0 ? in / layout.groupSize : 1;
    if (r.groups != groups || static_cast<int64_t>(r.grids.size()) != groups * out)
        throw bad(std::to_string(r.groups) + " groups of grids given, the layout needs " + std::to_string(groups));
    if (static_cast<int64_t>(r.codes.size()) != out * in || static_cast<int64_t>(r.gIdx.size()) != in)
        throw bad("codes or g_idx do not match the weight's shape");
    const int maxq = (1 << layout.bits) - 1;
    for (const IntGrid& g : r.grids) {
        if (g.maxq != maxq) throw bad("a grid has " + std::to_string(g.maxq + 1) + " levels, not " + std::to_string(maxq + 1));
        if (g.zero != std::nearbyint(g.zero) || g.zero < 0 || g.zero > maxq)
            throw bad("zero point " + std::to_string(g.zero) + " is not an integer in 0.." + std::to_string(maxq));
        if (layout.symmetric && g.zero != double(1 << (layout.bits - 1)))
            throw bad("a symmetric layout needs every zero at " + std::to_string(1 << (layout.bits - 1)));
        if (!std::isfinite(gptqStoredGrid(g).scale)) throw bad("scale " + std::to_string(g.scale) + " overflows F16");
    }
    for (int32_t g : r.gIdx)
        if (g < 0 || g >= groups) throw bad("g_idx names group " + std::to_string(g) + " of " + std::to_string(groups));
    for (uint8_t c : r.codes)
        if (c > maxq) throw bad("code " + std::to_string(c) + " exceeds " + std::to_string(maxq));
}

// Packs one layer's four parts; zeroOffset is subtracted from stored zeros
// (1 in the classic format).
std::map<std::string, std::vector<std::byte>> packLayer(const GptqResult& r, const GptqLayout& layout, int zeroOffset) {
    std::vector<uint32_t> qweight(static_cast<size_t>(gptqPackedWords(r.inFeatures, layout.bits) * r.outFeatures));
    packGptqWeight(r.codes.data(), r.outFeatures, r.inFeatures, layout.bits, qweight.data());
    std::vector<uint32_t> zeros(r.grids.size());
    std::vector<uint16_t> scales(r.grids.size());
    for (size_t i = 0; i < r.grids.size(); ++i) {
        zeros[i] = static_cast<uint32_t>(r.grids[i].zero) - static_cast<uint32_t>(zeroOffset);
        scales[i] = floatToF16(static_cast<float>(r.grids[i].scale));
    }
    std::vector<uint32_t> qzeros(static_cast<size_t>(r.groups * gptqPackedWords(r.outFeatures, layout.bits)));
    packGptqZeros(zeros.data(), r.groups, r.outFeatures, layout.bits, qzeros.data());
    return {{".qweight", asBytes(qweight)}, {".qzeros", asBytes(qzeros)}, {".scales", asBytes(scales)},
            {".g_idx", asBytes(r.gIdx)}};
}

// The writer asks for parts in its own order (all int32 parts first, then
// the F16 scales); each layer is computed and packed once, and a part is
// dropped once written, so only the small scales wait for their turn.
class PackedParts {
public:
    PackedParts(const QuantizedLayerSource& source, const GptqLayout& layout, int zeroOffset, const ModelConfig& config)
        : source_(source), layout_(layout), zeroOffset_(zeroOffset), config_(config) {}

    std::vector<std::byte> take(const LinearName& linear, const TensorView& weight, const std::string& prefix,
                                const std::string& suffix) {
        auto it = pending_.find(prefix);
        if (it == pending_.end()) {
            GptqResult r = source_(linear.block, static_cast<Projection>(linear.projection));
            checkLayer(r, layout_, weight, weight.name);
            if (const auto order = exportRowOrder(config_, linear.projection)) reorderRows(r, *order);
            it = pending_.emplace(prefix, packLayer(r, layout_, zeroOffset_)).first;
        }
        std::vector<std::byte> bytes = std::move(it->second.at(suffix));
        it->second.erase(suffix);
        if (it->second.empty()) pending_.erase(it);
        return bytes;
    }

private:
    const QuantizedLayerSource& source_;
    GptqLayout layout_;
    int zeroOffset_;
    ModelConfig config_;
    std::map<std::string, std::map<std::string, std::vector<std::byte>>> pending_;
};

nlohmann::json quantizeConfigJson(const GptqLayout& layout, const char* checkpointFormat) {
    return {{"quant_method", "gptq"},
            {"bits", layout.bits},
            {"group_size", layout.groupSize > 0 ? layout.groupSize : -1},
            {"desc_act", layout.actOrder},
            {"sym", layout.symmetric},
            {"static_groups", layout.staticGroups},
            {"true_sequential", true},
            {"damp_percent", layout.damp},
            {"checkpoint_format", checkpointFormat},
            {"model_file_base_name", "model"}};
}

}  // namespace

GptqLayout gptqLayoutFor(const QuantSpec& spec) {
    if (spec.format != WeightFormat::Int) throw std::invalid_argument("a GPTQ export needs integer weights, not FP8");
    if (!gptqSupportedBits(spec.bits))
        throw std::invalid_argument("a GPTQ export packs 2, 3, 4 or 8 bits, not " + std::to_string(spec.bits));
    GptqLayout l;
    l.bits = spec.bits;
    l.groupSize = spec.granularity == Granularity::PerGroup ? spec.groupSize : 0;
    l.symmetric = spec.symmetric;
    l.actOrder = spec.method == QuantMethod::Gptq && spec.gptq.actOrder;
    l.staticGroups = spec.method == QuantMethod::Gptq && spec.gptq.staticGroups;
    l.damp = spec.gptq.damp;
    return l;
}

IntGrid gptqStoredGrid(const IntGrid& g) {
    IntGrid stored = g;
    stored.scale = f16ToFloat(floatToF16(static_cast<float>(g.scale)));
    return stored;
}

void checkGptqShapes(const Checkpoint& src, const GptqLayout& layout) {
    for (const TensorView& t : src.tensors()) {
        if (!parseLinearName(t.name)) continue;
        const int64_t out = t.rows(), in = t.cols();
        // AutoGPTQ packs 3-bit codes 32 to 3 words: both dimensions must then be multiples of 32.
        if (!gptqPackable(in, layout.bits) || !gptqPackable(out, layout.bits) ||
            (layout.groupSize > 0 && in % layout.groupSize != 0))
            throw FormatError(src.path, t.name + " is " + std::to_string(out) + " x " + std::to_string(in) +
                                            ", which does not pack into " + std::to_string(layout.bits) +
                                            "-bit GPTQ words (both dimensions multiples of " +
                                            std::to_string(layout.bits == 3 ? 32 : 32 / layout.bits) +
                                            ") with groups of " +
                                            std::to_string(layout.groupSize > 0 ? layout.groupSize : in));
    }
}

void writeGptqExport(const Checkpoint& src, const QuantizedLayerSource& layers, const GptqLayout& layout,
                     const ExportOptions& options, const std::string& outDir) {
    if (!gptqSupportedBits(layout.bits))
        throw std::invalid_argument("a GPTQ export packs 2, 3, 4 or 8 bits, not " + std::to_string(layout.bits));
    checkGptqShapes(src, layout);
    const DType dtype = exportDtype(src, options);
    const char* checkpointFormat = layout.symmetric ? kGptqFormatV1 : kGptqFormatV2;
    StagedDirectory stage(outDir, options.overwrite);

    auto parts = std::make_shared<PackedParts>(layers, layout, layout.symmetric ? 1 : 0, src.config);
    std::vector<SafetensorsTensor> tensors;
    for (const TensorView& t : src.tensors()) {
        const auto linear = parseLinearName(t.name);
        if (!linear) {
            tensors.push_back(sourceTensorAs(t, dtype));
            continue;
        }
        const int64_t out = t.rows(), in = t.cols();
        const int64_t groups = layout.groupSize > 0 ? in / layout.groupSize : 1;
        const std::string prefix = t.name.substr(0, t.name.size() - std::string(".weight").size());
        const std::map<std::string, std::pair<DType, std::vector<int64_t>>> shapes = {
            {".qweight", {DType::I32, {gptqPackedWords(in, layout.bits), out}}},
            {".qzeros", {DType::I32, {groups, gptqPackedWords(out, layout.bits)}}},
            {".scales", {DType::F16, {groups, out}}},
            {".g_idx", {DType::I32, {in}}}};
        for (const char* suffix : kPartSuffixes) {
            const auto& [partType, shape] = shapes.at(suffix);
            SafetensorsTensor part{prefix + suffix, partType, shape, {}, {}};
            part.produce = [parts, lin = *linear, view = &t, prefix, s = std::string(suffix)] {
                return parts->take(lin, *view, prefix, s);
            };
            tensors.push_back(std::move(part));
        }
    }
    writeSafetensorsFile((fs::path(stage.path()) / "model.safetensors").string(), std::move(tensors), {{"format", "pt"}});

    nlohmann::json config = exportConfigJson(src, dtype);
    nlohmann::json quantization = quantizeConfigJson(layout, checkpointFormat);
    writeJsonFile((fs::path(stage.path()) / "quantize_config.json").string(), quantization);
    quantization.erase("model_file_base_name");
    config["quantization_config"] = quantization;
    writeJsonFile((fs::path(stage.path()) / "config.json").string(), config);
    writeExportTokenizer(src, stage.path());
    writeQuantizationRecord(stage.path(), "gptq", dtype, options);
    stage.commit();
}

}  // namespace qs
