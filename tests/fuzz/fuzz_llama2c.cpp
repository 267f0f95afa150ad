// A llama2.c .bin checkpoint (legacy and versioned headers).
#include "formats/checkpoint.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = qs::fuzz::writeInput(data, size, "model.bin");
    qs::fuzz::expectReaderErrorsOnly([&] {
        const auto ckpt = qs::openLlama2c(path);
        for (const auto& t : ckpt->tensors()) qs::fuzz::touch(t);
    });
    return 0;
}
