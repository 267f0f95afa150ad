// lm-evaluation-harness scoring of multiple-choice items from the summed
// log-likelihoods of their continuations.
#pragma once

#include <cstdint>
#include <vector>

#include "eval/task_items.h"

namespace qs {

struct RequestScore {
    double logLikelihood = 0;  // sum over the continuation's tokens
    bool isGreedy = false;     // every continuation token was the argmax
};

struct TaskScore {
    int64_t n = 0;
    double acc = 0, accStderr = 0;
    double accNorm = 0, accNormStderr = 0;  // equals acc for LAMBADA
};

// acc: argmax of the log-likelihoods (first on ties, like numpy.argmax);
// acc_norm: argmax of log-likelihood / len(choice) in characters, as the
// harness' process_results computes it; LAMBADA: is_greedy. Standard errors
// are the harness' mean_stderr, sqrt(sample variance / n) (0 when n < 2).
// scores[i][j] belongs to items[i].requests[j].
TaskScore scoreTask(const std::vector<TaskItem>& items, const std::vector<std::vector<RequestScore>>& scores);

// Code points of a UTF-8 string: Python's len() of the decoded text.
int64_t utf8Length(const std::string& s);

}  // namespace qs
