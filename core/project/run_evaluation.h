// One evaluation of a model, as a project run: perplexity on a text, accuracy
// on a task file, or KL against the unquantized model on a text (its base
// reference cached in the project). The Evaluate panel, `sweep` and the CLI
// record the same settings and metrics through here, so a sweep's cell and a
// separate evaluation of the same plan store the same numbers.
#pragma once

#include <functional>
#include <string>

#include "backend.h"
#include "eval/task_items.h"
#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "project/run_record.h"
#include "quant/plan_adjuster.h"
#include "tokenize/tokenizer.h"

namespace qs {

enum class RunKind { Perplexity, Task, Kl };
std::string runKindName(RunKind kind);  // "perplexity", "task", "kl" (RunRecord::kind)

struct RunRequest {
    RunKind kind = RunKind::Perplexity;
    std::string dataset;            // text file (perplexity, KL) or task file
    TaskType taskType = TaskType::HellaSwag;
    int taskLimit = 0;              // first N task items; 0: all
    int64_t ctx = 0;                // perplexity / KL windows; 0: the model's context
    int64_t maxWindows = 0;         // 0: the whole text
    BlockAdjuster adjustBlock;      // the plan, empty for the unquantized model
    std::string planLabel;          // RunRecord::plan
    // The plan as quantPlanToJson wrote it, kept in RunRecord::settings["plan"]
    // so runs can be diffed layer by layer (null: not recorded).
    nlohmann::json plan;
    std::string projectPath;        // where KL keeps its base reference
    // Where the model runs, kept alive by the caller; nullptr: the CPU.
    // Recorded as RunRecord::settings["device"].
    const KernelBackend* backend = nullptr;
};

// How far the evaluation is: before the model passes, `announce` names what
// happens (loading, tokenizing); each pass then reports through `control`
// (0..1 of the stage) after `beginStage` said which share [begin, begin +
// span) of the run it covers and how many tokens the whole run processes.
struct RunProgress {
    const JobControl* control = nullptr;
    std::function<void(const std::string& label)> announce;
    std::function<void(double begin, double span, int64_t tokens, const std::string& label)> beginStage;
};

// The finished run (id and created left empty: addRun assigns them). Throws
// FormatError for bad datasets, JobCancelled when cancelled.
RunRecord evaluateRun(const LlamaModel& model, const Tokenizer& tokenizer, const RunRequest& request,
                      const RunProgress& progress = {});

}  // namespace qs
