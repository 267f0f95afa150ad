// The tokenizer that belongs to a checkpoint, and what happens when there is
// none, it does not fit, or its file is missing or broken.
#include <fstream>
#include <string>

#include "check.h"
#include "formats/checkpoint.h"
#include "tokenize/tokenizer.h"

namespace {

std::string shared(const std::string& rel) { return qs::test::sharedDir() + rel; }

std::string writeFixture(const std::string& name, const std::string& bytes) {
    const std::string path = qs::test::tempDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

}  // namespace

QS_TEST(stories260k_with_the_llama2_tokenizer_bin_is_a_vocab_mismatch) {
    const auto ckpt = qs::openCheckpoint(shared("/models/llama2c/stories260K.bin"));
    QS_CHECK_EQ(ckpt->tokenizerPath, shared("/models/llama2c/tokenizer.bin"));
    QS_CHECK_THROWS_WITH(qs::tokenizerForCheckpoint(*ckpt),
                         "tokenizer has 32000 tokens but the model's vocabulary is 512");
    QS_CHECK_THROWS_WITH(qs::tokenizerForCheckpoint(*ckpt), "tokenizer.bin");
}

QS_TEST(checkpoints_find_their_tokenizer) {
    // HF directory: tokenizer.model beside config.json (tokenizer.bin without sentencepiece).
    const auto tiny = qs::openCheckpoint(shared("/models/qs-tiny-llama"));
#ifdef QS_HAVE_SENTENCEPIECE
    const auto t = qs::tokenizerForCheckpoint(*tiny);
    QS_CHECK_EQ(t->vocabSize(), 2048);
    QS_CHECK_EQ(t->decode(t->encode("Holmes laughed.", true)), "Holmes laughed.");
#else
    QS_CHECK_THROWS_WITH(qs::tokenizerForCheckpoint(*tiny), "no sentencepiece library");
#endif
    // llama2.c checkpoint: tokenizer.bin beside it.
    const auto bin = qs::openCheckpoint(shared("/models/qs-tiny-llama/model.llama2c.bin"));
    QS_CHECK_EQ(qs::tokenizerForCheckpoint(*bin)->vocabSize(), 2048);
    // GGUF: the vocabulary inside the file.
    const auto gguf = qs::openCheckpoint(shared("/models/gguf/llama-2-tiny-random.gguf"));
    const auto g = qs::tokenizerForCheckpoint(*gguf);
    QS_CHECK_EQ(g->vocabSize(), 32000);
    QS_CHECK(g->encode("Hello world", true) == (std::vector<int32_t>{1, 15043, 3186}));
}

QS_TEST(checkpoint_without_tokenizer_says_so) {
    qs::Checkpoint ckpt;
    ckpt.path = "/models/some-model";
    QS_CHECK_THROWS_WITH(qs::tokenizerForCheckpoint(ckpt), "/models/some-model: no tokenizer beside the model");
    ckpt.format = qs::CheckpointFormat::Gguf;
    QS_CHECK_THROWS_WITH(qs::tokenizerForCheckpoint(ckpt), "carries no vocabulary");
    // A vocab-only GGUF has no model configuration to compare against.
    ckpt.hasConfig = false;
    ckpt.tokenizerPath = shared("/models/gguf/ggml-vocab-llama-spm.gguf");
    QS_CHECK_EQ(qs::tokenizerForCheckpoint(ckpt)->vocabSize(), 32000);
}

QS_TEST(missing_tokenizer_file_is_named) {
    for (const char* name : {"tokenizer.model", "tokenizer.json", "tokenizer.bin", "vocab.gguf"}) {
        const std::string path = qs::test::tempDir() + "/absent/" + name;
        QS_CHECK_THROWS_WITH(qs::openTokenizer(path), path + ": no such tokenizer file");
    }
    QS_CHECK_THROWS_WITH(qs::openTokenizer(writeFixture("vocab.txt", "a\nb\n")), "unknown tokenizer file kind \".txt\"");
}

QS_TEST(corrupt_tokenizer_files_are_named) {
    const std::string garbage = "this is not a tokenizer\n";
#ifdef QS_HAVE_SENTENCEPIECE
    const std::string model = writeFixture("broken.model", garbage);
    QS_CHECK_THROWS_WITH(qs::openTokenizer(model), model + ": not a sentencepiece model");
#endif
    const std::string json = writeFixture("broken.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": ");
    QS_CHECK_THROWS_WITH(qs::openTokenizer(json), json + ": not valid JSON");
    const std::string unigram = writeFixture("unigram.json", R"({"model": {"type": "Unigram", "vocab": []}})");
    QS_CHECK_THROWS_WITH(qs::openTokenizer(unigram), "model type \"Unigram\" is not supported");
    const std::string badMerge = writeFixture(
        "bad-merge.json",
        R"({"normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}, "pre_tokenizer": null,
            "model": {"type": "BPE", "unk_token": "<unk>", "vocab": {"<unk>": 0, "a": 1, "b": 2}, "merges": ["a b"]}})");
    QS_CHECK_THROWS_WITH(qs::openTokenizer(badMerge), "merge 0 (\"a\" \"b\") uses or makes \"ab\"");
    const std::string wrongShape = writeFixture("wrong-shape.json", R"({"model": {"vocab": {"a": "zero"}}})");
    QS_CHECK_THROWS_WITH(qs::openTokenizer(wrongShape), wrongShape + ": unexpected tokenizer.json layout");
    // Found by the fuzzer under UBSan's float-cast-overflow: an id no integer can hold.
    const std::string floatId = writeFixture("float-id.json", R"({"model": {"vocab": {"a": 1e20}, "merges": []}})");
    QS_CHECK_THROWS_WITH(qs::openTokenizer(floatId), floatId + ": token \"a\" has id 1e+20, not an integer");

    // tokenizer.bin cut inside its third record.
    std::ifstream in(shared("/models/llama2c/tokenizer.bin"), std::ios::binary);
    std::string bin(64, '\0');
    in.read(bin.data(), 40);
    bin.resize(40);
    const std::string truncated = writeFixture("truncated-tokenizer.bin", bin);
    QS_CHECK_THROWS_WITH(qs::openTokenizer(truncated), truncated + ": truncated");
    // Not written by tokenizer.py: no "\n<s>\n" piece.
    std::string plain(4, '\0');
    plain[0] = 4;
    for (const char* piece : {"a", "b"}) {
        plain.append(4, '\0');  // score 0.0
        plain += char(1), plain.append(3, '\0');
        plain += piece;
    }
    const std::string noBos = writeFixture("no-bos-tokenizer.bin", plain);
    QS_CHECK_THROWS_WITH(qs::openTokenizer(noBos), noBos + ": no \"\\n<s>\\n\"");

    const std::string gguf = writeFixture("broken.gguf", garbage);
    QS_CHECK_THROWS_WITH(qs::openTokenizer(gguf), gguf + ": not a GGUF file");
    // A well-formed GGUF v3 with no tokenizer.ggml.* keys: one key/value, no tensors.
    std::string noVocab = "GGUF";
    const auto put = [&](auto v) { noVocab.append(reinterpret_cast<const char*>(&v), sizeof v); };
    put(uint32_t(3)), put(uint64_t(0)), put(uint64_t(1));
    put(uint64_t(20)), noVocab += "general.architecture";
    put(uint32_t(8)), put(uint64_t(5)), noVocab += "llama";
    noVocab.resize((noVocab.size() + 31) / 32 * 32, '\0');
    const std::string empty = writeFixture("no-vocab.gguf", noVocab);
    QS_CHECK_THROWS_WITH(qs::openTokenizer(empty), empty + ": no tokenizer.ggml.model");
}
