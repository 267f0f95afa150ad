#include "quant/export_directory.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "formats/format_error.h"

namespace fs = std::filesystem;

namespace qs {

namespace {

fs::path sourceDirectory(const Checkpoint& src) {
    const fs::path p(src.path);
    return fs::is_directory(p) ? p : p.parent_path();
}

std::string torchDtypeName(DType t) {
    switch (t) {
    case DType::F32: return "float32";
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    default: return std::string(dtypeName(t));
    }
}

bool isFloatStorage(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

// A GGUF or llama2.c source's configuration as a Hugging Face LLaMA config.json.
nlohmann::json configJsonFromModelConfig(const Checkpoint& src, DType dtype) {
    if (!src.hasConfig) throw FormatError(src.path, "holds no model (no configuration) to export");
    if (src.config.architecture != "llama")
        throw FormatError(src.path, "exporting a \"" + src.config.architecture +
                                        "\" model is not supported (only LLaMA-family models are)");
    nlohmann::json j = modelConfigToJson(src.config);
    j["architectures"] = nlohmann::json::array({"LlamaForCausalLM"});
    j["torch_dtype"] = torchDtypeName(dtype);
    return j;
}

}  // namespace

DType exportDtype(const Checkpoint& src, const ExportOptions& options) {
    if (options.dtype) {
        if (!isFloatStorage(*options.dtype))
            throw std::invalid_argument("export dtype " + std::string(dtypeName(*options.dtype)) +
                                        " is not one of F32, F16, BF16");
        return *options.dtype;
    }
    for (DType t : {DType::F32, DType::F16, DType::BF16})
        if (src.config.torchDtype == torchDtypeName(t)) return t;
    const TensorView* embed = src.find("model.embed_tokens.weight");
    return embed && isFloatStorage(embed->dtype) ? embed->dtype : DType::F16;
}

nlohmann::json exportConfigJson(const Checkpoint& src, DType dtype) {
    if (src.format != CheckpointFormat::HfSafetensors) return configJsonFromModelConfig(src, dtype);
    const fs::path path = sourceDirectory(src) / "config.json";
    std::ifstream in(path);
    if (!in) throw FormatError(path.string(), "cannot read config.json");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
        throw FormatError(path.string(), std::string("broken JSON: ") + e.what());
    }
    j["torch_dtype"] = torchDtypeName(dtype);
    j.erase("quantization_config");  // the export states its own
    return j;
}

void copyTokenizerFiles(const Checkpoint& src, const std::string& outDir) {
    const fs::path dir = sourceDirectory(src);
    for (const char* name : kTokenizerFiles) {
        std::error_code ec;
        if (!fs::exists(dir / name)) continue;
        fs::copy_file(dir / name, fs::path(outDir) / name, ec);
        if (ec) throw FormatError((fs::path(outDir) / name).string(), "cannot copy from " + dir.string() + ": " + ec.message());
    }
}

void writeJsonFile(const std::string& path, const nlohmann::json& j) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    out.close();
    if (!out) throw FormatError(path, "cannot write");
}

void writeQuantizationRecord(const std::string& outDir, const std::string& format, DType dtype,
                             const ExportOptions& options, const nlohmann::json& activations) {
    nlohmann::json record = {{"format", format},
                             {"dtype", std::string(dtypeName(dtype))},
                             {"plan_label", options.planLabel},
                             {"plan", options.plan}};
    if (!activations.is_null()) record["activations"] = activations;
    writeJsonFile((fs::path(outDir) / kQuantizationRecordFile).string(), record);
}

std::vector<std::byte> encodeFloats(const float* x, int64_t n, DType dtype) {
    std::vector<std::byte> out(static_cast<size_t>(dtypeByteSize(dtype, n)));
    for (int64_t i = 0; i < n; ++i) {
        switch (dtype) {
        case DType::F32: std::memcpy(out.data() + i * 4, &x[i], 4); break;
        case DType::F16: {
            const uint16_t h = floatToF16(x[i]);
            std::memcpy(out.data() + i * 2, &h, 2);
            break;
        }
        case DType::BF16: {
            const uint16_t h = floatToBf16(x[i]);
            std::memcpy(out.data() + i * 2, &h, 2);
            break;
        }
        default: throw std::invalid_argument("cannot encode floats as " + std::string(dtypeName(dtype)));
        }
    }
    return out;
}

SafetensorsTensor sourceTensorAs(const TensorView& t, DType dtype) {
    SafetensorsTensor out{t.name, dtype, t.shape, {}, {}};
    if (t.dtype == dtype && !t.scales) {
        out.bytes = std::span<const std::byte>(t.data, static_cast<size_t>(t.nbytes));
    } else {
        const TensorView* view = &t;  // the checkpoint outlives the write
        out.produce = [view, dtype] {
            std::vector<float> x(static_cast<size_t>(view->numel()));
            decodeToFloat(*view, 0, view->numel(), x.data());
            return encodeFloats(x.data(), view->numel(), dtype);
        };
    }
    return out;
}

}  // namespace qs
