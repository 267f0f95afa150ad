// The GGUF container (llama.cpp's checkpoint format), versions 2 and 3:
// header, typed metadata key/values, tensor infos and an aligned data
// section. Spec: ggml-org/ggml docs/gguf.md. This layer knows the container
// only; what the tensors mean (names, dtypes, config) is gguf_reader.cpp's job.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "formats/mapped_file.h"

namespace qs {

// Metadata value types, numbered as in the spec (gguf_metadata_value_type).
enum class GgufType : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6,
    Bool = 7, String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};
std::string_view ggufTypeName(GgufType t);  // "u32", "string", ...

// An array is validated when the file is opened but decoded only on request:
// a Llama-3 vocabulary is 128k strings plus 280k merges that a checkpoint
// reader never needs.
struct GgufArray {
    GgufType elemType = GgufType::U8;
    uint64_t count = 0;
    int64_t offset = 0;  // file offset of the first element
};

struct GgufValue {
    GgufType type = GgufType::U8;
    // Unsigned integers as uint64_t, signed as int64_t, F32/F64 as double.
    std::variant<uint64_t, int64_t, double, bool, std::string, GgufArray> value;

    std::optional<int64_t> asInt() const;    // any integer type whose value fits int64
    std::optional<double> asNumber() const;  // any integer or float type
    const std::string* asString() const;
    const GgufArray* asArray() const;
    // For display: the value as text, an array as "[array of N string]".
    std::string toString() const;
};

struct GgufTensorInfo {
    std::string name;            // as stored ("blk.0.attn_q.weight")
    std::vector<uint64_t> dims;  // innermost first, as ggml's ne: dims[0] is the row length
    uint32_t ggmlType = 0;       // ggml_type id, interpreted by the reader
    uint64_t offset = 0;         // from the start of the data section, a multiple of alignment()
};

class GgufFile {
public:
    // Maps the file and parses everything but the tensor data. Throws
    // FormatError naming the file and the problem on any malformed input.
    static GgufFile open(const std::string& path);

    const std::string& path() const { return mapping_->path(); }
    const std::shared_ptr<MappedFile>& mapping() const { return mapping_; }
    uint32_t version() const { return version_; }
    uint32_t alignment() const { return alignment_; }
    int64_t dataOffset() const { return dataOffset_; }  // absolute file offset of the data section

    const std::map<std::string, GgufValue, std::less<>>& metadata() const { return metadata_; }
    const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }

    const GgufValue* find(std::string_view key) const;
    // Typed look-ups: nullopt when the key is missing, FormatError when it
    // holds another type.
    std::optional<int64_t> integer(std::string_view key) const;
    std::optional<double> number(std::string_view key) const;
    std::optional<std::string> string(std::string_view key) const;
    // Array decoders for the tokenizer (tokenizer.ggml.tokens / scores /
    // token_type / merges). FormatError when the key is missing, is not an
    // array, or its elements do not convert (intArray: integers that fit int32;
    // floatArray: F32 or F64).
    std::vector<std::string> stringArray(std::string_view key) const;
    std::vector<float> floatArray(std::string_view key) const;
    std::vector<int32_t> intArray(std::string_view key) const;

private:
    GgufFile() = default;
    const GgufArray& arrayAt(std::string_view key) const;

    std::shared_ptr<MappedFile> mapping_;
    uint32_t version_ = 0;
    uint32_t alignment_ = 32;
    int64_t dataOffset_ = 0;
    std::map<std::string, GgufValue, std::less<>> metadata_;
    std::vector<GgufTensorInfo> tensors_;
};

}  // namespace qs
