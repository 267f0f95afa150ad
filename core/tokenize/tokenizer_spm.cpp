// sentencepiece .model through libsentencepiece itself (compiled only when
// the library was found): the reference the plain C++ BPE is checked against.
#include <sentencepiece_processor.h>

#include "formats/format_error.h"
#include "tokenize/tokenizer_readers.h"

namespace qs {

namespace {

class SentencePieceModel final : public Tokenizer {
public:
    explicit SentencePieceModel(const std::string& path) {
        const auto status = sp_.Load(path);
        if (!status.ok()) throw FormatError(path, "not a sentencepiece model: " + status.ToString());
        if (sp_.GetPieceSize() <= 0) throw FormatError(path, "the sentencepiece model has no pieces");
    }

    std::vector<int32_t> encode(std::string_view text, bool addBos) const override {
        std::vector<int> pieces;
        const auto status = sp_.Encode(text, &pieces);
        // Encode fails only on a model that failed to load, which the constructor rules out.
        if (!status.ok()) throw std::runtime_error("sentencepiece Encode: " + status.ToString());
        std::vector<int32_t> ids;
        ids.reserve(pieces.size() + 1);
        if (addBos && sp_.bos_id() >= 0) ids.push_back(sp_.bos_id());
        ids.insert(ids.end(), pieces.begin(), pieces.end());
        return ids;
    }

    std::string decode(const std::vector<int32_t>& ids) const override {
        // sentencepiece rejects the whole call for one id out of range; drop
        // such ids instead, as the other tokenizers do.
        std::vector<int> valid;
        for (const int32_t id : ids)
            if (id >= 0 && id < sp_.GetPieceSize()) valid.push_back(id);
        std::string text;
        const auto status = sp_.Decode(valid, &text);
        if (!status.ok()) throw std::runtime_error("sentencepiece Decode: " + status.ToString());
        return text;
    }

    int64_t vocabSize() const override { return sp_.GetPieceSize(); }
    int32_t bosId() const override { return sp_.bos_id(); }
    int32_t eosId() const override { return sp_.eos_id(); }

private:
    sentencepiece::SentencePieceProcessor sp_;
};

}  // namespace

std::unique_ptr<Tokenizer> openSentencePieceModel(const std::string& path) {
    return std::make_unique<SentencePieceModel>(path);
}

}  // namespace qs
