// One look for every QuantScope chart: fonts, axis and grid pens, and a
// qualitative series palette, taken from the widget palette so plots follow
// light and dark themes (as Hotspot's frequency page does).
#pragma once

#include <QColor>

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

}  // namespace qs::views
