#include "activation_view.h"

#include <algorithm>

#include <qcustomplot.h>

#include "plot_style.h"
#include "quant/activation_stats.h"
#include "tensor_labels.h"

namespace qs::views {

namespace {

// Activation stems are drawn on a layer under the weights': activations are
// usually orders of magnitude larger, so on top they would hide every weight stem.
const QString kActivationLayer = QStringLiteral("activations");

ActivationView::Summary summarize(std::vector<float> values) {
    if (values.empty()) return {};
    const double max = *std::max_element(values.begin(), values.end());
    return {max, double(qs::exactPercentile(values, 50))};
}

double difficulty(const ActivationView::Summary& s) { return s.median > 0 ? s.max / s.median : 0.0; }

QCPGraph* channelSeries(QCustomPlot* p, const std::vector<float>& values, const QString& name, const QColor& colour) {
    auto* g = new QCPGraph(p->xAxis, p->yAxis);
    g->setName(name);
    g->setPen(QPen(colour, 1.2));
    g->setLineStyle(QCPGraph::lsImpulse);  // one stem per channel: a spike is one channel
    // Zeros cannot sit on a log axis; the floor keeps them visible at the bottom.
    for (size_t j = 0; j < values.size(); ++j) g->addData(double(j), std::max(double(values[j]), 1e-6));
    return g;
}

// The quantile at `percent` of qs::kTokenAbsmaxPercents.
double quantileAt(const std::vector<float>& q, double percent) {
    const auto it = std::find(qs::kTokenAbsmaxPercents.begin(), qs::kTokenAbsmaxPercents.end(), percent);
    return double(q[size_t(it - qs::kTokenAbsmaxPercents.begin())]);
}

// A box of per-token absmax right of the last channel (the legend names it):
// quartiles, median, whiskers at 1 and 99 %, the extreme tokens as dots.
void tokenRangeBox(QCustomPlot* p, const std::vector<float>& q, double channels, const QColor& colour) {
    const double key = channels * 1.06;
    auto* box = new QCPStatisticalBox(p->xAxis, p->yAxis);
    box->setName(QObject::tr("per-token absmax (whiskers 1\u201399 %)"));
    box->setWidth(channels * 0.05);
    box->setWhiskerWidth(channels * 0.03);
    box->setPen(QPen(colour, 1.2));
    box->setMedianPen(QPen(colour.darker(150), 2.0));
    QColor fill = colour;
    fill.setAlphaF(0.25);
    box->setBrush(fill);
    box->setOutlierStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, 5));
    box->addData(key, quantileAt(q, 1), quantileAt(q, 25), quantileAt(q, 50), quantileAt(q, 75), quantileAt(q, 99),
                 {quantileAt(q, 0), quantileAt(q, 100)});
}

}  // namespace

ActivationView::ActivationView(QWidget* parent) : PlotPanel(QStringLiteral("activation-vs-weight"), parent) {
    QCustomPlot* p = plot();
    p->xAxis->setLabel(tr("Input channel"));
    p->yAxis->setLabel(tr("Channel absmax"));
    p->yAxis->setScaleType(QCPAxis::stLogarithmic);
    p->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    p->addLayer(kActivationLayer, p->layer(QStringLiteral("main")), QCustomPlot::limBelow);
    // Stems span every channel and the token box sits top right: the key goes
    // in a row of its own under the chart, where it covers neither.
    p->axisRect()->insetLayout()->take(p->legend);
    p->plotLayout()->addElement(1, 0, p->legend);
    p->plotLayout()->setRowStretchFactor(1, 0.001);
    p->legend->setFillOrder(QCPLegend::foColumnsFirst);
    setLayer(std::nullopt, {});
}

void ActivationView::setLayer(std::optional<qs::TensorStats> weights, std::vector<float> activations,
                              std::vector<float> tokenAbsmaxQuantiles) {
    weight_ = weights ? summarize(weights->colAbsmax) : Summary{};
    activation_ = summarize(activations);
    if (!weights) {
        setPlaceholder(tr("Select a linear layer to compare its weight and activation channels"));
        return;
    }
    QCustomPlot* p = plot();
    p->clearPlottables();
    p->clearItems();
    channelSeries(p, weights->colAbsmax, tr("weights |W|"), seriesColor(0));
    if (!activations.empty()) {
        QColor colour = seriesColor(1);
        colour.setAlphaF(0.6);  // lighter, so the weight stems drawn over it stand out
        channelSeries(p, activations, tr("activations |X|"), colour)->setLayer(kActivationLayer);
    }
    const bool haveTokens = tokenAbsmaxQuantiles.size() == qs::kTokenAbsmaxPercents.size();
    if (haveTokens) tokenRangeBox(p, tokenAbsmaxQuantiles, double(weights->colAbsmax.size()), seriesColor(2));
    p->legend->setVisible(true);
    resetView();
    const QString name = shortTensorName(weights->name);
    const QString weightPart = tr("weights \u00d7%1 (max %2, median %3)")
                                   .arg(difficulty(weight_), 0, 'f', 1)
                                   .arg(weight_.max, 0, 'g', 3)
                                   .arg(weight_.median, 0, 'g', 3);
    if (activations.empty()) {
        setCaption(tr("%1 difficulty (max / median over input channels): %2. No calibration statistics for this "
                      "layer: run a Quantize with calibration to see its activations")
                       .arg(name, weightPart));
        return;
    }
    QString caption = tr("%1 difficulty (max / median over input channels): %2; activations \u00d7%3 (max %4, "
                         "median %5)")
                          .arg(name, weightPart)
                          .arg(difficulty(activation_), 0, 'f', 1)
                          .arg(activation_.max, 0, 'g', 3)
                          .arg(activation_.median, 0, 'g', 3);
    if (haveTokens)
        caption += tr(". Per-token absmax: median %1, 1\u201399 % %2\u2013%3, min %4, max %5")
                       .arg(quantileAt(tokenAbsmaxQuantiles, 50), 0, 'g', 3)
                       .arg(quantileAt(tokenAbsmaxQuantiles, 1), 0, 'g', 3)
                       .arg(quantileAt(tokenAbsmaxQuantiles, 99), 0, 'g', 3)
                       .arg(quantileAt(tokenAbsmaxQuantiles, 0), 0, 'g', 3)
                       .arg(quantileAt(tokenAbsmaxQuantiles, 100), 0, 'g', 3);
    setCaption(caption);
}

void ActivationView::resetView() {
    plot()->rescaleAxes();
    const QCPRange x = plot()->xAxis->range();
    plot()->xAxis->setRange(x.lower, x.upper + 0.02 * x.size());  // the token box's right edge stays in view
    plot()->yAxis->scaleRange(1.3, plot()->yAxis->range().center());
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace qs::views
