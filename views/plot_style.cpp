#include "plot_style.h"

#include <array>

#include <QApplication>
#include <QFileInfo>
#include <QPalette>
#include <qcustomplot.h>

#include "plot_export.h"

namespace qs::views {

namespace {

void styleAxis(QCPAxis* axis, const QColor& fg, const QFont& font, const QFont& labelFont, double penWidth) {
    QColor grid = fg;
    grid.setAlpha(40);
    QColor subGrid = fg;
    subGrid.setAlpha(18);

    axis->setBasePen(QPen(fg, penWidth));
    axis->setTickPen(QPen(fg, penWidth));
    axis->setSubTickPen(QPen(fg, penWidth));
    axis->setTickLabelColor(fg);
    axis->setLabelColor(fg);
    axis->setTickLabelFont(font);
    axis->setLabelFont(labelFont);
    axis->grid()->setPen(QPen(grid, penWidth, Qt::SolidLine));
    axis->grid()->setSubGridPen(QPen(subGrid, penWidth, Qt::DotLine));
    axis->grid()->setZeroLinePen(QPen(grid, penWidth, Qt::SolidLine));
}

void styleLegend(QCPLegend* legend, const QFont& font, const QColor& fg, const QColor& bg) {
    legend->setFont(font);
    legend->setTextColor(fg);
    QColor legendBg = bg;
    legendBg.setAlpha(220);
    legend->setBrush(legendBg);
    QColor legendBorder = fg;
    legendBorder.setAlpha(60);
    legend->setBorderPen(QPen(legendBorder));
}

}  // namespace

void applyPlotStyle(QCustomPlot* plot) {
    const QPalette pal = plot->palette();
    QFont font = QApplication::font();
    font.setPointSizeF(qMax(8.0, font.pointSizeF() - 0.5));

    QFont labelFont = font;
    labelFont.setPointSizeF(font.pointSizeF() + 0.5);
    const QColor fg = pal.color(QPalette::WindowText);

    plot->setBackground(pal.brush(QPalette::Base));
    plot->axisRect()->setBackground(pal.brush(QPalette::Base));
    for (QCPAxis* axis : plot->axisRect()->axes()) styleAxis(axis, fg, font, labelFont, 1.0);

    styleLegend(plot->legend, font, fg, pal.color(QPalette::Base));
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

PrintStyle printStyle(PrintSize size) {
    // 8 pt ticks and 9 pt labels: the size of a paper's footnotes, readable
    // where the figure is printed at 100% (never shrunk to fit).
    // Quarter inches: whole units at 72 and at 96 per inch, so a PNG is exactly width x dpi pixels.
    if (size == PrintSize::Page) return {7.0, 2.75, 8.0, 9.0, 18.0};
    return {3.5, 2.5, 8.0, 9.0, 18.0};
}

QFont printFont(double pt, double unitsPerInch) {
    QFont font = QApplication::font();
    // The papers' sans serif where installed, else the application's.
    font.setFamilies({QStringLiteral("Helvetica"), QStringLiteral("Arial"), QStringLiteral("Liberation Sans"),
                      QApplication::font().family()});
    // Pixel-sized, so a point on paper is a point whatever dpi the output device claims.
    font.setPixelSize(qRound(pt * unitsPerInch / 72.0));
    return font;
}

std::optional<PrintSize> printSizeFromName(const QString& name) {
    if (name == QLatin1String("column")) return PrintSize::Column;
    if (name == QLatin1String("page")) return PrintSize::Page;
    return std::nullopt;
}

void applyPrintStyle(QCustomPlot* plot, const PrintStyle& style, double unitsPerInch) {
    const double unitsPerPt = unitsPerInch / 72.0;
    const QFont font = printFont(style.tickFontPt, unitsPerInch);
    const QFont labelFont = printFont(style.labelFontPt, unitsPerInch);
    const QColor fg = Qt::black;  // print on white, whatever the screen theme

    plot->setBackground(Qt::white);
    plot->axisRect()->setBackground(Qt::white);
    for (QCPAxis* axis : plot->axisRect()->axes()) styleAxis(axis, fg, font, labelFont, 0.6 * unitsPerPt);
    styleLegend(plot->legend, font, fg, Qt::white);
    plot->legend->setBorderPen(Qt::NoPen);  // a box around a key is ink a printed figure does not need
    plot->legend->setIconSize(qRound(style.legendIconPt * unitsPerPt), qRound(style.tickFontPt * unitsPerPt));
}

QString exportPrintFigure(QCustomPlot* plot, const QString& path, PrintSize size, int dpi) {
    const PrintStyle style = printStyle(size);
    // exportPlot takes PNG sizes in 96-dpi logical pixels, PDF and SVG sizes in points.
    const double unitsPerInch = QFileInfo(path).suffix().toLower() == QLatin1String("png") ? 96.0 : 72.0;
    applyPrintStyle(plot, style, unitsPerInch);
    const QSize pageSize(qRound(style.widthInches * unitsPerInch), qRound(style.heightInches * unitsPerInch));
    const QString error = exportPlot(plot, path, {pageSize, dpi});
    applyPlotStyle(plot);
    plot->replot(QCustomPlot::rpQueuedReplot);
    return error;
}

}  // namespace qs::views
