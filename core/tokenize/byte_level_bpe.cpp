#include <array>

#include "formats/format_error.h"
#include "tokenize/added_token_split.h"
#include "tokenize/bpe_merge_table.h"
#include "tokenize/ranked_bpe.h"
#include "tokenize/utf8.h"

namespace qs {

namespace {

// GPT-2 bytes_to_unicode (openai/gpt-2 encoder.py): printable Latin-1 bytes
// stand for themselves, the other 68 bytes for U+0100.. in byte order, so a
// token never contains whitespace or control characters.
struct ByteAlphabet {
    std::array<std::string, 256> spelling;  // byte -> UTF-8 of its character
    std::array<int16_t, 324> byteOf{};      // code point -> byte, -1 for none
    ByteAlphabet() {
        byteOf.fill(-1);
        uint32_t next = 256;
        for (uint32_t b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            const uint32_t cp = printable ? b : next++;
            utf8::appendCodepoint(cp, spelling[b]);
            byteOf[cp] = int16_t(b);
        }
    }
};
const ByteAlphabet& byteAlphabet() {
    static const ByteAlphabet a;
    return a;
}

class ByteLevelBpe final : public Tokenizer {
public:
    ByteLevelBpe(RankedBpeVocab v, std::unique_ptr<PreTokenizer> pre, const std::string& path)
        : v_(std::move(v)), pre_(std::move(pre)), table_(v_.tokens, v_.merges, path), added_(v_.tokens, v_.addedIds),
          isAdded_(v_.tokens.size(), false) {
        v_.merges = {};  // the table holds them now
        for (const int32_t id : v_.addedIds) isAdded_[id] = true;
        for (int b = 0; b < 256; ++b) {
            byteIds_[b] = table_.tokenId(byteAlphabet().spelling[b]);
            if (byteIds_[b] < 0)
                throw FormatError(path, "byte-level vocabulary has no token for byte " + std::to_string(b) + " (\"" +
                                            byteAlphabet().spelling[b] + "\")");
        }
    }

    std::vector<int32_t> encode(std::string_view text, bool addBos) const override {
        std::vector<int32_t> ids;
        if (addBos && v_.bosId >= 0) ids.push_back(v_.bosId);
        for (const TextFragment& f : added_.split(text)) {
            if (f.addedId >= 0) ids.push_back(f.addedId);
            else
                for (const std::string_view piece : pre_->split(f.text)) encodePiece(piece, ids);
        }
        return ids;
    }

    std::string decode(const std::vector<int32_t>& ids) const override {
        std::string out;
        for (const int32_t id : ids) {
            if (id < 0 || id >= int32_t(v_.tokens.size())) continue;
            const std::string& t = v_.tokens[id];
            if (isAdded_[id]) {
                out += t;
                continue;
            }
            for (size_t pos = 0; pos < t.size();) {
                const uint32_t cp = utf8::codepointAt(t, pos);
                const size_t len = utf8::sequenceLength(t, pos);
                if (cp < byteAlphabet().byteOf.size() && byteAlphabet().byteOf[cp] >= 0) out += char(byteAlphabet().byteOf[cp]);
                else out.append(t, pos, len);  // not of the byte alphabet: keep as written
                pos += len;
            }
        }
        return out;
    }

    int64_t vocabSize() const override { return int64_t(v_.tokens.size()); }
    int32_t bosId() const override { return v_.bosId; }
    int32_t eosId() const override { return v_.eosId; }

private:
    void encodePiece(std::string_view piece, std::vector<int32_t>& ids) const {
        bpe::checkMergeableLength(piece.size() * 2);
        std::string spelled;
        std::vector<bpe::Symbol> symbols;
        symbols.reserve(piece.size());
        for (const char c : piece) {
            bpe::Symbol s;
            s.begin = uint32_t(spelled.size());
            spelled += byteAlphabet().spelling[uint8_t(c)];
            s.end = uint32_t(spelled.size());
            s.id = byteIds_[uint8_t(c)];
            symbols.push_back(s);
        }
        if (v_.ignoreMerges) {
            if (const int32_t whole = table_.tokenId(spelled); whole >= 0) {
                ids.push_back(whole);
                return;
            }
        }
        const auto pairMerge = [this](const bpe::Symbol& l, const bpe::Symbol& r) { return table_.find(l.id, r.id); };
        for (const bpe::Symbol& s : bpe::mergeAdjacent(std::move(symbols), pairMerge)) ids.push_back(s.id);
    }

    RankedBpeVocab v_;
    std::unique_ptr<PreTokenizer> pre_;
    BpeMergeTable table_;
    AddedTokenSplitter added_;
    std::vector<bool> isAdded_;
    std::array<int32_t, 256> byteIds_{};
};

}  // namespace

std::unique_ptr<Tokenizer> makeByteLevelBpe(RankedBpeVocab vocab, std::unique_ptr<PreTokenizer> pre,
                                            const std::string& path) {
    return std::make_unique<ByteLevelBpe>(std::move(vocab), std::move(pre), path);
}

}  // namespace qs
