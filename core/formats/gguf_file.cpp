// GGUF layout (ggml-org/ggml docs/gguf.md), all little-endian:
//   "GGUF" | u32 version | u64 tensor_count | u64 metadata_kv_count
//   metadata_kv_count x (string key | u32 value_type | value)
//   tensor_count x (string name | u32 n_dims | u64 dims[n_dims] | u32 ggml_type | u64 offset)
//   padding to general.alignment (default 32) | tensor data
// where a string is u64 length + bytes and an array value is
// u32 element_type | u64 count | elements. Version 1 used 32-bit lengths and
// counts and is not read. Every length and count is checked against the bytes
// that remain before anything is allocated or walked.
#include "formats/gguf_file.h"

#include <array>
#include <charconv>
#include <cstring>
#include <set>

#include "formats/format_error.h"

namespace qs {

namespace {

constexpr uint32_t kDefaultAlignment = 32;
constexpr uint32_t kMaxAlignment = 1u << 30;
constexpr uint32_t kMaxDims = 4;  // GGML_MAX_DIMS
// Smallest possible encodings, used to reject absurd counts up front:
// a key/value is a key length (8) + value type (4) + at least one value byte;
// a tensor info is a name length (8) + n_dims (4) + type (4) + offset (8).
constexpr int64_t kMinKeyValueBytes = 13;
constexpr int64_t kMinTensorInfoBytes = 24;

constexpr std::array<std::string_view, 13> kTypeNames = {"u8",  "i8",   "u16",    "i16",   "u32", "i32", "f32",
                                                         "bool", "string", "array", "u64", "i64", "f64"};

// Bytes per element of the fixed-size types; 0 for string and array.
int64_t fixedSize(GgufType t) {
    switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::Bool: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    case GgufType::String: case GgufType::Array: return 0;
    }
    return 0;
}

bool isInteger(GgufType t) {
    switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16:
    case GgufType::U32: case GgufType::I32: case GgufType::U64: case GgufType::I64: return true;
    default: return false;
    }
}

// Bounds-checked sequential reads over the mapping.
class ByteCursor {
public:
    ByteCursor(const MappedFile& f, int64_t pos) : file_(f), pos_(pos) {}

    int64_t pos() const { return pos_; }
    int64_t remaining() const { return file_.size() - pos_; }

    // `what` names the item for the error message (built only on failure).
    void need(uint64_t n, std::string_view what) const {
        if (n > uint64_t(remaining()))
            throw FormatError(file_.path(), "truncated: " + std::string(what) + " needs " + std::to_string(n) + " bytes at offset " +
                                                std::to_string(pos_) + " but the file ends at " +
                                                std::to_string(file_.size()));
    }
    template <typename T>
    T read(std::string_view what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, file_.data() + pos_, sizeof(T));
        pos_ += int64_t(sizeof(T));
        return v;
    }
    std::string_view readString(std::string_view what) {
        const uint64_t len = read<uint64_t>(what);
        need(len, what);
        std::string_view s(reinterpret_cast<const char*>(file_.data() + pos_), size_t(len));
        pos_ += int64_t(len);
        return s;
    }
    void skip(int64_t n) { pos_ += n; }  // only after need()

private:
    const MappedFile& file_;
    int64_t pos_;
};

GgufType readType(ByteCursor& c, const std::string& path, const std::string& what) {
    const uint32_t t = c.read<uint32_t>("value type of " + what);
    if (t >= kTypeNames.size())
        throw FormatError(path, what + " has unknown value type " + std::to_string(t));
    return GgufType(t);
}

// One value of a non-array type.
GgufValue readScalar(ByteCursor& c, GgufType type, const std::string& path, const std::string& what) {
    GgufValue v;
    v.type = type;
    switch (type) {
    case GgufType::U8: v.value = uint64_t(c.read<uint8_t>(what)); break;
    case GgufType::I8: v.value = int64_t(c.read<int8_t>(what)); break;
    case GgufType::U16: v.value = uint64_t(c.read<uint16_t>(what)); break;
    case GgufType::I16: v.value = int64_t(c.read<int16_t>(what)); break;
    case GgufType::U32: v.value = uint64_t(c.read<uint32_t>(what)); break;
    case GgufType::I32: v.value = int64_t(c.read<int32_t>(what)); break;
    case GgufType::U64: v.value = c.read<uint64_t>(what); break;
    case GgufType::I64: v.value = c.read<int64_t>(what); break;
    case GgufType::F32: v.value = double(c.read<float>(what)); break;
    case GgufType::F64: v.value = c.read<double>(what); break;
    case GgufType::Bool: {
        const uint8_t b = c.read<uint8_t>(what);
        if (b > 1) throw FormatError(path, what + ": bool byte is " + std::to_string(b) + " (must be 0 or 1)");
        v.value = b == 1;
        break;
    }
    case GgufType::String: v.value = std::string(c.readString(what)); break;
    case GgufType::Array: throw FormatError(path, what + ": arrays of arrays are not supported");
    }
    return v;
}

// Validates an array in place and remembers where it lies.
GgufValue readArray(ByteCursor& c, const std::string& path, const std::string& what) {
    GgufArray a;
    a.elemType = readType(c, path, "elements of " + what);
    if (a.elemType == GgufType::Array) throw FormatError(path, what + ": arrays of arrays are not supported");
    a.count = c.read<uint64_t>("element count of " + what);
    a.offset = c.pos();
    const int64_t minElem = a.elemType == GgufType::String ? 8 : fixedSize(a.elemType);
    if (a.count > uint64_t(c.remaining() / minElem))
        throw FormatError(path, what + " claims " + std::to_string(a.count) + " " +
                                    std::string(ggufTypeName(a.elemType)) + " elements but only " +
                                    std::to_string(c.remaining()) + " bytes remain");
    if (a.elemType == GgufType::String) {
        const std::string elements = "elements of " + what;
        for (uint64_t i = 0; i < a.count; ++i) c.readString(elements);
    } else {
        c.skip(int64_t(a.count) * minElem);
    }
    GgufValue v;
    v.type = GgufType::Array;
    v.value = a;
    return v;
}

template <typename T>
std::string shortestText(T x) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof(buf), x);
    return std::string(buf, r.ptr);
}

}  // namespace

std::string_view ggufTypeName(GgufType t) {
    const auto i = size_t(t);
    return i < kTypeNames.size() ? kTypeNames[i] : std::string_view("?");
}

std::optional<int64_t> GgufValue::asInt() const {
    if (const auto* u = std::get_if<uint64_t>(&value))
        return *u <= uint64_t(INT64_MAX) ? std::optional<int64_t>(int64_t(*u)) : std::nullopt;
    if (const auto* i = std::get_if<int64_t>(&value)) return *i;
    return std::nullopt;
}

std::optional<double> GgufValue::asNumber() const {
    if (const auto* d = std::get_if<double>(&value)) return *d;
    if (const auto* u = std::get_if<uint64_t>(&value)) return double(*u);
    if (const auto* i = std::get_if<int64_t>(&value)) return double(*i);
    return std::nullopt;
}

const std::string* GgufValue::asString() const { return std::get_if<std::string>(&value); }
const GgufArray* GgufValue::asArray() const { return std::get_if<GgufArray>(&value); }

std::string GgufValue::toString() const {
    if (const auto* a = asArray())
        return "[array of " + std::to_string(a->count) + " " + std::string(ggufTypeName(a->elemType)) + "]";
    if (const auto* s = asString()) return *s;
    if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
    if (const auto* d = std::get_if<double>(&value))
        return type == GgufType::F32 ? shortestText(float(*d)) : shortestText(*d);
    if (const auto* u = std::get_if<uint64_t>(&value)) return std::to_string(*u);
    return std::to_string(std::get<int64_t>(value));
}

GgufFile GgufFile::open(const std::string& path) {
    GgufFile g;
    g.mapping_ = std::make_shared<MappedFile>(path);
    const MappedFile& file = *g.mapping_;
    ByteCursor c(file, 0);

    const uint32_t magic = c.read<uint32_t>("magic");
    if (std::memcmp(&magic, "GGUF", 4) != 0) throw FormatError(path, "not a GGUF file (the magic is not \"GGUF\")");
    g.version_ = c.read<uint32_t>("version");
    if (g.version_ != 2 && g.version_ != 3) {
        // A big-endian file (allowed since v3) has its version byte-swapped too.
        if (__builtin_bswap32(g.version_) == 2 || __builtin_bswap32(g.version_) == 3)
            throw FormatError(path, "big-endian GGUF files are not supported");
        throw FormatError(path, "unsupported GGUF version " + std::to_string(g.version_) + " (versions 2 and 3 are read)");
    }
    const uint64_t tensorCount = c.read<uint64_t>("tensor count");
    const uint64_t kvCount = c.read<uint64_t>("metadata count");
    if (tensorCount > uint64_t(c.remaining() / kMinTensorInfoBytes))
        throw FormatError(path, "header claims " + std::to_string(tensorCount) + " tensors but only " +
                                    std::to_string(c.remaining()) + " bytes follow");
    if (kvCount > uint64_t(c.remaining() / kMinKeyValueBytes))
        throw FormatError(path, "header claims " + std::to_string(kvCount) + " metadata keys but only " +
                                    std::to_string(c.remaining()) + " bytes follow");

    for (uint64_t i = 0; i < kvCount; ++i) {
        std::string key(c.readString("metadata key #" + std::to_string(i)));
        const std::string what = "metadata " + key;
        const GgufType type = readType(c, path, what);
        GgufValue v = type == GgufType::Array ? readArray(c, path, what) : readScalar(c, type, path, what);
        if (g.metadata_.count(key)) throw FormatError(path, "metadata key " + key + " appears twice");
        g.metadata_.emplace(std::move(key), std::move(v));
    }

    g.alignment_ = kDefaultAlignment;
    if (const GgufValue* a = g.find("general.alignment")) {
        const auto n = a->asInt();
        if (!n || *n <= 0 || *n > int64_t(kMaxAlignment) || (*n & (*n - 1)) != 0)
            throw FormatError(path, "general.alignment " + a->toString() + " is not a power of two up to 2^30");
        g.alignment_ = uint32_t(*n);
    }

    std::set<std::string, std::less<>> names;
    g.tensors_.reserve(size_t(tensorCount));
    for (uint64_t i = 0; i < tensorCount; ++i) {
        GgufTensorInfo t;
        t.name = std::string(c.readString("name of tensor #" + std::to_string(i)));
        const std::string what = "tensor " + t.name;
        const uint32_t nDims = c.read<uint32_t>("dimension count of " + what);
        if (nDims > kMaxDims)
            throw FormatError(path, what + " has " + std::to_string(nDims) + " dimensions (GGUF allows at most 4)");
        for (uint32_t d = 0; d < nDims; ++d) {
            const uint64_t n = c.read<uint64_t>("dimensions of " + what);
            if (n > uint64_t(INT64_MAX)) throw FormatError(path, what + " has an impossibly large dimension");
            t.dims.push_back(n);
        }
        t.ggmlType = c.read<uint32_t>("type of " + what);
        t.offset = c.read<uint64_t>("offset of " + what);
        if (t.offset % g.alignment_ != 0)
            throw FormatError(path, what + ": data offset " + std::to_string(t.offset) +
                                        " is not a multiple of the alignment " + std::to_string(g.alignment_));
        if (!names.insert(t.name).second) throw FormatError(path, what + " appears twice");
        g.tensors_.push_back(std::move(t));
    }
    // The data section starts at the next multiple of the alignment.
    g.dataOffset_ = (c.pos() + g.alignment_ - 1) / g.alignment_ * g.alignment_;
    return g;
}

const GgufValue* GgufFile::find(std::string_view key) const {
    auto it = metadata_.find(key);
    return it == metadata_.end() ? nullptr : &it->second;
}

namespace {
[[noreturn]] void wrongType(const std::string& path, std::string_view key, const GgufValue& v, const char* wanted) {
    throw FormatError(path, "metadata " + std::string(key) + " is " + std::string(ggufTypeName(v.type)) + " " +
                                v.toString() + ", expected " + wanted);
}
}  // namespace

std::optional<int64_t> GgufFile::integer(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    if (auto n = v->asInt()) return n;
    wrongType(path(), key, *v, "an integer");
}

std::optional<double> GgufFile::number(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    if (auto n = v->asNumber()) return n;
    wrongType(path(), key, *v, "a number");
}

std::optional<std::string> GgufFile::string(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    if (const std::string* s = v->asString()) return *s;
    wrongType(path(), key, *v, "a string");
}

const GgufArray& GgufFile::arrayAt(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) throw FormatError(path(), "no metadata " + std::string(key));
    if (const GgufArray* a = v->asArray()) return *a;
    wrongType(path(), key, *v, "an array");
}

std::vector<std::string> GgufFile::stringArray(std::string_view key) const {
    const GgufArray& a = arrayAt(key);
    if (a.elemType != GgufType::String) wrongType(path(), key, *find(key), "an array of strings");
    std::vector<std::string> out;
    out.reserve(size_t(a.count));  // bounded at open by the bytes in the file
    ByteCursor c(*mapping_, a.offset);
    for (uint64_t i = 0; i < a.count; ++i) out.emplace_back(c.readString(key));
    return out;
}

std::vector<float> GgufFile::floatArray(std::string_view key) const {
    const GgufArray& a = arrayAt(key);
    if (a.elemType != GgufType::F32 && a.elemType != GgufType::F64)
        wrongType(path(), key, *find(key), "an array of f32 or f64");
    std::vector<float> out;
    out.reserve(size_t(a.count));
    ByteCursor c(*mapping_, a.offset);
    const std::string what(key);
    for (uint64_t i = 0; i < a.count; ++i) out.push_back(float(*readScalar(c, a.elemType, path(), what).asNumber()));
    return out;
}

std::vector<int32_t> GgufFile::intArray(std::string_view key) const {
    const GgufArray& a = arrayAt(key);
    if (!isInteger(a.elemType)) wrongType(path(), key, *find(key), "an array of integers");
    std::vector<int32_t> out;
    out.reserve(size_t(a.count));
    ByteCursor c(*mapping_, a.offset);
    const std::string what(key);
    for (uint64_t i = 0; i < a.count; ++i) {
        const auto n = readScalar(c, a.elemType, path(), what).asInt();
        if (!n || *n < INT32_MIN || *n > INT32_MAX)
            throw FormatError(path(), "metadata " + std::string(key) + " element " + std::to_string(i) +
                                          " does not fit a 32-bit integer");
        out.push_back(int32_t(*n));
    }
    return out;
}

}  // namespace qs
