#include "eval_service.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>


#include "formats/checkpoint.h"
#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "project/run_evaluation.h"
#include "tokenize/tokenizer.h"

namespace qs::views {

namespace {
// Progress is posted when it moves by at least 1/kProgressSteps: the bar and
// the tokens/s label need a few hundred updates, not one per block and pass.
constexpr int kProgressSteps = 500;

using Clock = std::chrono::steady_clock;
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
    runner_.runToEnd(
        jobId,
        [&]() -> std::function<void()> {
            const auto started = Clock::now();
            job.announce(tr("Loading the model"));
            const Checkpoint& ckpt = *request.checkpoint;
            const LlamaModel model(ckpt);
            const auto tokenizer = tokenizerForCheckpoint(ckpt);

            RunRequest r;
            r.kind = request.kind;
            r.dataset = request.dataset.toStdString();
            r.taskType = request.taskType;
            r.taskLimit = request.taskLimit;
            r.ctx = request.ctx;
            r.maxWindows = request.maxWindows;
            r.adjustBlock = request.adjustBlock;
            r.planLabel = request.planLabel.toStdString();
            r.plan = request.plan;
            r.projectPath = request.projectPath.toStdString();
            r.backend = request.backend.get();
            RunProgress progress;
            progress.control = &job.control;
            progress.announce = [&job](const std::string& label) { job.announce(QString::fromStdString(label)); };
            progress.beginStage = [&job](double begin, double span, int64_t tokens, const std::string& label) {
                job.beginStage(begin, span, tokens, QString::fromStdString(label));
            };
            RunRecord run = evaluateRun(model, *tokenizer, r, progress);
            run.seconds = std::chrono::duration<double>(Clock::now() - started).count();  // loading included
            // The last chance to cancel: a run once stored is reported as finished.
            job.control.step(1.0);
            run.id = addRun(request.projectPath.toStdString(), run);
            return [this, run = std::move(run)] { emit finished(run); };
        },
        [this] { emit cancelled(); }, [this](const QString& message) { emit failed(message); });
}

}  // namespace qs::views
