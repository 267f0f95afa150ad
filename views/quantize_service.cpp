#include "quantize_service.h"

#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <mutex>

#include <QCoreApplication>
#include <QFileInfo>

#include "formats/checkpoint.h"
#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "project/activation_store.h"
#include "quant/plan_quantizer.h"
#include "tokenize/tokenizer.h"

namespace qs::views {

namespace {
using Clock = std::chrono::steady_clock;

QString tr(const char* text) { return QCoreApplication::translate("qs::views::QuantizeService", text); }
}  // namespace

// One job's cancel flag and progress. Core steps once per block (fraction
// b / blocks) and once at the end; the job turns that into "Block b+1 of N"
// and a time left from the blocks done so far.
class QuantizeJob {
public:
    using Post = std::function<void(double fraction, double secondsLeft, const QString& stage)>;

    explicit QuantizeJob(Post post)
        : post_(std::move(post)), control([this](double f, const std::string&) { report(f); }) {}

    // Worker: a step before the blocks (loading, tokenizing).
    void announce(const QString& label) const {
        control.step(0.0);  // honours a cancel that came meanwhile
        post_(0.0, 0.0, label);
    }
    // Worker: the blocks are about to be quantized; the clock for time left starts.
    void beginBlocks(int blocks) {
        std::lock_guard lock(mutex_);
        blocks_ = blocks;
        clock_ = Clock::now();
    }

private:
    void report(double fraction) {
        std::lock_guard lock(mutex_);
        const int done = int(std::lround(fraction * blocks_));
        const double elapsed = std::chrono::duration<double>(Clock::now() - clock_).count();
        const double left = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
        post_(fraction, left, done < blocks_ ? tr("Block %1 of %2").arg(done + 1).arg(blocks_) : tr("Finishing"));
    }

    Post post_;
    std::mutex mutex_;
    Clock::time_point clock_ = Clock::now();
    int blocks_ = 1;

public:
    qs::JobControl control;  // declared after post_, which its callback uses
};

QuantizeService::QuantizeService(QObject* parent) : QObject(parent) { qRegisterMetaType<QuantizeResultPtr>(); }

void QuantizeService::start(QuantizeRequest request) {
    const uint64_t jobId = runner_.newJob();
    auto job = std::make_shared<QuantizeJob>([this, jobId](double fraction, double left, const QString& stage) {
        runner_.post(jobId, [this, fraction, left, stage] { emit progress(fraction, left, stage); });
    });
    runner_.launch(
        jobId, QStringLiteral("qs-quantize"), [job] { job->control.requestCancel(); },
        [this, jobId, request = std::move(request), job] { run(jobId, request, *job); });
    emit started();
}

void QuantizeService::cancel() { runner_.cancel(); }

void QuantizeService::run(uint64_t jobId, const QuantizeRequest& request, QuantizeJob& job) {
    runner_.runToEnd(
        jobId,
        [&]() -> std::function<void()> {
            job.announce(tr("Loading the model"));
            const LlamaModel model(*request.checkpoint);
            const auto tokenizer = tokenizerForCheckpoint(*request.checkpoint);
            job.announce(tr("Sampling %1").arg(QFileInfo(request.calibrationFile).fileName()));
            const TokenBatch calibration =
                calibrationFromFile(*tokenizer, request.calibrationFile.toStdString(), request.calibration, model.config());

            job.beginBlocks(model.numBlocks());
            PlanQuantizeOptions options;
            options.job = &job.control;
            options.backend = request.backend.get();
            auto result = std::make_shared<const PlanQuantizeResult>(
                quantizePlanWithCalibration(model, request.plan, calibration, options));
            // The last chance to cancel: statistics once saved belong to a finished job.
            job.control.step(1.0);
            if (!request.projectPath.isEmpty()) saveActivationStats(request.projectPath.toStdString(), result->activations);
            return [this, result] { emit finished(result); };
        },
        [this] { emit cancelled(); }, [this](const QString& message) { emit failed(message); });
}

}  // namespace qs::views
