// A Hugging Face config.json, read as openHfDirectory reads it: beside a real
// safetensors file, so the config also meets the GPTQ-packing checks.
#include <filesystem>

#include "formats/checkpoint.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fs = std::filesystem;
    const fs::path weights = fs::path(qs::fuzz::inputDir()) / "model.safetensors";
    if (!fs::exists(weights)) fs::create_symlink(QS_SHARED_DIR "/models/qs-tiny-llama/model.safetensors", weights);
    qs::fuzz::writeInput(data, size, "config.json");
    qs::fuzz::expectReaderErrorsOnly([&] {
        const auto ckpt = qs::openHfDirectory(qs::fuzz::inputDir());
        for (const auto& t : ckpt->tensors()) qs::fuzz::touch(t);
    });
    return 0;
}
