// A .gguf file, both as a checkpoint and as the tokenizer inside it.
#include "formats/checkpoint.h"
#include "fuzz_target.h"
#include "tokenize/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = qs::fuzz::writeInput(data, size, "model.gguf");
    qs::fuzz::expectReaderErrorsOnly([&] {
        const auto ckpt = qs::openGguf(path);
        for (const auto& t : ckpt->tensors()) qs::fuzz::touch(t);
    });
    qs::fuzz::expectReaderErrorsOnly([&] {
        const auto tok = qs::openTokenizer(path);
        tok->decode(tok->encode("Hello world, 123 \xc3\xbc\xe2\x82\xac <s>", true));
    });
    return 0;
}
