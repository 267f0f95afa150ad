// Readers for the zero-shot task files, in the layouts their datasets
// publish, turned into requests exactly as lm-evaluation-harness builds
// them (its task YAMLs and utils.py prompts, cited per task in the .cpp).
#pragma once

#include <string>
#include <vector>

#include "eval/task_items.h"

namespace qs {

// `limit` > 0 keeps the first `limit` items. Throws FormatError naming the
// file (and line) when the layout is not the task's.
//  - piqa: jsonl {goal, sol1, sol2} with labels from the sibling *-labels.lst
//    (or a "label" field in each row)
//  - arc, openbookqa: jsonl in the AI2 layout {question: {stem, choices:
//    [{text, label}]}, answerKey} or the Hugging Face one {question,
//    choices: {text: [], label: []}, answerKey}
//  - hellaswag: jsonl {activity_label, ctx_a, ctx_b, endings, label}
//  - winogrande: jsonl {sentence, option1, option2, answer: "1"|"2"}
//  - boolq: jsonl {question, passage, answer: bool} (or label 0/1)
//  - lambada: jsonl {text}
//  - mmlu: a CSV (header question,choice0..3,answer with an index, or the
//    original headerless question,A,B,C,D,letter) or a directory of *_test.csv
std::vector<TaskItem> readTaskFile(const std::string& path, TaskType type, int limit = 0);

}  // namespace qs
