#include "formats/safetensors_writer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "formats/format_error.h"
#include "formats/staged_directory.h"

namespace qs {

namespace {

constexpr int64_t kHeaderAlignment = 8;

int64_t numelOf(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

// The header JSON with __metadata__ first and tensors in file order, padded
// with spaces (as the spec allows) to a multiple of 8 bytes.
std::string headerText(const std::vector<SafetensorsTensor>& tensors, const std::map<std::string, std::string>& metadata) {
    nlohmann::ordered_json h = nlohmann::ordered_json::object();
    if (!metadata.empty()) h["__metadata__"] = metadata;
    int64_t offset = 0;
    for (const auto& t : tensors) {
        const int64_t n = dtypeByteSize(t.dtype, numelOf(t.shape));
        h[t.name] = {{"dtype", std::string(dtypeName(t.dtype))}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
        offset += n;
    }
    std::string text = h.dump();
    text.append(size_t((kHeaderAlignment - int64_t(text.size()) % kHeaderAlignment) % kHeaderAlignment), ' ');
    return text;
}

void writeAll(std::ofstream& out, const std::string& path, const void* data, int64_t n) {
    out.write(static_cast<const char*>(data), std::streamsize(n));
    if (!out) throw FormatError(path, "write failed (disk full?)");
}

}  // namespace

void writeSafetensorsFile(const std::string& path, std::vector<SafetensorsTensor> tensors,
                          const std::map<std::string, std::string>& metadata) {
    std::set<std::string> names;
    for (const auto& t : tensors) {
        if (dtypeBlockElems(t.dtype) != 1)
            throw FormatError(path, "tensor " + t.name + ": dtype " + std::string(dtypeName(t.dtype)) +
                                        " cannot be stored in safetensors");
        if (t.name.empty() || t.name == "__metadata__") throw FormatError(path, "a tensor needs a name other than \"" + t.name + "\"");
        if (!names.insert(t.name).second) throw FormatError(path, "tensor " + t.name + " is given twice");
    }
    std::stable_sort(tensors.begin(), tensors.end(), [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
        const int64_t ea = dtypeBlockBytes(a.dtype), eb = dtypeBlockBytes(b.dtype);
        return ea != eb ? ea > eb : a.name < b.name;
    });

    const std::string tmp = stagingPathFor(path);
    try {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw FormatError(tmp, "cannot create the file");
        const std::string header = headerText(tensors, metadata);
        const uint64_t headerLen = header.size();  // little-endian on every platform we build for
        writeAll(out, tmp, &headerLen, 8);
        writeAll(out, tmp, header.data(), int64_t(header.size()));
        for (const auto& t : tensors) {
            const int64_t expected = dtypeByteSize(t.dtype, numelOf(t.shape));
            std::vector<std::byte> produced;
            std::span<const std::byte> bytes = t.bytes;
            if (t.produce) {
                produced = t.produce();
                bytes = produced;
            }
            if (int64_t(bytes.size()) != expected)
                throw FormatError(path, "tensor " + t.name + ": " + std::string(dtypeName(t.dtype)) + " shape needs " +
                                            std::to_string(expected) + " bytes but " + std::to_string(bytes.size()) +
                                            " are given");
            writeAll(out, tmp, bytes.data(), expected);
        }
        out.close();
        if (!out) throw FormatError(tmp, "cannot finish writing (disk full?)");
        std::error_code ec;
        std::filesystem::rename(tmp, path, ec);
        if (ec) throw FormatError(path, "cannot rename " + tmp + " into place: " + ec.message());
    } catch (...) {
        std::remove(tmp.c_str());
        throw;
    }
}

}  // namespace qs
