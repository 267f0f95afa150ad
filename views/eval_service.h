// The engine face of evaluation (after Hotspot's PerfParser, like
// StatsService): start a perplexity, task-accuracy or KL job, get progress
// with tokens/s and time left, cancel it, receive the finished run as it was
// stored in the project file. The work is core's evaluatePerplexity /
// evaluateTask / compareWithBase on a worker thread; every signal is
// delivered in the receiver's thread through queued calls, and only for the
// newest job: a job superseded by start() ends silently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <QObject>
#include <QString>

#include "eval/task_items.h"
#include "job_runner.h"
#include "project/project_file.h"
#include "project/run_evaluation.h"

namespace qs {
class Checkpoint;
class JobControl;
class KernelBackend;
struct DecoderBlockWeights;
}  // namespace qs

namespace qs::views {

class EvalJob;

// Perplexity of `dataset` (a text file), zero-shot accuracy on it (a task
// file of `taskType`), or KL of the adjusted model against the same
// checkpoint unadjusted on it (a text file).
using EvalKind = qs::RunKind;

struct EvalRequest {
    EvalKind kind = EvalKind::Perplexity;
    std::shared_ptr<const qs::Checkpoint> checkpoint;
    QString dataset;  // text file (perplexity, KL) or task file / MMLU directory (task)
    qs::TaskType taskType = qs::TaskType::Piqa;
    int taskLimit = 0;       // first N items; 0: all
    int64_t ctx = 0;         // window length; 0: the model's default (min(2048, max positions))
    int64_t maxWindows = 0;  // 0: every full window
    // The quantization plan the model runs under: its label for the record,
    // the block adjuster and the plan's JSON (RunRequest::plan); all empty
    // for the unquantized model.
    QString planLabel;
    std::function<void(qs::DecoderBlockWeights&)> adjustBlock;
    nlohmann::json plan;
    QString projectPath;  // where the finished run is stored (addRun)
    // Where the model runs (RunRequest::backend), shared so it outlives the
    // job's thread; null: the CPU.
    std::shared_ptr<const qs::KernelBackend> backend;
};

class EvalService : public QObject {
    Q_OBJECT
public:
    // The destructor cancels the running job and waits for its thread (JobRunner).
    explicit EvalService(QObject* parent = nullptr);

    // Starts a job; a running job is cancelled and its results dropped.
    void start(EvalRequest request);
    bool isRunning() const { return runner_.isRunning(); }

public slots:
    // Asks the running job to stop; cancelled() follows and nothing is stored.
    void cancel();

signals:
    void started();
    // tokensPerSecond and secondsLeft are 0 until the first tokens went through.
    void progress(double fraction, double tokensPerSecond, double secondsLeft, const QString& stage);
    // The stored run, its id set.
    void finished(const qs::RunRecord& run);
    // The message names the file and the problem.
    void failed(const QString& message);
    void cancelled();

private:
    // Runs on the worker thread.
    void run(uint64_t jobId, const EvalRequest& request, EvalJob& job);

    JobRunner runner_;
};

}  // namespace qs::views

Q_DECLARE_METATYPE(qs::RunRecord)
