#include "sensitivity_charts.h"

#include <algorithm>
#include <cmath>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <qcustomplot.h>

#include "analysis/plan_suggestion.h"
#include "formats/tensor_names.h"
#include "plot_style.h"

namespace qs::views {

namespace {

// "b3 down": block and projection, short enough for a tick label.
QString layerTick(const std::string& name) {
    const auto linear = parseLinearName(name);
    if (!linear) return QString::fromStdString(name);
    const std::string_view proj = kProjections[size_t(linear->projection)];
    return QStringLiteral("b%1 %2").arg(linear->block).arg(QString::fromLatin1(proj.data(), qsizetype(proj.size())));
}

struct ProxyInfo {
    const char* title;
    const char* key;  // ProxyCorrelation::proxy
    double (*value)(const LayerSensitivity&);
    bool logScale;
};
const ProxyInfo kProxies[] = {
    {"Weight SNR (dB)", "weight_snr_db", [](const LayerSensitivity& l) { return l.weightSnrDb; }, false},
    {"Output error", "output_error", [](const LayerSensitivity& l) { return l.outputError; }, true},
    {"Outlier ratio (in)", "outlier_ratio_in", [](const LayerSensitivity& l) { return l.outlierRatioIn; }, true},
    {"Outlier ratio (out)", "outlier_ratio_out", [](const LayerSensitivity& l) { return l.outlierRatioOut; }, true},
    {"\u0394NLL (nats)", "delta_nll", [](const LayerSensitivity& l) { return l.deltaNll; }, false},
};

void setLogAxis(QCPAxis* axis, bool on) {
    axis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on) axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
}

}  // namespace

KlRankView::KlRankView(QWidget* parent) : PlotPanel(QStringLiteral("sensitivity-ranking"), parent) {
    plot()->setInteractions(QCP::Interactions());  // clicks toggle layers, they do not pan
    plot()->yAxis->setRangeReversed(true);           // the most sensitive layer on top
    plot()->yAxis->grid()->setVisible(false);
    plot()->xAxis->setLabel(tr("KL to the base (nats/token)"));
    connect(plot(), &QCustomPlot::mousePress, this, &KlRankView::onMousePress);
    setPlaceholder(tr("Run a scan to rank the layers"));
}

void KlRankView::setResult(SensitivityResultPtr result, const std::set<std::string>& perGroup) {
    QCustomPlot* p = plot();
    p->clearPlottables();
    ranked_.clear();
    if (!result || result->layers.empty()) {
        setPlaceholder(tr("Run a scan to rank the layers"));
        return;
    }
    const auto order = bySensitivity(*result);
    // As many bars as have room for a readable label (~14 px each), at most kMaxBars.
    const int fit = std::max(5, (p->height() - 60) / 14);
    const int n = std::min({kMaxBars, fit, int(order.size())});
    auto ticks = QSharedPointer<QCPAxisTickerText>::create();
    // One QCPBars per colour: the same keys, each layer's value in the series of its granularity.
    auto* channel = new QCPBars(p->yAxis, p->xAxis);
    auto* group = new QCPBars(p->yAxis, p->xAxis);
    channel->setName(tr("scan spec"));
    group->setName(tr("per-group g128 in the plan"));
    double hi = 0;
    for (int i = 0; i < n; ++i) {
        const LayerSensitivity& l = *order[size_t(i)];
        ranked_.push_back(l.name);
        ticks->addTick(i, layerTick(l.name));
        (perGroup.count(l.name) ? group : channel)->addData(i, l.klMean);
        hi = std::max(hi, l.klMean);
    }
    for (auto [bars, colour] : {std::pair{channel, seriesColor(0)}, std::pair{group, seriesColor(1)}}) {
        bars->setWidth(0.7);
        bars->setPen(Qt::NoPen);
        bars->setBrush(colour);
    }
    p->yAxis->setTicker(ticks);
    p->yAxis->setRange(-0.6, n - 0.4);
    p->xAxis->setRange(0, hi > 0 ? hi * 1.05 : 1);
    p->legend->setVisible(!perGroup.empty());
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    setCaption(tr("Top %1 of %n layer(s) by KL, %2; click a bar to toggle per-group g128", nullptr,
                  int(result->layers.size()))
                   .arg(n)
                   .arg(QString::fromStdString(quantSpecLabel(result->spec))));
    p->replot(QCustomPlot::rpQueuedReplot);
}

void KlRankView::onMousePress(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || ranked_.empty()) return;
    if (!plot()->axisRect()->rect().contains(event->pos())) return;
    const int rank = qRound(plot()->yAxis->pixelToCoord(event->pos().y()));
    if (rank < 0 || rank >= int(ranked_.size())) return;
    // A copy: a receiver that toggles the layer redraws this chart, clearing ranked_
    // while later receivers still read the argument.
    const std::string layer = ranked_[size_t(rank)];
    emit layerClicked(layer);
}

ProxyScatterView::ProxyScatterView(QWidget* parent)
    : PlotPanel(QStringLiteral("sensitivity-proxy"), parent), proxy_(new QComboBox(this)) {
    for (const ProxyInfo& info : kProxies) proxy_->addItem(tr(info.title));
    controls()->addWidget(new QLabel(tr("Proxy"), this));
    controls()->addWidget(proxy_);
    connect(proxy_, &QComboBox::currentIndexChanged, this, &ProxyScatterView::rebuild);
    plot()->yAxis->setLabel(tr("KL (nats/token)"));
    setProxy(Proxy::OutputError);
    rebuild();
}

void ProxyScatterView::setResult(SensitivityResultPtr result) {
    result_ = std::move(result);
    rebuild();
}

void ProxyScatterView::setProxy(Proxy proxy) { proxy_->setCurrentIndex(int(proxy)); }

ProxyScatterView::Proxy ProxyScatterView::proxy() const { return Proxy(proxy_->currentIndex()); }

void ProxyScatterView::rebuild() {
    spearman_ = std::nan("");
    if (!result_ || result_->layers.empty()) {
        setPlaceholder(tr("Run a scan to compare the proxies with the measured KL"));
        return;
    }
    const ProxyInfo& info = kProxies[proxy_->currentIndex()];
    QCustomPlot* p = plot();
    p->clearPlottables();
    auto* points = new QCPGraph(p->xAxis, p->yAxis);
    points->setLineStyle(QCPGraph::lsNone);
    points->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, seriesColor(0), 7));
    // Log axes only when every value can be drawn on one.
    bool xPositive = info.logScale, yPositive = true;
    for (const LayerSensitivity& l : result_->layers) {
        points->addData(info.value(l), l.klMean);
        xPositive = xPositive && info.value(l) > 0;
        yPositive = yPositive && l.klMean > 0;
    }
    setLogAxis(p->xAxis, xPositive);
    setLogAxis(p->yAxis, yPositive);
    p->xAxis->setLabel(tr(info.title));
    points->rescaleAxes();
    p->xAxis->scaleRange(1.1);
    p->yAxis->scaleRange(1.1);
    for (const ProxyCorrelation& c : result_->correlations)
        if (c.proxy == info.key) spearman_ = c.spearman;
    setCaption(tr("%1 vs measured KL over %n layer(s): Spearman \u03c1 = %2", nullptr, int(result_->layers.size()))
                   .arg(tr(info.title))
                   .arg(std::isnan(spearman_) ? QStringLiteral("\u2013") : QString::number(spearman_, 'f', 3)));
    p->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace qs::views
