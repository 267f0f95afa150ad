// A chart with its controls: a row of options above a QCustomPlot, an
// "Export..." button and the same action in the plot's context menu. The
// histogram, channel-profile and heatmap views are PlotPanels.
#pragma once

#include <QWidget>

class QCustomPlot;
class QHBoxLayout;
class QLabel;

namespace qs::views {

class PlotPanel : public QWidget {
    Q_OBJECT
public:
    explicit PlotPanel(const QString& exportBaseName, QWidget* parent = nullptr);

    QCustomPlot* plot() const { return plot_; }
    // Writes the chart to .png/.pdf/.svg; empty string on success, else the error.
    QString exportTo(const QString& path) const;

public slots:
    void exportInteractively();
    // Back to the full data range after zooming or dragging.
    virtual void resetView();

protected:
    // Row above the plot: subclasses add their option widgets here (left aligned).
    QHBoxLayout* controls() const { return controls_; }
    // One line under the controls naming what is shown, or why nothing is.
    void setCaption(const QString& text);
    // Shows `text` instead of an empty chart (no selection, no data yet).
    void setPlaceholder(const QString& text);

private:
    QString exportBaseName_;
    QCustomPlot* plot_ = nullptr;
    QHBoxLayout* controls_ = nullptr;
    QLabel* caption_ = nullptr;
};

}  // namespace qs::views
