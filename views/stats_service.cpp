#include "stats_service.h"

#include <atomic>
#include <exception>

#include <QThread>

#include "formats/checkpoint.h"
#include "jobs/job_control.h"
#include "project/stats_cache.h"

namespace qs::views {

namespace {
// Progress is posted when it moves by at least 1/kProgressSteps: a 70B model
// has ~700 tensors and millions of steps; the bar needs only a few hundred updates.
constexpr int kProgressSteps = 500;
}  // namespace

StatsService::StatsService(QObject* parent) : QObject(parent) {}

StatsService::~StatsService() {
    if (control_) control_->requestCancel();
    for (QThread* thread : std::as_const(threads_)) {
        thread->wait();
        delete thread;
    }
}

void StatsService::start(std::shared_ptr<const qs::Checkpoint> ckpt, const qs::StatsOptions& options) {
    if (control_) control_->requestCancel();  // the superseded job stops at its next step
    const uint64_t jobId = ++currentJob_;

    auto lastStep = std::make_shared<std::atomic<int>>(-1);
    auto report = [this, jobId, lastStep](double fraction, const std::string& stage) {
        // Called on the worker (possibly from several of core's threads).
        const int step = int(fraction * kProgressSteps);
        if (lastStep->exchange(step) == step) return;
        QMetaObject::invokeMethod(
            this,
            [this, jobId, fraction, text = QString::fromStdString(stage)] {
                if (isCurrent(jobId)) emit progress(fraction, text);
            },
            Qt::QueuedConnection);
    };
    control_ = std::make_shared<qs::JobControl>(report);
    running_ = true;

    QThread* thread = QThread::create(
        [this, jobId, ckpt = std::move(ckpt), options, control = control_] { run(jobId, ckpt, options, control); });
    thread->setObjectName(QStringLiteral("qs-stats-%1").arg(jobId));
    connect(thread, &QThread::finished, this, [this, thread] {
        threads_.removeOne(thread);
        thread->deleteLater();
    });
    threads_ << thread;
    emit started();
    thread->start(QThread::LowPriority);  // keep the GUI thread ahead of the number crunching
}

void StatsService::cancel() {
    if (running_ && control_) control_->requestCancel();
}

void StatsService::run(uint64_t jobId, std::shared_ptr<const qs::Checkpoint> ckpt, qs::StatsOptions options,
                       std::shared_ptr<qs::JobControl> control) {
    // Each outcome is handed to the service's thread; the service checks
    // there, not here, whether the job is still the current one.
    auto finish = [this, jobId, control](auto deliver) {
        QMetaObject::invokeMethod(
            this,
            [this, jobId, control, deliver = std::move(deliver)]() mutable {
                if (!isCurrent(jobId)) return;
                running_ = false;
                // A cancel that raced with the last step still wins: the user asked to stop.
                if (control->cancelRequested()) {
                    emit cancelled();
                    return;
                }
                deliver();
            },
            Qt::QueuedConnection);
    };
    try {
        if (control->cancelRequested()) throw qs::JobCancelled();
        auto stats = qs::checkpointStatsCached(*ckpt, options, control.get());
        finish([this, stats = std::move(stats)] { emit statsReady(stats); });
    } catch (const qs::JobCancelled&) {
        finish([this] { emit cancelled(); });
    } catch (const std::exception& e) {
        finish([this, message = QString::fromUtf8(e.what())] { emit failed(message); });
    } catch (...) {
        finish([this] { emit failed(tr("statistics failed with an unknown error")); });
    }
}

}  // namespace qs::views
