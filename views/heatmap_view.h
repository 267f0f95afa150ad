// Decoder blocks (rows) x the seven linear projections q k v o gate up down
// (columns), each cell coloured by one statistic of that weight tensor. It
// shows at a glance which layers carry outliers; clicking a cell selects
// that tensor in the layer table and hence in every chart. The same grid
// can show a measured per-layer value instead (setLayerValues: the
// sensitivity scan's KL), and outline a set of marked cells in a dashed pen
// (the layers a plan quantizes per-group).
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include <QList>

#include "formats/tensor_names.h"
#include "plot_panel.h"
#include "stats/tensor_stats.h"

class QComboBox;
class QLabel;
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
    // Colours by one value per layer instead of a weight statistic (the
    // statistic chooser is hidden); tensorClicked then gives the index into
    // `names`. `hint` ends the caption (what a click does).
    void setLayerValues(const QString& title, const std::vector<std::string>& names, const std::vector<double>& values,
                        const QString& hint);
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
    // Outlines these cells with a dashed pen (by the same index as the selection).
    void setMarkedTensors(const QList<int>& tensorRows);
    void resetView() override;

signals:
    void tensorClicked(int tensorRow);

private:
    struct Cell {
        int tensor = -1;
        std::array<double, 5> values{};  // indexed by Statistic
    };
    using BlockCells = std::array<Cell, kProjections.size()>;

    // Each linear of `names` gets a cell with `values` (by Statistic) for index i.
    void fillCells(const std::vector<std::string>& names, const std::function<std::array<double, 5>(size_t)>& values);
    void rebuild();
    void drawSelection();
    void onMousePress(QMouseEvent* event);

    std::vector<BlockCells> cells_;
    QList<int> selected_;
    QList<int> marked_;
    QString layerValueTitle_, layerValueHint_;  // empty: colour by the chosen statistic
    QComboBox* statistic_;
    QLabel* statisticLabel_ = nullptr;
    QCPColorMap* map_ = nullptr;
    QCPColorScale* scale_ = nullptr;
    QList<QCPAbstractItem*> selectionItems_;
};

}  // namespace qs::views
