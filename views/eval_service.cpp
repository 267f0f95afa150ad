#include "eval_service.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>

#include <QCoreApplication>
#include <QFileInfo>

#include "eval/kl_eval.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"
#include "eval/task_eval.h"
#include "eval/task_readers.h"
#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "tokenize/tokenizer.h"

namespace qs::views {

namespace {
// Progress is posted when it moves by at least 1/kProgressSteps: the bar and
// the tokens/s label need a few hundred updates, not one per block and pass.
constexpr int kProgressSteps = 500;

using Clock = std::chrono::steady_clock;

QString tr(const char* text) { return QCoreApplication::translate("qs::views::EvalService", text); }
}  // namespace

// One job's cancel flag and progress bookkeeping. Core reports each call's
// progress as 0..1; the worker maps it into the stage's share of the whole
// job, and tokens/s follows from the share done of the job's token count
// (known from the windows or requests before the first pass). The callback
// may run on core's threads, hence the mutex.
class EvalJob {
public:
    using Post = std::function<void(double fraction, double tokensPerSecond, double secondsLeft, const QString& stage)>;

    explicit EvalJob(Post post)
        : post_(std::move(post)), control([this](double f, const std::string& stage) { report(f, stage); }) {}

    // Worker: the model passes about to run cover [begin, begin + span) of
    // the job and process `totalTokens` over the whole job.
    void beginStage(double begin, double span, int64_t totalTokens, const QString& label) {
        std::lock_guard lock(mutex_);
        if (!clockStarted_) clock_ = Clock::now(), clockStarted_ = true;
        begin_ = begin;
        span_ = span;
        totalTokens_ = totalTokens;
        label_ = label;
    }
    // Worker: a step before the model passes (loading, tokenizing).
    void announce(const QString& label) const {
        control.step(0.0);  // honours a cancel that came meanwhile
        post_(0.0, 0.0, 0.0, label);
    }

private:
    void report(double fraction, const std::string& stage) {
        std::lock_guard lock(mutex_);
        const double done = std::clamp(begin_ + span_ * fraction, 0.0, 1.0);
        const int step = int(done * kProgressSteps);
        if (step == lastStep_) return;
        lastStep_ = step;
        const double elapsed = clockStarted_ ? std::chrono::duration<double>(Clock::now() - clock_).count() : 0.0;
        const double perSecond = elapsed > 0 ? done * double(totalTokens_) / elapsed : 0.0;
        const double left = done > 0 ? elapsed * (1.0 - done) / done : 0.0;
        const QString text = stage.empty() ? label_ : label_ + QStringLiteral(": ") + QString::fromStdString(stage);
        post_(done, perSecond, left, text);
    }

    Post post_;
    std::mutex mutex_;
    Clock::time_point clock_;
    bool clockStarted_ = false;
    double begin_ = 0.0, span_ = 1.0;
    int64_t totalTokens_ = 0;
    QString label_;
    int lastStep_ = -1;

public:
    qs::JobControl control;  // declared after post_, which its callback uses
};

namespace {

PerplexityOptions perplexityOptions(const EvalRequest& request) {
    PerplexityOptions options;
    options.ctx = request.ctx;
    options.maxWindows = request.maxWindows;
    options.adjustBlock = request.adjustBlock;
    return options;
}

TokenBatch textWindows(const EvalRequest& request, const LlamaModel& model, const Tokenizer& tokenizer,
                       const PerplexityOptions& options, EvalJob& job) {
    job.announce(tr("Tokenizing %1").arg(QFileInfo(request.dataset).fileName()));
    return perplexityWindows(model, tokenizer, readTextFile(request.dataset.toStdString()), request.dataset.toStdString(), options);
}

// The three evaluations fill settings and metrics of `run` with what the
// CLI's eval and kl commands print.
void perplexityRun(const EvalRequest& request, const LlamaModel& model, const Tokenizer& tokenizer, EvalJob& job,
                   RunRecord& run) {
    const PerplexityOptions options = perplexityOptions(request);
    const TokenBatch windows = textWindows(request, model, tokenizer, options, job);
    job.beginStage(0.0, 1.0, windows.rows(), tr("Perplexity"));
    const PerplexityResult r = evaluatePerplexity(model, windows, options, &job.control);
    run.settings = {{"ctx", r.ctx}, {"windows", r.windows}, {"max_windows", request.maxWindows}};
    run.metrics = perplexityJson(r);
}

void taskRun(const EvalRequest& request, const LlamaModel& model, const Tokenizer& tokenizer, EvalJob& job,
             RunRecord& run) {
    job.announce(tr("Reading %1").arg(QFileInfo(request.dataset).fileName()));
    const std::string path = request.dataset.toStdString();
    const std::vector<TaskItem> items = readTaskFile(path, request.taskType, request.taskLimit);
    if (items.empty()) throw FormatError(path, "no task items in the file");
    int64_t tokens = 0;
    for (const TaskItem& item : items)
        for (const ChoiceRequest& choice : item.requests) {
            const EncodedRequest encoded = encodeRequest(tokenizer, choice);
            tokens += int64_t(encoded.context.size() + encoded.continuation.size());
        }
    job.beginStage(0.0, 1.0, tokens, tr("Task"));
    TaskEvalOptions options;
    options.adjustBlock = request.adjustBlock;
    const TaskScore s = evaluateTask(model, tokenizer, items, options, &job.control);
    run.settings = {{"task_type", std::string(taskTypeName(request.taskType))}, {"limit", request.taskLimit}};
    run.metrics = taskScoreJson(s);
}

// The base is the same checkpoint without adjustBlock; its reference is
// cached in the project, so a second plan on the same text costs one pass.
void klRun(const EvalRequest& request, const LlamaModel& model, const Tokenizer& tokenizer, EvalJob& job,
           RunRecord& run) {
    const PerplexityOptions options = perplexityOptions(request);
    PerplexityOptions baseOptions = options;
    baseOptions.adjustBlock = {};
    const TokenBatch windows = textWindows(request, model, tokenizer, baseOptions, job);
    const int k = defaultTopK(model.config().vocabSize);
    const std::string project = request.projectPath.toStdString();
    const std::string key = baseReferenceKey(model.checkpoint(), windows, k);
    std::optional<BaseReference> ref = loadBaseReference(project, key);
    const bool cached = ref.has_value();
    const double compareBegin = cached ? 0.0 : 0.5;
    const int64_t tokens = windows.rows() * (cached ? 1 : 2);
    if (!cached) {
        job.beginStage(0.0, 0.5, tokens, tr("Base reference"));
        ref = computeBaseReference(model, windows, baseOptions, k, &job.control);
        saveBaseReference(project, key, *ref);
    }
    job.beginStage(compareBegin, 1.0 - compareBegin, tokens, tr("KL against the base"));
    const KlResult r = compareWithBase(model, *ref, windows, options, &job.control);
    run.settings = {{"base", model.checkpoint().path}, {"ctx", r.model.ctx},       {"windows", r.model.windows},
                    {"top_k", r.topK},                 {"base_cached", cached}};
    run.metrics = klJson(r);
}

}  // namespace

QString evalKindName(EvalKind kind) {
    switch (kind) {
    case EvalKind::Perplexity: return QStringLiteral("perplexity");
    case EvalKind::Task: return QStringLiteral("task");
    case EvalKind::Kl: return QStringLiteral("kl");
    }
    return {};
}

EvalService::EvalService(QObject* parent) : QObject(parent) { qRegisterMetaType<qs::RunRecord>(); }

void EvalService::start(EvalRequest request) {
    const uint64_t jobId = runner_.newJob();
    auto job = std::make_shared<EvalJob>([this, jobId](double fraction, double perSecond, double left, const QString& stage) {
        runner_.post(jobId, [this, fraction, perSecond, left, stage] { emit progress(fraction, perSecond, left, stage); });
    });
    runner_.launch(
        jobId, QStringLiteral("qs-eval"), [job] { job->control.requestCancel(); },
        [this, jobId, request = std::move(request), job] { run(jobId, request, *job); });
    emit started();
}

void EvalService::cancel() { runner_.cancel(); }

void EvalService::run(uint64_t jobId, const EvalRequest& request, EvalJob& job) {
    // Each outcome is handed to the service's thread; the runner checks
    // there, not here, whether the job is still the current one.
    auto finish = [this, jobId](std::function<void()> deliver) { runner_.finish(jobId, std::move(deliver)); };
    try {
        const auto started = Clock::now();
        job.announce(tr("Loading the model"));
        const Checkpoint& ckpt = *request.checkpoint;
        const LlamaModel model(ckpt);
        const auto tokenizer = tokenizerForCheckpoint(ckpt);

        RunRecord run;
        run.kind = evalKindName(request.kind).toStdString();
        run.model = ckpt.path;
        run.plan = request.planLabel.toStdString();
        run.dataset = request.dataset.toStdString();
        switch (request.kind) {
        case EvalKind::Perplexity: perplexityRun(request, model, *tokenizer, job, run); break;
        case EvalKind::Task: taskRun(request, model, *tokenizer, job, run); break;
        case EvalKind::Kl: klRun(request, model, *tokenizer, job, run); break;
        }
        run.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        // The last chance to cancel: a run once stored is reported as finished.
        job.control.step(1.0);
        run.id = addRun(request.projectPath.toStdString(), run);
        finish([this, run = std::move(run)] { emit finished(run); });
    } catch (const qs::JobCancelled&) {
        finish([this] { emit cancelled(); });
    } catch (const std::exception& e) {
        finish([this, message = QString::fromUtf8(e.what())] { emit failed(message); });
    } catch (...) {
        finish([this] { emit failed(tr("evaluation failed with an unknown error")); });
    }
}

}  // namespace qs::views
