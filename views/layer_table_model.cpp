#include "layer_table_model.h"

#include <cmath>

#include <QBrush>
#include <QColor>
#include <QLocale>

#include "formats/checkpoint.h"
#include "plot_style.h"

namespace qs::views {

namespace {

struct ColumnInfo {
    const char* title;
    const char* tooltip;
};

// Header texts and the meaning of each statistic (tooltips).
constexpr ColumnInfo kColumns[LayerTableModel::ColumnCount] = {
    {"Name", "Canonical (Hugging Face) tensor name"},
    {"Shape", "Dimensions, outermost first: [out, in] for a linear layer"},
    {"DType", "Storage type in the checkpoint"},
    {"Elements", "Number of elements"},
    {"Min", "Smallest finite value"},
    {"Max", "Largest finite value"},
    {"Mean", "Mean of the finite values"},
    {"Std", "Standard deviation of the finite values"},
    {"Absmax", "Largest |value|: what a per-tensor absmax quantizer scales to"},
    {"Kurtosis", "Excess kurtosis E[(x-mean)^4]/var^2 - 3 (0 for a Gaussian; large = heavy tails)"},
    {"Outlier out", "Max / median of the per-output-channel (row) absmax"},
    {"Outlier in", "Max / median of the per-input-channel (column) absmax"},
    {"Zeros", "Elements equal to zero"},
    {"NaN", "Elements that are NaN"},
    {"Inf", "Elements that are +-Inf"},
};

QString shapeText(const std::vector<int64_t>& shape) {
    QStringList parts;
    for (int64_t d : shape) parts << QString::number(d);
    return parts.isEmpty() ? QStringLiteral("scalar") : parts.join(QStringLiteral(" \u00d7 "));
}

QString numberText(double v) {
    if (std::isnan(v)) return QStringLiteral("NaN");
    if (std::isinf(v)) return v > 0 ? QStringLiteral("\u221e") : QStringLiteral("-\u221e");
    return QString::number(v, 'g', 4);
}

bool isStatColumn(int column) { return column >= LayerTableModel::Min; }

}  // namespace

LayerTableModel::LayerTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void LayerTableModel::setCheckpoint(const qs::Checkpoint& ckpt) {
    beginResetModel();
    rows_.clear();
    rows_.reserve(ckpt.tensors().size());
    for (const TensorView& t : ckpt.tensors()) {
        TensorStats s;
        s.name = t.name;
        s.dtype = std::string(dtypeName(t.dtype));
        s.shape = t.shape;
        s.count = t.numel();
        rows_.push_back(std::move(s));
    }
    hasStats_ = false;
    endResetModel();
}

void LayerTableModel::setStats(std::vector<qs::TensorStats> stats) {
    beginResetModel();
    rows_ = std::move(stats);
    hasStats_ = true;
    endResetModel();
}

void LayerTableModel::clear() {
    beginResetModel();
    rows_.clear();
    hasStats_ = false;
    endResetModel();
}

int LayerTableModel::rowOf(const QString& name) const {
    const std::string key = name.toStdString();
    for (size_t i = 0; i < rows_.size(); ++i)
        if (rows_[i].name == key) return int(i);
    return -1;
}

int LayerTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(rows_.size());
}

int LayerTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant LayerTableModel::displayValue(const TensorStats& s, int column) const {
    const QLocale locale;
    switch (column) {
    case Name: return QString::fromStdString(s.name);
    case Shape: return shapeText(s.shape);
    case DType: return QString::fromStdString(s.dtype);
    case Elements: return locale.toString(qlonglong(s.count));
    case Min: return numberText(s.min);
    case Max: return numberText(s.max);
    case Mean: return numberText(s.mean);
    case Std: return numberText(s.std);
    case Absmax: return numberText(s.absmax);
    case Kurtosis: return numberText(s.kurtosis);
    case OutlierOut: return numberText(s.outlierRatioOut);
    case OutlierIn: return numberText(s.outlierRatioIn);
    case Zeros: return locale.toString(qlonglong(s.zeros));
    case NaNs: return locale.toString(qlonglong(s.nans));
    case Infs: return locale.toString(qlonglong(s.infs));
    }
    return {};
}

QVariant LayerTableModel::sortValue(const TensorStats& s, int column) const {
    switch (column) {
    case Name: return QString::fromStdString(s.name);
    case Shape:
    case Elements: return qlonglong(s.count);
    case DType: return QString::fromStdString(s.dtype);
    case Min: return s.min;
    case Max: return s.max;
    case Mean: return s.mean;
    case Std: return s.std;
    case Absmax: return s.absmax;
    case Kurtosis: return s.kurtosis;
    case OutlierOut: return s.outlierRatioOut;
    case OutlierIn: return s.outlierRatioIn;
    case Zeros: return qlonglong(s.zeros);
    case NaNs: return qlonglong(s.nans);
    case Infs: return qlonglong(s.infs);
    }
    return {};
}

QVariant LayerTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const TensorStats& s = rows_[size_t(index.row())];
    const int column = index.column();
    const bool pending = isStatColumn(column) && !hasStats_;

    switch (role) {
    case Qt::DisplayRole:
        return pending ? QVariant(QStringLiteral("\u2026")) : displayValue(s, column);
    case SortRole:
        return pending ? QVariant() : sortValue(s, column);
    case TensorIndexRole:
        return index.row();
    case Qt::ToolTipRole:
        if (column == Name) return QString::fromStdString(s.name);
        return pending ? QVariant(tr("Statistics are being computed")) : QVariant();
    case Qt::TextAlignmentRole:
        return column <= DType ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                               : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        // Non-finite values break every quantizer: make them impossible to miss.
        if (!pending && ((column == NaNs && s.nans > 0) || (column == Infs && s.infs > 0)))
            return QBrush(outlierColor());
        return {};
    }
    return {};
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
    if (role == Qt::DisplayRole) return tr(kColumns[section].title);
    if (role == Qt::ToolTipRole) return tr(kColumns[section].tooltip);
    if (role == Qt::TextAlignmentRole)
        return section <= DType ? QVariant(Qt::AlignLeft | Qt::AlignVCenter) : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

}  // namespace qs::views
