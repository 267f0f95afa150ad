// The one way every QuantScope chart is written to a file: PNG (raster at a
// chosen dpi), PDF and SVG (both vector), chosen by the file extension.
#pragma once

#include <optional>

#include <QSize>
#include <QString>

#include "plot_style.h"

class QCustomPlot;
class QWidget;

namespace qs::views {

struct PlotExportOptions {
    QSize size;     // points (PDF/SVG) or logical pixels (PNG); empty: the plot's current size
    int dpi = 300;  // PNG only: pixels are size x dpi / 96
};

// Writes `plot` to `path` (.png, .pdf or .svg, case-insensitive). Returns an
// empty string on success, else a message naming the file and the problem.
QString exportPlot(QCustomPlot* plot, const QString& path, const PlotExportOptions& options = {});

// "PNG image (*.png);;PDF document (*.pdf);;SVG drawing (*.svg)"
QString plotExportFilter();

// Asks for a file name and exports; reports a failure in a dialog.
// `suggestedName` is the base name offered (without extension). With a print
// size the chart is written in the print style at that width (plot_style.h).
void exportPlotInteractively(QCustomPlot* plot, QWidget* dialogParent, const QString& suggestedName,
                             std::optional<PrintSize> print = std::nullopt);

}  // namespace qs::views
