#include "eval/text_windows.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <stdexcept>

#include "formats/format_error.h"

namespace qs {

std::string readTextFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path, "cannot open the text file");
    // Checked before reading: the tokens cost several times the text's bytes again.
    std::error_code ec;
    if (const auto bytes = std::filesystem::file_size(path, ec); !ec && bytes > kMaxTextFileBytes)
        throw FormatError(path, "the text file has " + std::to_string(bytes) + " bytes, over the limit of " +
                                    std::to_string(kMaxTextFileBytes >> 20) + " MiB for evaluation texts");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string joinDocuments(const std::vector<std::string>& documents) {
    std::string text;
    for (size_t i = 0; i < documents.size(); ++i) {
        if (i > 0) text += "\n\n";
        text += documents[i];
    }
    return text;
}

int64_t defaultContext(const ModelConfig& config) {
    constexpr int64_t kPaperContext = 2048;
    return config.maxPositions > 0 ? std::min(kPaperContext, config.maxPositions) : kPaperContext;
}

TokenBatch cutWindows(const std::vector<int32_t>& ids, int64_t ctx, int64_t maxWindows, const std::string& source) {
    if (ctx < 2) throw std::invalid_argument("the window length must be at least 2 tokens, got " + std::to_string(ctx));
    const int64_t available = int64_t(ids.size()) / ctx;
    if (available == 0)
        throw FormatError(source, "the text has " + std::to_string(ids.size()) +
                                      " tokens, fewer than one window of " + std::to_string(ctx));
    const int64_t windows = maxWindows > 0 ? std::min(maxWindows, available) : available;
    TokenBatch batch;
    batch.tokens.reserve(size_t(windows * ctx));
    for (int64_t w = 0; w < windows; ++w) batch.add(std::span(ids).subspan(size_t(w * ctx), size_t(ctx)));
    return batch;
}

}  // namespace qs
