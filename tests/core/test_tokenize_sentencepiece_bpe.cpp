// The SPM-style BPE on hand-made vocabularies, for the rules the real Llama
// vocabularies never exercise: unused pieces, user-defined pieces, unknown
// text without byte pieces, ties. Expected ids follow sentencepiece's
// bpe_model.cc by hand.
#include <string>
#include <vector>

#include "check.h"
#include "tokenize/sentencepiece_bpe.h"

namespace {

using qs::PieceType;

enum : int32_t { kUnk, kBos, kEos, kA, kB, kC, kAbUnused, kBc, kUserX, kALess, kLess, kX, kGreater, kAa, kSpace, kSpaceA };

qs::ScoredVocab fixtureVocab() {
    qs::ScoredVocab v;
    const auto add = [&](std::string piece, float score, PieceType type) {
        v.pieces.push_back(std::move(piece));
        v.scores.push_back(score);
        v.types.push_back(type);
    };
    add("<unk>", 0, PieceType::Unknown);
    add("<s>", 0, PieceType::Control);
    add("</s>", 0, PieceType::Control);
    add("a", -100, PieceType::Normal);
    add("b", -100, PieceType::Normal);
    add("c", -100, PieceType::Normal);
    add("ab", 5, PieceType::Unused);
    add("bc", 1, PieceType::Normal);
    add("<x>", 0, PieceType::UserDefined);
    add("a<", 10, PieceType::Normal);
    add("<", -100, PieceType::Normal);
    add("x", -100, PieceType::Normal);
    add(">", -100, PieceType::Normal);
    add("aa", 1, PieceType::Normal);
    add("\xE2\x96\x81", -100, PieceType::Normal);
    add("\xE2\x96\x81" "a", 2, PieceType::Normal);
    v.unkId = kUnk;
    v.bosId = kBos;
    v.eosId = kEos;
    v.addDummyPrefix = false;
    return v;
}

std::vector<int32_t> encode(const std::string& text, bool dummyPrefix = false) {
    qs::ScoredVocab v = fixtureVocab();
    v.addDummyPrefix = dummyPrefix;
    return qs::makeSentencePieceBpe(std::move(v), "fixture")->encode(text, false);
}

using Ids = std::vector<int32_t>;

}  // namespace

QS_TEST(unused_piece_is_merged_then_split_again) {
    // "ab" (unused, score 5) wins over "bc" (1), so "bc" never forms; the
    // output spells "ab" as its halves. Skipping unused pieces would give
    // a, bc; treating them as normal would give ab, c.
    QS_CHECK(encode("abc") == (Ids{kA, kB, kC}));
}

QS_TEST(user_defined_piece_is_one_frozen_symbol) {
    // Without freezing, "a<" (score 10) would merge first.
    QS_CHECK(encode("a<x>b") == (Ids{kA, kUserX, kB}));
    QS_CHECK(encode("a<x") == (Ids{kALess, kX}));
}

QS_TEST(equal_scores_merge_leftmost_first) {
    QS_CHECK(encode("aaa") == (Ids{kAa, kA}));
    QS_CHECK(encode("aaaaa") == (Ids{kAa, kAa, kA}));
}

QS_TEST(unknown_run_without_byte_pieces_is_one_unknown) {
    QS_CHECK(encode("aZ\xC3\xA9Zb") == (Ids{kA, kUnk, kB}));
    QS_CHECK(encode("ZaZ") == (Ids{kUnk, kA, kUnk}));
    const auto t = qs::makeSentencePieceBpe(fixtureVocab(), "fixture");
    QS_CHECK_EQ(t->decode(Ids{kBos, kA, kUnk, kB, kEos}), "a \xE2\x81\x87 b");
}

QS_TEST(dummy_prefix_is_added_and_taken_back) {
    QS_CHECK(encode("a", true) == (Ids{kSpaceA}));
    QS_CHECK(encode(" a", true) == (Ids{kSpace, kSpaceA}));
    QS_CHECK(encode("", true).empty());
    qs::ScoredVocab v = fixtureVocab();
    v.addDummyPrefix = true;
    const auto t = qs::makeSentencePieceBpe(std::move(v), "fixture");
    QS_CHECK_EQ(t->decode(t->encode(" a a", true)), " a a");
    QS_CHECK(t->encode("a", true) == (Ids{kBos, kSpaceA}));
}

QS_TEST(inconsistent_vocabulary_is_a_format_error) {
    qs::ScoredVocab v = fixtureVocab();
    v.scores.pop_back();
    QS_CHECK_THROWS_WITH(qs::makeSentencePieceBpe(v, "vocab.gguf"), "vocab.gguf: 16 pieces but 15 scores");
    v = fixtureVocab();
    v.bosId = 99;
    QS_CHECK_THROWS_WITH(qs::makeSentencePieceBpe(v, "vocab.gguf"), "BOS id 99 is outside the 16-piece vocabulary");
    v = fixtureVocab();
    v.unkId = -1;
    QS_CHECK_THROWS_WITH(qs::makeSentencePieceBpe(v, "vocab.gguf"), "neither byte pieces nor an unknown piece");
    v = fixtureVocab();
    v.types[kA] = PieceType::Byte;
    QS_CHECK_THROWS_WITH(qs::makeSentencePieceBpe(v, "vocab.gguf"), "byte piece 3 is \"a\", not <0xNN>");
}
