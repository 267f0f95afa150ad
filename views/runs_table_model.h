// The Runs table: one row per evaluation stored in the project file
// (qs::RunRecord), the main metric of each kind in its own columns so runs of
// the same kind line up: perplexity, task accuracy, KL against the base.
// Each run is also set against the previous run of its kind on the same
// dataset: which layers' specs its plan changed (from the plans recorded in
// the runs' settings) and how far each metric moved.
#pragma once

#include <optional>
#include <vector>

#include <QAbstractTableModel>

#include "project/project_file.h"
#include "quant/plan_diff.h"

namespace qs::views {

// The run's metric cells in one line ("ppl 147.405 \u00b1 27.037"), for status lines.
QString runSummary(const qs::RunRecord& run);

class RunsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    // Each metric sits beside its change since the previous comparable run;
    // the columns that rarely differ within one project come last.
    enum Column {
        Id,
        Kind,
        Plan,
        Changes,     // the plan diff against the previous run of the same kind and dataset
        Perplexity,  // ppl ± stderr (also the compared model's in a KL run)
        PplVsPrevious,  // metric minus the previous comparable run's
        KlMean,
        KlVsPrevious,
        Accuracy,  // acc / acc_norm
        AccVsPrevious,
        KlP99,
        Top1,
        DeltaPpl,  // the KL run's perplexity minus the base's
        Seconds,
        Dataset,
        Model,
        Created,
        ColumnCount
    };
    // Numbers (double) for numeric columns, text otherwise, invalid for an
    // empty cell: what sorting compares (LayerSortProxy puts empty cells last).
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit RunsTableModel(QObject* parent = nullptr);

    // The model's decoder block count, which the plan diffs need (0: unknown, no diffs).
    void setNumLayers(int numLayers);
    void setRuns(std::vector<qs::RunRecord> runs);
    void addRun(const qs::RunRecord& run);
    void clear();
    const std::vector<qs::RunRecord>& runs() const { return runs_; }
    // The row of the previous run of `row`'s kind on its dataset and model, or -1.
    int previousRow(int row) const;
    // The layers whose spec changed since that run; nullopt when there is no
    // such run or a plan of the two was not recorded.
    const std::optional<std::vector<qs::LayerSpecChange>>& planChanges(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Comparison {
        int previous = -1;
        std::optional<std::vector<qs::LayerSpecChange>> changes;
    };
    Comparison compare(size_t row) const;
    void compareAll();
    QVariant changesData(int row, int role) const;
    QVariant cellData(int row, int column, int role) const;

    std::vector<qs::RunRecord> runs_;
    std::vector<Comparison> comparisons_;  // one per run
    int numLayers_ = 0;
};

}  // namespace qs::views
