#include "quantize_panel.h"

#include <algorithm>

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include "duration_text.h"
#include "formats/checkpoint.h"
#include "plot_style.h"
#include "quant/plan_quantizer.h"
#include "quant_report_model.h"

namespace qs::views {

namespace {
const QString kLastDirKey = QStringLiteral("quantize/lastCalibrationDir");
// A text kept out of the evaluation sets, so calibration does not see what
// perplexity is measured on.
const QString kDefaultCalibration = QStringLiteral(QS_SHARED_DATA_DIR "/text/frankenstein-heldout.txt");

QString startDirectory(const QString& current) {
    if (!current.isEmpty()) return QFileInfo(current).absolutePath();
    const QString last = QSettings().value(kLastDirKey).toString();
    if (!last.isEmpty() && QFileInfo(last).isDir()) return last;
    const QString shared = QStringLiteral(QS_SHARED_DATA_DIR "/text");
    return QFileInfo(shared).isDir() ? QDir::cleanPath(shared) : QDir::homePath();
}
}  // namespace

QuantizePanel::QuantizePanel(QWidget* parent)
    : QWidget(parent),
      service_(new QuantizeService(this)),
      report_(new QuantReportModel(this)),
      file_(new QLineEdit(this)),
      samples_(new QSpinBox(this)),
      length_(new QSpinBox(this)),
      quantize_(new QPushButton(QIcon::fromTheme(QStringLiteral("system-run")), tr("Quantize"), this)),
      cancel_(new QPushButton(QIcon::fromTheme(QStringLiteral("process-stop")), tr("Cancel"), this)),
      progress_(new QProgressBar(this)),
      status_(new QLabel(this)),
      reportView_(new QTableView(this)) {
    const qs::CalibrationOptions defaults;
    file_->setPlaceholderText(tr("calibration text file"));
    file_->setClearButtonEnabled(true);
    if (QFileInfo::exists(kDefaultCalibration)) file_->setText(QDir::cleanPath(kDefaultCalibration));
    auto* browse = new QToolButton(this);
    browse->setText(tr("Browse\u2026"));
    connect(browse, &QToolButton::clicked, this, &QuantizePanel::chooseCalibrationFile);
    samples_->setRange(1, 1 << 16);
    samples_->setValue(int(defaults.sequences));
    samples_->setToolTip(tr("Calibration sequences cut at random offsets of the text (GPTQ uses 128)"));
    length_->setRange(2, 1 << 20);
    length_->setValue(int(defaults.length));
    length_->setSuffix(tr(" tokens"));
    length_->setToolTip(tr("Tokens per calibration sequence, at most the model's positions"));

    auto* calibration = new QHBoxLayout;
    calibration->addWidget(new QLabel(tr("<b>Calibration</b>"), this));
    calibration->addWidget(file_, 1);
    calibration->addWidget(browse);
    calibration->addWidget(new QLabel(tr("Samples"), this));
    calibration->addWidget(samples_);
    calibration->addWidget(new QLabel(tr("Length"), this));
    calibration->addWidget(length_);
    calibration->addWidget(quantize_);
    calibration->addWidget(cancel_);

    progress_->setRange(0, 1000);
    progress_->setValue(0);
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(progress_, 1);
    progressRow->addWidget(status_, 2);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    reportView_->setModel(report_);
    reportView_->verticalHeader()->hide();
    reportView_->verticalHeader()->setDefaultSectionSize(reportView_->fontMetrics().height() + 6);
    reportView_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    reportView_->horizontalHeader()->setSectionResizeMode(QuantReportModel::Layer, QHeaderView::Stretch);
    reportView_->setSelectionBehavior(QAbstractItemView::SelectRows);
    reportView_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    reportView_->setAlternatingRowColors(true);
    reportView_->setToolTip(tr("Relative error: ||XW\u1d40 \u2212 XQ\u1d40||\u00b2 / ||XW\u1d40||\u00b2 on the calibration "
                               "inputs; baseline: the same spec without the method (RTN / unsmoothed)"));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(calibration);
    layout->addLayout(progressRow);
    layout->addWidget(reportView_, 1);

    connect(cancel_, &QPushButton::clicked, service_, &QuantizeService::cancel);
    connect(service_, &QuantizeService::started, this, &QuantizePanel::onStarted);
    connect(service_, &QuantizeService::progress, this, &QuantizePanel::onProgress);
    connect(service_, &QuantizeService::finished, this, &QuantizePanel::onFinished);
    connect(service_, &QuantizeService::failed, this, [this](const QString& m) { onStopped(m, true); });
    connect(service_, &QuantizeService::cancelled, this,
            [this] { onStopped(tr("Cancelled; nothing kept"), false); });
    setModel(nullptr, {});
}

QString QuantizePanel::statusText() const { return status_->text(); }

void QuantizePanel::setModel(std::shared_ptr<const qs::Checkpoint> ckpt, const QString& projectPath) {
    if (service_->isRunning()) service_->cancel();
    checkpoint_ = std::move(ckpt);
    projectPath_ = projectPath;
    result_.reset();  // its blocks belong to the previous model
    resultLabel_.clear();
    report_->clear();
    if (checkpoint_ && checkpoint_->config.maxPositions > 0) {
        length_->setMaximum(int(std::min<int64_t>(checkpoint_->config.maxPositions, 1 << 20)));
        length_->setValue(int(qs::calibrationLength(qs::CalibrationOptions{}, checkpoint_->config)));
    }
    progress_->setValue(0);
    progress_->setFormat(QStringLiteral("%p%"));
    setStatus({}, false);
    quantize_->setEnabled(checkpoint_ != nullptr);
    cancel_->setEnabled(false);
}

void QuantizePanel::setCalibration(const QString& textFile, int samples, int length) {
    file_->setText(textFile);
    if (samples > 0) samples_->setValue(samples);
    if (length > 0) length_->setValue(length);
}

qs::CalibrationOptions QuantizePanel::calibrationOptions() const {
    qs::CalibrationOptions options;
    options.sequences = samples_->value();
    options.length = length_->value();
    return options;
}

void QuantizePanel::start(const qs::QuantPlan& plan) {
    if (!checkpoint_) return;
    QuantizeRequest request;
    request.checkpoint = checkpoint_;
    request.plan = plan;
    request.calibrationFile = file_->text().trimmed();
    request.calibration = calibrationOptions();
    request.projectPath = projectPath_;
    request.backend = backend_;
    pendingPlan_ = plan;
    pendingLabel_ = tr("%1, calibrated on %2 (%3 \u00d7 %4)")
                        .arg(QString::fromStdString(qs::quantPlanLabel(plan)),
                             QFileInfo(request.calibrationFile).fileName())
                        .arg(request.calibration.sequences)
                        .arg(qs::calibrationLength(request.calibration, checkpoint_->config));
    service_->start(std::move(request));
}

QuantizeResultPtr QuantizePanel::resultFor(const qs::QuantPlan& plan) const {
    // JSON, not the structs: the source file and line numbers do not change the plan.
    if (!result_ || qs::quantPlanToJson(plan) != qs::quantPlanToJson(resultPlan_)) return nullptr;
    return result_;
}

void QuantizePanel::setStatus(const QString& text, bool error) {
    status_->setText(text);
    QPalette palette = status_->palette();
    palette.setColor(QPalette::WindowText, error ? outlierColor() : this->palette().color(QPalette::WindowText));
    status_->setPalette(palette);
}

void QuantizePanel::chooseCalibrationFile() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Calibration Text"), startDirectory(file_->text()),
                                                      tr("Text files (*.txt *.raw *.tokens);;All files (*)"));
    if (path.isEmpty()) return;
    QSettings().setValue(kLastDirKey, QFileInfo(path).absolutePath());
    file_->setText(path);
}

void QuantizePanel::onStarted() {
    progress_->setValue(0);
    progress_->setFormat(QStringLiteral("%p%"));
    setStatus(tr("Starting\u2026"), false);
    quantize_->setEnabled(false);
    cancel_->setEnabled(true);
}

void QuantizePanel::onProgress(double fraction, double secondsLeft, const QString& stage) {
    progress_->setValue(int(fraction * 1000));
    if (secondsLeft > 0) progress_->setFormat(tr("%p%, %1 left").arg(durationText(secondsLeft)));
    setStatus(stage, false);
}

void QuantizePanel::onFinished(QuantizeResultPtr result) {
    result_ = std::move(result);
    resultPlan_ = pendingPlan_;
    resultLabel_ = pendingLabel_;
    report_->setReport(result_->layers);
    progress_->setValue(1000);
    progress_->setFormat(tr("done in %1").arg(durationText(result_->model.seconds)));
    onStopped(tr("Quantized %n block(s): %1", nullptr, int(result_->model.blocks.size())).arg(resultLabel_), false);
    emit quantized();
}

void QuantizePanel::onStopped(const QString& message, bool error) {
    setStatus(message, error);
    quantize_->setEnabled(checkpoint_ != nullptr);
    cancel_->setEnabled(false);
}

}  // namespace qs::views
