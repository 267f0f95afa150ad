#include "tokenize/sentencepiece_bpe.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "formats/format_error.h"
#include "tokenize/bpe_merge.h"
#include "tokenize/utf8.h"

namespace qs {

namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581, sentencepiece's visible space
// What sentencepiece's decoder shows for the unknown piece.
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 ";  // " ⁇ "

using RevMerge = std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>>;

class SentencePieceBpe final : public Tokenizer {
public:
    SentencePieceBpe(ScoredVocab v, const std::string& path) : v_(std::move(v)) {
        const size_t n = v_.pieces.size();
        if (n == 0) throw FormatError(path, "the vocabulary has no pieces");
        if (v_.scores.size() != n || v_.types.size() != n)
            throw FormatError(path, std::to_string(n) + " pieces but " + std::to_string(v_.scores.size()) +
                                        " scores and " + std::to_string(v_.types.size()) + " piece types");
        for (const auto& [name, id] : {std::pair{"BOS", v_.bosId}, {"EOS", v_.eosId}, {"unknown", v_.unkId}})
            if (id < -1 || id >= int32_t(n))
                throw FormatError(path, std::string(name) + " id " + std::to_string(id) + " is outside the " +
                                            std::to_string(n) + "-piece vocabulary");
        byteIds_.fill(-1);
        for (int32_t id = 0; id < int32_t(n); ++id) {
            const std::string& p = v_.pieces[id];
            switch (v_.types[id]) {
            case PieceType::Byte:
                if (const int b = parseBytePiece(p); b >= 0) {
                    byteIds_[b] = id;
                    hasByteFallback_ = true;
                } else {
                    throw FormatError(path, "byte piece " + std::to_string(id) + " is \"" + p + "\", not <0xNN>");
                }
                break;
            case PieceType::UserDefined:
                maxUserDefinedBytes_ = std::max(maxUserDefinedBytes_, p.size());
                [[fallthrough]];
            case PieceType::Normal:
            case PieceType::Unused:
                // sentencepiece merges only into these (model_interface.cc InitializePieces).
                if (!p.empty()) mergeable_.emplace(p, id);
                break;
            case PieceType::Unknown:
            case PieceType::Control:
                break;
            }
        }
        if (v_.unkId < 0 && !hasByteFallback_)
            throw FormatError(path, "the vocabulary has neither byte pieces nor an unknown piece, so text outside it "
                                    "could not be encoded");
    }

    std::vector<int32_t> encode(std::string_view text, bool addBos) const override {
        std::vector<int32_t> ids;
        if (addBos && v_.bosId >= 0) ids.push_back(v_.bosId);
        if (text.empty()) return ids;  // no dummy prefix for empty text (sentencepiece, llama.cpp)
        const std::string normalized = normalize(text);
        bpe::checkMergeableLength(normalized.size());

        RevMerge revMerge;
        const auto pairMerge = [&](const bpe::Symbol& l, const bpe::Symbol& r) -> std::optional<bpe::PairMerge> {
            const std::string_view piece(normalized.data() + l.begin, r.end - l.begin);
            const auto it = mergeable_.find(piece);
            if (it == mergeable_.end()) return std::nullopt;
            // An unused piece may be a stepping stone but is split again on
            // output (bpe_model.cc "resegmentation").
            if (v_.types[it->second] == PieceType::Unused)
                revMerge[piece] = {piece.substr(0, l.end - l.begin), piece.substr(l.end - l.begin)};
            return bpe::PairMerge{v_.scores[it->second], it->second};
        };
        bool lastWasUnknown = false;
        for (const bpe::Symbol& s : bpe::mergeAdjacent(splitSymbols(normalized), pairMerge))
            resegment(std::string_view(normalized).substr(s.begin, s.end - s.begin), revMerge, ids, lastWasUnknown);
        return ids;
    }

    std::string decode(const std::vector<int32_t>& ids) const override {
        std::string out;
        bool atStart = true;  // the dummy prefix space of the first piece is dropped
        for (const int32_t id : ids) {
            if (id < 0 || id >= int32_t(v_.pieces.size())) continue;
            const std::string& p = v_.pieces[id];
            switch (v_.types[id]) {
            case PieceType::Control: continue;
            case PieceType::Unknown: out += kUnknownSurface; break;
            case PieceType::Byte: out += char(parseBytePiece(p)); break;
            default: {
                std::string_view piece = p;
                if (atStart && v_.addDummyPrefix && piece.starts_with(kSpaceSymbol)) piece.remove_prefix(kSpaceSymbol.size());
                appendWithSpaces(piece, out);
            }
            }
            atStart = false;
        }
        return out;
    }

    int64_t vocabSize() const override { return int64_t(v_.pieces.size()); }
    int32_t bosId() const override { return v_.bosId; }
    int32_t eosId() const override { return v_.eosId; }

private:
    // <0xNN> -> NN, or -1.
    static int parseBytePiece(std::string_view p) {
        if (p.size() != 6 || !p.starts_with("<0x") || p[5] != '>') return -1;
        const int hi = hexDigit(p[3]), lo = hexDigit(p[4]);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }
    static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    }

    // sentencepiece's normalizer with the Llama settings (identity rules,
    // add_dummy_prefix, escape_whitespaces): a leading space, then every
    // space spelled U+2581.
    std::string normalize(std::string_view text) const {
        std::string out;
        out.reserve(text.size() + text.size() / 2 + 3);
        if (v_.addDummyPrefix) out += kSpaceSymbol;
        appendEscapingSpaces(text, out);
        return out;
    }
    static void appendEscapingSpaces(std::string_view text, std::string& out) {
        for (const char c : text) {
            if (c == ' ') out += kSpaceSymbol;
            else out += c;
        }
    }
    static void appendWithSpaces(std::string_view piece, std::string& out) {
        for (size_t i = 0; i < piece.size();) {
            if (piece.substr(i).starts_with(kSpaceSymbol)) {
                out += ' ';
                i += kSpaceSymbol.size();
            } else {
                out += piece[i++];
            }
        }
    }

    // One symbol per UTF-8 character, except that a user-defined piece is
    // one frozen symbol (sentencepiece's PrefixMatcher, longest match).
    std::vector<bpe::Symbol> splitSymbols(const std::string& text) const {
        std::vector<bpe::Symbol> symbols;
        symbols.reserve(text.size());
        for (size_t pos = 0; pos < text.size();) {
            bpe::Symbol s;
            s.begin = uint32_t(pos);
            size_t len = utf8::sequenceLength(text, pos);
            for (size_t k = std::min(maxUserDefinedBytes_, text.size() - pos); k > 0; --k) {
                const auto it = mergeable_.find(std::string_view(text).substr(pos, k));
                if (it != mergeable_.end() && v_.types[it->second] == PieceType::UserDefined) {
                    len = k;
                    s.frozen = true;
                    break;
                }
            }
            pos += len;
            s.end = uint32_t(pos);
            symbols.push_back(s);
        }
        return symbols;
    }

    void resegment(std::string_view piece, const RevMerge& revMerge, std::vector<int32_t>& ids,
                   bool& lastWasUnknown) const {
        const auto it = mergeable_.find(piece);
        if (it != mergeable_.end()) {
            const auto split = revMerge.find(piece);
            if (v_.types[it->second] == PieceType::Unused && split != revMerge.end()) {
                resegment(split->second.first, revMerge, ids, lastWasUnknown);
                resegment(split->second.second, revMerge, ids, lastWasUnknown);
                return;
            }
            ids.push_back(it->second);
            lastWasUnknown = false;
            return;
        }
        // Not a piece: its UTF-8 bytes as <0xNN> pieces (byte_fallback), else
        // one unknown piece for a whole run of unknown text (sentencepiece
        // merges consecutive unknowns).
        if (hasByteFallback_) {
            for (const char c : piece) ids.push_back(byteIds_[uint8_t(c)] >= 0 ? byteIds_[uint8_t(c)] : v_.unkId);
            lastWasUnknown = false;
        } else if (!lastWasUnknown) {
            ids.push_back(v_.unkId);
            lastWasUnknown = true;
        }
    }

    ScoredVocab v_;
    std::unordered_map<std::string_view, int32_t> mergeable_;  // views into v_.pieces
    std::array<int32_t, 256> byteIds_{};
    bool hasByteFallback_ = false;
    size_t maxUserDefinedBytes_ = 0;
};

}  // namespace

std::unique_ptr<Tokenizer> makeSentencePieceBpe(ScoredVocab vocab, const std::string& path) {
    return std::make_unique<SentencePieceBpe>(std::move(vocab), path);
}

}  // namespace qs
