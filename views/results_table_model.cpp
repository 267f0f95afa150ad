#include "results_table_model.h"

#include <QFont>

namespace qs::views {

namespace {

QString text(const std::string& s) { return QString::fromStdString(s); }

// Five significant digits: 5.6832 for a perplexity, 0.77512 for an accuracy, 0.0012345 for a KL.
QString number(double v) { return QString::number(v, 'g', 5); }

}  // namespace

ResultsTableModel::ResultsTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void ResultsTableModel::setTable(qs::SweepTable table) {
    beginResetModel();
    table_ = std::move(table);
    endResetModel();
}

int ResultsTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(table_.rows.size());
}

int ResultsTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : FirstMetric + int(table_.columns.size());
}

QVariant ResultsTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    const qs::SweepRow& row = table_.rows[size_t(index.row())];
    if (index.column() < FirstMetric) {
        if (role != Qt::DisplayRole) return {};
        switch (index.column()) {
            case Method: return text(qs::methodTitle(row.method));
            case Group: return row.baseline() ? QStringLiteral("\u2013") : text(qs::groupLabel(row.group));
            case Bits: return row.bits;
        }
        return {};
    }
    const auto& entry = table_.entries[size_t(index.row())][size_t(index.column() - FirstMetric)];
    if (!entry) return {};
    switch (role) {
        case Qt::DisplayRole:
            return entry->standardError
                       ? QStringLiteral("%1 \u00b1 %2").arg(number(entry->value), number(*entry->standardError))
                       : number(entry->value);
        case ValueRole: return entry->value;
        case Qt::FontRole: {
            if (!entry->best) return {};
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        case Qt::TextAlignmentRole: return int(Qt::AlignRight | Qt::AlignVCenter);
        case Qt::ToolTipRole:
            return tr("%1 (%2)%3")
                .arg(text(entry->runId), text(row.cell),
                     entry->best ? tr(": best at %1 bits").arg(row.bits) : QString());
    }
    return {};
}

QVariant ResultsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return {};
    if (section >= FirstMetric && section - FirstMetric < int(table_.columns.size())) {
        const qs::SweepColumn& c = table_.columns[size_t(section - FirstMetric)];
        const bool lower = qs::metricInfo(c.metric).lowerIsBetter;
        if (role == Qt::DisplayRole) return QStringLiteral("%1 %2").arg(text(c.label()), lower ? u"\u2193" : u"\u2191");
        if (role == Qt::ToolTipRole)
            return tr("%1 on %2; %3 is better")
                .arg(text(qs::metricInfo(c.metric).title), text(c.dataset), lower ? tr("lower") : tr("higher"));
        return {};
    }
    if (role != Qt::DisplayRole) return {};
    switch (section) {
        case Method: return tr("Method");
        case Group: return tr("Group");
        case Bits: return tr("Bits");
    }
    return {};
}

}  // namespace qs::views
