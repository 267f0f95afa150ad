#include "quant_report_model.h"

#include <cmath>

namespace qs::views {

namespace {
double number(const qs::LayerQuantReport& r, int column) {
    switch (column) {
    case QuantReportModel::RelativeError: return r.relativeError;
    case QuantReportModel::BaselineError: return r.baselineError;
    case QuantReportModel::Exponent: return r.exponent;
    case QuantReportModel::Seconds: return r.seconds;
    }
    return std::nan("");
}

// Errors span decades (1e-4 .. 1e-1), so three significant digits; the
// alpha / ratio is a grid value like 0.35; seconds to the millisecond.
QString formatted(int column, double v) {
    if (std::isnan(v)) return QStringLiteral("\u2014");
    switch (column) {
    case QuantReportModel::RelativeError:
    case QuantReportModel::BaselineError: return QString::number(v, 'g', 3);
    case QuantReportModel::Exponent: return QString::number(v, 'f', 2);
    default: return QString::number(v, 'f', 3);
    }
}
}  // namespace

QuantReportModel::QuantReportModel(QObject* parent) : QAbstractTableModel(parent) {}

void QuantReportModel::setReport(std::vector<qs::LayerQuantReport> layers) {
    beginResetModel();
    rows_ = std::move(layers);
    endResetModel();
}

int QuantReportModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }

int QuantReportModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant QuantReportModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const qs::LayerQuantReport& r = rows_[size_t(index.row())];
    const int column = index.column();
    if (role == Qt::TextAlignmentRole)
        return column >= RelativeError ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    if (role != Qt::DisplayRole && role != ValueRole) return {};
    if (column == Layer) return QString::fromStdString(r.name);
    if (column == Method) return QString::fromStdString(r.method);
    const double v = number(r, column);
    return role == ValueRole ? QVariant(v) : QVariant(formatted(column, v));
}

QVariant QuantReportModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Layer: return tr("Layer / group");
    case Method: return tr("Method");
    case RelativeError: return tr("Relative error");
    case BaselineError: return tr("Baseline error");
    case Exponent: return tr("Alpha / ratio");
    case Seconds: return tr("Seconds");
    }
    return {};
}

}  // namespace qs::views
