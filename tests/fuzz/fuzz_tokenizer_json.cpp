// A Hugging Face tokenizer.json, opened and used once.
#include "fuzz_target.h"
#include "tokenize/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = qs::fuzz::writeInput(data, size, "tokenizer.json");
    qs::fuzz::expectReaderErrorsOnly([&] {
        const auto tok = qs::openTokenizer(path);
        tok->decode(tok->encode("Hello world, 123 \xc3\xbc\xe2\x82\xac <s>\n\n  x", true));
    });
    return 0;
}
