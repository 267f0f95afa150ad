// Decoder blocks (rows) x the seven linear projections q k v o gate up down
// (columns), each cell coloured by one statistic of that weight tensor. It
// shows at a glance which layers carry outliers; clicking a cell selects
// that tensor in the layer table and hence in every chart.
#pragma once

#include <array>
#include <vector>

#include <QList>

#include "formats/tensor_names.h"
#include "plot_panel.h"
#include "stats/tensor_stats.h"

class QComboBox;
class QCPColorMap;
class QCPAbstractItem;
class QCPColorScale;
class QMouseEvent;

namespace qs::views {

class HeatmapView : public PlotPanel {
    Q_OBJECT
public:
    enum class Statistic { OutlierRatioIn, OutlierRatioOut, Kurtosis, Absmax, Std };

    explicit HeatmapView(QWidget* parent = nullptr);

    // Cells are the tensors whose names parse as a block's linear projection
    // (qs::parseLinearName); row i of the table is tensor index i.
    void setTensors(const std::vector<qs::TensorStats>& tensors);
    void setStatistic(Statistic statistic);
    Statistic statistic() const;

    int blockCount() const { return int(cells_.size()); }
    // Tensor index of a cell, -1 when that projection is absent.
    int tensorAt(int block, int projection) const;
    // Centre of a cell in plot() widget coordinates.
    QPoint cellCenter(int block, int projection) const;

public slots:
    // Outlines the cells of these tensors (the table's selection).
    void setSelectedTensors(const QList<int>& tensorRows);
    void resetView() override;

signals:
    void tensorClicked(int tensorRow);

private:
    struct Cell {
        int tensor = -1;
        std::array<double, 5> values{};  // indexed by Statistic
    };
    using BlockCells = std::array<Cell, kProjections.size()>;

    void rebuild();
    void drawSelection();
    void onMousePress(QMouseEvent* event);

    std::vector<BlockCells> cells_;
    QList<int> selected_;
    QComboBox* statistic_;
    QCPColorMap* map_ = nullptr;
    QCPColorScale* scale_ = nullptr;
    QList<QCPAbstractItem*> selectionItems_;
};

}  // namespace qs::views
