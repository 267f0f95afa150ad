#include "quant/quant_spec.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

namespace qs {

namespace {

using json = nlohmann::json;

// JSON spellings of the enums, in enum order.
constexpr std::array<std::string_view, 2> kWeightFormats = {"int", "fp8_e4m3"};
constexpr std::array<std::string_view, 3> kGranularities = {"per_tensor", "per_channel", "per_group"};
constexpr std::array<std::string_view, 5> kMethods = {"rtn", "gptq", "awq", "smoothquant", "bismooth"};
constexpr std::array<std::string_view, 5> kMethodLabels = {"RTN", "GPTQ", "AWQ", "SmoothQuant", "BiSmooth"};
constexpr std::array<std::string_view, 3> kActivationFormats = {"none", "int8", "fp8_e4m3"};
constexpr std::array<int, 4> kGroupSizes = {32, 64, 128, 256};

template <size_t N>
std::string choices(const std::array<std::string_view, N>& names) {
    std::string s;
    for (auto n : names) s += (s.empty() ? "" : ", ") + std::string(n);
    return s;
}

template <typename E, size_t N>
E enumFromJson(const json& j, const char* key, const std::array<std::string_view, N>& names) {
    if (j.is_string())
        for (size_t i = 0; i < N; ++i)
            if (j.get<std::string>() == names[i]) return E(i);
    throw std::invalid_argument(std::string(key) + " must be one of " + choices(names) + ", got " + j.dump());
}

// The members of object j; any key not in `known` is an error (a typo would
// otherwise silently keep the default).
void checkKeys(const json& j, const char* where, std::initializer_list<std::string_view> known) {
    if (!j.is_object()) throw std::invalid_argument(std::string(where) + " must be an object, got " + j.dump());
    for (const auto& [key, value] : j.items()) {
        bool ok = false;
        for (auto k : known) ok = ok || key == k;
        if (!ok) throw std::invalid_argument(std::string(where) + ": unknown key \"" + key + "\"");
    }
}

int intFrom(const json& j, const char* key) {
    if (!j.is_number_integer()) throw std::invalid_argument(std::string(key) + " must be an integer, got " + j.dump());
    // get<int> would wrap 4294967300 to 4: out of int's range is out of every knob's range.
    const bool fits = j.is_number_unsigned() ? j.get<uint64_t>() <= uint64_t(std::numeric_limits<int>::max())
                                             : j.get<int64_t>() >= std::numeric_limits<int>::min() &&
                                                   j.get<int64_t>() <= std::numeric_limits<int>::max();
    if (!fits) throw std::invalid_argument(std::string(key) + " is out of range: " + j.dump());
    return j.get<int>();
}
double numberFrom(const json& j, const char* key) {
    if (!j.is_number()) throw std::invalid_argument(std::string(key) + " must be a number, got " + j.dump());
    return j.get<double>();
}
bool boolFrom(const json& j, const char* key) {
    if (!j.is_boolean()) throw std::invalid_argument(std::string(key) + " must be true or false, got " + j.dump());
    return j.get<bool>();
}

std::string granularityLabel(const QuantSpec& s) {
    switch (s.granularity) {
    case Granularity::PerTensor: return "per-tensor";
    case Granularity::PerChannel: return "per-channel";
    case Granularity::PerGroup: return "g" + std::to_string(s.groupSize);
    }
    return {};
}

}  // namespace

std::string_view methodName(QuantMethod m) { return kMethods[size_t(m)]; }

json activationSpecToJson(const ActivationSpec& a) {
    json j = {{"format", kActivationFormats[size_t(a.format)]}, {"granularity", a.perToken ? "per_token" : "per_tensor"}};
    if (a.scale) j["scale"] = *a.scale;
    return j;
}

ActivationSpec activationSpecFromJson(const json& a, const ActivationSpec& base) {
    ActivationSpec s = base;
    checkKeys(a, "activation", {"format", "granularity", "scale"});
    if (a.contains("format"))
        s.format = enumFromJson<ActivationFormat>(a["format"], "activation.format", kActivationFormats);
    if (a.contains("granularity")) {
        constexpr std::array<std::string_view, 2> kActGranularities = {"per_token", "per_tensor"};
        s.perToken = enumFromJson<int>(a["granularity"], "activation.granularity", kActGranularities) == 0;
    }
    if (a.contains("scale")) s.scale = numberFrom(a["scale"], "activation.scale");
    return s;
}

json quantSpecToJson(const QuantSpec& s) {
    json weight = {{"format", kWeightFormats[size_t(s.format)]},
                   {"bits", s.bits},
                   {"symmetric", s.symmetric},
                   {"granularity", kGranularities[size_t(s.granularity)]},
                   {"group_size", s.groupSize}};
    return {{"method", methodName(s.method)},
            {"weight", weight},
            {"activation", activationSpecToJson(s.activation)},
            {"smoothquant", {{"alpha", s.smoothAlpha}}},
            {"gptq",
             {{"damp", s.gptq.damp},
              {"block_size", s.gptq.blockSize},
              {"act_order", s.gptq.actOrder},
              {"static_groups", s.gptq.staticGroups}}}};
}

QuantSpec quantSpecFromJson(const json& j, const QuantSpec& base) {
    QuantSpec s = base;
    checkKeys(j, "spec", {"method", "weight", "activation", "smoothquant", "gptq"});
    if (j.contains("method")) s.method = enumFromJson<QuantMethod>(j["method"], "method", kMethods);
    if (j.contains("weight")) {
        const json& w = j["weight"];
        checkKeys(w, "weight", {"format", "bits", "symmetric", "granularity", "group_size"});
        if (w.contains("format")) s.format = enumFromJson<WeightFormat>(w["format"], "weight.format", kWeightFormats);
        if (s.format == WeightFormat::F8E4M3) s.bits = 8;
        if (w.contains("bits")) s.bits = intFrom(w["bits"], "weight.bits");
        if (w.contains("symmetric")) s.symmetric = boolFrom(w["symmetric"], "weight.symmetric");
        if (w.contains("granularity"))
            s.granularity = enumFromJson<Granularity>(w["granularity"], "weight.granularity", kGranularities);
        // A group size alone means per-group: {"group_size": 64} is what one writes.
        if (w.contains("group_size")) {
            s.groupSize = intFrom(w["group_size"], "weight.group_size");
            if (!w.contains("granularity")) s.granularity = Granularity::PerGroup;
        }
    }
    if (j.contains("activation")) s.activation = activationSpecFromJson(j["activation"], s.activation);
    if (j.contains("smoothquant")) {
        const json& q = j["smoothquant"];
        checkKeys(q, "smoothquant", {"alpha"});
        if (q.contains("alpha")) s.smoothAlpha = numberFrom(q["alpha"], "smoothquant.alpha");
    }
    if (j.contains("gptq")) {
        const json& g = j["gptq"];
        checkKeys(g, "gptq", {"damp", "block_size", "act_order", "static_groups"});
        if (g.contains("damp")) s.gptq.damp = numberFrom(g["damp"], "gptq.damp");
        if (g.contains("block_size")) s.gptq.blockSize = intFrom(g["block_size"], "gptq.block_size");
        if (g.contains("act_order")) s.gptq.actOrder = boolFrom(g["act_order"], "gptq.act_order");
        if (g.contains("static_groups")) s.gptq.staticGroups = boolFrom(g["static_groups"], "gptq.static_groups");
    }
    return s;
}

std::string quantSpecLabel(const QuantSpec& s) {
    const bool fp8 = s.format == WeightFormat::F8E4M3;
    std::ostringstream out;
    out << "W" << s.bits;
    if (s.activation.format == ActivationFormat::None) {
        out << (fp8 ? " FP8 " : " ") << granularityLabel(s);
        if (!fp8 && !s.symmetric) out << " asym";
        out << " " << kMethodLabels[size_t(s.method)];
        return out.str();
    }
    const std::string weightType = fp8 ? "FP8" : "INT" + std::to_string(s.bits);
    const std::string actType = s.activation.format == ActivationFormat::Int8 ? "INT8" : "FP8";
    out << "A8 " << (weightType == actType ? weightType : weightType + "/" + actType);
    out << " " << granularityLabel(s) << (s.activation.perToken ? "/per-token" : "/per-tensor");
    if (!fp8 && !s.symmetric) out << " asym";
    if (s.method != QuantMethod::Rtn) out << " " << kMethodLabels[size_t(s.method)];
    return out.str();
}

std::string quantSpecProblem(const QuantSpec& s, int64_t inFeatures) {
    std::ostringstream p;
    if (s.format == WeightFormat::Int && (s.bits < 2 || s.bits > 8))
        p << "bits " << s.bits << " out of range 2..8";
    else if (s.format == WeightFormat::F8E4M3 && s.bits != 8)
        p << "fp8_e4m3 weights have 8 bits, not " << s.bits;
    else if (s.format == WeightFormat::F8E4M3 && s.granularity == Granularity::PerGroup)
        p << "fp8_e4m3 weights are scaled per tensor or per channel, not per group";
    else if (s.granularity == Granularity::PerGroup &&
             std::find(kGroupSizes.begin(), kGroupSizes.end(), s.groupSize) == kGroupSizes.end())
        p << "group_size " << s.groupSize << " is not one of 32, 64, 128, 256";
    else if (s.activation.scale && !(std::isfinite(*s.activation.scale) && *s.activation.scale > 0))
        p << "activation scale " << *s.activation.scale << " must be positive";
    else if (!(s.smoothAlpha >= 0 && s.smoothAlpha <= 1))
        p << "smoothquant alpha " << s.smoothAlpha << " out of range 0..1";
    else if (!(s.gptq.damp > 0 && s.gptq.damp < 1))
        p << "gptq damp " << s.gptq.damp << " out of range (0, 1)";
    else if (s.gptq.blockSize <= 0)
        p << "gptq block_size " << s.gptq.blockSize << " must be positive";
    else if (inFeatures > 0 && s.granularity == Granularity::PerGroup && inFeatures % s.groupSize != 0)
        p << "group_size " << s.groupSize << " does not divide " << inFeatures;
    return p.str();
}

void validateQuantSpec(const QuantSpec& s, const std::string& layer, int64_t inFeatures) {
    const std::string problem = quantSpecProblem(s, inFeatures);
    if (!problem.empty()) throw std::invalid_argument(layer + ": " + problem);
}

}  // namespace qs
