// A sweep's results table (qs::SweepTable) for a QTableView: method, group
// and bits, then one column per (dataset, metric) with "value ± stderr"; the
// best method at each bit width in bold, as the exported LaTeX has it.
#pragma once

#include <QAbstractTableModel>

#include "analysis/sweep_results.h"

namespace qs::views {

class ResultsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Method, Group, Bits, FirstMetric };
    // The value as a number (double) in metric columns, invalid where blank.
    static constexpr int ValueRole = Qt::UserRole + 1;

    explicit ResultsTableModel(QObject* parent = nullptr);

    void setTable(qs::SweepTable table);
    const qs::SweepTable& table() const { return table_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    qs::SweepTable table_;
};

}  // namespace qs::views
