// One column of a sweep's results against the weight bits, as the
// quantization papers draw it: a series per method (and group) told apart by
// colour, marker shape and line style alike, so it survives greyscale print;
// error bars of one standard error; the unquantized baseline as a dashed
// line; perplexity and KL on a log axis. The legend sits above the plot, so
// it never covers a point.
#pragma once

#include "analysis/sweep_results.h"
#include "plot_panel.h"
#include "plot_style.h"

class QCPGraph;

namespace qs::views {

class SweepChart : public PlotPanel {
    Q_OBJECT
public:
    explicit SweepChart(QWidget* parent = nullptr);

    void setData(qs::SweepChartData data);
    const qs::SweepChartData& data() const { return data_; }

    // The graph drawing data().series[i], and the baseline's (null without one).
    QCPGraph* seriesGraph(size_t i) const;
    QCPGraph* baselineGraph() const { return baseline_; }

    // The chart as a paper figure (exportPrintFigure), its legend rows
    // wrapped to the width of `size`. Empty on success, else the error.
    QString exportFigure(const QString& path, PrintSize size, int dpi = 300);

    void resetView() override;

private:
    void fitAxes();

    qs::SweepChartData data_;
    std::vector<QCPGraph*> series_;
    QCPGraph* baseline_ = nullptr;
};

// FIG.csv / FIG.runs.json beside FIG.pdf: `suffix` in place of the extension.
QString figureSidecar(const QString& figure, const QString& suffix);

// The figure plus, beside it, its plotted numbers (figureSidecar ".csv")
// and the runs behind them (".runs.json"), so it can be redrawn. Empty on
// success, else the error naming the file.
QString exportFigureWithData(SweepChart& chart, const std::vector<qs::RunRecord>& runs, const QString& path,
                             PrintSize size, int dpi = 300);

}  // namespace qs::views
