#include "plan_editor_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "plan_item_delegate.h"
#include "plan_presets.h"
#include "plan_table_view.h"
#include "plan_table_model.h"
#include "plot_style.h"
#include "quant/apply_plan.h"
#include "quant/calibrated_model.h"
#include "quant/plan_quantizer.h"
#include "quant/quant_plan.h"
#include "quantize_panel.h"

namespace qs::views {

namespace {
const QString kLastDirKey = QStringLiteral("plan/lastDir");

QString errorText(const std::exception& e) { return QString::fromUtf8(e.what()); }
}  // namespace

PlanEditorPanel::PlanEditorPanel(QWidget* parent)
    : QWidget(parent),
      model_(new PlanTableModel(this)),
      proxy_(new QSortFilterProxyModel(this)),
      presets_(new QComboBox(this)),
      filter_(new QLineEdit(this)),
      view_(new PlanTableView(this)),
      label_(new QLabel(this)),
      evaluate_(new QPushButton(QIcon::fromTheme(QStringLiteral("media-playback-start")), tr("Evaluate this plan"), this)),
      status_(new QLabel(this)),
      quantize_(new QuantizePanel(this)) {
    // Preset, file buttons and filter on top.
    presets_->addItem(tr("Custom default"));
    for (const PlanPreset& p : planPresets()) presets_->addItem(p.name);
    presets_->setToolTip(tr("Set the default spec to a common scheme (overrides are kept)"));
    connect(presets_, &QComboBox::activated, this, &PlanEditorPanel::applyPreset);
    auto* load = new QPushButton(QIcon::fromTheme(QStringLiteral("document-open")), tr("Load\u2026"), this);
    auto* save = new QPushButton(QIcon::fromTheme(QStringLiteral("document-save")), tr("Save\u2026"), this);
    connect(load, &QPushButton::clicked, this, &PlanEditorPanel::chooseLoadPath);
    connect(save, &QPushButton::clicked, this, &PlanEditorPanel::chooseSavePath);
    filter_->setPlaceholderText(tr("Filter layers (regex), e.g. layers\\.[0-1]\\..*mlp"));
    filter_->setClearButtonEnabled(true);
    connect(filter_, &QLineEdit::textChanged, this, &PlanEditorPanel::applyFilter);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Preset"), this));
    top->addWidget(presets_);
    top->addWidget(filter_, 1);
    top->addWidget(load);
    top->addWidget(save);

    // The default spec, one editor per field, as the table's cells edit them.
    auto* defaults = new QHBoxLayout;
    defaults->addWidget(new QLabel(tr("<b>Default</b>"), this));
    for (SpecField f : kSpecFields) {
        QWidget* editor = createSpecFieldEditor(f, this);
        defaultEditors_.emplace_back(f, editor);
        defaults->addWidget(editor);
        if (auto* combo = qobject_cast<QComboBox*>(editor))
            connect(combo, &QComboBox::activated, this, [this, f] { onDefaultFieldEdited(f); });
        else
            connect(qobject_cast<QSpinBox*>(editor), &QSpinBox::valueChanged, this, [this, f] { onDefaultFieldEdited(f); });
    }
    defaults->addStretch(1);

    proxy_->setSourceModel(model_);
    proxy_->setFilterKeyColumn(PlanTableModel::Layer);
    view_->setModel(proxy_);
    view_->setItemDelegate(new PlanItemDelegate(model_, view_));
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked |
                           QAbstractItemView::EditKeyPressed);
    view_->verticalHeader()->hide();
    view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 8);
    view_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view_->horizontalHeader()->setSectionResizeMode(PlanTableModel::Layer, QHeaderView::Interactive);
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->setAlternatingRowColors(false);  // the override tint must stand out
    view_->setToolTip(tr("Double-click a cell (or press F2) to edit it; an edit inside a selection applies to "
                         "every selected row"));
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
        if (current.isValid())
            emit layerSelected(QString::fromStdString(model_->layerName(proxy_->mapToSource(current).row())));
    });

    QFont bold = label_->font();
    bold.setBold(true);
    label_->setFont(bold);
    label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    evaluate_->setToolTip(tr("Evaluate the open model quantized by this plan with the Evaluate panel's settings "
                             "(GPTQ, AWQ and the smoothing methods: the last Quantize result of this plan)"));
    connect(evaluate_, &QPushButton::clicked, this, &PlanEditorPanel::evaluatePlan);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(new QLabel(tr("Plan:"), this));
    bottom->addWidget(label_);
    bottom->addWidget(status_, 1);
    bottom->addWidget(evaluate_);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(top);
    layout->addLayout(defaults);
    // The report grows with the model (7 rows a block) and is read beside
    // the plan it came from: both resizable, equal shares.
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(view_);
    splitter->addWidget(quantize_);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);
    layout->addWidget(splitter, 1);
    layout->addLayout(bottom);

    connect(quantize_->quantizeButton(), &QPushButton::clicked, this, &PlanEditorPanel::quantize);
    connect(quantize_, &QuantizePanel::quantized, this, &PlanEditorPanel::evaluatePlan);

    connect(model_, &PlanTableModel::planChanged, this, &PlanEditorPanel::updateDefaultRow);
    updateDefaultRow();
    setModelConfig(nullptr);
}

QString PlanEditorPanel::statusText() const { return status_->text(); }

void PlanEditorPanel::setModelConfig(const qs::ModelConfig* config) {
    haveModel_ = config != nullptr;
    if (config) {
        model_->setModelConfig(*config);
        view_->resizeColumnToContents(PlanTableModel::Layer);
    } else {
        model_->clear();
    }
    evaluate_->setEnabled(haveModel_);
    setStatus(haveModel_ ? QString() : tr("Open a model to plan its quantization."), false);
}

QString PlanEditorPanel::loadPlanFile(const QString& path, bool interactive) {
    try {
        model_->setPlan(qs::loadQuantPlan(path.toStdString()));
    } catch (const std::exception& e) {
        setStatus(errorText(e), true);
        if (interactive) QMessageBox::critical(this, tr("Cannot load plan"), errorText(e).toHtmlEscaped());
        return errorText(e);
    }
    setStatus(tr("Loaded %1").arg(QFileInfo(path).fileName()), false);
    // A plan written for another model loads, but says where it does not fit.
    if (haveModel_) try {
            qs::checkAgainstModel(model_->plan(), model_->modelConfig());
        } catch (const std::exception& e) {
            setStatus(errorText(e), true);
        }
    return {};
}

QString PlanEditorPanel::savePlanFile(const QString& path) {
    try {
        qs::saveQuantPlan(model_->plan(), path.toStdString());
    } catch (const std::exception& e) {
        setStatus(errorText(e), true);
        return errorText(e);
    }
    setStatus(tr("Saved %1").arg(QFileInfo(path).fileName()), false);
    return {};
}

bool PlanEditorPanel::awaitsQuantization() const {
    return haveModel_ && qs::planNeedsCalibration(model_->plan(), model_->modelConfig()) &&
           !quantize_->resultFor(model_->plan());
}

bool PlanEditorPanel::evaluatePlan() {
    if (!haveModel_) return false;
    QString label = QString::fromStdString(qs::quantPlanLabel(model_->plan()));
    std::function<void(qs::DecoderBlockWeights&)> adjust;
    if (qs::planNeedsCalibration(model_->plan(), model_->modelConfig())) {
        const QuantizeResultPtr result = quantize_->resultFor(model_->plan());
        if (!result) {
            setStatus(tr("%1 needs calibration: Quantize it first (calibration row above)").arg(label), true);
            return false;
        }
        label = quantize_->resultLabel();
        // The adjuster owns the result, so the blocks live as long as any run that uses them.
        adjust = [result, substitute = qs::substituteBlocks(result->model)](qs::DecoderBlockWeights& block) {
            substitute(block);
        };
    } else {
        try {
            adjust = qs::onTheFlyBlockAdjuster(model_->plan(), model_->modelConfig());
        } catch (const std::exception& e) {
            setStatus(errorText(e), true);
            return false;
        }
    }
    setStatus(tr("Handed to the Evaluate panel"), false);
    emit planChosen(label, std::move(adjust), qs::quantPlanToJson(model_->plan()));
    return true;
}

bool PlanEditorPanel::quantize() {
    if (!haveModel_) return false;
    if (qs::planNeedsCalibration(model_->plan(), model_->modelConfig())) {
        setStatus({}, false);
        quantize_->start(model_->plan());
        return true;
    }
    if (evaluatePlan())
        quantize_->setStatus(tr("RTN / FP8 need no calibration: the weights are quantized block by block while "
                                "evaluating. Handed to the Evaluate panel."),
                             false);
    return false;
}

void PlanEditorPanel::selectLayer(const QString& name) {
    const QModelIndex index = proxy_->mapFromSource(model_->index(model_->rowOf(name), PlanTableModel::Layer));
    if (!index.isValid() || view_->selectionModel()->currentIndex().row() == index.row()) return;
    view_->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    view_->scrollTo(index);
}

void PlanEditorPanel::applyPreset(int index) {
    if (index <= 0) return;  // "Custom default" is what the row shows, not a choice
    model_->setDefaultSpec(planPresets()[size_t(index - 1)].spec);
}

void PlanEditorPanel::onDefaultFieldEdited(SpecField field) {
    for (const auto& [f, editor] : defaultEditors_)
        if (f == field) {
            const QuantSpec spec = withSpecField(model_->plan().defaultSpec, field, specEditorValue(editor));
            if (const std::string problem = quantSpecProblem(spec); !problem.empty()) {
                setStatus(QString::fromStdString(problem), true);
                updateDefaultRow();
            } else {
                model_->setDefaultSpec(spec);
            }
        }
}

// The default row, the preset that matches it and the plan label follow the plan.
void PlanEditorPanel::updateDefaultRow() {
    const qs::QuantPlan& plan = model_->plan();
    for (const auto& [f, editor] : defaultEditors_) {
        const QSignalBlocker block(editor);
        setSpecEditorValue(editor, specFieldValue(plan.defaultSpec, f));
        editor->setEnabled(specFieldApplies(plan.defaultSpec, f));
    }
    int preset = 0;
    for (size_t i = 0; i < planPresets().size(); ++i)
        if (planPresets()[i].spec == plan.defaultSpec) preset = int(i) + 1;
    presets_->setCurrentIndex(preset);
    label_->setText(QString::fromStdString(qs::quantPlanLabel(plan)));
}

void PlanEditorPanel::applyFilter(const QString& pattern) {
    const QRegularExpression re(pattern, QRegularExpression::CaseInsensitiveOption);
    QPalette palette = filter_->palette();
    palette.setColor(QPalette::Text, re.isValid() ? this->palette().color(QPalette::Text) : outlierColor());
    filter_->setPalette(palette);
    filter_->setToolTip(re.isValid() ? QString() : re.errorString());
    if (re.isValid()) proxy_->setFilterRegularExpression(re);
}

void PlanEditorPanel::chooseLoadPath() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Load Plan"), QSettings().value(kLastDirKey).toString(),
                                                      tr("Plans (*.json);;All files (*)"));
    if (path.isEmpty()) return;
    QSettings().setValue(kLastDirKey, QFileInfo(path).absolutePath());
    loadPlanFile(path, true);
}

void PlanEditorPanel::chooseSavePath() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save Plan"), QSettings().value(kLastDirKey).toString(),
                                                      tr("Plans (*.json)"));
    if (path.isEmpty()) return;
    QSettings().setValue(kLastDirKey, QFileInfo(path).absolutePath());
    const QString error = savePlanFile(path);
    if (!error.isEmpty()) QMessageBox::critical(this, tr("Cannot save plan"), error.toHtmlEscaped());
}

void PlanEditorPanel::setStatus(const QString& text, bool error) {
    status_->setText(text);
    QPalette palette = status_->palette();
    palette.setColor(QPalette::WindowText, error ? outlierColor() : this->palette().color(QPalette::WindowText));
    status_->setPalette(palette);
}

}  // namespace qs::views
