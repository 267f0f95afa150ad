// Zero-shot tasks as lm-evaluation-harness poses them to a causal model:
// each item is a set of (context, continuation) requests, one per choice,
// scored by the summed log-likelihood of the continuation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

enum class TaskType { HellaSwag, Arc, Piqa, WinoGrande, BoolQ, Lambada, Mmlu, OpenBookQa };

std::optional<TaskType> taskTypeFromName(std::string_view name);  // "hellaswag", "arc", ...
std::string_view taskTypeName(TaskType t);

struct ChoiceRequest {
    std::string context;       // what the model conditions on
    std::string continuation;  // what it is scored on (with the harness' leading " " where it has one)
};

struct TaskItem {
    std::vector<ChoiceRequest> requests;  // one per choice
    // The choice texts acc_norm divides by: lm-eval's len(choice), the choice
    // without the target delimiter, in characters (code points).
    std::vector<std::string> choices;
    int gold = 0;
    // LAMBADA: one request; correct when the continuation is the greedy
    // (argmax) completion, the harness' "is_greedy".
    bool greedyOnly = false;
};

}  // namespace qs
