#include "evaluate_panel.h"

#include <algorithm>

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include "data_file_dialog.h"
#include "eval/task_items.h"
#include "duration_text.h"
#include "eval/text_windows.h"
#include "eval_service.h"
#include "formats/checkpoint.h"
#include "runs_table_model.h"
#include "task_type_box.h"

namespace qs::views {

namespace {
// A quick look at a small model: a few hundred thousand tokens at most.
constexpr int kQuickCtx = 256;
constexpr int kQuickWindows = 64;

}  // namespace

EvaluatePanel::EvaluatePanel(EvalService* service, QWidget* parent)
    : QWidget(parent),
      service_(service),
      hint_(new QLabel(tr("Open a model to evaluate it."), this)),
      form_(new QWidget(this)),
      kind_(new QComboBox(form_)),
      dataset_(new QLineEdit(form_)),
      taskType_(new TaskTypeBox(form_)),
      limit_(new QSpinBox(form_)),
      ctx_(new QSpinBox(form_)),
      windows_(new QSpinBox(form_)),
      plan_(new QLabel(form_)),
      run_(new QPushButton(QIcon::fromTheme(QStringLiteral("media-playback-start")), tr("Run"), this)),
      cancel_(new QPushButton(QIcon::fromTheme(QStringLiteral("process-stop")), tr("Cancel"), this)),
      progress_(new QProgressBar(this)),
      status_(new QLabel(this)) {
    kind_->addItem(tr("Perplexity on a text"), int(EvalKind::Perplexity));
    kind_->addItem(tr("Task accuracy"), int(EvalKind::Task));
    kind_->addItem(tr("KL vs unquantized base"), int(EvalKind::Kl));
    taskType_->setType(qs::TaskType::Piqa);
    limit_->setRange(0, 1 << 20);
    limit_->setSpecialValueText(tr("all items"));
    limit_->setToolTip(tr("Evaluate the first N items of the task file (0: all)"));
    ctx_->setRange(2, 1 << 20);
    ctx_->setSuffix(tr(" tokens"));
    windows_->setRange(0, 1 << 20);
    windows_->setSpecialValueText(tr("all windows"));
    windows_->setToolTip(tr("Evaluate the first N windows of the text (0: all)"));
    dataset_->setPlaceholderText(tr("text or task file"));
    dataset_->setClearButtonEnabled(true);

    auto* browse = new QToolButton(form_);
    browse->setText(tr("Browse\u2026"));
    connect(browse, &QToolButton::clicked, this, &EvaluatePanel::chooseDataset);
    auto* datasetRow = new QHBoxLayout;
    datasetRow->setContentsMargins(0, 0, 0, 0);
    datasetRow->addWidget(dataset_, 1);
    datasetRow->addWidget(browse);

    auto* quick = new QToolButton(form_);
    quick->setText(tr("Quick"));
    quick->setToolTip(tr("Context %1, %2 windows: a first look in seconds").arg(kQuickCtx).arg(kQuickWindows));
    connect(quick, &QToolButton::clicked, this, [this] {
        ctx_->setValue(std::min(kQuickCtx, ctx_->maximum()));
        windows_->setValue(kQuickWindows);
    });
    auto* windowRow = new QHBoxLayout;
    windowRow->setContentsMargins(0, 0, 0, 0);
    windowRow->addWidget(ctx_, 1);
    windowRow->addWidget(windows_, 1);
    windowRow->addWidget(quick);

    auto* form = new QFormLayout(form_);
    form->setContentsMargins(0, 0, 0, 0);
    form->setLabelAlignment(Qt::AlignRight);
    form->addRow(tr("Measure"), kind_);
    form->addRow(tr("Dataset"), datasetRow);
    form->addRow(tr("Task"), taskType_);
    form->addRow(tr("Items"), limit_);
    form->addRow(tr("Windows"), windowRow);
    form->addRow(tr("Plan"), plan_);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(run_);
    buttons->addWidget(cancel_);
    buttons->addWidget(progress_, 1);
    progress_->setRange(0, 1000);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    hint_->setEnabled(false);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->addWidget(hint_);
    layout->addWidget(form_);
    layout->addLayout(buttons);
    layout->addWidget(status_);
    layout->addStretch(1);

    connect(kind_, &QComboBox::currentIndexChanged, this, &EvaluatePanel::updateForm);
    connect(dataset_, &QLineEdit::textChanged, this, &EvaluatePanel::updateForm);
    connect(run_, &QPushButton::clicked, this, &EvaluatePanel::run);
    connect(cancel_, &QPushButton::clicked, service_, &EvalService::cancel);
    connect(service_, &EvalService::started, this, &EvaluatePanel::onStarted);
    connect(service_, &EvalService::progress, this, &EvaluatePanel::onProgress);
    connect(service_, &EvalService::finished, this, [this](const qs::RunRecord& r) {
        onStopped(tr("%1: %2 (%3 s)").arg(QString::fromStdString(r.id), runSummary(r)).arg(r.seconds, 0, 'f', 1));
    });
    connect(service_, &EvalService::failed, this, &EvaluatePanel::onStopped);
    connect(service_, &EvalService::cancelled, this, [this] { onStopped(tr("Cancelled; nothing stored")); });
    setPlan({}, {});
    setModel(nullptr, {});
}

void EvaluatePanel::setModel(std::shared_ptr<const qs::Checkpoint> ckpt, const QString& projectPath) {
    checkpoint_ = std::move(ckpt);
    projectPath_ = projectPath;
    if (checkpoint_) {
        const qs::ModelConfig& config = checkpoint_->config;
        if (config.maxPositions > 0) ctx_->setMaximum(int(std::min<int64_t>(config.maxPositions, 1 << 20)));
        ctx_->setValue(int(qs::defaultContext(config)));
        windows_->setValue(0);
    }
    updateForm();
}

void EvaluatePanel::setPlan(const QString& label, std::function<void(qs::DecoderBlockWeights&)> adjustBlock,
                            nlohmann::json plan) {
    planLabel_ = label;
    adjustBlock_ = std::move(adjustBlock);
    planJson_ = std::move(plan);
    plan_->setText(label.isEmpty() ? tr("unquantized (no plan)") : label);
}

void EvaluatePanel::setPerplexityRun(const QString& textFile, int ctx, int maxWindows) {
    kind_->setCurrentIndex(kind_->findData(int(EvalKind::Perplexity)));
    dataset_->setText(textFile);
    if (ctx > 0) ctx_->setValue(ctx);
    if (maxWindows > 0) windows_->setValue(maxWindows);
}

EvalRequest EvaluatePanel::request() const {
    EvalRequest r;
    r.kind = EvalKind(kind_->currentData().toInt());
    r.checkpoint = checkpoint_;
    r.dataset = dataset_->text().trimmed();
    r.taskType = taskType_->type().value_or(qs::TaskType::Piqa);
    r.taskLimit = limit_->value();
    r.ctx = ctx_->value();
    r.maxWindows = windows_->value();
    r.planLabel = planLabel_;
    r.adjustBlock = adjustBlock_;
    r.plan = planJson_;
    r.projectPath = projectPath_;
    r.backend = backend_;
    return r;
}

void EvaluatePanel::run() {
    if (!checkpoint_ || dataset_->text().trimmed().isEmpty()) return;
    service_->start(request());
}

void EvaluatePanel::chooseDataset() {
    const bool task = EvalKind(kind_->currentData().toInt()) == EvalKind::Task;
    const QString path =
        chooseDataFile(this, tr("Evaluation Data"), dataset_->text(), task ? DataKind::Task : DataKind::Text);
    if (path.isEmpty()) return;
    dataset_->setText(path);
    if (task)
        if (const auto type = taskTypeOfPath(path)) taskType_->setType(type);
}

// Task fields for task runs only, window fields for text runs only; Run
// needs a model, a file and no job in flight.
void EvaluatePanel::updateForm() {
    const bool haveModel = checkpoint_ != nullptr;
    const bool task = EvalKind(kind_->currentData().toInt()) == EvalKind::Task;
    const bool busy = service_->isRunning();
    hint_->setVisible(!haveModel);
    form_->setEnabled(haveModel && !busy);
    taskType_->setEnabled(task);
    limit_->setEnabled(task);
    ctx_->setEnabled(!task);
    windows_->setEnabled(!task);
    run_->setEnabled(haveModel && !busy && !dataset_->text().trimmed().isEmpty());
    cancel_->setEnabled(busy);
    progress_->setEnabled(busy);
}

void EvaluatePanel::onStarted() {
    progress_->setValue(0);
    progress_->setFormat(QStringLiteral("%p%"));
    rate_.clear();
    status_->setText(tr("Starting\u2026"));
    updateForm();
}

void EvaluatePanel::onProgress(double fraction, double tokensPerSecond, double secondsLeft, const QString& stage) {
    progress_->setValue(int(fraction * 1000));
    if (tokensPerSecond > 0) {
        rate_ = QLocale().toString(qlonglong(tokensPerSecond + 0.5));
        progress_->setFormat(tr("%1 tok/s, %2 left").arg(rate_, durationText(secondsLeft)));
    }
    status_->setText(stage);
}

void EvaluatePanel::onStopped(const QString& message) {
    status_->setText(message);
    // A finished run keeps its speed on the bar; a cancelled or failed one its percentage.
    if (!service_->isRunning() && progress_->value() >= 1000)
        progress_->setFormat(rate_.isEmpty() ? tr("done") : tr("done, %1 tok/s").arg(rate_));
    updateForm();
}

}  // namespace qs::views
