// The thread and job-id bookkeeping every long-running views service shares
// (after Hotspot's JobTracker): each newJob() supersedes the previous job,
// which is asked to cancel, and launch() runs the new job's work on a fresh
// low-priority thread; what the work hands back through post()/finish() is delivered in
// the runner's thread by queued calls, and only while its job is still the
// newest, so a superseded job ends silently. The destructor cancels and joins,
// so no worker outlives the service that holds the runner.
#pragma once

#include <cstdint>
#include <functional>

#include <QList>
#include <QObject>
#include <QString>

class QThread;

namespace qs::views {

class JobRunner : public QObject {
    Q_OBJECT
public:
    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;

    // Cancels the running job and makes a new one current; its id is what
    // the work's post() and finish() calls name, so it is known before the
    // work (and its progress callback) is built.
    uint64_t newJob();
    // Runs the new job's work on a thread named `name`-<jobId>; `cancel`
    // asks that work to stop (and must be callable from this thread).
    void launch(uint64_t jobId, const QString& name, std::function<void()> cancel, std::function<void()> work);
    // Asks the running job to stop; it reports its own end through finish().
    void cancel();
    bool isRunning() const { return running_; }

    // Any thread: runs `deliver` in the runner's thread if `jobId` is still the newest running job.
    void post(uint64_t jobId, std::function<void()> deliver);
    // The same, as the job's last word: the runner is idle before `deliver` runs.
    void finish(uint64_t jobId, std::function<void()> deliver);
    // A job's work as every service ends it, called on the worker thread:
    // `work` returns what to deliver on success; JobCancelled ends in
    // `cancelled`, any other exception in `failed` with its message.
    void runToEnd(uint64_t jobId, const std::function<std::function<void()>()>& work, std::function<void()> cancelled,
                  std::function<void(const QString& message)> failed);

private:
    bool isCurrent(uint64_t jobId) const { return jobId == currentJob_ && running_; }

    uint64_t currentJob_ = 0;
    bool running_ = false;
    std::function<void()> cancel_;
    QList<QThread*> threads_;  // alive until finished; joined by the destructor
};

}  // namespace qs::views
