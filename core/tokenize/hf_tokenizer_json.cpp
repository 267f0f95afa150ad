// Hugging Face tokenizer.json (tokenizers' serialization) for BPE models in
// the two layouts Llama checkpoints ship: byte-level with a Split regex
// (Llama-3; GPT-2 style ByteLevel too) and the Llama-2 normalizer "Prepend
// U+2581 + Replace ' ' -> U+2581" with byte fallback. BOS/EOS come from the
// tokenizer_config.json beside it.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "formats/format_error.h"
#include "formats/mapped_file.h"
#include "tokenize/ranked_bpe.h"
#include "tokenize/tokenizer_readers.h"

namespace qs {

namespace {

using nlohmann::json;

// Far above any real vocabulary (Llama-3: 128256); a larger id is corruption
// and must not make us allocate for it.
constexpr int64_t kMaxTokenId = 1 << 24;
constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581

json parseJsonFile(const std::string& path) {
    const MappedFile f(path);
    const char* p = reinterpret_cast<const char*>(f.data());
    try {
        return json::parse(p, p + f.size());
    } catch (const json::exception& e) {
        throw FormatError(path, std::string("not valid JSON: ") + e.what());
    }
}

void setToken(RankedBpeVocab& v, const json& id, const std::string& spelling, const std::string& path) {
    // A float id (1e20) may have no int64 value: converting it would be undefined.
    if (id.is_number_float())
        throw FormatError(path, "token \"" + spelling + "\" has id " + id.dump() + ", not an integer");
    const int64_t i = id.get<int64_t>();
    if (i < 0 || i >= kMaxTokenId)
        throw FormatError(path, "token \"" + spelling + "\" has id " + std::to_string(i) + ", outside 0.." +
                                    std::to_string(kMaxTokenId - 1));
    if (size_t(i) >= v.tokens.size()) v.tokens.resize(size_t(i) + 1);
    v.tokens[size_t(i)] = spelling;
}

// model.merges holds "a b" strings (tokenizers < 0.20) or [a, b] pairs.
std::pair<std::string, std::string> parseMerge(const json& m, size_t rank, const std::string& path) {
    if (m.is_array() && m.size() == 2) return {m[0].get<std::string>(), m[1].get<std::string>()};
    if (m.is_string()) {
        const std::string s = m.get<std::string>();
        const size_t space = s.find(' ');
        if (space != std::string::npos && s.find(' ', space + 1) == std::string::npos)
            return {s.substr(0, space), s.substr(space + 1)};
    }
    throw FormatError(path, "merge " + std::to_string(rank) + " is " + m.dump() + ", neither \"a b\" nor [a, b]");
}

int32_t idOf(const RankedBpeVocab& v, std::string_view spelling) {
    for (size_t id = 0; id < v.tokens.size(); ++id)
        if (v.tokens[id] == spelling) return int32_t(id);
    return -1;
}

// tokenizer_config.json's bos_token / eos_token: a string or {"content": ...}.
std::string configToken(const json& config, const char* key) {
    const auto it = config.find(key);
    if (it == config.end() || it->is_null()) return {};
    if (it->is_object()) return it->value("content", "");
    return it->get<std::string>();
}

// BOS and EOS from "<name>_config.json" beside "<name>.json" (so
// tokenizer.json -> tokenizer_config.json), else the Llama spellings.
void findBosEos(RankedBpeVocab& v, const std::string& path) {
    std::string bos, eos;
    const std::string configPath = path.substr(0, path.size() - 5) + "_config.json";
    std::error_code ec;
    if (path.ends_with(".json") && std::filesystem::is_regular_file(configPath, ec)) {
        const json config = parseJsonFile(configPath);
        if (!config.is_object()) throw FormatError(configPath, "not a JSON object");
        try {
            bos = configToken(config, "bos_token");
            eos = configToken(config, "eos_token");
        } catch (const json::exception& e) {
            throw FormatError(configPath, std::string("bos_token / eos_token: ") + e.what());
        }
        for (const std::string& t : {bos, eos})
            if (!t.empty() && idOf(v, t) < 0) throw FormatError(configPath, "\"" + t + "\" is not a token of " + path);
    }
    const auto firstPresent = [&](std::initializer_list<std::string_view> names) {
        for (const std::string_view n : names)
            if (const int32_t id = idOf(v, n); id >= 0) return id;
        return int32_t(-1);
    };
    v.bosId = bos.empty() ? firstPresent({"<|begin_of_text|>", "<s>"}) : idOf(v, bos);
    v.eosId = eos.empty() ? firstPresent({"<|end_of_text|>", "</s>"}) : idOf(v, eos);
}

// The regex of a byte-level layout: ByteLevel(use_regex) alone means GPT-2's
// pattern; Sequence[Split(Regex, Isolated), ByteLevel(use_regex=false)] is
// Llama-3's. Empty when the pre-tokenizer is not byte-level.
std::string byteLevelPattern(const json& pre, const std::string& path) {
    if (!pre.is_object()) return {};
    const auto checkByteLevel = [&](const json& b) {
        if (b.value("add_prefix_space", false))
            throw FormatError(path, "ByteLevel pre-tokenizer with add_prefix_space is not supported");
    };
    const std::string type = pre.value("type", "");
    if (type == "ByteLevel") {
        checkByteLevel(pre);
        return pre.value("use_regex", true) ? std::string(kGpt2Pattern) : std::string();
    }
    if (type != "Sequence") return {};
    const json& steps = pre.at("pretokenizers");
    if (steps.size() == 2 && steps[0].value("type", "") == "Split" && steps[1].value("type", "") == "ByteLevel" &&
        !steps[1].value("use_regex", true)) {
        const json& split = steps[0];
        if (split.value("behavior", "") != "Isolated" || split.value("invert", false) || !split.at("pattern").contains("Regex"))
            throw FormatError(path, "Split pre-tokenizer " + split.dump() + " is not an isolating regex split");
        checkByteLevel(steps[1]);
        return split.at("pattern").at("Regex").get<std::string>();
    }
    return {};
}

// Llama-2's normalizer: Sequence[Prepend U+2581, Replace " " -> U+2581].
bool isLlama2Metaspace(const json& j) {
    const json& n = j.value("normalizer", json());
    if (!n.is_object() || n.value("type", "") != "Sequence" || !j.value("pre_tokenizer", json()).is_null()) return false;
    const json& steps = n.at("normalizers");
    return steps.size() == 2 && steps[0].value("type", "") == "Prepend" && steps[0].value("prepend", "") == kSpaceSymbol &&
           steps[1].value("type", "") == "Replace" && steps[1].value("pattern", json()).value("String", "") == " " &&
           steps[1].value("content", "") == kSpaceSymbol;
}

std::unique_ptr<Tokenizer> fromJson(const json& j, const std::string& path) {
    if (!j.is_object() || !j.contains("model")) throw FormatError(path, "no \"model\": not a Hugging Face tokenizer.json");
    const json& model = j.at("model");
    const std::string type = model.value("type", "BPE");
    if (type != "BPE")
        throw FormatError(path, "tokenizer model type \"" + type + "\" is not supported (QuantScope reads BPE: Llama-2, Llama-3)");

    RankedBpeVocab v;
    for (const auto& [spelling, id] : model.at("vocab").items()) setToken(v, id, spelling, path);
    const json& merges = model.at("merges");
    v.merges.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) v.merges.push_back(parseMerge(merges[rank], rank, path));
    for (const json& added : j.value("added_tokens", json::array())) {
        const std::string content = added.at("content").get<std::string>();
        setToken(v, added.at("id"), content, path);
        v.addedIds.push_back(added.at("id").get<int32_t>());
    }
    if (v.tokens.empty()) throw FormatError(path, "the vocabulary is empty");
    if (const json& unk = model.value("unk_token", json()); unk.is_string()) v.unkId = idOf(v, unk.get<std::string>());
    v.ignoreMerges = model.value("ignore_merges", false);
    findBosEos(v, path);

    if (const std::string pattern = byteLevelPattern(j.value("pre_tokenizer", json()), path); !pattern.empty()) {
        if (!j.value("normalizer", json()).is_null())
            throw FormatError(path, "a normalizer before the byte-level pre-tokenizer is not supported");
        // Parse everything first, so a broken file is reported as such even
        // in a build without PCRE2.
        auto pre = regexPreTokenizer(pattern, path);
        return makeByteLevelBpe(std::move(v), std::move(pre), path);
    }
    if (isLlama2Metaspace(j)) return makeMetaspaceBpe(std::move(v), path);
    throw FormatError(path, "unsupported normalizer / pre-tokenizer (" + j.value("normalizer", json()).dump() + " / " +
                                j.value("pre_tokenizer", json()).dump() +
                                "): QuantScope reads the byte-level (Llama-3, GPT-2) and the Llama-2 layouts");
}

}  // namespace

std::unique_ptr<Tokenizer> openHfTokenizerJson(const std::string& path) {
    const json j = parseJsonFile(path);
    try {
        return fromJson(j, path);
    } catch (const json::exception& e) {
        throw FormatError(path, std::string("unexpected tokenizer.json layout: ") + e.what());
    }
}

}  // namespace qs
