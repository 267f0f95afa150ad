// The engine face of calibrated quantization (after Hotspot's PerfParser,
// like EvalService): start quantizing a checkpoint by a plan on a calibration
// text, get progress per block with time left, cancel it, receive the
// quantized blocks with the per-layer report. The work is core's
// quantizePlanWithCalibration on a worker thread (JobRunner); the activation
// statistics it gathers are saved in the project for the activation views.
#pragma once

#include <cstdint>
#include <memory>

#include <QObject>
#include <QString>

#include "backend.h"
#include "job_runner.h"
#include "quant/calibration.h"
#include "quant/quant_plan.h"

namespace qs {
class Checkpoint;
struct PlanQuantizeResult;
}  // namespace qs

namespace qs::views {

class QuantizeJob;

// Shared, so adjusters handed to the Evaluate panel keep the blocks alive.
using QuantizeResultPtr = std::shared_ptr<const qs::PlanQuantizeResult>;

struct QuantizeRequest {
    std::shared_ptr<const qs::Checkpoint> checkpoint;
    qs::QuantPlan plan;
    QString calibrationFile;              // a text file, tokenized and sampled (quant/calibration.h)
    qs::CalibrationOptions calibration;   // samples, length (clipped to the model), seed
    QString projectPath;                  // where the activation statistics go; empty: not saved
    std::shared_ptr<const qs::KernelBackend> backend;  // where calibration and GPTQ run; null: the CPU
};

class QuantizeService : public QObject {
    Q_OBJECT
public:
    // The destructor cancels the running job and waits for its thread (JobRunner).
    explicit QuantizeService(QObject* parent = nullptr);

    // Starts a job; a running job is cancelled and its result dropped.
    void start(QuantizeRequest request);
    bool isRunning() const { return runner_.isRunning(); }

public slots:
    // Asks the running job to stop between blocks; cancelled() follows and nothing is kept.
    void cancel();

signals:
    void started();
    // stage: "Block 3 of 32" while blocks are quantized; secondsLeft is 0 until the first block is done.
    void progress(double fraction, double secondsLeft, const QString& stage);
    void finished(qs::views::QuantizeResultPtr result);
    // The message names the file (calibration text, plan, checkpoint) and the problem.
    void failed(const QString& message);
    void cancelled();

private:
    // Runs on the worker thread.
    void run(uint64_t jobId, const QuantizeRequest& request, QuantizeJob& job);

    JobRunner runner_;
};

}  // namespace qs::views

Q_DECLARE_METATYPE(qs::views::QuantizeResultPtr)
