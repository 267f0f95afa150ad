// Evaluation text -> token windows, as the quantization papers build their
// perplexity sets (GPTQ's datautils.py get_wikitext2, LLaMA3-Quantization):
// the documents joined with "\n\n", tokenized once, cut into consecutive
// non-overlapping windows of ctx tokens; the tail shorter than a window is
// dropped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/model_config.h"
#include "model/token_batch.h"

namespace qs {

// Room for WikiText-103's training split (~540 MB), the largest text the
// papers evaluate on; a larger file is refused before it is read, since it
// is held whole and then tokenized.
constexpr uintmax_t kMaxTextFileBytes = uintmax_t(1) << 30;

// A text file whole, as bytes; FormatError naming the file when it cannot be
// read or is over kMaxTextFileBytes.
std::string readTextFile(const std::string& path);

std::string joinDocuments(const std::vector<std::string>& documents);

// The default window: min(2048, max_position_embeddings), the papers' 2048
// unless the model is shorter.
int64_t defaultContext(const ModelConfig& config);

// The first maxWindows (0: all) full windows of ctx tokens. Throws FormatError
// naming `source` when there are fewer than ctx tokens.
TokenBatch cutWindows(const std::vector<int32_t>& ids, int64_t ctx, int64_t maxWindows, const std::string& source);

}  // namespace qs
