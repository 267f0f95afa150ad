#include "channel_profile_view.h"

#include <algorithm>
#include <cmath>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <qcustomplot.h>

#include "plot_style.h"

namespace qs::views {

namespace {
constexpr double kDefaultOutlierFactor = 3.0;
}

ChannelProfileView::ChannelProfileView(QWidget* parent)
    : PlotPanel(QStringLiteral("channel-profile"), parent),
      direction_(new QComboBox(this)),
      factor_(new QDoubleSpinBox(this)) {
    direction_->addItem(tr("Output channels (rows)"));
    direction_->addItem(tr("Input channels (columns)"));
    direction_->setToolTip(tr("Rows are what per-channel weight quantization scales; columns are where "
                              "activation outliers enter (what SmoothQuant and AWQ rebalance)"));
    factor_->setRange(1.5, 1000.0);
    factor_->setDecimals(1);
    factor_->setSingleStep(0.5);
    factor_->setValue(kDefaultOutlierFactor);
    factor_->setPrefix(tr("k = "));
    factor_->setToolTip(tr("Channels whose absmax exceeds k \u00d7 median are marked as outliers"));
    controls()->addWidget(direction_);
    controls()->addWidget(new QLabel(tr("Outliers above"), this));
    controls()->addWidget(factor_);
    controls()->addWidget(new QLabel(tr("\u00d7 median"), this));
    connect(direction_, &QComboBox::currentIndexChanged, this, &ChannelProfileView::rebuild);
    connect(factor_, &QDoubleSpinBox::valueChanged, this, &ChannelProfileView::rebuild);

    plot()->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    plot()->yAxis->setLabel(tr("Channel absmax |w|"));
    plot()->yAxis->setNumberFormat(QStringLiteral("gb"));
    setPlaceholder(tr("Select a tensor in the table to see its per-channel absmax"));
}

void ChannelProfileView::setTensor(std::optional<qs::TensorStats> tensor) {
    tensor_ = std::move(tensor);
    rebuild();
}

void ChannelProfileView::setInputChannels(bool on) { direction_->setCurrentIndex(on ? 1 : 0); }
void ChannelProfileView::setOutlierFactor(double k) { factor_->setValue(k); }
bool ChannelProfileView::inputChannels() const { return direction_->currentIndex() == 1; }
double ChannelProfileView::outlierFactor() const { return factor_->value(); }

void ChannelProfileView::resetView() { rebuild(); }

void ChannelProfileView::rebuild() {
    outlierCount_ = 0;
    if (!tensor_) {
        setPlaceholder(tr("Select a tensor in the table to see its per-channel absmax"));
        return;
    }
    const TensorStats& s = *tensor_;
    const std::vector<float>& profile = inputChannels() ? s.colAbsmax : s.rowAbsmax;
    const double ratio = inputChannels() ? s.outlierRatioIn : s.outlierRatioOut;
    if (profile.empty()) {
        setPlaceholder(tr("%1: no channel profile (statistics pending)").arg(QString::fromStdString(s.name)));
        return;
    }

    // Core defines the outlier ratio as max / median of this very profile, so
    // the median is max / ratio: the view does not compute a second median.
    const double maxAbs = *std::max_element(profile.begin(), profile.end());
    const bool haveMedian = std::isfinite(ratio) && ratio > 0;
    const double median = haveMedian ? maxAbs / ratio : 0.0;
    const double threshold = outlierFactor() * median;

    QVector<double> channels(qsizetype(profile.size())), values(qsizetype(profile.size()));
    QVector<double> outlierChannels, outlierValues;
    for (size_t c = 0; c < profile.size(); ++c) {
        channels[qsizetype(c)] = double(c);
        values[qsizetype(c)] = profile[c];
        if (haveMedian && profile[c] > threshold) {
            outlierChannels << double(c);
            outlierValues << profile[c];
        }
    }
    outlierCount_ = int(outlierChannels.size());

    QCustomPlot* p = plot();
    p->clearPlottables();
    p->clearItems();
    const QString what = inputChannels() ? tr("input channel") : tr("output channel");

    QCPGraph* stems = p->addGraph();
    stems->setName(tr("absmax per %1").arg(what));
    // Stems for a readable few hundred channels; a plain line for thousands.
    stems->setLineStyle(profile.size() <= 1024 ? QCPGraph::lsImpulse : QCPGraph::lsLine);
    stems->setPen(QPen(seriesColor(0), profile.size() <= 256 ? 1.6 : 1.0));
    stems->setData(channels, values, true);

    const double lastChannel = double(profile.size() - 1);
    auto addLevel = [&](double level, const QString& name, const QColor& colour, Qt::PenStyle style) {
        QCPGraph* line = p->addGraph();
        line->setName(name);
        line->setPen(QPen(colour, 1.3, style));
        line->setData({-0.5, lastChannel + 0.5}, {level, level}, true);
    };
    if (haveMedian) {
        addLevel(median, tr("median %1").arg(QString::number(median, 'g', 3)), referenceColor(), Qt::DashLine);
        addLevel(threshold, tr("%1 \u00d7 median").arg(outlierFactor()), outlierColor(), Qt::DotLine);
    }

    QCPGraph* outliers = p->addGraph();
    outliers->setName(tr("%n outlier(s)", nullptr, outlierCount_));
    outliers->setLineStyle(QCPGraph::lsNone);
    outliers->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, outlierColor(), outlierColor(), 6));
    outliers->setData(outlierChannels, outlierValues, true);

    p->xAxis->setLabel(tr("%1 index").arg(what.left(1).toUpper() + what.mid(1)));
    p->legend->setVisible(true);
    p->rescaleAxes();
    p->xAxis->setRange(-0.5, lastChannel + 0.5);
    p->yAxis->setRange(0, std::max(maxAbs, threshold) * 1.1);

    setCaption(tr("%1  \u2014  %2 %3s, max/median %4")
                   .arg(QString::fromStdString(s.name))
                   .arg(profile.size())
                   .arg(what)
                   .arg(QString::number(ratio, 'f', 2)));
    p->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace qs::views
