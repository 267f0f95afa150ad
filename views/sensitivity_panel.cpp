#include "sensitivity_panel.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include "analysis/plan_suggestion.h"
#include "formats/checkpoint.h"
#include "heatmap_view.h"
#include "plan_presets.h"
#include "plan_table_model.h"
#include "sensitivity_charts.h"

namespace qs::views {

namespace {

constexpr int kGroupSize = 128;
constexpr double kSuggestBudget = 0.03;

// The scan applies a spec on the fly, so only RTN and FP8 presets qualify;
// W4 per-channel RTN is added because it makes the differences between layers plain.
std::vector<PlanPreset> scanSpecs() {
    std::vector<PlanPreset> specs;
    for (const PlanPreset& p : planPresets())
        if (p.spec.method == QuantMethod::Rtn) specs.push_back(p);
    QuantSpec w4;
    w4.bits = 4;
    w4.granularity = Granularity::PerChannel;
    specs.insert(specs.begin() + 1, {QStringLiteral("W4 per-channel RTN"), w4});
    return specs;
}

}  // namespace

SensitivityPanel::SensitivityPanel(PlanTableModel* plan, QWidget* parent)
    : QWidget(parent),
      plan_(plan),
      service_(new SensitivityService(this)),
      spec_(new QComboBox(this)),
      text_(new QLineEdit(QStringLiteral(QS_SHARED_DATA_DIR "/text/frankenstein-heldout.txt"), this)),
      ctx_(new QSpinBox(this)),
      windows_(new QSpinBox(this)),
      run_(new QPushButton(tr("Scan"), this)),
      cancel_(new QPushButton(tr("Cancel"), this)),
      suggest_(new QPushButton(tr("Suggest 3%"), this)),
      reevaluate_(new QPushButton(tr("Re-evaluate"), this)),
      progress_(new QProgressBar(this)),
      status_(new QLabel(this)),
      heatmap_(new HeatmapView(this)),
      ranking_(new KlRankView(this)),
      scatter_(new ProxyScatterView(this)) {
    for (const QString& name : specNames()) spec_->addItem(name);
    ctx_->setRange(16, 4096);
    ctx_->setValue(64);
    ctx_->setToolTip(tr("Tokens per evaluation window"));
    windows_->setRange(1, 64);
    windows_->setValue(2);
    windows_->setToolTip(tr("Evaluation windows; the scan costs about (blocks + 1) / 2 evaluations per projection"));
    text_->setToolTip(tr("Evaluation text"));
    suggest_->setToolTip(tr("Plan: the 3% most sensitive layers per-group g128, the rest at the scan's spec"));
    reevaluate_->setToolTip(tr("Evaluate the Plan editor's plan"));
    progress_->setRange(0, 1000);
    progress_->setMaximumWidth(200);

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Spec"), this));
    controls->addWidget(spec_);
    controls->addWidget(new QLabel(tr("Text"), this));
    controls->addWidget(text_, 1);
    controls->addWidget(new QLabel(tr("ctx"), this));
    controls->addWidget(ctx_);
    controls->addWidget(new QLabel(tr("windows"), this));
    controls->addWidget(windows_);
    controls->addWidget(run_);
    controls->addWidget(cancel_);
    controls->addWidget(progress_);
    controls->addWidget(suggest_);
    controls->addWidget(reevaluate_);

    auto* charts = new QSplitter(Qt::Vertical, this);
    charts->addWidget(ranking_);
    charts->addWidget(scatter_);
    charts->setStretchFactor(0, 3);  // twenty bar labels need the height
    charts->setStretchFactor(1, 2);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(heatmap_);
    split->addWidget(charts);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(status_);
    layout->addWidget(split, 1);

    connect(run_, &QPushButton::clicked, this, &SensitivityPanel::run);
    connect(cancel_, &QPushButton::clicked, service_, &SensitivityService::cancel);
    connect(suggest_, &QPushButton::clicked, this, &SensitivityPanel::suggest);
    connect(reevaluate_, &QPushButton::clicked, this, &SensitivityPanel::reevaluateRequested);
    connect(service_, &SensitivityService::progress, this, [this](double fraction, const QString& stage) {
        progress_->setValue(int(fraction * 1000));
        if (!stage.isEmpty()) status_->setText(stage);
    });
    connect(service_, &SensitivityService::finished, this, [this](SensitivityResultPtr result) {
        setRunning(false);
        setResult(std::move(result));
        emit scanFinished();
    });
    connect(service_, &SensitivityService::failed, this, [this](const QString& message) {
        setRunning(false);
        status_->setText(tr("Scan failed: %1").arg(message));
    });
    connect(service_, &SensitivityService::cancelled, this, [this] {
        setRunning(false);
        status_->setText(tr("Scan cancelled"));
    });
    // A cell of the heatmap is an index into the scan's layers.
    connect(heatmap_, &HeatmapView::tensorClicked, this, [this](int layer) {
        if (result_ && layer >= 0 && layer < int(result_->layers.size())) toggleLayer(result_->layers[size_t(layer)].name);
    });
    connect(ranking_, &KlRankView::layerClicked, this, &SensitivityPanel::toggleLayer);
    connect(plan_, &PlanTableModel::planChanged, this, &SensitivityPanel::showPlanState);
    connect(plan_, &QAbstractItemModel::modelReset, this, &SensitivityPanel::showPlanState);
    setRunning(false);
    setResult(nullptr);
}

QStringList SensitivityPanel::specNames() {
    QStringList names;
    for (const PlanPreset& p : scanSpecs()) names << p.name;
    return names;
}

void SensitivityPanel::setModel(std::shared_ptr<const qs::Checkpoint> checkpoint) {
    checkpoint_ = std::move(checkpoint);
    setResult(nullptr);  // a scan of another model would toggle layers of the wrong plan
    setRunning(false);
}

void SensitivityPanel::setScan(const QString& textFile, int ctx, int windows, const QString& specName) {
    text_->setText(textFile);
    if (ctx > 0) ctx_->setValue(ctx);
    if (windows > 0) windows_->setValue(windows);
    if (!specName.isEmpty()) spec_->setCurrentIndex(spec_->findText(specName));
}

void SensitivityPanel::run() {
    if (!checkpoint_) return;
    SensitivityRequest request;
    request.checkpoint = checkpoint_;
    request.spec = scanSpecs()[size_t(std::max(0, spec_->currentIndex()))].spec;
    request.textFile = text_->text();
    request.ctx = ctx_->value();
    request.windows = windows_->value();
    progress_->setValue(0);
    status_->setText(tr("Scanning with %1\u2026").arg(spec_->currentText()));
    setRunning(true);
    service_->start(std::move(request));
}

void SensitivityPanel::setRunning(bool running) {
    run_->setEnabled(!running && checkpoint_);
    cancel_->setVisible(running);
    progress_->setVisible(running);
    suggest_->setEnabled(!running && result_);
}

void SensitivityPanel::setResult(SensitivityResultPtr result) {
    result_ = std::move(result);
    suggest_->setEnabled(result_ != nullptr);
    scatter_->setResult(result_);
    if (!result_) {
        heatmap_->setLayerValues(tr("KL (nats/token)"), {}, {}, {});
        ranking_->setResult(nullptr, {});
        status_->setText(checkpoint_ ? tr("Scan each linear layer quantized alone: KL to the base on a few windows")
                                     : tr("Open a model to scan its layers"));
        return;
    }
    std::vector<std::string> names;
    std::vector<double> kl;
    for (const LayerSensitivity& l : result_->layers) names.push_back(l.name), kl.push_back(l.klMean);
    heatmap_->setLayerValues(tr("KL (nats/token)"), names, kl, tr("click a cell to toggle per-group g128 (dashed)"));
    status_->setText(tr("%1 on %2 \u00d7 %3 tokens: base ppl %4, %5 block passes (brute force %6), %7 s")
                         .arg(QString::fromStdString(quantSpecLabel(result_->spec)))
                         .arg(result_->windows)
                         .arg(result_->ctx)
                         .arg(result_->basePpl, 0, 'f', 3)
                         .arg(result_->blockPasses)
                         .arg(result_->bruteForceBlockPasses)
                         .arg(result_->seconds, 0, 'f', 1));
    showPlanState();
}

std::set<std::string> SensitivityPanel::perGroupLayers() const {
    std::set<std::string> layers;
    for (int row = 0; row < plan_->rowCount(); ++row) {
        const auto spec = resolve(plan_->plan(), plan_->layerName(row));
        if (spec && spec->granularity == Granularity::PerGroup) layers.insert(plan_->layerName(row));
    }
    return layers;
}

void SensitivityPanel::showPlanState() {
    if (!result_) return;
    const std::set<std::string> perGroup = perGroupLayers();
    QList<int> marked;
    for (size_t i = 0; i < result_->layers.size(); ++i)
        if (perGroup.count(result_->layers[i].name)) marked << int(i);
    heatmap_->setMarkedTensors(marked);
    ranking_->setResult(result_, perGroup);
}

bool SensitivityPanel::toggleLayer(const std::string& name) {
    const int row = plan_->rowOf(QString::fromStdString(name));
    const auto spec = row >= 0 ? resolve(plan_->plan(), name) : std::nullopt;
    if (!spec) return false;
    if (spec->granularity == Granularity::PerGroup)
        return plan_->setCellValue({row}, PlanTableModel::Granularity, int(Granularity::PerChannel));
    // Granularity first: a group size only applies to a per-group layer.
    if (!plan_->setCellValue({row}, PlanTableModel::Granularity, int(Granularity::PerGroup))) return false;
    plan_->setCellValue({row}, PlanTableModel::GroupSize, kGroupSize);
    return true;
}

void SensitivityPanel::suggest() {
    if (!result_) return;
    // No second scan of the upgraded layers here, so no predicted KL (their
    // per-group KL is not zero): Re-evaluate measures the plan.
    const PlanSuggestion s = suggestTopK(*result_, kSuggestBudget, kGroupSize);
    double upgradedScanKl = 0;
    for (const UpgradeCandidate& c : s.candidates) upgradedScanKl += c.scanKl;
    plan_->setPlan(s.plan);
    status_->setText(tr("Plan: %n layer(s) per-group g%1 (KL %2 of the scan's total %3 at the scan's spec); "
                        "Re-evaluate to measure the plan's KL",
                        nullptr, int(s.upgraded.size()))
                         .arg(kGroupSize)
                         .arg(upgradedScanKl, 0, 'g', 4)
                         .arg(s.scanTotalKl, 0, 'g', 4));
}

}  // namespace qs::views
