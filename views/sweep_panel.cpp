#include "sweep_panel.h"

#include <stdexcept>

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include "data_file_dialog.h"
#include "formats/checkpoint.h"
#include "project/project_file.h"
#include "quant/calibration.h"
#include "quant/plan_quantizer.h"
#include "sweep_metrics_form.h"
#include "sweep_service.h"

namespace qs::views {

namespace {
// The grid of the LLaMA3 low-bit study's weight-only tables (2, 3, 4, 8 bits).
constexpr qs::QuantMethod kMethods[] = {qs::QuantMethod::Rtn, qs::QuantMethod::Gptq, qs::QuantMethod::Awq};
constexpr int kBits[] = {2, 3, 4, 8};
constexpr int kGroupSizes[] = {32, 64, 128, 256};
// A sweep is many evaluations: small windows by default.
constexpr int kDefaultCtx = 256;
constexpr int kDefaultWindows = 32;
constexpr int kDefaultSamples = 32;
constexpr int kDefaultLength = 256;

// A line edit with a Browse button that opens the data file dialog.
QHBoxLayout* fileRow(QWidget* parent, QLineEdit* edit, const QString& title, DataKind kind) {
    auto* browse = new QToolButton(parent);
    browse->setText(SweepPanel::tr("Browse\u2026"));
    QObject::connect(browse, &QToolButton::clicked, parent, [parent, edit, title, kind] {
        const QString path = chooseDataFile(parent, title, edit->text(), kind);
        if (!path.isEmpty()) edit->setText(path);
    });
    edit->setClearButtonEnabled(true);
    auto* row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(edit, 1);
    row->addWidget(browse);
    return row;
}
}  // namespace

SweepPanel::SweepPanel(SweepService* service, QWidget* parent)
    : QWidget(parent),
      service_(service),
      name_(new QLineEdit(QStringLiteral("sweep"), this)),
      perChannel_(new QCheckBox(tr("per-channel"), this)),
      perGroup_(new QCheckBox(tr("per-group"), this)),
      groupSize_(new QComboBox(this)),
      metrics_(new SweepMetricsForm(this)),
      calibration_(new QLineEdit(this)),
      samples_(new QSpinBox(this)),
      length_(new QSpinBox(this)),
      ctx_(new QSpinBox(this)),
      windows_(new QSpinBox(this)),
      run_(new QPushButton(QIcon::fromTheme(QStringLiteral("media-playback-start")), tr("Run sweep"), this)),
      cancel_(new QPushButton(QIcon::fromTheme(QStringLiteral("process-stop")), tr("Cancel"), this)),
      progress_(new QProgressBar(this)),
      runProgress_(new QProgressBar(this)),
      status_(new QLabel(this)) {
    auto* methodRow = new QHBoxLayout;
    for (size_t i = 0; i < std::size(kMethods); ++i) {
        methods_[i] = new QCheckBox(QString::fromLatin1(qs::methodName(kMethods[i]).data()).toUpper(), this);
        methods_[i]->setChecked(true);
        methodRow->addWidget(methods_[i]);
    }
    methodRow->addStretch(1);
    auto* bitsRow = new QHBoxLayout;
    for (size_t i = 0; i < std::size(kBits); ++i) {
        bits_[i] = new QCheckBox(tr("W%1").arg(kBits[i]), this);
        bits_[i]->setChecked(true);
        bitsRow->addWidget(bits_[i]);
    }
    bitsRow->addStretch(1);
    for (int g : kGroupSizes) groupSize_->addItem(tr("g%1").arg(g), g);
    groupSize_->setCurrentIndex(groupSize_->findData(128));
    perGroup_->setChecked(true);
    auto* granularityRow = new QHBoxLayout;
    granularityRow->addWidget(perChannel_);
    granularityRow->addWidget(perGroup_);
    granularityRow->addWidget(groupSize_);
    granularityRow->addStretch(1);

    calibration_->setPlaceholderText(tr("calibration text (GPTQ, AWQ)"));
    samples_->setRange(1, 4096);
    samples_->setValue(kDefaultSamples);
    samples_->setPrefix(tr("samples "));
    length_->setRange(2, 1 << 16);
    length_->setValue(kDefaultLength);
    length_->setPrefix(tr("length "));
    ctx_->setRange(2, 1 << 20);
    ctx_->setValue(kDefaultCtx);
    ctx_->setPrefix(tr("ctx "));
    windows_->setRange(0, 1 << 20);
    windows_->setValue(kDefaultWindows);
    windows_->setSpecialValueText(tr("all windows"));
    windows_->setPrefix(tr("windows "));
    auto* calibSizeRow = new QHBoxLayout;
    calibSizeRow->addWidget(samples_);
    calibSizeRow->addWidget(length_);
    calibSizeRow->addStretch(1);
    auto* windowRow = new QHBoxLayout;
    windowRow->addWidget(ctx_);
    windowRow->addWidget(windows_);
    windowRow->addStretch(1);

    auto* form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignRight);
    form->addRow(tr("Name"), name_);
    form->addRow(tr("Methods"), methodRow);
    form->addRow(tr("Bits"), bitsRow);
    form->addRow(tr("Granularity"), granularityRow);
    form->addRow(tr("Windows"), windowRow);
    form->addRow(tr("Calibration"), fileRow(this, calibration_, tr("Calibration Text"), DataKind::Text));
    form->addRow(QString(), calibSizeRow);

    auto* evaluation = new QGroupBox(tr("Evaluate every cell on"), this);
    auto* evaluationLayout = new QVBoxLayout(evaluation);
    evaluationLayout->addWidget(metrics_);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(run_);
    buttons->addWidget(cancel_);
    buttons->addStretch(1);
    progress_->setRange(0, 1000);
    progress_->setFormat(tr("all runs %p%"));
    runProgress_->setRange(0, 1000);
    runProgress_->setFormat(tr("this run %p%"));
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->addLayout(form);
    layout->addWidget(evaluation, 1);
    layout->addLayout(buttons);
    layout->addWidget(progress_);
    layout->addWidget(runProgress_);
    layout->addWidget(status_);

    connect(metrics_, &SweepMetricsForm::changed, this, &SweepPanel::updateForm);
    for (QCheckBox* box : {methods_[0], methods_[1], methods_[2], bits_[0], bits_[1], bits_[2], bits_[3], perChannel_,
                           perGroup_})
        connect(box, &QCheckBox::toggled, this, &SweepPanel::updateForm);
    connect(calibration_, &QLineEdit::textChanged, this, &SweepPanel::updateForm);
    connect(name_, &QLineEdit::textChanged, this, &SweepPanel::updateForm);
    connect(run_, &QPushButton::clicked, this, &SweepPanel::run);
    connect(cancel_, &QPushButton::clicked, service_, &SweepService::cancel);
    connect(service_, &SweepService::started, this, [this] {
        progress_->setValue(0);
        runProgress_->setValue(0);
        status_->setText(tr("Starting\u2026"));
        updateForm();
    });
    connect(service_, &SweepService::progress, this, [this](double fraction, double runFraction, const QString& text) {
        progress_->setValue(int(fraction * 1000.0));
        runProgress_->setValue(int(runFraction * 1000.0));
        status_->setText(text);
    });
    connect(service_, &SweepService::finished, this, [this](int stored, int skipped) {
        progress_->setValue(1000);
        runProgress_->setValue(1000);
        onStopped(tr("Sweep done: %1 runs stored, %2 were already in the project.").arg(stored).arg(skipped));
    });
    connect(service_, &SweepService::cancelled, this, [this] {
        onStopped(tr("Cancelled; the finished runs are stored, Run continues the sweep."));
    });
    connect(service_, &SweepService::failed, this, [this](const QString& m) { onStopped(tr("Failed: %1").arg(m)); });
    updateForm();
}

void SweepPanel::setModel(std::shared_ptr<const qs::Checkpoint> ckpt, const QString& projectPath) {
    checkpoint_ = std::move(ckpt);
    projectPath_ = projectPath;
    // Reopening a project continues its newest sweep: Run skips what is stored.
    try {
        const std::vector<qs::RunRecord> runs = qs::listRuns(projectPath.toStdString());
        for (auto it = runs.rbegin(); it != runs.rend(); ++it)
            if (const auto sweep = it->settings.find("sweep"); sweep != it->settings.end() && sweep->is_object()) {
                name_->setText(QString::fromStdString(sweep->value("name", "sweep")));
                break;
            }
    } catch (const std::exception&) {
        // An unreadable project is reported when a run is stored; the form keeps its name.
    }
    if (checkpoint_) {
        const int positions = int(qs::calibrationLength(qs::CalibrationOptions{}, checkpoint_->config));
        ctx_->setMaximum(positions);
        length_->setMaximum(positions);
    }
    updateForm();
}

void SweepPanel::setRun(const QString& text, const QString& calibrationText, int ctx, int maxWindows, int samples,
                        int length) {
    metrics_->setTexts({text});
    calibration_->setText(calibrationText);
    if (ctx > 0) ctx_->setValue(ctx);
    if (maxWindows > 0) windows_->setValue(maxWindows);
    if (samples > 0) samples_->setValue(samples);
    if (length > 0) length_->setValue(length);
}

qs::SweepOptions SweepPanel::options() const {
    qs::SweepOptions o;
    o.name = name_->text().trimmed().toStdString();
    if (o.name.empty()) throw std::invalid_argument(tr("Name the sweep: a rerun finds its runs by the name.").toStdString());
    for (size_t i = 0; i < std::size(kMethods); ++i)
        if (methods_[i]->isChecked()) o.grid.methods.push_back(kMethods[i]);
    for (size_t i = 0; i < std::size(kBits); ++i)
        if (bits_[i]->isChecked()) o.grid.bits.push_back(kBits[i]);
    if (perChannel_->isChecked()) o.grid.groups.push_back(0);
    if (perGroup_->isChecked()) o.grid.groups.push_back(groupSize_->currentData().toInt());
    if (o.grid.methods.empty() || o.grid.bits.empty() || o.grid.groups.empty())
        throw std::invalid_argument(tr("Choose at least one method, bit width and granularity.").toStdString());
    o.metrics = metrics_->metrics();
    o.ctx = ctx_->value();
    o.maxWindows = windows_->value();
    if (!calibration_->text().trimmed().isEmpty()) o.calibPath = calibration_->text().trimmed().toStdString();
    // Said here, beside the calibration field, rather than when the sweep starts.
    if (checkpoint_ && !o.calibPath)
        for (const qs::SweepCell& cell : qs::sweepCells(o.grid))
            if (cell.plan && qs::planNeedsCalibration(*cell.plan, checkpoint_->config))
                throw std::invalid_argument(
                    tr("%1 calibrates: choose a calibration text, or untick it.")
                        .arg(QString::fromStdString(cell.method).toUpper())
                        .toStdString());
    o.calib.sequences = samples_->value();
    o.calib.length = length_->value();
    return o;
}

void SweepPanel::run() {
    if (!checkpoint_ || service_->isRunning()) return;
    SweepRequest request;
    request.checkpoint = checkpoint_;
    request.projectPath = projectPath_;
    try {
        request.options = options();
    } catch (const std::invalid_argument& e) {
        status_->setText(QString::fromUtf8(e.what()));
        return;
    }
    request.backend = backend_;
    service_->start(std::move(request));
}

QString SweepPanel::statusText() const { return status_->text(); }

// While no sweep runs, the status says what the form lacks (and Run waits
// for it) or how many runs Run would make.
void SweepPanel::updateForm() {
    const bool busy = service_->isRunning();
    cancel_->setEnabled(busy);
    run_->setEnabled(false);
    if (busy) return;
    if (!checkpoint_) {
        status_->setText(tr("Open a model to sweep it."));
        return;
    }
    try {
        const qs::SweepOptions o = options();
        const size_t runs = qs::sweepCells(o.grid).size() * o.metrics.size();
        status_->setText(tr("Ready: %n run(s), the baseline and every cell on each text and task.", nullptr, int(runs)));
        run_->setEnabled(true);
    } catch (const std::invalid_argument& e) {
        status_->setText(QString::fromUtf8(e.what()));
    }
}

void SweepPanel::onStopped(const QString& message) {
    updateForm();
    status_->setText(message);
}

}  // namespace qs::views
