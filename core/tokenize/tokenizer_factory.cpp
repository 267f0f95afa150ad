// openTokenizer and tokenizerForCheckpoint: pick the reader by file kind.
// sentencepiece and PCRE2 are optional libraries (core/CMakeLists.txt); the
// only #ifdefs on them are the two dispatch points below.
#include <filesystem>

#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "tokenize/pretokenizer.h"
#include "tokenize/tokenizer.h"
#include "tokenize/tokenizer_readers.h"

namespace qs {

namespace {

std::unique_ptr<Tokenizer> sentencePieceModel(const std::string& path) {
#ifdef QS_HAVE_SENTENCEPIECE
    return openSentencePieceModel(path);
#else
    throw FormatError(path, "is a sentencepiece model, but this build of QuantScope has no sentencepiece library "
                            "(libsentencepiece-dev); use the tokenizer.bin or tokenizer.json of the model instead");
#endif
}

}  // namespace

std::unique_ptr<PreTokenizer> regexPreTokenizer(const std::string& pattern, const std::string& path) {
#ifdef QS_HAVE_PCRE2
    return makePcre2PreTokenizer(pattern, path);
#else
    (void)pattern;
    throw FormatError(path, "needs a regex pre-tokenizer (byte-level BPE), but this build of QuantScope has no PCRE2 "
                            "library (libpcre2-dev)");
#endif
}

std::unique_ptr<Tokenizer> openTokenizer(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw FormatError(path, "no such tokenizer file");
    const std::string ext = fs::path(path).extension().string();
    if (ext == ".model") return sentencePieceModel(path);
    if (ext == ".json") return openHfTokenizerJson(path);
    if (ext == ".bin") return openLlama2cTokenizer(path);
    if (ext == ".gguf") return openGgufTokenizer(path);
    throw FormatError(path, "unknown tokenizer file kind \"" + ext +
                                "\" (expected a sentencepiece .model, tokenizer.json, llama2.c tokenizer.bin or .gguf)");
}

std::unique_ptr<Tokenizer> tokenizerForCheckpoint(const Checkpoint& ckpt) {
    if (ckpt.tokenizerPath.empty())
        throw FormatError(ckpt.path, ckpt.format == CheckpointFormat::Gguf
                                         ? "the GGUF carries no vocabulary (tokenizer.ggml.tokens)"
                                         : "no tokenizer beside the model (tokenizer.model, tokenizer.json or tokenizer.bin)");
    auto tokenizer = openTokenizer(ckpt.tokenizerPath);
    if (ckpt.hasConfig && tokenizer->vocabSize() != ckpt.config.vocabSize)
        throw FormatError(ckpt.tokenizerPath, "tokenizer has " + std::to_string(tokenizer->vocabSize()) +
                                                  " tokens but the model's vocabulary is " +
                                                  std::to_string(ckpt.config.vocabSize) + " (" + ckpt.path + ")");
    return tokenizer;
}

}  // namespace qs
