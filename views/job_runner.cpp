#include "job_runner.h"

#include <exception>

#include <QThread>

#include "jobs/job_control.h"

namespace qs::views {

JobRunner::JobRunner(QObject* parent) : QObject(parent) {}

JobRunner::~JobRunner() {
    if (cancel_) cancel_();
    for (QThread* thread : std::as_const(threads_)) {
        thread->wait();
        delete thread;
    }
}

uint64_t JobRunner::newJob() {
    if (cancel_) cancel_();  // the superseded job stops at its next step
    cancel_ = {};
    running_ = true;
    return ++currentJob_;
}

void JobRunner::launch(uint64_t jobId, const QString& name, std::function<void()> cancel, std::function<void()> work) {
    cancel_ = std::move(cancel);
    QThread* thread = QThread::create(std::move(work));
    thread->setObjectName(QStringLiteral("%1-%2").arg(name).arg(jobId));
    connect(thread, &QThread::finished, this, [this, thread] {
        threads_.removeOne(thread);
        thread->deleteLater();
    });
    threads_ << thread;
    thread->start(QThread::LowPriority);  // keep the GUI thread ahead of the number crunching
}

void JobRunner::cancel() {
    if (running_ && cancel_) cancel_();
}

void JobRunner::post(uint64_t jobId, std::function<void()> deliver) {
    QMetaObject::invokeMethod(
        this,
        [this, jobId, deliver = std::move(deliver)] {
            if (isCurrent(jobId)) deliver();
        },
        Qt::QueuedConnection);
}

void JobRunner::finish(uint64_t jobId, std::function<void()> deliver) {
    QMetaObject::invokeMethod(
        this,
        [this, jobId, deliver = std::move(deliver)] {
            if (!isCurrent(jobId)) return;
            running_ = false;
            deliver();
        },
        Qt::QueuedConnection);
}

void JobRunner::runToEnd(uint64_t jobId, const std::function<std::function<void()>()>& work,
                         std::function<void()> cancelled, std::function<void(const QString& message)> failed) {
    try {
        finish(jobId, work());
    } catch (const JobCancelled&) {
        finish(jobId, std::move(cancelled));
    } catch (const std::exception& e) {
        finish(jobId, [failed = std::move(failed), message = QString::fromUtf8(e.what())] { failed(message); });
    } catch (...) {
        finish(jobId, [failed = std::move(failed)] { failed(tr("the job failed with an unknown error")); });
    }
}

}  // namespace qs::views
