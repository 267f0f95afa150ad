#include "sweep_chart.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include <QFileInfo>
#include <nlohmann/json.hpp>
#include <qcustomplot.h>

namespace qs::views {

namespace {

// Seven shapes, four dash patterns and six colours cycle at different
// lengths: no two of the first 84 series share all three, and shape and dash
// alone tell series apart in greyscale.
constexpr std::array kMarkers = {
    QCPScatterStyle::ssDisc,    QCPScatterStyle::ssSquare,           QCPScatterStyle::ssTriangle,
    QCPScatterStyle::ssDiamond, QCPScatterStyle::ssTriangleInverted, QCPScatterStyle::ssCross,
    QCPScatterStyle::ssStar};
constexpr std::array kLines = {Qt::SolidLine, Qt::DotLine, Qt::DashDotLine, Qt::DashDotDotLine};
constexpr double kMarkerSize = 6.0;
constexpr double kLineWidth = 1.4;
constexpr int kLegendColumns = 4;

QCPScatterStyle markerOf(size_t i, const QColor& colour) {
    const QCPScatterStyle::ScatterShape shape = kMarkers[i % kMarkers.size()];
    // Line-only shapes have nothing to fill; the others are filled, so a marker
    // still shows where the error bar crosses it.
    const bool fill = shape != QCPScatterStyle::ssCross && shape != QCPScatterStyle::ssStar;
    return QCPScatterStyle(shape, QPen(colour, 1.2), fill ? QBrush(colour) : QBrush(Qt::NoBrush), kMarkerSize);
}

void setLogAxis(QCPAxis* axis, bool on, double lo, double hi) {
    axis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    // Within one decade a log ticker has no labelled tick at all: keep plain
    // ticks there (still placed on the log scale).
    if (on && hi / lo >= 10.0)
        axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    axis->setNumberFormat(QStringLiteral("g"));
}

// A bar reaching zero or below has no place on a log axis: it stops short.
double lowerError(const qs::SweepEntry& e, bool logY) {
    const double err = e.standardError.value_or(0.0);
    return logY ? std::min(err, 0.9 * e.value) : err;
}

// setWrap alone leaves the items where they are; refilling moves them.
void wrapLegend(QCPLegend* legend, int columns) {
    legend->setWrap(columns);
    legend->setFillOrder(QCPLegend::foColumnsFirst, true);
}

// As many legend entries per row as fit the figure's width in the print
// font (in points), columns as wide as their widest entry.
int legendColumnsThatFit(QCPLegend* legend, const PrintStyle& style) {
    const QFontMetricsF metrics(printFont(style.tickFontPt, 72.0));
    std::vector<double> widths;
    for (int i = 0; i < legend->itemCount(); ++i)
        if (auto* item = qobject_cast<QCPPlottableLegendItem*>(legend->item(i)))
            widths.push_back(metrics.horizontalAdvance(item->plottable()->name()) + style.legendIconPt +
                             legend->iconTextPadding());
    const QMargins margins = legend->margins();
    // 5% to spare: the layout rounds every column to whole units.
    const double available = 0.95 * style.widthInches * 72.0 - margins.left() - margins.right();
    for (int columns = int(widths.size()); columns > 1; --columns) {
        double total = legend->columnSpacing() * (columns - 1);
        for (int c = 0; c < columns; ++c) {
            double widest = 0;
            for (size_t i = size_t(c); i < widths.size(); i += size_t(columns)) widest = std::max(widest, widths[i]);
            total += widest;
        }
        if (total <= available) return columns;
    }
    return 1;
}

// "Accuracy (piqa)"; a longer one in two lines, since a column figure's
// axis is about 1.3 in tall: some 20 characters of 9 pt.
QString yAxisLabel(const qs::SweepColumn& column) {
    constexpr int kOneLineChars = 20;
    const QString title = QString::fromStdString(qs::metricInfo(column.metric).title);
    const QString dataset = QString::fromStdString(column.dataset);
    const QString oneLine = QStringLiteral("%1 (%2)").arg(title, dataset);
    return oneLine.size() <= kOneLineChars ? oneLine : title + QLatin1Char('\n') + dataset;
}

}  // namespace

SweepChart::SweepChart(QWidget* parent) : PlotPanel(QStringLiteral("sweep"), parent) {
    QCustomPlot* p = plot();
    // The legend in its own row above the axes: it can never hide a point.
    p->plotLayout()->insertRow(0);
    p->plotLayout()->addElement(0, 0, p->legend);
    p->plotLayout()->setRowStretchFactor(0, 0.001);
    p->plotLayout()->setRowSpacing(0);
    // QCustomPlot keeps 15 units above the axes; half a tick label is all the top one needs here.
    p->axisRect()->setMinimumMargins(QMargins(15, 6, 15, 15));
    wrapLegend(p->legend, kLegendColumns);
    p->xAxis->setLabel(tr("Weight bits"));
    p->xAxis->grid()->setVisible(false);
    setPlaceholder(tr("No sweep runs to draw"));
}

QCPGraph* SweepChart::seriesGraph(size_t i) const { return i < series_.size() ? series_[i] : nullptr; }

void SweepChart::setData(qs::SweepChartData data) {
    data_ = std::move(data);
    series_.clear();
    baseline_ = nullptr;
    QCustomPlot* p = plot();
    if (data_.series.empty() && !data_.baseline) {
        setPlaceholder(data_.column.metric.empty()
                           ? tr("No sweep runs to draw yet")
                           : tr("No sweep runs with %1 to draw").arg(QString::fromStdString(data_.column.label())));
        return;
    }
    p->clearPlottables();
    p->clearItems();

    const bool logY = qs::metricInfo(data_.column.metric).logAxis;
    auto ticks = QSharedPointer<QCPAxisTickerText>::create();
    for (size_t i = 0; i < data_.series.size(); ++i) {
        const qs::SweepSeries& s = data_.series[i];
        const QColor colour = seriesColor(int(i));
        QCPGraph* graph = p->addGraph();
        graph->setName(QString::fromStdString(s.label));
        graph->setPen(QPen(colour, kLineWidth, kLines[i % kLines.size()]));
        graph->setScatterStyle(markerOf(i, colour));
        QVector<double> bits, values, minus, plus;
        for (const qs::SweepPoint& pt : s.points) {
            bits << pt.bits;
            values << pt.entry.value;
            minus << lowerError(pt.entry, logY);
            plus << pt.entry.standardError.value_or(0.0);
            ticks->addTick(pt.bits, QString::number(pt.bits));
        }
        graph->setData(bits, values, true);
        auto* bars = new QCPErrorBars(p->xAxis, p->yAxis);
        bars->removeFromLegend();
        bars->setDataPlottable(graph);
        bars->setData(minus, plus);
        bars->setPen(QPen(colour, 1.0));
        bars->setWhiskerWidth(kMarkerSize);
        series_.push_back(graph);
    }
    if (data_.baseline) {
        baseline_ = p->addGraph();
        baseline_->setName(tr("Baseline"));
        baseline_->setPen(QPen(referenceColor(), kLineWidth, Qt::DashLine));
    }
    p->xAxis->setTicker(ticks);
    p->yAxis->setLabel(yAxisLabel(data_.column));
    p->legend->setVisible(true);
    fitAxes();

    const int points = std::accumulate(data_.series.begin(), data_.series.end(), 0,
                                       [](int n, const qs::SweepSeries& s) { return n + int(s.points.size()); });
    setCaption(tr("%1 against weight bits: %n method(s), %2 point(s)%3", nullptr, int(data_.series.size()))
                   .arg(QString::fromStdString(data_.column.label()))
                   .arg(points)
                   .arg(data_.baseline ? tr(", baseline %1").arg(data_.baseline->value, 0, 'g', 5) : QString()));
    p->replot(QCustomPlot::rpQueuedReplot);
}

QString SweepChart::exportFigure(const QString& path, PrintSize size, int dpi) {
    wrapLegend(plot()->legend, legendColumnsThatFit(plot()->legend, printStyle(size)));
    const QString error = exportPrintFigure(plot(), path, size, dpi);
    wrapLegend(plot()->legend, kLegendColumns);
    return error;
}

void SweepChart::resetView() {
    if (!series_.empty() || baseline_) fitAxes();
    plot()->replot();
}

// The bits present, half a step of room either side; every value and error
// bar in view, the baseline line across the whole width.
void SweepChart::fitAxes() {
    QCustomPlot* p = plot();
    const bool logMetric = qs::metricInfo(data_.column.metric).logAxis;
    double xLo = 16, xHi = 0, yLo = INFINITY, yHi = -INFINITY;
    const auto include = [&](double lo, double hi) {
        yLo = std::min(yLo, lo);
        yHi = std::max(yHi, hi);
    };
    for (const qs::SweepSeries& s : data_.series)
        for (const qs::SweepPoint& pt : s.points) {
            xLo = std::min(xLo, double(pt.bits));
            xHi = std::max(xHi, double(pt.bits));
            include(pt.entry.value - lowerError(pt.entry, logMetric),
                    pt.entry.value + pt.entry.standardError.value_or(0.0));
        }
    if (xHi < xLo) xLo = xHi = 16;  // only a baseline
    if (data_.baseline) {
        include(data_.baseline->value, data_.baseline->value);
        baseline_->setData({xLo - 0.5, xHi + 0.5}, {data_.baseline->value, data_.baseline->value}, true);
    }
    const bool logY = logMetric && yLo > 0;
    setLogAxis(p->yAxis, logY, yLo, yHi);
    p->xAxis->setRange(xLo - 0.5, xHi + 0.5);
    if (logY) {
        const double pad = std::pow(yHi / yLo, 0.06);
        p->yAxis->setRange(yLo / pad, yHi * pad);
    } else {
        const double pad = yHi > yLo ? 0.06 * (yHi - yLo) : std::max(1e-3, std::abs(yHi) * 0.05);
        p->yAxis->setRange(yLo - pad, yHi + pad);
    }
}

QString figureSidecar(const QString& figure, const QString& suffix) {
    const QString extension = QFileInfo(figure).suffix();
    return figure.left(figure.size() - (extension.isEmpty() ? 0 : extension.size() + 1)) + suffix;
}

QString exportFigureWithData(SweepChart& chart, const std::vector<qs::RunRecord>& runs, const QString& path,
                             PrintSize size, int dpi) {
    if (QString error = chart.exportFigure(path, size, dpi); !error.isEmpty()) return error;
    try {
        qs::writeResultFile(figureSidecar(path, QStringLiteral(".csv")).toStdString(), qs::sweepChartCsv(chart.data()));
        qs::writeResultFile(figureSidecar(path, QStringLiteral(".runs.json")).toStdString(),
                            qs::runsBehind(runs, chart.data()).dump(2) + "\n");
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

}  // namespace qs::views
