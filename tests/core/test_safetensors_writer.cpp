// The safetensors writer: files it writes re-open with the reader byte for
// byte, the header follows the spec (8-aligned data start, offsets covering
// the buffer without holes, larger elements first), and bad tensors fail
// naming the file and the tensor without leaving a file behind.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.h"
#include "formats/checkpoint.h"
#include "formats/safetensors_writer.h"

using namespace qs;
namespace fs = std::filesystem;

namespace {

std::string tinyConfig() { return qs::test::sharedDir() + "/models/qs-tiny-llama/config.json"; }

template <typename T>
std::vector<std::byte> bytesOf(const std::vector<T>& v) {
    std::vector<std::byte> b(v.size() * sizeof(T));
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

}  // namespace

QS_TEST(writtenFileReopensByteForByte) {
    const std::string file = qs::test::tempDir() + "/three.safetensors";
    const std::vector<float> f32 = {1.5f, -2.25f, 3.0f, 0.0f, -0.0f, 1e-30f};
    const std::vector<uint16_t> bf16 = {0x3f80, 0xc000, 0x7f80, 0x0001, 0x1234};  // odd count: 10 bytes
    const std::vector<int32_t> i32 = {7, -8, 1 << 30, 0};
    const auto bf16Bytes = bytesOf(bf16);
    std::vector<SafetensorsTensor> tensors;
    tensors.push_back({"b.bf16", DType::BF16, {5}, bf16Bytes, {}});
    tensors.push_back({"a.f32", DType::F32, {2, 3}, {}, [&] { return bytesOf(f32); }});
    tensors.push_back({"c.i32", DType::I32, {4}, {}, [&] { return bytesOf(i32); }});
    writeSafetensorsFile(file, tensors, {{"format", "pt"}});

    const auto ckpt = openSafetensorsFile(file, tinyConfig());
    QS_CHECK_EQ(ckpt->tensors().size(), size_t(3));
    QS_CHECK_EQ(ckpt->metadata.at("format"), std::string("pt"));
    const TensorView& a = ckpt->at("a.f32");
    QS_CHECK(a.dtype == DType::F32 && a.shape == (std::vector<int64_t>{2, 3}));
    QS_CHECK(std::memcmp(a.data, f32.data(), 24) == 0);
    QS_CHECK(std::memcmp(ckpt->at("b.bf16").data, bf16.data(), 10) == 0);
    QS_CHECK(std::memcmp(ckpt->at("c.i32").data, i32.data(), 16) == 0);

    // The header: 8-aligned data start; 4-byte tensors (by name) before the
    // 2-byte one; offsets back to back from 0 to the end of the file.
    std::ifstream in(file, std::ios::binary);
    uint64_t n = 0;
    in.read(reinterpret_cast<char*>(&n), 8);
    QS_CHECK_EQ(n % 8, uint64_t(0));
    std::string text(n, '\0');
    in.read(text.data(), std::streamsize(n));
    const auto h = nlohmann::json::parse(text);
    QS_CHECK(h["a.f32"]["data_offsets"] == nlohmann::json::array({0, 24}));
    QS_CHECK(h["c.i32"]["data_offsets"] == nlohmann::json::array({24, 40}));
    QS_CHECK(h["b.bf16"]["data_offsets"] == nlohmann::json::array({40, 50}));
    QS_CHECK_EQ(int64_t(fs::file_size(file)), int64_t(8 + n + 50));
    QS_CHECK(a.data == ckpt->files()[0]->data() + 8 + n);
}

QS_TEST(badTensorsFailNamingThemAndLeaveNoFile) {
    const std::string dir = qs::test::tempDir() + "/bad";
    fs::create_directories(dir);
    const std::string file = dir + "/bad.safetensors";
    std::vector<SafetensorsTensor> shortOne = {{"w", DType::F32, {4}, {}, [] { return std::vector<std::byte>(12); }}};
    QS_CHECK_THROWS_WITH(writeSafetensorsFile(file, shortOne), "tensor w: F32 shape needs 16 bytes but 12 are given");
    QS_CHECK(fs::is_empty(dir));  // neither the file nor its temporary sibling
    std::vector<SafetensorsTensor> blockType = {{"q", DType::Q8_0, {32}, {}, {}}};
    QS_CHECK_THROWS_WITH(writeSafetensorsFile(file, blockType), "dtype Q8_0 cannot be stored");
    std::vector<SafetensorsTensor> twice = {{"x", DType::I8, {1}, {}, {}}, {"x", DType::I8, {1}, {}, {}}};
    QS_CHECK_THROWS_WITH(writeSafetensorsFile(file, twice), "tensor x is given twice");
    QS_CHECK(fs::is_empty(dir));
}
