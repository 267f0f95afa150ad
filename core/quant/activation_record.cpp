#include "quant/activation_record.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "formats/format_error.h"
#include "formats/tensor_names.h"
#include "quant/apply_plan.h"
#include "quant/export_directory.h"

namespace fs = std::filesystem;

namespace qs {

nlohmann::json activationRecordJson(const ActivationRecord& record) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [name, q] : record) j[name] = activationSpecToJson(activationSpecOf(q));
    return j;
}

ActivationRecord readActivationRecord(const Checkpoint& checkpoint) {
    if (checkpoint.format != CheckpointFormat::HfSafetensors) return {};
    const fs::path source(checkpoint.path);
    const fs::path path = (fs::is_directory(source) ? source : source.parent_path()) / kQuantizationRecordFile;
    std::ifstream in(path);
    if (!in) return {};
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
        throw FormatError(path.string(), std::string("broken JSON: ") + e.what());
    }
    if (!j.is_object() || !j.contains("activations")) return {};
    const nlohmann::json& entries = j["activations"];
    if (!entries.is_object()) throw FormatError(path.string(), "\"activations\" must be an object of layer names");
    ActivationRecord record;
    for (const auto& [name, spec] : entries.items()) {
        const auto linear = parseLinearName(name);
        if (!linear || linear->block >= checkpoint.config.numLayers)
            throw FormatError(path.string(), "activations: \"" + name + "\" is not a block linear of this model");
        ActivationSpec a;
        try {
            a = activationSpecFromJson(spec);
        } catch (const std::invalid_argument& e) {
            throw FormatError(path.string(), "activations: " + name + ": " + e.what());
        }
        if (!a.perToken && !(a.scale && std::isfinite(*a.scale) && *a.scale > 0))
            throw FormatError(path.string(), "activations: " + name + ": a per-tensor rounding needs a positive scale");
        const InputQuant q = inputQuantFor(a, name);
        if (q.format != InputQuant::Format::None) record[name] = q;
    }
    return record;
}

}  // namespace qs
