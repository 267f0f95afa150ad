#include <array>

#include "formats/format_error.h"
#include "tokenize/added_token_split.h"
#include "tokenize/bpe_merge_table.h"
#include "tokenize/ranked_bpe.h"
#include "tokenize/utf8.h"

namespace qs {

namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581

class MetaspaceBpe final : public Tokenizer {
public:
    MetaspaceBpe(RankedBpeVocab v, const std::string& path)
        : v_(std::move(v)), table_(v_.tokens, v_.merges, path), added_(v_.tokens, v_.addedIds),
          isAdded_(v_.tokens.size(), false) {
        v_.merges = {};  // the table holds them now
        for (const int32_t id : v_.addedIds) isAdded_[id] = true;
        static constexpr char kHex[] = "0123456789ABCDEF";
        for (int b = 0; b < 256; ++b) {
            byteIds_[b] = table_.tokenId(std::string{'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'});
            if (byteIds_[b] >= 0) byteOfId_.emplace(byteIds_[b], uint8_t(b));
        }
        if (v_.unkId < 0 && byteOfId_.size() < 256)
            throw FormatError(path, "the vocabulary has neither all 256 <0xNN> byte tokens nor an unknown token, so "
                                    "text outside it could not be encoded");
    }

    std::vector<int32_t> encode(std::string_view text, bool addBos) const override {
        std::vector<int32_t> ids;
        if (addBos && v_.bosId >= 0) ids.push_back(v_.bosId);
        for (const TextFragment& f : added_.split(text)) {
            if (f.addedId >= 0) ids.push_back(f.addedId);
            else encodeFragment(f.text, ids);
        }
        return ids;
    }

    std::string decode(const std::vector<int32_t>& ids) const override {
        std::string out;
        for (const int32_t id : ids) {
            if (id < 0 || id >= int32_t(v_.tokens.size())) continue;
            const std::string& t = v_.tokens[id];
            if (const auto b = byteOfId_.find(id); b != byteOfId_.end()) {
                out += char(b->second);
            } else if (isAdded_[id]) {
                out += t;
            } else {
                for (size_t pos = 0; pos < t.size();) {
                    if (std::string_view(t).substr(pos).starts_with(kSpaceSymbol)) {
                        out += ' ';
                        pos += kSpaceSymbol.size();
                    } else {
                        out += t[pos++];
                    }
                }
            }
        }
        // The decoder's Strip(start=1) takes back the prepended space.
        if (!out.empty() && out[0] == ' ') out.erase(0, 1);
        return out;
    }

    int64_t vocabSize() const override { return int64_t(v_.tokens.size()); }
    int32_t bosId() const override { return v_.bosId; }
    int32_t eosId() const override { return v_.eosId; }

private:
    void encodeFragment(std::string_view text, std::vector<int32_t>& ids) const {
        std::string normalized(kSpaceSymbol);
        for (const char c : text) {
            if (c == ' ') normalized += kSpaceSymbol;
            else normalized += c;
        }
        bpe::checkMergeableLength(normalized.size());
        std::vector<bpe::Symbol> symbols;
        symbols.reserve(normalized.size());
        for (size_t pos = 0; pos < normalized.size();) {
            bpe::Symbol s;
            s.begin = uint32_t(pos);
            pos += utf8::sequenceLength(normalized, pos);
            s.end = uint32_t(pos);
            s.id = table_.tokenId(std::string_view(normalized).substr(s.begin, s.end - s.begin));
            symbols.push_back(s);
        }
        const auto pairMerge = [this](const bpe::Symbol& l, const bpe::Symbol& r) { return table_.find(l.id, r.id); };
        bool lastWasUnknown = false;
        for (const bpe::Symbol& s : bpe::mergeAdjacent(std::move(symbols), pairMerge)) {
            if (s.id >= 0) {
                ids.push_back(s.id);
                lastWasUnknown = false;
                continue;
            }
            // A character outside the vocabulary: its bytes (byte_fallback),
            // else one unknown token per run of them (fuse_unk).
            for (size_t i = s.begin; i < s.end; ++i) {
                const int32_t byteId = byteIds_[uint8_t(normalized[i])];
                if (byteId >= 0) {
                    ids.push_back(byteId);
                    lastWasUnknown = false;
                } else if (!lastWasUnknown) {
                    ids.push_back(v_.unkId);
                    lastWasUnknown = true;
                }
            }
        }
    }

    RankedBpeVocab v_;
    BpeMergeTable table_;
    AddedTokenSplitter added_;
    std::vector<bool> isAdded_;
    std::array<int32_t, 256> byteIds_{};
    std::unordered_map<int32_t, uint8_t> byteOfId_;
};

}  // namespace

std::unique_ptr<Tokenizer> makeMetaspaceBpe(RankedBpeVocab vocab, const std::string& path) {
    return std::make_unique<MetaspaceBpe>(std::move(vocab), path);
}

}  // namespace qs
