#include "sweep_service.h"

#include <algorithm>
#include <atomic>

#include "formats/checkpoint.h"
#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "tokenize/tokenizer.h"

namespace qs::views {

namespace {
// Progress is posted when it moves by at least 1/kProgressSteps of the whole sweep.
constexpr int kProgressSteps = 1000;

double overallFraction(const SweepStatus& s) {
    return s.runs > 0 ? std::min(1.0, (double(s.run) + s.runFraction) / double(s.runs)) : 0.0;
}

QString statusText(const SweepStatus& s) {
    return SweepService::tr("Run %1 of %2 \u00b7 %3 \u00b7 %4")
        .arg(std::min(s.run + 1, s.runs))
        .arg(s.runs)
        .arg(QString::fromStdString(s.cellKey), QString::fromStdString(s.stage));
}
}  // namespace

SweepService::SweepService(QObject* parent) : QObject(parent) { qRegisterMetaType<qs::RunRecord>(); }

void SweepService::start(SweepRequest request) {
    const uint64_t jobId = runner_.newJob();
    auto control = std::make_shared<JobControl>();
    runner_.launch(jobId, QStringLiteral("qs-sweep"), [control] { control->requestCancel(); },
                   [this, jobId, request = std::move(request), control] {
                       runner_.runToEnd(
                           jobId,
                           [&]() -> std::function<void()> {
                               runner_.post(jobId, [this] { emit progress(0.0, 0.0, tr("Loading the model")); });
                               const LlamaModel model(*request.checkpoint);
                               const auto tokenizer = tokenizerForCheckpoint(*request.checkpoint);
                               std::atomic<int> lastStep{-1};
                               SweepHooks hooks;
                               hooks.control = control.get();
                               hooks.progress = [&](const SweepStatus& s) {
                                   const double f = overallFraction(s);
                                   const int step = int(f * kProgressSteps);
                                   if (lastStep.exchange(step) == step) return;
                                   runner_.post(jobId, [this, f, run = s.runFraction, text = statusText(s)] {
                                       emit progress(f, run, text);
                                   });
                               };
                               hooks.stored = [&](const RunRecord& run) {
                                   runner_.post(jobId, [this, run] { emit runStored(run); });
                               };
                               SweepOptions options = request.options;
                               options.backend = request.backend.get();
                               const SweepOutcome outcome =
                                   runSweep(model, *tokenizer, request.projectPath.toStdString(), options, hooks);
                               return [this, stored = int(outcome.stored.size()), skipped = outcome.skipped] {
                                   emit finished(stored, skipped);
                               };
                           },
                           [this] { emit cancelled(); }, [this](const QString& message) { emit failed(message); });
                   });
    emit started();
}

void SweepService::cancel() { runner_.cancel(); }

}  // namespace qs::views
