// The regex pre-tokenizer on PCRE2 (compiled only when PCRE2 was found).
// Hugging Face tokenizers runs these patterns on Oniguruma; PCRE2 with UTF and
// UCP (Unicode properties for \s, \p{L}, \p{N}) accepts the same syntax.
#include <pcre2.h>

#include "formats/format_error.h"
#include "tokenize/pretokenizer.h"
#include "tokenize/utf8.h"

namespace qs {

namespace {

class Pcre2PreTokenizer final : public PreTokenizer {
public:
    Pcre2PreTokenizer(const std::string& pattern, const std::string& path) {
        int error = 0;
        PCRE2_SIZE errorOffset = 0;
        // MATCH_INVALID_UTF: bytes that are not UTF-8 never match and fall
        // into the text between matches instead of failing the whole match.
        code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                              PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &errorOffset, nullptr);
        if (!code_) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(error, message, sizeof message);
            throw FormatError(path, "pre-tokenizer regex does not compile at offset " + std::to_string(errorOffset) +
                                        ": " + reinterpret_cast<const char*>(message));
        }
        pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
    }
    ~Pcre2PreTokenizer() override { pcre2_code_free(code_); }
    Pcre2PreTokenizer(const Pcre2PreTokenizer&) = delete;
    Pcre2PreTokenizer& operator=(const Pcre2PreTokenizer&) = delete;

    std::vector<std::string_view> split(std::string_view text) const override {
        std::vector<std::string_view> pieces;
        pcre2_match_data* match = pcre2_match_data_create_from_pattern(code_, nullptr);
        const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
        size_t done = 0;  // text before this is in `pieces`
        size_t from = 0;
        while (from < text.size()) {
            const int rc = pcre2_match(code_, subject, text.size(), from, 0, match, nullptr);
            if (rc < 0) break;  // no further match (or a matching error): the rest is one piece
            const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match);
            const size_t begin = ov[0], end = ov[1];
            if (begin > done) pieces.push_back(text.substr(done, begin - done));
            if (end > begin) {
                pieces.push_back(text.substr(begin, end - begin));
                done = from = end;
            } else {
                // An empty match: step over one character so the loop advances.
                done = begin;
                from = begin + utf8::sequenceLength(text, begin);
            }
        }
        if (done < text.size()) pieces.push_back(text.substr(done));
        pcre2_match_data_free(match);
        return pieces;
    }

private:
    pcre2_code* code_ = nullptr;
};

}  // namespace

std::unique_ptr<PreTokenizer> makePcre2PreTokenizer(const std::string& pattern, const std::string& path) {
    return std::make_unique<Pcre2PreTokenizer>(pattern, path);
}

}  // namespace qs
