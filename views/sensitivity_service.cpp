#include "sensitivity_service.h"

#include <QCoreApplication>
#include <QFileInfo>

#include "eval/perplexity.h"
#include "eval/text_windows.h"
#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "tokenize/tokenizer.h"

namespace qs::views {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("qs::views::SensitivityService", text); }

// Runs on the worker thread; `job` reports and honours Cancel.
SensitivityResult scan(const SensitivityRequest& request, const JobControl& job) {
    job.step(0.0, tr("Loading the model").toStdString());
    const LlamaModel model(*request.checkpoint);
    const auto tokenizer = tokenizerForCheckpoint(*request.checkpoint);
    const std::string text = readTextFile(request.textFile.toStdString());
    job.step(0.0, tr("Tokenizing %1").arg(QFileInfo(request.textFile).fileName()).toStdString());
    SensitivityOptions options;
    options.spec = request.spec;
    options.eval.ctx = request.ctx;
    options.eval.maxWindows = request.windows;
    const TokenBatch windows =
        perplexityWindows(model, *tokenizer, text, request.textFile.toStdString(), options.eval);
    // No separate calibration set: the output-error proxy sees the evaluation windows, as the CLI without --calib.
    return scanSensitivity(model, windows, TokenBatch{}, options, &job);
}
}  // namespace

SensitivityService::SensitivityService(QObject* parent) : QObject(parent) { qRegisterMetaType<SensitivityResultPtr>(); }

void SensitivityService::start(SensitivityRequest request) {
    const uint64_t jobId = runner_.newJob();
    auto job = std::make_shared<JobControl>([this, jobId](double fraction, const std::string& stage) {
        runner_.post(jobId, [this, fraction, stage = QString::fromStdString(stage)] { emit progress(fraction, stage); });
    });
    runner_.launch(jobId, QStringLiteral("qs-sensitivity"), [job] { job->requestCancel(); },
                   [this, jobId, request = std::move(request), job] {
                       runner_.runToEnd(
                           jobId,
                           [&]() -> std::function<void()> {
                               auto result = std::make_shared<const SensitivityResult>(scan(request, *job));
                               return [this, result] { emit finished(result); };
                           },
                           [this] { emit cancelled(); }, [this](const QString& message) { emit failed(message); });
                   });
    emit started();
}

void SensitivityService::cancel() { runner_.cancel(); }

}  // namespace qs::views
