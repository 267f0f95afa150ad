#include "plan_table_model.h"

#include <array>

#include <QApplication>
#include <QBrush>
#include <QColor>
#include <QPalette>

#include "formats/tensor_names.h"
#include "plot_style.h"

namespace qs::views {

namespace {

constexpr const char* kLmHead = "lm_head.weight";

struct ColumnInfo {
    const char* title;
    const char* tooltip;
};

// Titles of the columns that are not a SpecField (those come from spec_fields).
constexpr ColumnInfo kLayerColumns[] = {
    {"Layer", "Canonical tensor name of the linear layer"},
    {"Block", "Decoder block"},
    {"Projection", "Which of the block's seven linear projections"},
    {"Quantized", "Whether the plan quantizes this layer"},
};
constexpr ColumnInfo kLabelColumn = {"Resolved", "The spec the plan resolves for this layer"};

// A soft amber for rows that differ from the default: unlike a tint of the
// selection colour it never reads as "selected", and it is translucent, so
// it works on light and dark bases.
QColor overriddenTint() { return QColor(0xE6, 0x9F, 0x00, 70); }

QColor problemTint() {
    QColor c = outlierColor();
    c.setAlpha(90);
    return c;
}

}  // namespace

PlanTableModel::PlanTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void PlanTableModel::setModelConfig(const qs::ModelConfig& config) {
    beginResetModel();
    config_ = config;
    rows_.clear();
    for (int b = 0; b < int(config.numLayers); ++b)
        for (int p = 0; p < int(kProjections.size()); ++p)
            rows_.push_back({linearTensorName(b, p), b, p, linearInFeatures(config, p)});
    rows_.push_back({kLmHead, -1, -1, config.hiddenSize});
    refreshResolved();
    endResetModel();
}

void PlanTableModel::clear() {
    beginResetModel();
    config_ = {};
    rows_.clear();
    resolved_.clear();
    endResetModel();
}

void PlanTableModel::setPlan(qs::QuantPlan plan) {
    plan_ = std::move(plan);
    notifyAll();
}

void PlanTableModel::setDefaultSpec(const qs::QuantSpec& spec) {
    if (spec == plan_.defaultSpec) return;
    plan_.defaultSpec = spec;
    dropRedundantOverrides();
    notifyAll();
}

int PlanTableModel::rowOf(const QString& name) const {
    const std::string key = name.toStdString();
    for (size_t i = 0; i < rows_.size(); ++i)
        if (rows_[i].name == key) return int(i);
    return -1;
}

std::optional<SpecField> PlanTableModel::specField(int column) {
    if (column < Method || column > Activation) return std::nullopt;
    return kSpecFields[column - Method];
}

bool PlanTableModel::isSkipped(int row) const {
    // Skipped layers cannot be re-enabled by an override (see QuantPlan::skip).
    qs::QuantPlan probe = plan_;
    probe.overrides.clear();
    return !resolve(probe, rows_[size_t(row)].name);
}

std::optional<qs::QuantSpec> PlanTableModel::resolveWithoutExact(const std::string& name) const {
    qs::QuantPlan probe = plan_;
    std::erase_if(probe.overrides, [&](const QuantOverride& o) { return o.regex.empty() && o.name == name; });
    return resolve(probe, name);
}

void PlanTableModel::setLayerSpec(const std::string& name, const std::optional<qs::QuantSpec>& spec) {
    std::erase_if(plan_.overrides, [&](const QuantOverride& o) { return o.regex.empty() && o.name == name; });
    if (resolve(plan_, name) == spec) return;
    QuantOverride o;
    o.name = name;
    o.quantize = spec.has_value();
    o.spec = spec.value_or(plan_.defaultSpec);
    plan_.overrides.push_back(std::move(o));
}

void PlanTableModel::dropRedundantOverrides() {
    for (size_t i = plan_.overrides.size(); i-- > 0;) {
        const QuantOverride& o = plan_.overrides[i];
        if (!o.regex.empty()) continue;
        qs::QuantPlan without = plan_;
        without.overrides.erase(without.overrides.begin() + std::ptrdiff_t(i));
        if (resolve(without, o.name) == resolve(plan_, o.name)) plan_ = std::move(without);
    }
}

void PlanTableModel::refreshResolved() {
    resolved_.clear();
    skipped_.clear();
    for (size_t i = 0; i < rows_.size(); ++i) {
        resolved_.push_back(resolve(plan_, rows_[i].name));
        skipped_.push_back(isSkipped(int(i)));
    }
}

void PlanTableModel::notifyAll() {
    refreshResolved();
    if (!rows_.empty()) emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    emit planChanged();
}

bool PlanTableModel::setCellValue(const QList<int>& rows, int column, const QVariant& value) {
    const std::optional<SpecField> field = specField(column);
    if (column != Quantized && !field) return false;
    bool changed = false;
    for (int row : rows) {
        if (row < 0 || row >= rowCount() || skipped_[size_t(row)]) continue;
        const std::string& name = rows_[size_t(row)].name;
        const std::optional<qs::QuantSpec>& current = resolved_[size_t(row)];
        std::optional<qs::QuantSpec> wanted;
        if (column == Quantized) {
            const bool on = value.toBool();
            if (on == current.has_value()) continue;
            // Switched back on: what the layer gets without its own override.
            if (on) wanted = resolveWithoutExact(name).value_or(plan_.defaultSpec);
        } else {
            if (!current || !specFieldApplies(*current, *field)) continue;
            wanted = withSpecField(*current, *field, value);
            // A spec that is wrong on its own would make the plan unloadable.
            if (*wanted == *current || !quantSpecProblem(*wanted).empty()) continue;
        }
        setLayerSpec(name, wanted);
        changed = true;
    }
    if (changed) notifyAll();
    return changed;
}

int PlanTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }

int PlanTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QString PlanTableModel::problem(int row) const {
    const std::optional<qs::QuantSpec>& spec = resolved_[size_t(row)];
    return spec ? QString::fromStdString(quantSpecProblem(*spec, rows_[size_t(row)].inFeatures)) : QString();
}

QVariant PlanTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const Row& r = rows_[size_t(index.row())];
    const std::optional<qs::QuantSpec>& spec = resolved_[size_t(index.row())];
    const bool skipped = skipped_[size_t(index.row())];
    const int column = index.column();
    const std::optional<SpecField> field = specField(column);
    const bool overridden = !skipped && spec != plan_.defaultSpec;
    const bool invalidCell = (column == GroupSize || column == Label) && !problem(index.row()).isEmpty();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Layer: return QString::fromStdString(r.name);
        case Block: return r.block >= 0 ? QVariant(r.block) : QVariant();
        case Projection:
            return r.projection >= 0 ? QString::fromLatin1(kProjections[size_t(r.projection)].data(),
                                                           qsizetype(kProjections[size_t(r.projection)].size()))
                                     : QStringLiteral("lm_head");
        case Quantized: return {};
        case Label:
            if (skipped) return tr("skipped (kept in high precision)");
            return spec ? QString::fromStdString(quantSpecLabel(*spec)) : tr("not quantized");
        }
        if (!spec) return QStringLiteral("\u2013");
        return field == SpecField::GroupSize && !specFieldApplies(*spec, *field) ? QStringLiteral("\u2013")
                                                                                 : specFieldText(*spec, *field);
    case Qt::EditRole:
        if (column == Quantized) return spec.has_value();
        return field && spec ? specFieldValue(*spec, *field) : QVariant();
    case Qt::CheckStateRole:
        if (column == Quantized) return spec ? Qt::Checked : Qt::Unchecked;
        return {};
    case OverriddenRole: return overridden;
    case ProblemRole: return problem(index.row());
    case Qt::ToolTipRole:
        if (invalidCell) return problem(index.row());
        if (skipped) return tr("%1 is in the plan's skip list: it stays in high precision").arg(QString::fromStdString(r.name));
        if (overridden) return tr("Differs from the default spec (%1)").arg(QString::fromStdString(quantSpecLabel(plan_.defaultSpec)));
        return {};
    case Qt::BackgroundRole:
        if (invalidCell) return QBrush(problemTint());
        if (overridden) return QBrush(overriddenTint());
        return {};
    case Qt::ForegroundRole:
        // Fields that mean nothing for this spec (bits of FP8 weights) are dimmed.
        if (skipped || (field && spec && !specFieldApplies(*spec, *field)))
            return QApplication::palette().brush(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::TextAlignmentRole:
        return column == Layer || column == Label ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                                  : QVariant(Qt::AlignCenter);
    }
    return {};
}

bool PlanTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return false;
    if (role == Qt::CheckStateRole && index.column() == Quantized)
        return setCellValue({index.row()}, Quantized, value.toInt() == Qt::Checked);
    if (role == Qt::EditRole && index.column() != Quantized) return setCellValue({index.row()}, index.column(), value);
    return false;
}

Qt::ItemFlags PlanTableModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (!index.isValid() || skipped_[size_t(index.row())]) return f;
    const std::optional<qs::QuantSpec>& spec = resolved_[size_t(index.row())];
    const std::optional<SpecField> field = specField(index.column());
    if (index.column() == Quantized) f |= Qt::ItemIsUserCheckable;
    else if (field && spec && specFieldApplies(*spec, *field)) f |= Qt::ItemIsEditable;
    return f;
}

QVariant PlanTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
    const std::optional<SpecField> field = specField(section);
    if (role == Qt::DisplayRole)
        return field ? specFieldTitle(*field) : tr(section == Label ? kLabelColumn.title : kLayerColumns[section].title);
    if (role == Qt::ToolTipRole)
        return field ? specFieldToolTip(*field)
                     : tr(section == Label ? kLabelColumn.tooltip : kLayerColumns[section].tooltip);
    return {};
}

}  // namespace qs::views
