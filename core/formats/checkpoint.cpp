#include "formats/checkpoint.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "formats/format_error.h"

namespace fs = std::filesystem;

namespace qs {

std::string_view checkpointFormatName(CheckpointFormat f) {
    switch (f) {
    case CheckpointFormat::HfSafetensors: return "safetensors";
    case CheckpointFormat::Gguf: return "gguf";
    case CheckpointFormat::Llama2c: return "llama2c";
    }
    return "?";
}

const TensorView* Checkpoint::find(const std::string& canonicalName) const {
    auto it = byName_.find(canonicalName);
    return it == byName_.end() ? nullptr : &tensors_[it->second];
}

const TensorView& Checkpoint::at(const std::string& canonicalName) const {
    if (const TensorView* t = find(canonicalName)) return *t;
    throw FormatError(path, "no tensor named " + canonicalName);
}

void Checkpoint::addTensor(TensorView t) {
    if (byName_.count(t.name)) throw FormatError(path, "tensor " + t.name + " appears twice");
    byName_[t.name] = tensors_.size();
    tensors_.push_back(std::move(t));
}

void Checkpoint::replaceTensors(std::vector<TensorView> tensors) {
    tensors_.clear();
    byName_.clear();
    for (auto& t : tensors) addTensor(std::move(t));
}

void checkTensorBytes(const std::string& path, const std::string& name, DType dtype,
                      const std::vector<int64_t>& shape, int64_t offset, int64_t nbytes, int64_t fileSize) {
    int64_t numel = 1;
    for (int64_t d : shape) {
        if (d < 0) throw FormatError(path, "tensor " + name + " has a negative dimension");
        if (d != 0 && numel > (int64_t(1) << 50) / d) throw FormatError(path, "tensor " + name + " is impossibly large");
        numel *= d;
    }
    const int64_t expected = dtypeByteSize(dtype, numel);
    if (expected < 0)
        throw FormatError(path, "tensor " + name + ": " + std::to_string(numel) + " elements is not a whole number of " +
                                    std::string(dtypeName(dtype)) + " blocks");
    if (expected != nbytes)
        throw FormatError(path, "tensor " + name + ": " + std::string(dtypeName(dtype)) + " shape needs " +
                                    std::to_string(expected) + " bytes but " + std::to_string(nbytes) + " are given");
    if (offset < 0 || offset > fileSize || nbytes > fileSize - offset)
        throw FormatError(path, "tensor " + name + ": bytes [" + std::to_string(offset) + ", " +
                                    std::to_string(offset + nbytes) + ") lie past the end of the file (" +
                                    std::to_string(fileSize) + " bytes)");
}

namespace {
bool startsWith(const std::string& file, const char* magic) {
    std::ifstream in(file, std::ios::binary);
    char buf[8] = {};
    const size_t n = std::strlen(magic);
    in.read(buf, std::streamsize(n));
    return in.gcount() == std::streamsize(n) && std::memcmp(buf, magic, n) == 0;
}
}  // namespace

std::unique_ptr<Checkpoint> openCheckpoint(const std::string& path) {
    std::error_code ec;
    const fs::path p(path);
    if (!fs::exists(p, ec)) throw FormatError(path, "no such file or directory");
    if (fs::is_directory(p, ec)) return openHfDirectory(path);
    const std::string ext = p.extension().string();
    if (ext == ".safetensors") {
        const fs::path config = p.parent_path() / "config.json";
        return openSafetensorsFile(path, fs::exists(config) ? config.string() : std::string());
    }
    if (ext == ".gguf" || startsWith(path, "GGUF")) return openGguf(path);
    if (ext == ".bin") return openLlama2c(path);
    throw FormatError(path, "unknown checkpoint format (expected a Hugging Face directory, .safetensors, .gguf or llama2.c .bin)");
}

}  // namespace qs
