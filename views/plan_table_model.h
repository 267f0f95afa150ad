// The Plan editor's table: one row per linear layer of the open model (the
// seven projections of every block, then lm_head) showing the spec the plan
// resolves for it. The model owns the QuantPlan; an edit becomes an
// exact-name override for the edited layers, and an override that only
// repeats what the layer would get anyway is dropped, so the plan stays as
// small as what the user actually changed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <QAbstractTableModel>
#include <QList>

#include "formats/model_config.h"
#include "quant/quant_plan.h"
#include "spec_fields.h"

namespace qs::views {

class PlanTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Layer,
        Block,
        Projection,
        Quantized,
        Method,
        Format,
        Bits,
        Symmetric,
        Granularity,
        GroupSize,
        Activation,
        Label,
        ColumnCount
    };
    // True when the row's resolved spec differs from the default spec.
    static constexpr int OverriddenRole = Qt::UserRole + 1;
    // The row's problem (quantSpecProblem against its in-features), or empty.
    static constexpr int ProblemRole = Qt::UserRole + 2;

    explicit PlanTableModel(QObject* parent = nullptr);

    // Rows for the model's linear layers; the plan is kept.
    void setModelConfig(const qs::ModelConfig& config);
    void clear();
    const qs::ModelConfig& modelConfig() const { return config_; }

    const qs::QuantPlan& plan() const { return plan_; }
    void setPlan(qs::QuantPlan plan);
    // Changes the default spec; overrides that now equal it are dropped.
    void setDefaultSpec(const qs::QuantSpec& spec);

    // Sets `column` of every row in `rows` to `value` (a bool for Quantized,
    // else the SpecField value), as one edit. Rows that cannot take the
    // value (skipped, unquantized, field not applicable) are left alone;
    // false when no row changed or the value makes an invalid spec.
    bool setCellValue(const QList<int>& rows, int column, const QVariant& value);

    std::string layerName(int row) const { return rows_[size_t(row)].name; }
    int64_t inFeatures(int row) const { return rows_[size_t(row)].inFeatures; }
    int rowOf(const QString& name) const;  // -1 when absent
    static std::optional<SpecField> specField(int column);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    void planChanged();

private:
    struct Row {
        std::string name;
        int block = -1;       // -1: lm_head
        int projection = -1;  // index into kProjections
        int64_t inFeatures = 0;
    };

    bool isSkipped(int row) const;
    QString problem(int row) const;
    std::optional<qs::QuantSpec> resolveWithoutExact(const std::string& name) const;
    void refreshResolved();
    // Makes `name` resolve to `spec` (nullopt: unquantized) with at most one
    // exact-name override, none when it would resolve so without one.
    void setLayerSpec(const std::string& name, const std::optional<qs::QuantSpec>& spec);
    void dropRedundantOverrides();
    void notifyAll();

    qs::ModelConfig config_;
    std::vector<Row> rows_;
    qs::QuantPlan plan_;
    // resolve() per row, cached: it compiles the plan's regexes.
    std::vector<std::optional<qs::QuantSpec>> resolved_;
    std::vector<bool> skipped_;
};

}  // namespace qs::views
