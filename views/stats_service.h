// The engine face of weight statistics (after Hotspot's PerfParser): start a
// job, get progress, cancel it, receive one result signal. The work is
// qs::checkpointStatsCached (cache hit: instant; miss: computed and cached)
// on a worker thread; every signal is delivered in the receiver's thread
// through queued calls, and only for the newest job: a job superseded by
// start() or cancel() ends silently, its results dropped.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <QObject>
#include <QString>

#include "job_runner.h"
#include "stats/tensor_stats.h"

namespace qs {
class Checkpoint;
class JobControl;
}  // namespace qs

namespace qs::views {

class StatsService : public QObject {
    Q_OBJECT
public:
    // The destructor cancels the running job and waits for its thread (JobRunner).
    explicit StatsService(QObject* parent = nullptr);

    // Starts a job over `ckpt` (shared: the worker keeps the mapping alive
    // even if the window opens another model meanwhile). A running job is
    // cancelled and its results dropped.
    void start(std::shared_ptr<const qs::Checkpoint> ckpt, const qs::StatsOptions& options = {});
    bool isRunning() const { return runner_.isRunning(); }

public slots:
    // Asks the running job to stop; cancelled() follows (never statsReady()).
    void cancel();

signals:
    void started();
    void progress(double fraction, const QString& stage);
    void statsReady(const std::vector<qs::TensorStats>& stats);
    void failed(const QString& message);
    void cancelled();

private:
    // Runs on the worker thread.
    void run(uint64_t jobId, std::shared_ptr<const qs::Checkpoint> ckpt, qs::StatsOptions options,
             std::shared_ptr<qs::JobControl> control);

    JobRunner runner_;
};

}  // namespace qs::views
