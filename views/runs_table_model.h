// The Runs table: one row per evaluation stored in the project file
// (qs::RunRecord), the main metric of each kind in its own columns so runs of
// the same kind line up: perplexity, task accuracy, KL against the base.
#pragma once

#include <vector>

#include <QAbstractTableModel>

#include "project/project_file.h"

namespace qs::views {

// The run's metric cells in one line ("ppl 147.405 \u00b1 27.037"), for status lines.
QString runSummary(const qs::RunRecord& run);

class RunsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Id,
        Kind,
        Model,
        Plan,
        Dataset,
        Perplexity,  // ppl ± stderr (also the compared model's in a KL run)
        Accuracy,    // acc / acc_norm
        KlMean,
        KlP99,
        Top1,
        DeltaPpl,
        Seconds,
        Created,
        ColumnCount
    };
    // Numbers (double) for numeric columns, text otherwise, invalid for an
    // empty cell: what sorting compares (LayerSortProxy puts empty cells last).
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit RunsTableModel(QObject* parent = nullptr);

    void setRuns(std::vector<qs::RunRecord> runs);
    void addRun(const qs::RunRecord& run);
    void clear();
    const std::vector<qs::RunRecord>& runs() const { return runs_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<qs::RunRecord> runs_;
};

}  // namespace qs::views
