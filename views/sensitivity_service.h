// The engine face of the sensitivity scan (after Hotspot's PerfParser, like
// QuantizeService): start scanning the open checkpoint with one spec on a
// text's evaluation windows, get progress, cancel, receive the per-layer KL
// with its proxies. The work is core's scanSensitivity on a worker thread
// (JobRunner); the windows are cut exactly as the CLI's sensitivity command
// cuts them (perplexityWindows), so the GUI and the CLI agree.
#pragma once

#include <cstdint>
#include <memory>

#include <QObject>
#include <QString>

#include "analysis/sensitivity_scan.h"
#include "job_runner.h"

namespace qs {
class Checkpoint;
}

namespace qs::views {

using SensitivityResultPtr = std::shared_ptr<const qs::SensitivityResult>;

struct SensitivityRequest {
    std::shared_ptr<const qs::Checkpoint> checkpoint;
    qs::QuantSpec spec;  // RTN integer or FP8: applied on the fly, one layer at a time
    QString textFile;    // the evaluation text; its windows also feed the output-error proxy
    int64_t ctx = 64;    // small defaults: the scan costs about (blocks + 1) / 2 evaluations per projection
    int64_t windows = 2;
};

class SensitivityService : public QObject {
    Q_OBJECT
public:
    // The destructor cancels the running job and waits for its thread (JobRunner).
    explicit SensitivityService(QObject* parent = nullptr);

    // Starts a scan; a running one is cancelled and its result dropped.
    void start(SensitivityRequest request);
    bool isRunning() const { return runner_.isRunning(); }

public slots:
    void cancel();

signals:
    void started();
    void progress(double fraction, const QString& stage);
    void finished(qs::views::SensitivityResultPtr result);
    // The message names the file (text, checkpoint) or the spec and the problem.
    void failed(const QString& message);
    void cancelled();

private:
    JobRunner runner_;
};

}  // namespace qs::views

Q_DECLARE_METATYPE(qs::views::SensitivityResultPtr)
