// Zero-shot task accuracy through the layer-major forward pass, with the
// requests tokenized and scored as lm-evaluation-harness does for a causal
// model (HFLM._encode_pair and _loglikelihood_tokens).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "eval/task_items.h"
#include "eval/task_scoring.h"
#include "jobs/job_control.h"
#include "model/layer_major.h"
#include "model/llama_model.h"
#include "model/token_batch.h"

namespace qs {

class Tokenizer;

struct EncodedRequest {
    std::vector<int32_t> context;
    std::vector<int32_t> continuation;
};

// _encode_pair: trailing whitespace of the context moves to the
// continuation; the continuation's ids are those of encode(context +
// continuation) past encode(context)'s length. An empty context is the BOS
// id alone (the harness' prefix token). No BOS otherwise, as the harness
// encodes for causal models by default.
EncodedRequest encodeRequest(const Tokenizer& tokenizer, const ChoiceRequest& request);

struct TaskEvalOptions {
    // Requests are pushed through the model in passes whose float32 hidden
    // states fit in this many bytes (each pass reads every block once).
    int64_t maxHiddenBytes = int64_t(2) << 30;
    std::function<void(DecoderBlockWeights&)> adjustBlock;  // a quantization plan, may be empty
    const KernelBackend* backend = nullptr;  // where the forward pass runs (LayerMajorOptions::backend); nullptr: the CPU
};

// Summed log-likelihood and is_greedy of every request of every item.
std::vector<std::vector<RequestScore>> scoreRequests(const LlamaModel& model, const Tokenizer& tokenizer,
                                                     const std::vector<TaskItem>& items, const TaskEvalOptions& options,
                                                     const JobControl* job = nullptr);

TaskScore evaluateTask(const LlamaModel& model, const Tokenizer& tokenizer, const std::vector<TaskItem>& items,
                       const TaskEvalOptions& options, const JobControl* job = nullptr);

// {"acc", "acc_norm", "n", "acc_stderr", "acc_norm_stderr"}.
nlohmann::json taskScoreJson(const TaskScore& s);

}  // namespace qs
