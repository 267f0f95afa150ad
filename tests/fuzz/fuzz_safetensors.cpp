// A .safetensors file: header length, JSON header, tensor byte ranges.
#include "formats/checkpoint.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = qs::fuzz::writeInput(data, size, "model.safetensors");
    qs::fuzz::expectReaderErrorsOnly([&] {
        // A valid config, so a header that parses goes on to the tensor checks.
        const auto ckpt = qs::openSafetensorsFile(path, QS_SHARED_DIR "/models/qs-tiny-llama/config.json");
        for (const auto& t : ckpt->tensors()) qs::fuzz::touch(t);
    });
    return 0;
}
