#include "project/sweep_runner.h"

#include <mutex>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "project/project_file.h"
#include "quant/plan_quantizer.h"

namespace qs {

std::string SweepMetric::key(int64_t ctx, int64_t maxWindows) const {
    if (kind == RunKind::Task)
        return "task|" + dataset + "|" + std::string(taskTypeName(taskType)) + "|limit=" + std::to_string(taskLimit);
    return runKindName(kind) + "|" + dataset + "|ctx=" + std::to_string(ctx) + "|windows=" + std::to_string(maxWindows);
}

void validateSweep(const LlamaModel& model, const SweepOptions& options) {
    if (options.name.empty()) throw std::invalid_argument("a sweep needs a name");
    if (options.metrics.empty()) throw std::invalid_argument("a sweep needs at least one metric (a text or a task)");
    for (const SweepCell& cell : sweepCells(options.grid)) {
        if (!cell.plan) continue;
        checkAgainstModel(*cell.plan, model.config());
        if (planNeedsCalibration(*cell.plan, model.config()) && !options.calibPath)
            throw std::invalid_argument("sweep cell " + cell.key() + " needs calibration data (a calibration text)");
    }
}

std::vector<SweepMetric> textMetrics(const std::vector<std::string>& texts, bool kl) {
    std::vector<SweepMetric> metrics;
    for (const std::string& t : texts) {
        metrics.push_back({RunKind::Perplexity, t});
        if (kl) metrics.push_back({RunKind::Kl, t});
    }
    return metrics;
}

namespace {

std::string doneKey(const std::string& cell, const std::string& metric) { return cell + '\n' + metric; }

// The (cell, metric) pairs of sweep `name` on `model` (a sweepModelId) the
// project holds already. Runs stored before sweeps recorded their model are
// matched by the run's own model path.
std::set<std::string> finishedRuns(const std::string& projectPath, const std::string& name, const std::string& model) {
    std::set<std::string> done;
    for (const RunRecord& run : listRuns(projectPath)) {
        const auto it = run.settings.find("sweep");
        if (it == run.settings.end() || !it->is_object() || it->value("name", "") != name) continue;
        const std::string runModel = it->contains("model") ? it->value("model", "") : sweepModelId(run.model);
        if (runModel != model) continue;
        done.insert(doneKey(it->value("cell", ""), it->value("metric", "")));
    }
    return done;
}

// Reports a run's (or a quantization's) progress as the sweep's status and
// passes the sweep's cancel on. Core may call it from its worker threads.
class RunReporter {
public:
    RunReporter(SweepStatus& status, const JobControl* outer, const std::function<void(const SweepStatus&)>& progress)
        : status_(status), outer_(outer), progress_(progress) {}

    JobControl control(const std::string& stage) {
        {
            std::lock_guard lock(mutex_);
            status_.stage = stage;
            status_.runFraction = 0.0;
        }
        return JobControl([this](double fraction, const std::string&) { report(fraction); });
    }

    void report(double fraction) {
        if (outer_ && outer_->cancelRequested()) throw JobCancelled();
        std::lock_guard lock(mutex_);
        status_.runFraction = fraction;
        if (progress_) progress_(status_);
    }

private:
    SweepStatus& status_;
    const JobControl* outer_;
    const std::function<void(const SweepStatus&)>& progress_;
    std::mutex mutex_;
};

}  // namespace

SweepOutcome runSweep(const LlamaModel& model, const Tokenizer& tokenizer, const std::string& projectPath,
                      const SweepOptions& options, const SweepHooks& hooks) {
    validateSweep(model, options);
    const std::vector<SweepCell> cells = sweepCells(options.grid);
    const std::string modelId = sweepModelId(model.checkpoint().path);
    const std::set<std::string> done = finishedRuns(projectPath, options.name, modelId);

    SweepOutcome outcome;
    SweepStatus status;
    status.cells = int(cells.size());
    status.runs = int(cells.size() * options.metrics.size());
    RunReporter reporter(status, hooks.control, hooks.progress);
    std::optional<TokenBatch> calibration;  // read once, when the first calibrated cell needs it

    for (size_t c = 0; c < cells.size(); ++c) {
        const SweepCell& cell = cells[c];
        status.cell = int(c);
        status.cellKey = cell.key();
        std::vector<const SweepMetric*> todo;
        for (const SweepMetric& m : options.metrics) {
            if (done.count(doneKey(cell.key(), m.key(options.ctx, options.maxWindows)))) {
                ++outcome.skipped;
                ++status.run;
            } else {
                todo.push_back(&m);
            }
        }
        if (todo.empty()) continue;

        BlockAdjuster adjust;
        if (cell.plan) {
            const bool calibrated = planNeedsCalibration(*cell.plan, model.config());
            if (calibrated && !calibration)
                calibration = calibrationFromFile(tokenizer, *options.calibPath, options.calib, model.config());
            const JobControl job = reporter.control("quantizing");
            PlanQuantizeOptions o;
            o.job = &job;
            o.backend = options.backend;
            adjust = planBlockAdjuster(model, *cell.plan, calibrated ? &*calibration : nullptr, o);
        }
        for (const SweepMetric* m : todo) {
            RunRequest request;
            request.kind = m->kind;
            request.dataset = m->dataset;
            request.taskType = m->taskType;
            request.taskLimit = m->taskLimit;
            request.ctx = options.ctx;
            request.maxWindows = options.maxWindows;
            request.adjustBlock = adjust;
            request.planLabel = cell.plan ? quantPlanLabel(*cell.plan) : std::string();
            if (cell.plan) request.plan = quantPlanToJson(*cell.plan);
            request.projectPath = projectPath;
            request.backend = options.backend;
            const JobControl job = reporter.control(runKindName(m->kind) + " " + m->dataset);
            RunProgress runProgress;
            runProgress.control = &job;
            RunRecord run = evaluateRun(model, tokenizer, request, runProgress);
            nlohmann::json sweep = sweepCellJson(options.name, modelId, cell);
            sweep["metric"] = m->key(options.ctx, options.maxWindows);
            run.settings["sweep"] = sweep;
            run.id = addRun(projectPath, run);
            if (hooks.stored) hooks.stored(run);
            outcome.stored.push_back(std::move(run));
            reporter.report(1.0);  // this run done, before the count moves on to the next
            ++status.run;
        }
    }
    return outcome;
}

}  // namespace qs
