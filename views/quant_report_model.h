// The per-layer report of a calibrated quantization (core's LayerQuantReport
// rows, in the order core produced them: block by block): which method each
// layer or smoothing group got, its output error on the calibration inputs
// against the plain (RTN / unsmoothed) baseline, the chosen alpha or ratio,
// and the seconds it took. Numbers core did not measure show as a dash.
#pragma once

#include <vector>

#include <QAbstractTableModel>

#include "quant/plan_quantizer.h"

namespace qs::views {

class QuantReportModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Layer, Method, RelativeError, BaselineError, Exponent, Seconds, ColumnCount };
    // The unformatted value: the name, the method, or a double (NaN when not measured).
    static constexpr int ValueRole = Qt::UserRole + 1;

    explicit QuantReportModel(QObject* parent = nullptr);

    void setReport(std::vector<qs::LayerQuantReport> layers);
    void clear() { setReport({}); }
    const std::vector<qs::LayerQuantReport>& layers() const { return rows_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<qs::LayerQuantReport> rows_;
};

}  // namespace qs::views
