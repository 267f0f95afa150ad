#include "quant/quant_plan.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "formats/format_error.h"
#include "formats/staged_directory.h"
#include "formats/tensor_names.h"
#include "quant/json_text_positions.h"

namespace qs {

namespace {

using json = nlohmann::json;

constexpr std::string_view kLmHead = "lm_head.weight";


std::string entryName(const QuantPlan& plan, int index) {
    std::string s = "overrides[" + std::to_string(index) + "]";
    if (const int line = plan.overrides[size_t(index)].line; line > 0) s += " (line " + std::to_string(line) + ")";
    return s;
}

bool wholeMatch(const std::string& regex, std::string_view name) {
    return std::regex_match(name.begin(), name.end(), std::regex(regex, std::regex::ECMAScript));
}

bool matches(const QuantOverride& o, std::string_view name) {
    return o.regex.empty() ? name == o.name : wholeMatch(o.regex, name);
}

bool isQuantizable(std::string_view name) { return name == kLmHead || parseLinearName(name).has_value(); }

// The override deciding `name` (the last that matches), or -1 for the default.
int decidingOverride(const QuantPlan& plan, std::string_view name) {
    for (int i = int(plan.overrides.size()) - 1; i >= 0; --i)
        if (matches(plan.overrides[size_t(i)], name)) return i;
    return -1;
}

bool skipped(const QuantPlan& plan, std::string_view name) {
    for (const auto& r : plan.skip)
        if (wholeMatch(r, name)) return true;
    return false;
}

// A regex that does not compile is reported where it was written.
void checkRegex(const std::string& regex, const std::string& where) {
    try {
        std::regex(regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        throw std::invalid_argument((where.empty() ? "" : where + ": ") + "bad regex \"" + regex + "\": " + e.what());
    }
}

QuantOverride overrideFromJson(const json& e, const QuantSpec& defaultSpec) {
    if (!e.is_object()) throw std::invalid_argument("must be an object, got " + e.dump());
    QuantOverride o;
    if (e.contains("name") == e.contains("regex")) throw std::invalid_argument("needs exactly one of \"name\" or \"regex\"");
    const json& pattern = e.contains("name") ? e["name"] : e["regex"];
    if (!pattern.is_string() || pattern.get<std::string>().empty())
        throw std::invalid_argument("\"name\"/\"regex\" must be a non-empty string");
    (e.contains("name") ? o.name : o.regex) = pattern.get<std::string>();
    if (!o.regex.empty()) checkRegex(o.regex, "");
    json fields = e;
    fields.erase("name");
    fields.erase("regex");
    if (fields.contains("quantize")) {
        if (!fields["quantize"].is_boolean()) throw std::invalid_argument("\"quantize\" must be true or false");
        o.quantize = fields["quantize"].get<bool>();
        fields.erase("quantize");
    }
    o.spec = quantSpecFromJson(fields, defaultSpec);
    if (const std::string problem = quantSpecProblem(o.spec); !problem.empty()) throw std::invalid_argument(problem);
    return o;
}

// Every linear layer of a model with its in-features (y = x · Wᵀ, W [out, in]).
// planLayerNames with each layer's input features.
std::vector<std::pair<std::string, int64_t>> linearLayers(const ModelConfig& c) {
    const std::vector<std::string> names = planLayerNames(int(c.numLayers));
    std::vector<std::pair<std::string, int64_t>> layers;
    for (size_t i = 0; i + 1 < names.size(); ++i)
        layers.emplace_back(names[i], linearInFeatures(c, int(i % kProjections.size())));
    layers.emplace_back(names.back(), c.hiddenSize);  // lm_head
    return layers;
}

}  // namespace

std::string planSourceName(const QuantPlan& plan) { return plan.source.empty() ? "plan" : plan.source; }

std::vector<std::string> planLayerNames(int numLayers) {
    std::vector<std::string> names;
    for (int b = 0; b < numLayers; ++b)
        for (int p = 0; p < int(kProjections.size()); ++p) names.push_back(linearTensorName(b, p));
    names.emplace_back(kLmHead);
    return names;
}

QuantPlan uniformPlan(const QuantSpec& spec) {
    QuantPlan plan;
    plan.defaultSpec = spec;
    return plan;
}

std::optional<QuantSpec> resolve(const QuantPlan& plan, std::string_view name) {
    if (!isQuantizable(name) || skipped(plan, name)) return std::nullopt;
    const int i = decidingOverride(plan, name);
    if (i < 0) return plan.defaultSpec;
    const QuantOverride& o = plan.overrides[size_t(i)];
    if (!o.quantize) return std::nullopt;
    return o.spec;
}

QuantPlan quantPlanFromJson(const json& j, const std::string& source, std::string_view text) {
    QuantPlan plan;
    plan.source = source;
    const std::string src = planSourceName(plan);
    if (!j.is_object()) throw FormatError(src, "a plan must be a JSON object");
    for (const auto& [key, value] : j.items())
        if (key != "default" && key != "overrides" && key != "skip")
            throw FormatError(src, "unknown key \"" + key + "\" (expected default, overrides, skip)");
    try {
        if (j.contains("default")) plan.defaultSpec = quantSpecFromJson(j["default"]);
        if (const std::string problem = quantSpecProblem(plan.defaultSpec); !problem.empty())
            throw std::invalid_argument(problem);
    } catch (const std::invalid_argument& e) {
        throw FormatError(src, std::string("default: ") + e.what());
    }
    if (j.contains("skip")) {
        const json& s = j["skip"];
        if (!s.is_array()) throw FormatError(src, "skip must be an array of regexes");
        plan.skip.clear();
        for (size_t i = 0; i < s.size(); ++i) {
            const std::string where = "skip[" + std::to_string(i) + "]";
            if (!s[i].is_string()) throw FormatError(src, where + " must be a string");
            try {
                checkRegex(s[i].get<std::string>(), where);
            } catch (const std::invalid_argument& e) {
                throw FormatError(src, e.what());
            }
            plan.skip.push_back(s[i].get<std::string>());
        }
    }
    if (j.contains("overrides")) {
        const json& list = j["overrides"];
        if (!list.is_array()) throw FormatError(src, "overrides must be an array");
        const std::vector<size_t> starts = text.empty() ? std::vector<size_t>{} : arrayElementOffsets(text, "overrides");
        for (size_t i = 0; i < list.size(); ++i) {
            const int line = i < starts.size() ? lineAtOffset(text, starts[i]) : 0;
            try {
                plan.overrides.push_back(overrideFromJson(list[i], plan.defaultSpec));
                plan.overrides.back().line = line;
            } catch (const std::invalid_argument& e) {
                std::string where = "overrides[" + std::to_string(i) + "]";
                if (line > 0) where += " (line " + std::to_string(line) + ")";
                throw FormatError(src, where + ": " + e.what());
            }
        }
    }
    return plan;
}

json quantPlanToJson(const QuantPlan& plan) {
    json overrides = json::array();
    for (const auto& o : plan.overrides) {
        json e = quantSpecToJson(o.spec);
        if (o.regex.empty())
            e["name"] = o.name;
        else
            e["regex"] = o.regex;
        if (!o.quantize) e["quantize"] = false;
        overrides.push_back(std::move(e));
    }
    return {{"default", quantSpecToJson(plan.defaultSpec)}, {"overrides", overrides}, {"skip", plan.skip}};
}

QuantPlan loadQuantPlan(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path, "cannot open the plan file");
    // Checked before reading: parsed JSON takes several times the text's size.
    std::error_code ec;
    if (const auto bytes = std::filesystem::file_size(path, ec); !ec && bytes > kMaxPlanFileBytes)
        throw FormatError(path, "the plan file has " + std::to_string(bytes) + " bytes, over the limit of " +
                                    std::to_string(kMaxPlanFileBytes >> 20) + " MiB for plans");
    std::ostringstream s;
    s << in.rdbuf();
    const std::string text = s.str();
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        // e.byte is 1-based: the position of the character that failed.
        const size_t at = e.byte > 0 ? size_t(e.byte - 1) : 0;
        throw FormatError(path, "line " + std::to_string(lineAtOffset(text, at)) + ": JSON syntax error: " + e.what());
    } catch (const json::exception& e) {  // a number too large for any C++ type
        throw FormatError(path, std::string("JSON value out of range: ") + e.what());
    }
    return quantPlanFromJson(j, path, text);
}

void saveQuantPlan(const QuantPlan& plan, const std::string& path) {
    writeFileAtomically(path, quantPlanToJson(plan).dump(2) + "\n", "the plan file");
}

void checkAgainstModel(const QuantPlan& plan, const ModelConfig& config) {
    const std::string src = planSourceName(plan);
    const auto layers = linearLayers(config);
    for (size_t i = 0; i < plan.overrides.size(); ++i) {
        const QuantOverride& o = plan.overrides[i];
        const bool any = std::any_of(layers.begin(), layers.end(), [&](const auto& l) { return matches(o, l.first); });
        if (!any)
            throw FormatError(src, entryName(plan, int(i)) + ": " + (o.regex.empty() ? "name \"" + o.name : "regex \"" + o.regex) +
                                       "\" matches no layer of the model");
    }
    for (const auto& [name, inFeatures] : layers) {
        const auto spec = resolve(plan, name);
        if (!spec) continue;
        const std::string problem = quantSpecProblem(*spec, inFeatures);
        if (problem.empty()) continue;
        const int i = decidingOverride(plan, name);
        throw FormatError(src, (i < 0 ? std::string("default") : entryName(plan, i)) + ": " + problem + " for " + name);
    }
}

std::string quantPlanLabel(const QuantPlan& plan) {
    std::string label = quantSpecLabel(plan.defaultSpec);
    if (!plan.overrides.empty())
        label += " (+" + std::to_string(plan.overrides.size()) + (plan.overrides.size() == 1 ? " override)" : " overrides)");
    return label;
}

}  // namespace qs
