// The engine face of sweeps (core/project/sweep_runner.h): start a sweep of
// the open checkpoint into its project, follow the overall progress, hear of
// each run as it is stored, cancel. A cancelled or failed sweep keeps every
// run it finished; starting it again continues where it stopped.
#pragma once

#include <memory>

#include <QObject>
#include <QString>

#include "job_runner.h"
#include "project/sweep_runner.h"

namespace qs {
class Checkpoint;
}

namespace qs::views {

struct SweepRequest {
    std::shared_ptr<const qs::Checkpoint> checkpoint;
    qs::SweepOptions options;  // options.backend is ignored: the job runs on `backend`
    QString projectPath;
    std::shared_ptr<const qs::KernelBackend> backend;  // null: the CPU
};

class SweepService : public QObject {
    Q_OBJECT
public:
    explicit SweepService(QObject* parent = nullptr);

    void start(SweepRequest request);
    bool isRunning() const { return runner_.isRunning(); }

public slots:
    void cancel();

signals:
    void started();
    // `fraction` of all runs, `runFraction` of the current run (or its cell's
    // quantization); `text` says which run of how many, the cell and the stage.
    void progress(double fraction, double runFraction, const QString& text);
    void runStored(const qs::RunRecord& run);
    void finished(int stored, int skipped);
    void failed(const QString& message);
    void cancelled();

private:
    JobRunner runner_;
};

}  // namespace qs::views
