#include "activation_view.h"

#include <algorithm>

#include <qcustomplot.h>

#include "plot_style.h"
#include "tensor_labels.h"

namespace qs::views {

namespace {

ActivationView::Summary summarize(std::vector<float> values) {
    if (values.empty()) return {};
    const auto mid = values.begin() + std::ptrdiff_t(values.size() / 2);
    std::nth_element(values.begin(), mid, values.end());
    return {double(*std::max_element(values.begin(), values.end())), double(*mid)};
}

QCPGraph* channelSeries(QCustomPlot* p, const std::vector<float>& values, const QString& name, const QColor& colour) {
    auto* g = new QCPGraph(p->xAxis, p->yAxis);
    g->setName(name);
    g->setPen(QPen(colour, 1.2));
    g->setLineStyle(QCPGraph::lsImpulse);  // one stem per channel: a spike is one channel
    // Zeros cannot sit on a log axis; the floor keeps them visible at the bottom.
    for (size_t j = 0; j < values.size(); ++j) g->addData(double(j), std::max(double(values[j]), 1e-6));
    return g;
}

}  // namespace

ActivationView::ActivationView(QWidget* parent) : PlotPanel(QStringLiteral("activation-vs-weight"), parent) {
    QCustomPlot* p = plot();
    p->xAxis->setLabel(tr("Input channel"));
    p->yAxis->setLabel(tr("Channel absmax"));
    p->yAxis->setScaleType(QCPAxis::stLogarithmic);
    p->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    setLayer(std::nullopt, {});
}

void ActivationView::setLayer(std::optional<qs::TensorStats> weights, std::vector<float> activations) {
    weight_ = weights ? summarize(weights->colAbsmax) : Summary{};
    activation_ = summarize(activations);
    if (!weights) {
        setPlaceholder(tr("Select a linear layer to compare its weight and activation channels"));
        return;
    }
    QCustomPlot* p = plot();
    p->clearPlottables();
    p->clearItems();
    channelSeries(p, weights->colAbsmax, tr("weights |W| per input column"), seriesColor(0));
    if (!activations.empty()) channelSeries(p, activations, tr("activations |X| (calibration)"), seriesColor(1));
    p->legend->setVisible(true);
    resetView();
    const auto ratio = [](const Summary& s) { return s.median > 0 ? s.max / s.median : 0.0; };
    const QString name = shortTensorName(weights->name);
    if (activations.empty())
        setCaption(tr("%1: weights max %2, median %3 (\u00d7%4). No calibration statistics for this layer: run a "
                      "Quantize with calibration to see its activations")
                       .arg(name)
                       .arg(weight_.max, 0, 'g', 3)
                       .arg(weight_.median, 0, 'g', 3)
                       .arg(ratio(weight_), 0, 'f', 1));
    else
        setCaption(tr("%1: weights max %2, median %3 (\u00d7%4); activations max %5, median %6 (\u00d7%7)")
                       .arg(name)
                       .arg(weight_.max, 0, 'g', 3)
                       .arg(weight_.median, 0, 'g', 3)
                       .arg(ratio(weight_), 0, 'f', 1)
                       .arg(activation_.max, 0, 'g', 3)
                       .arg(activation_.median, 0, 'g', 3)
                       .arg(ratio(activation_), 0, 'f', 1));
}

void ActivationView::resetView() {
    plot()->rescaleAxes();
    plot()->yAxis->scaleRange(1.3, plot()->yAxis->range().center());
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace qs::views
