// One look for every QuantScope chart: fonts, axis and grid pens, and a
// qualitative series palette, taken from the widget palette so plots follow
// light and dark themes (as Hotspot's frequency page does). For papers, the
// same charts are written at a column's or a page's width in a print look:
// black on white, fonts that stay readable at that size.
#pragma once

#include <optional>

#include <QColor>
#include <QFont>
#include <QString>

class QCustomPlot;
class QCPAxis;

namespace qs::views {

// Fonts, background, axis/grid pens and interactions shared by all plots.
void applyPlotStyle(QCustomPlot* plot);

// The i-th colour of the overlay palette (Okabe-Ito, distinguishable with
// the common colour-vision deficiencies); wraps around.
QColor seriesColor(int i);

// Fixed meanings across charts.
QColor outlierColor();    // outlier channels, invalid input
QColor referenceColor();  // median and threshold lines

// Figure widths of a two-column paper (ACL, NeurIPS, IEEE): one column, or
// the whole text width (a figure*).
enum class PrintSize { Column, Page };

struct PrintStyle {
    double widthInches;
    double heightInches;
    double tickFontPt;    // tick labels and legend
    double labelFontPt;   // axis labels
    double legendIconPt;  // wide enough to show a series' dash pattern and marker
};
PrintStyle printStyle(PrintSize size);
// The print font at `pt` points, for an output with `unitsPerInch` logical units.
QFont printFont(double pt, double unitsPerInch);
// "column" or "page"; nothing for any other name.
std::optional<PrintSize> printSizeFromName(const QString& name);

// The print look, for an output with `unitsPerInch` logical units (72 for
// PDF and SVG, drawn in points; 96 for PNG, scaled by dpi / 96 afterwards).
void applyPrintStyle(QCustomPlot* plot, const PrintStyle& style, double unitsPerInch);

// Writes `plot` at `size` to `path` (.png at `dpi`, .pdf, .svg) in the print
// look, then gives it back its screen look. Empty on success, else the error
// naming the file.
QString exportPrintFigure(QCustomPlot* plot, const QString& path, PrintSize size, int dpi = 300);

}  // namespace qs::views
