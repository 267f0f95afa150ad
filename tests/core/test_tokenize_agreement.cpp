// Readers of the same vocabulary must agree id for id on real text, decode
// must give the text back, on whole evaluation files. (Speed belongs to a
// benchmark, not to a test.)
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "check.h"
#include "tokenize/tokenizer.h"

namespace {

// "The first 20000 characters" of a text, in UTF-8 characters.
constexpr size_t kPrefixChars = 20000;

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    QS_CHECK(in.good());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string firstChars(const std::string& text, size_t chars) {
    size_t pos = 0;
    for (size_t n = 0; n < chars && pos < text.size(); ++n)
        do ++pos;
        while (pos < text.size() && (uint8_t(text[pos]) & 0xC0) == 0x80);
    return text.substr(0, pos);
}

std::string wikitext() { return readFile(qs::test::sharedDir() + "/data/text/wikitext-2-raw.wiki.test.raw"); }
std::string frankenstein() { return readFile(qs::test::sharedDir() + "/data/text/frankenstein-heldout.txt"); }

// Encodes, reports the token count, and checks the round trip.
std::vector<int32_t> encodeRoundTrip(const qs::Tokenizer& t, const std::string& text, const char* what) {
    std::vector<int32_t> ids = t.encode(text, false);
    std::printf("  %-44s %8zu bytes -> %7zu tokens\n", what, text.size(), ids.size());
    QS_CHECK(t.decode(ids) == text);
    return ids;
}

// First index where two id sequences differ, or -1.
long firstDifference(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        if (a[i] != b[i]) return long(i);
    return a.size() == b.size() ? -1 : long(std::min(a.size(), b.size()));
}

void checkSameIds(const std::vector<const qs::Tokenizer*>& readers, const std::vector<const char*>& names,
                  const std::string& text, const char* textName) {
    std::vector<std::vector<int32_t>> ids;
    for (size_t i = 0; i < readers.size(); ++i)
        ids.push_back(encodeRoundTrip(*readers[i], text, (std::string(names[i]) + ", " + textName).c_str()));
    for (size_t i = 1; i < ids.size(); ++i) {
        const long at = firstDifference(ids[0], ids[i]);
        if (at >= 0) std::printf("  %s and %s differ at token %ld of %s\n", names[0], names[i], at, textName);
        QS_CHECK_EQ(at, -1);
    }
}

}  // namespace

QS_TEST(qs_tiny_llama_model_and_bin_agree) {
    const std::string dir = qs::test::sharedDir() + "/models/qs-tiny-llama/";
    const auto bin = qs::openTokenizer(dir + "tokenizer.bin");
    QS_CHECK_EQ(bin->vocabSize(), 2048);
    QS_CHECK_EQ(bin->bosId(), 1);
    QS_CHECK_EQ(bin->eosId(), 2);
#ifdef QS_HAVE_SENTENCEPIECE
    const auto model = qs::openTokenizer(dir + "tokenizer.model");
    QS_CHECK_EQ(model->vocabSize(), 2048);
    const std::vector<const qs::Tokenizer*> readers = {model.get(), bin.get()};
    const std::vector<const char*> names = {"tiny tokenizer.model", "tiny tokenizer.bin"};
    checkSameIds(readers, names, firstChars(wikitext(), kPrefixChars), "WikiText-2 20000 chars");
    checkSameIds(readers, names, firstChars(frankenstein(), kPrefixChars), "Frankenstein 20000 chars");
    checkSameIds(readers, names, wikitext(), "WikiText-2 whole");
    checkSameIds(readers, names, frankenstein(), "Frankenstein whole");
    // The README: a newline encodes as <0x0A> (byte fallback, id 3 + 10).
    const std::vector<int32_t> newline = model->encode("a\nb", false);
    QS_CHECK_EQ(std::count(newline.begin(), newline.end(), 13), 1);
    QS_CHECK(bin->encode("a\nb", false) == newline);
#else
    checkSameIds({bin.get()}, {"tiny tokenizer.bin"}, wikitext(), "WikiText-2 whole");
#endif
}

QS_TEST(llama2_vocab_readers_agree_on_whole_files) {
    const std::string models = qs::test::sharedDir() + "/models/";
    const auto gguf = qs::openTokenizer(models + "gguf/ggml-vocab-llama-spm.gguf");
    const auto bin = qs::openTokenizer(models + "llama2c/tokenizer.bin");
    std::vector<const qs::Tokenizer*> readers = {gguf.get(), bin.get()};
    std::vector<const char*> names = {"llama-2 gguf", "llama-2 tokenizer.bin"};
#ifdef QS_HAVE_SENTENCEPIECE
    const auto model = qs::openTokenizer(models + "tokenizers/llama2-tokenizer.model");
    readers.push_back(model.get());
    names.push_back("llama-2 tokenizer.model");
#endif
    checkSameIds(readers, names, wikitext(), "WikiText-2 whole");
    checkSameIds(readers, names, frankenstein(), "Frankenstein whole");
}

#ifdef QS_HAVE_PCRE2
QS_TEST(llama3_tokenizer_json_is_lossless_on_whole_files) {
    const auto t = qs::openTokenizer(qs::test::sharedDir() + "/models/tokenizers/llama3-tokenizer.json");
    encodeRoundTrip(*t, wikitext(), "llama-3 tokenizer.json, WikiText-2 whole");
    encodeRoundTrip(*t, frankenstein(), "llama-3 tokenizer.json, Frankenstein whole");
}
#endif

QS_TEST(mistral_tokenizer_json_is_lossless_on_whole_files) {
    const auto t = qs::openTokenizer(qs::test::sharedDir() + "/models/tokenizers/llama2-tokenizer.json");
    encodeRoundTrip(*t, wikitext(), "llama2-tokenizer.json (Mistral), WikiText-2");
    encodeRoundTrip(*t, frankenstein(), "llama2-tokenizer.json (Mistral), Frankenstein");
}
