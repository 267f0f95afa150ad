// Writing Hugging Face safetensors files (huggingface/safetensors README,
// "Format"): an 8-byte little-endian header length N, N bytes of JSON
// {"__metadata__": {str: str}, name: {dtype, shape, data_offsets}}, padded
// with spaces so the data starts 8-byte aligned, then every tensor's bytes
// back to back. Tensors are laid out as the reference writer does (by element
// size, largest first, then by name), so each starts aligned to its element
// size and the file indexes its byte buffer without holes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace qs {

struct SafetensorsTensor {
    std::string name;
    DType dtype = DType::F32;    // a plain element type (F32, F16, BF16, F8_E4M3, I8, I32)
    std::vector<int64_t> shape;  // outermost first
    // The bytes, either borrowed (e.g. from a mapped source checkpoint) or,
    // when `produce` is set, made on demand right before they are written, so
    // a big model never needs to be held in memory twice.
    std::span<const std::byte> bytes;
    std::function<std::vector<std::byte>()> produce;
};

// Writes `path` through a temporary sibling renamed into place, so a failure
// leaves no partial file. Throws FormatError naming the file and the tensor
// when a dtype cannot be stored, a name repeats, or a tensor's bytes do not
// match its dtype x shape.
void writeSafetensorsFile(const std::string& path, std::vector<SafetensorsTensor> tensors,
                          const std::map<std::string, std::string>& metadata = {});

}  // namespace qs
