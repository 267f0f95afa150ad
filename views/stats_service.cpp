#include "stats_service.h"

#include <atomic>
#include <exception>
#include <functional>

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

void StatsService::start(std::shared_ptr<const qs::Checkpoint> ckpt, const qs::StatsOptions& options) {
    const uint64_t jobId = runner_.newJob();  // the superseded job stops at its next step
    auto lastStep = std::make_shared<std::atomic<int>>(-1);
    auto report = [this, jobId, lastStep](double fraction, const std::string& stage) {
        // Called on the worker (possibly from several of core's threads).
        const int step = int(fraction * kProgressSteps);
        if (lastStep->exchange(step) == step) return;
        runner_.post(jobId, [this, fraction, text = QString::fromStdString(stage)] { emit progress(fraction, text); });
    };
    auto control = std::make_shared<qs::JobControl>(report);
    runner_.launch(jobId, QStringLiteral("qs-stats"), [control] { control->requestCancel(); },
                   [this, jobId, ckpt = std::move(ckpt), options, control] { run(jobId, ckpt, options, control); });
    emit started();
}

void StatsService::cancel() { runner_.cancel(); }

void StatsService::run(uint64_t jobId, std::shared_ptr<const qs::Checkpoint> ckpt, qs::StatsOptions options,
                       std::shared_ptr<qs::JobControl> control) {
    auto finish = [this, jobId, control](std::function<void()> deliver) {
        runner_.finish(jobId, [this, control, deliver = std::move(deliver)] {
            // A cancel that raced with the last step still wins: the user asked to stop.
            if (control->cancelRequested()) {
                emit cancelled();
                return;
            }
            deliver();
        });
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
