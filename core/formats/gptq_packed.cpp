#include "formats/gptq_packed.h"

#include <algorithm>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "cpu/gptq_packing.h"
#include "formats/checkpoint.h"
#include "formats/format_error.h"

namespace qs {

namespace {

const std::string kQweight = ".qweight";

struct GptqSettings {
    int bits = 4;
    int64_t groupSize = -1;  // -1: one group over all inputs
    int zeroOffset = 1;
};

GptqSettings readSettings(const nlohmann::json& q, const std::string& configPath) {
    GptqSettings s;
    if (!q.contains("bits") || !q["bits"].is_number_integer())
        throw FormatError(configPath, "quantization_config: \"bits\" is missing or not an integer");
    s.bits = q["bits"].get<int>();
    if (!gptqSupportedBits(s.bits))
        throw FormatError(configPath, "quantization_config: GPTQ with " + std::to_string(s.bits) +
                                          " bits is not supported (2, 3, 4 and 8 are)");
    if (q.contains("group_size")) {
        if (!q["group_size"].is_number_integer() || q["group_size"].get<int64_t>() == 0 || q["group_size"].get<int64_t>() < -1)
            throw FormatError(configPath, "quantization_config: \"group_size\" must be -1 or a positive integer");
        s.groupSize = q["group_size"].get<int64_t>();
    }
    if (q.contains("checkpoint_format") && !q["checkpoint_format"].is_string())
        throw FormatError(configPath, "quantization_config: \"checkpoint_format\" is not a string");
    const std::string format = q.value("checkpoint_format", std::string(kGptqFormatV1));
    if (format != kGptqFormatV1 && format != kGptqFormatV2)
        throw FormatError(configPath, "quantization_config: unknown checkpoint_format \"" + format + "\"");
    s.zeroOffset = format == kGptqFormatV1 ? 1 : 0;
    return s;
}

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// The tensor `name`, which must exist with this dtype and shape.
const TensorView& part(const Checkpoint& ckpt, const std::string& name, DType dtype, const std::vector<int64_t>& shape) {
    const TensorView* t = ckpt.find(name);
    if (!t) throw FormatError(ckpt.path, "GPTQ tensor " + name + " is missing");
    if (t->dtype != dtype || t->shape != shape)
        throw FormatError(ckpt.path, "GPTQ tensor " + name + " is " + std::string(dtypeName(t->dtype)) + " " +
                                         shapeText(t->shape) + " but " + std::string(dtypeName(dtype)) + " " +
                                         shapeText(shape) + " is expected");
    return *t;
}

DType packedDtype(int bits) {
    switch (bits) {
    case 2: return DType::Gptq2;
    case 3: return DType::Gptq3;
    case 4: return DType::Gptq4;
    default: return DType::Gptq8;
    }
}

// One logical weight from the parts of `prefix` (qweight, scales, qzeros,
// and g_idx when the checkpoint has one).
TensorView packedWeight(const Checkpoint& ckpt, const std::string& prefix, const GptqSettings& s) {
    const TensorView& qweight = ckpt.at(prefix + kQweight);
    if (qweight.dtype != DType::I32 || qweight.shape.size() != 2)
        throw FormatError(ckpt.path, "GPTQ tensor " + qweight.name + " must be a 2-D I32 tensor");
    // 3-bit codes come in blocks of 32 per 3 words: qweight's rows must be a multiple of 3.
    if (qweight.shape[0] * 32 % s.bits != 0)
        throw FormatError(ckpt.path, "GPTQ tensor " + qweight.name + ": " + std::to_string(qweight.shape[0]) +
                                         " rows of words do not hold whole blocks of " + std::to_string(s.bits) +
                                         "-bit codes");
    const int64_t in = qweight.shape[0] * 32 / s.bits, out = qweight.shape[1];
    if (!gptqPackable(out, s.bits))
        throw FormatError(ckpt.path, "GPTQ tensor " + qweight.name + ": " + std::to_string(out) +
                                         " outputs do not fill whole words of packed " + std::to_string(s.bits) +
                                         "-bit zeros");
    const TensorView* scalesTensor = ckpt.find(prefix + ".scales");
    const int64_t groups = scalesTensor && scalesTensor->shape.size() == 2 ? scalesTensor->shape[0] : 0;
    const TensorView& scales = part(ckpt, prefix + ".scales", DType::F16, {std::max<int64_t>(groups, 1), out});
    const TensorView& qzeros = part(ckpt, prefix + ".qzeros", DType::I32, {groups, gptqPackedWords(out, s.bits)});

    TensorView w;
    w.name = prefix + ".weight";
    w.dtype = packedDtype(s.bits);
    w.shape = {out, in};
    w.data = qweight.data;
    w.nbytes = qweight.nbytes;
    w.scales = scales.data;
    w.groupSize = s.groupSize == -1 ? in : s.groupSize;
    w.gptq.qzeros = qzeros.data;
    w.gptq.zeroOffset = s.zeroOffset;
    if (ckpt.find(prefix + ".g_idx")) {
        const TensorView& gIdx = part(ckpt, prefix + ".g_idx", DType::I32, {in});
        for (int64_t c = 0; c < in; ++c) {
            int32_t g;
            std::memcpy(&g, gIdx.data + c * 4, 4);
            if (g < 0 || g >= groups)
                throw FormatError(ckpt.path, "GPTQ tensor " + gIdx.name + ": input " + std::to_string(c) +
                                                 " names group " + std::to_string(g) + " of " + std::to_string(groups));
        }
        w.gptq.gIdx = gIdx.data;
    } else if ((in + w.groupSize - 1) / w.groupSize != groups) {
        throw FormatError(ckpt.path, "GPTQ tensor " + scales.name + " has " + std::to_string(groups) + " groups but " +
                                         std::to_string(in) + " inputs in groups of " + std::to_string(w.groupSize) +
                                         " need " + std::to_string((in + w.groupSize - 1) / w.groupSize));
    }
    return w;
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void presentGptqPackedWeights(Checkpoint& ckpt, const nlohmann::json& config, const std::string& configPath) {
    if (!config.contains("quantization_config")) return;
    const auto& q = config["quantization_config"];
    if (!q.is_object() || !q.contains("quant_method") || q["quant_method"] != "gptq") return;
    const GptqSettings s = readSettings(q, configPath);

    // Each packed set becomes one weight where its qweight was, keeping the file's order.
    std::set<std::string> parts;
    for (const TensorView& t : ckpt.tensors()) {
        if (!endsWith(t.name, kQweight)) continue;
        const std::string prefix = t.name.substr(0, t.name.size() - kQweight.size());
        if (ckpt.find(prefix + ".weight"))
            throw FormatError(ckpt.path, "tensor " + prefix + " is stored both packed (qweight) and as a plain weight");
        for (const char* suffix : {".qzeros", ".scales", ".g_idx"}) parts.insert(prefix + suffix);
    }
    std::vector<TensorView> presented;
    for (const TensorView& t : ckpt.tensors()) {
        if (endsWith(t.name, kQweight))
            presented.push_back(packedWeight(ckpt, t.name.substr(0, t.name.size() - kQweight.size()), s));
        else if (!parts.count(t.name))
            presented.push_back(t);
    }
    ckpt.replaceTensors(std::move(presented));
}

}  // namespace qs
