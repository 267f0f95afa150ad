// What is in a model file: its configuration and an index of tensors that
// point into memory-mapped files. Opening reads headers only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "formats/mapped_file.h"
#include "formats/model_config.h"
#include "tensor/tensor_view.h"

namespace qs {

enum class CheckpointFormat { HfSafetensors, Gguf, Llama2c };
std::string_view checkpointFormatName(CheckpointFormat f);

class Checkpoint {
public:
    CheckpointFormat format = CheckpointFormat::HfSafetensors;
    std::string path;  // what the user opened (file or directory)
    ModelConfig config;
    bool hasConfig = true;  // false for tensor-less files such as a vocab-only GGUF
    // Free-form metadata worth showing (GGUF key/values, safetensors __metadata__).
    std::map<std::string, std::string> metadata;
    // Tokenizer files found beside the checkpoint (tokenizer.model, tokenizer.json, tokenizer.bin), may be empty.
    std::string tokenizerPath;

    const std::vector<TensorView>& tensors() const { return tensors_; }
    const TensorView* find(const std::string& canonicalName) const;
    const TensorView& at(const std::string& canonicalName) const;  // throws FormatError
    // Files mapped for this checkpoint (one per shard).
    const std::vector<std::shared_ptr<MappedFile>>& files() const { return files_; }

    // For readers: keep a mapping alive and register a tensor pointing into it.
    void addFile(std::shared_ptr<MappedFile> f) { files_.push_back(std::move(f)); }
    void addTensor(TensorView t);
    // For readers that present stored parts as one logical tensor (GPTQ packed weights).
    void replaceTensors(std::vector<TensorView> tensors);

private:
    std::vector<std::shared_ptr<MappedFile>> files_;
    std::vector<TensorView> tensors_;
    std::map<std::string, size_t> byName_;
};

// Opens a Hugging Face directory (config.json + model.safetensors or
// model.safetensors.index.json), a .safetensors file inside one, a .gguf file
// or a llama2.c .bin. Throws FormatError naming the file and the problem.
std::unique_ptr<Checkpoint> openCheckpoint(const std::string& path);

// The readers behind openCheckpoint, each in its own file.
std::unique_ptr<Checkpoint> openHfDirectory(const std::string& dir);
std::unique_ptr<Checkpoint> openSafetensorsFile(const std::string& file, const std::string& configPath);
std::unique_ptr<Checkpoint> openGguf(const std::string& file);
std::unique_ptr<Checkpoint> openLlama2c(const std::string& file);

// Shared check for readers: a tensor's [offset, offset+nbytes) must lie inside
// the file and its byte count must match dtype x shape.
void checkTensorBytes(const std::string& path, const std::string& name, DType dtype,
                      const std::vector<int64_t>& shape, int64_t offset, int64_t nbytes, int64_t fileSize);

}  // namespace qs
