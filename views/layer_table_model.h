// The layer table: one row per tensor of the open checkpoint, one column per
// statistic of qs::TensorStats. Rows exist as soon as the checkpoint's index
// is read (name, shape, dtype, elements); the statistic columns fill in when
// the statistics arrive.
#pragma once

#include <vector>

#include <QAbstractTableModel>

#include "stats/tensor_stats.h"

namespace qs {
class Checkpoint;
}

namespace qs::views {

class LayerTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        Shape,
        DType,
        Elements,
        Min,
        Max,
        Mean,
        Std,
        Absmax,
        Kurtosis,
        OutlierOut,
        OutlierIn,
        Zeros,
        NaNs,
        Infs,
        ColumnCount
    };
    // Numbers (double / qlonglong) for numeric columns, the name for Name,
    // the element count for Shape: what sorting compares.
    static constexpr int SortRole = Qt::UserRole + 1;
    // The row's index into tensors(), unchanged by sorting or filtering.
    static constexpr int TensorIndexRole = Qt::UserRole + 2;

    explicit LayerTableModel(QObject* parent = nullptr);

    // Rows from the checkpoint index only (statistics columns empty).
    void setCheckpoint(const qs::Checkpoint& ckpt);
    // Rows with full statistics (replaces everything).
    void setStats(std::vector<qs::TensorStats> stats);
    void clear();

    bool hasStats() const { return hasStats_; }
    const std::vector<qs::TensorStats>& tensors() const { return rows_; }
    const qs::TensorStats& tensor(int row) const { return rows_[size_t(row)]; }
    int rowOf(const QString& name) const;  // -1 when absent

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant displayValue(const qs::TensorStats& s, int column) const;
    QVariant sortValue(const qs::TensorStats& s, int column) const;

    std::vector<qs::TensorStats> rows_;
    bool hasStats_ = false;
};

}  // namespace qs::views
