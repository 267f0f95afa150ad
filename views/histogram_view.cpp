#include "histogram_view.h"

#include <cmath>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <qcustomplot.h>

#include "cpu/value_histogram.h"
#include "plot_style.h"
#include "tensor_labels.h"

namespace qs::views {

namespace {

// Step-line points of one histogram: one point per bin at its left edge plus
// the right edge of the last bin, so lsStepLeft draws every bin as a flat top.
// Empty bins become NaN under a log y axis (a gap, not a plunge to -inf).
void histogramSteps(const Histogram& h, int64_t finite, bool logY, QVector<double>& keys, QVector<double>& values) {
    const int bins = int(h.counts.size());
    const double width = (h.hi - h.lo) / bins;
    const double norm = finite > 0 && width > 0 ? 1.0 / (double(finite) * width) : 0.0;
    keys.resize(bins + 1);
    values.resize(bins + 1);
    for (int i = 0; i < bins; ++i) {
        keys[i] = h.lo + i * width;
        const double density = double(h.counts[size_t(i)]) * norm;
        values[i] = logY && density <= 0 ? qQNaN() : density;
    }
    keys[bins] = h.hi;
    values[bins] = values[bins - 1];
}

}  // namespace

HistogramView::HistogramView(QWidget* parent)
    : PlotPanel(QStringLiteral("histogram"), parent), logY_(new QCheckBox(tr("Log y"), this)), axis_(new QComboBox(this)) {
    axis_->addItem(tr("Linear axis"));
    axis_->addItem(tr("Symmetric-log axis"));
    axis_->setToolTip(tr("Symmetric log: linear within absmax/1000 of zero, logarithmic beyond; "
                         "shows the bulk and the far tails at once"));
    logY_->setToolTip(tr("Logarithmic density axis: makes rare tail values visible"));
    controls()->addWidget(new QLabel(tr("x:"), this));
    controls()->addWidget(axis_);
    controls()->addWidget(logY_);
    connect(logY_, &QCheckBox::toggled, this, &HistogramView::rebuild);
    connect(axis_, &QComboBox::currentIndexChanged, this, &HistogramView::rebuild);

    plot()->legend->setVisible(false);
    plot()->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    plot()->yAxis->setLabel(tr("Density"));
    plot()->yAxis->setNumberFormat(QStringLiteral("gb"));
    setPlaceholder(tr("Select one or more tensors in the table to see their value histograms"));
}

void HistogramView::setTensors(std::vector<qs::TensorStats> tensors) {
    tensors_ = std::move(tensors);
    rebuild();
}

void HistogramView::setLogY(bool on) { logY_->setChecked(on); }
void HistogramView::setSymlogAxis(bool on) { axis_->setCurrentIndex(on ? 1 : 0); }
bool HistogramView::logY() const { return logY_->isChecked(); }
bool HistogramView::symlogAxis() const { return axis_->currentIndex() == 1; }

void HistogramView::resetView() { rebuild(); }

void HistogramView::rebuild() {
    QCustomPlot* p = plot();
    std::vector<const TensorStats*> shown;
    for (const TensorStats& s : tensors_) {
        const Histogram& h = symlogAxis() ? s.symlogHistogram : s.histogram;
        if (!h.counts.empty() && s.finite > 0) shown.push_back(&s);
    }
    if (shown.empty()) {
        setPlaceholder(tensors_.empty() ? tr("Select one or more tensors in the table to see their value histograms")
                                        : tr("No finite values to histogram"));
        return;
    }

    p->clearPlottables();
    const bool overlay = shown.size() > 1;
    for (size_t i = 0; i < shown.size(); ++i) {
        const TensorStats& s = *shown[i];
        QVector<double> keys, values;
        histogramSteps(symlogAxis() ? s.symlogHistogram : s.histogram, s.finite, logY(), keys, values);
        QCPGraph* graph = p->addGraph();
        graph->setName(shortTensorName(s.name));
        graph->setLineStyle(QCPGraph::lsStepLeft);
        const QColor colour = seriesColor(int(i));
        graph->setPen(QPen(colour, 1.4));
        QColor fill = colour;
        fill.setAlphaF(overlay ? 0.12 : 0.3);
        graph->setBrush(fill);
        graph->setData(keys, values, true);
    }

    p->yAxis->setScaleType(logY() ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (logY())
        p->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        p->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    if (symlogAxis()) {
        setupSymlogTicks(*shown[0], !overlay);
    } else {
        p->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
        p->xAxis->setLabel(tr("Weight value"));
    }
    p->legend->setVisible(overlay);
    p->rescaleAxes();
    // Headroom above the tallest bin; log axes need a multiplicative margin.
    const QCPRange y = p->yAxis->range();
    p->yAxis->setRange(logY() ? QCPRange(y.lower, y.upper * 3) : QCPRange(0, y.upper * 1.08));

    int64_t total = 0;
    for (const TensorStats* s : shown) total += s->finite;
    const int bins = int((symlogAxis() ? shown[0]->symlogHistogram : shown[0]->histogram).counts.size());
    setCaption(overlay ? tr("%1 tensors overlaid, %2 bins each").arg(shown.size()).arg(bins)
                       : tr("%1  \u2014  %2 finite values, %3 bins")
                             .arg(QString::fromStdString(shown[0]->name), QLocale().toString(qlonglong(total)))
                             .arg(bins));
    p->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramView::setupSymlogTicks(const qs::TensorStats& reference, bool absoluteLabels) {
    // Core bins on t(x) = sign(x) log10(1 + |x|/linthresh) with linthresh =
    // absmax/1000 for every tensor, so t spans [-3, 3] whatever the tensor and
    // one t is the same *fraction of absmax* in all of them: overlays compare
    // shapes. Ticks sit at 0, 0.001, 0.01, 0.1 and 1 x absmax; a single
    // tensor gets absolute values as labels.
    const double relativeLinthresh = reference.symlogHistogram.linthresh / reference.absmax;
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    ticker->addTick(0, QStringLiteral("0"));
    for (double fraction : {0.001, 0.01, 0.1, 1.0}) {
        const double t = qs::symlog(fraction, relativeLinthresh);
        const QString label = QString::number(absoluteLabels ? fraction * reference.absmax : fraction, 'g', 2);
        ticker->addTick(t, label);
        ticker->addTick(-t, QStringLiteral("\u2212") + label);
    }
    ticker->setSubTickCount(0);
    QCustomPlot* p = plot();
    p->xAxis->setTicker(ticker);
    p->xAxis->setLabel(absoluteLabels ? tr("Weight value (symmetric-log axis)")
                                      : tr("Weight value / absmax (symmetric-log axis)"));
}

}  // namespace qs::views
