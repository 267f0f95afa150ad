#include "plot_style.h"

#include <array>

#include <QApplication>
#include <QPalette>
#include <qcustomplot.h>

namespace qs::views {

namespace {

void styleAxis(QCPAxis* axis, const QPalette& pal, const QFont& font) {
    const QColor fg = pal.color(QPalette::WindowText);
    QColor grid = fg;
    grid.setAlpha(40);
    QColor subGrid = fg;
    subGrid.setAlpha(18);

    axis->setBasePen(QPen(fg, 1));
    axis->setTickPen(QPen(fg, 1));
    axis->setSubTickPen(QPen(fg, 1));
    axis->setTickLabelColor(fg);
    axis->setLabelColor(fg);
    axis->setTickLabelFont(font);
    QFont labelFont = font;
    labelFont.setPointSizeF(font.pointSizeF() + 0.5);
    axis->setLabelFont(labelFont);
    axis->grid()->setPen(QPen(grid, 1, Qt::SolidLine));
    axis->grid()->setSubGridPen(QPen(subGrid, 1, Qt::DotLine));
    axis->grid()->setZeroLinePen(QPen(grid, 1, Qt::SolidLine));
}

}  // namespace

void applyPlotStyle(QCustomPlot* plot) {
    const QPalette pal = plot->palette();
    QFont font = QApplication::font();
    font.setPointSizeF(qMax(8.0, font.pointSizeF() - 0.5));

    plot->setBackground(pal.brush(QPalette::Base));
    plot->axisRect()->setBackground(pal.brush(QPalette::Base));
    for (QCPAxis* axis : plot->axisRect()->axes()) styleAxis(axis, pal, font);

    plot->legend->setFont(font);
    plot->legend->setTextColor(pal.color(QPalette::WindowText));
    QColor legendBg = pal.color(QPalette::Base);
    legendBg.setAlpha(220);
    plot->legend->setBrush(legendBg);
    QColor legendBorder = pal.color(QPalette::WindowText);
    legendBorder.setAlpha(60);
    plot->legend->setBorderPen(QPen(legendBorder));
    plot->legend->setIconSize(18, 10);

    plot->setAntialiasedElements(QCP::aePlottables | QCP::aeItems | QCP::aeLegendItems);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->setNoAntialiasingOnDrag(true);
}

QColor seriesColor(int i) {
    // Okabe & Ito (2008), "Color Universal Design", without black and yellow
    // (too light on white) and ordered for contrast between neighbours.
    static const std::array<QColor, 6> kPalette = {
        QColor(0x00, 0x72, 0xB2),  // blue
        QColor(0xE6, 0x9F, 0x00),  // orange
        QColor(0x00, 0x9E, 0x73),  // bluish green
        QColor(0xCC, 0x79, 0xA7),  // reddish purple
        QColor(0x56, 0xB4, 0xE9),  // sky blue
        QColor(0xD5, 0x5E, 0x00),  // vermillion
    };
    return kPalette[size_t(i) % kPalette.size()];
}

QColor outlierColor() { return QColor(0xD6, 0x27, 0x28); }

QColor referenceColor() { return QColor(0x55, 0x5B, 0x66); }

}  // namespace qs::views
