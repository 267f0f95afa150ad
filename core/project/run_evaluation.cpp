#include "project/run_evaluation.h"

#include <chrono>
#include <filesystem>
#include <optional>

#include "eval/kl_eval.h"
#include "eval/perplexity.h"
#include "eval/task_eval.h"
#include "eval/task_readers.h"
#include "eval/text_windows.h"
#include "formats/format_error.h"
#include "model/default_backend.h"
#include "project/project_file.h"

namespace qs {

namespace {

std::string fileName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

void announce(const RunProgress& p, const std::string& label) {
    if (p.control) p.control->step(0.0);  // honours a cancel that came meanwhile
    if (p.announce) p.announce(label);
}

void beginStage(const RunProgress& p, double begin, double span, int64_t tokens, const std::string& label) {
    if (p.beginStage) p.beginStage(begin, span, tokens, label);
}

PerplexityOptions perplexityOptions(const RunRequest& request) {
    PerplexityOptions options;
    options.ctx = request.ctx;
    options.maxWindows = request.maxWindows;
    options.adjustBlock = request.adjustBlock;
    options.backend = request.backend;
    return options;
}

// The windows are cut the same way with or without a plan (adjustBlock does not take part).
TokenBatch textWindows(const RunRequest& request, const LlamaModel& model, const Tokenizer& tokenizer,
                       const PerplexityOptions& options, const RunProgress& progress) {
    announce(progress, "Tokenizing " + fileName(request.dataset));
    return perplexityWindows(model, tokenizer, readTextFile(request.dataset), request.dataset, options);
}

void perplexityRun(const RunRequest& request, const LlamaModel& model, const Tokenizer& tokenizer,
                   const RunProgress& progress, RunRecord& run) {
    const PerplexityOptions options = perplexityOptions(request);
    const TokenBatch windows = textWindows(request, model, tokenizer, options, progress);
    beginStage(progress, 0.0, 1.0, windows.rows(), "Perplexity");
    const PerplexityResult r = evaluatePerplexity(model, windows, options, progress.control);
    run.settings = {{"ctx", r.ctx}, {"windows", r.windows}, {"max_windows", request.maxWindows}};
    run.metrics = perplexityJson(r);
}

void taskRun(const RunRequest& request, const LlamaModel& model, const Tokenizer& tokenizer,
             const RunProgress& progress, RunRecord& run) {
    announce(progress, "Reading " + fileName(request.dataset));
    const std::vector<TaskItem> items = readTaskFile(request.dataset, request.taskType, request.taskLimit);
    if (items.empty()) throw FormatError(request.dataset, "no task items in the file");
    int64_t tokens = 0;
    for (const TaskItem& item : items)
        for (const ChoiceRequest& choice : item.requests) {
            const EncodedRequest encoded = encodeRequest(tokenizer, choice);
            tokens += int64_t(encoded.context.size() + encoded.continuation.size());
        }
    beginStage(progress, 0.0, 1.0, tokens, "Task");
    TaskEvalOptions options;
    options.adjustBlock = request.adjustBlock;
    options.backend = request.backend;
    const TaskScore s = evaluateTask(model, tokenizer, items, options, progress.control);
    run.settings = {{"task_type", std::string(taskTypeName(request.taskType))}, {"limit", request.taskLimit}};
    run.metrics = taskScoreJson(s);
}

// The base is the same checkpoint without the plan; its reference is cached
// in the project, so a second plan on the same text costs one pass.
void klRun(const RunRequest& request, const LlamaModel& model, const Tokenizer& tokenizer,
           const RunProgress& progress, RunRecord& run) {
    const PerplexityOptions options = perplexityOptions(request);
    PerplexityOptions baseOptions = options;
    baseOptions.adjustBlock = {};
    const TokenBatch windows = textWindows(request, model, tokenizer, baseOptions, progress);
    const int k = defaultTopK(model.config().vocabSize);
    const std::string key = baseReferenceKey(model.checkpoint(), windows, k);
    std::optional<BaseReference> ref = loadBaseReference(request.projectPath, key);
    const bool cached = ref.has_value();
    const double compareBegin = cached ? 0.0 : 0.5;
    const int64_t tokens = windows.rows() * (cached ? 1 : 2);
    if (!cached) {
        beginStage(progress, 0.0, 0.5, tokens, "Base reference");
        ref = computeBaseReference(model, windows, baseOptions, k, progress.control);
        saveBaseReference(request.projectPath, key, *ref);
    }
    beginStage(progress, compareBegin, 1.0 - compareBegin, tokens, "KL against the base");
    const KlResult r = compareWithBase(model, *ref, windows, options, progress.control);
    run.settings = {{"base", model.checkpoint().path}, {"ctx", r.model.ctx},       {"windows", r.model.windows},
                    {"top_k", r.topK},                 {"base_cached", cached}};
    run.metrics = klJson(r);
}

}  // namespace

std::string runKindName(RunKind kind) {
    switch (kind) {
    case RunKind::Perplexity: return "perplexity";
    case RunKind::Task: return "task";
    case RunKind::Kl: return "kl";
    }
    return {};
}

RunRecord evaluateRun(const LlamaModel& model, const Tokenizer& tokenizer, const RunRequest& request,
                      const RunProgress& progress) {
    const auto started = std::chrono::steady_clock::now();
    RunRecord run;
    run.kind = runKindName(request.kind);
    run.model = model.checkpoint().path;
    run.plan = request.planLabel;
    run.dataset = request.dataset;
    switch (request.kind) {
    case RunKind::Perplexity: perplexityRun(request, model, tokenizer, progress, run); break;
    case RunKind::Task: taskRun(request, model, tokenizer, progress, run); break;
    case RunKind::Kl: klRun(request, model, tokenizer, progress, run); break;
    }
    if (!request.plan.is_null()) run.settings["plan"] = request.plan;
    run.settings["device"] = std::string(deviceName(backendOrCpu(request.backend).device()));
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return run;
}

}  // namespace qs
