#include "heatmap_view.h"

#include <cmath>
#include <limits>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <qcustomplot.h>

#include "plot_style.h"

namespace qs::views {

namespace {

constexpr int kProjectionCount = int(kProjections.size());
// Up to this many blocks each cell also prints its value; beyond, the
// numbers would be too small to read and the colour alone must speak.
constexpr int kMaxLabelledBlocks = 16;

struct StatisticInfo {
    const char* title;
    const char* tooltip;
};
constexpr StatisticInfo kStatistics[] = {
    {"Outlier ratio (in)", "Max / median of the input-channel absmax: activation-side outliers"},
    {"Outlier ratio (out)", "Max / median of the output-channel absmax: rows that dominate a per-tensor scale"},
    {"Kurtosis", "Excess kurtosis: heavy tails (0 for a Gaussian)"},
    {"Absmax", "Largest |weight|"},
    {"Std", "Standard deviation of the weights"},
};

std::array<double, 5> cellValues(const TensorStats& s) {
    return {s.outlierRatioIn, s.outlierRatioOut, s.kurtosis, s.absmax, s.std};
}

// Perceptually uniform and readable in grey (viridis, van der Walt & Smith 2015).
QCPColorGradient viridis() {
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.00, QColor(0x44, 0x01, 0x54));
    g.setColorStopAt(0.25, QColor(0x3B, 0x52, 0x8B));
    g.setColorStopAt(0.50, QColor(0x21, 0x91, 0x8C));
    g.setColorStopAt(0.75, QColor(0x5E, 0xC9, 0x62));
    g.setColorStopAt(1.00, QColor(0xFD, 0xE7, 0x25));
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setNanHandling(QCPColorGradient::nhNanColor);
    g.setNanColor(QColor(0xD8, 0xDB, 0xE0));
    return g;
}

QString valueText(double v) {
    if (std::isnan(v)) return QStringLiteral("\u2013");
    if (std::isinf(v)) return QStringLiteral("\u221e");
    return QString::number(v, 'g', 3);
}

}  // namespace

HeatmapView::HeatmapView(QWidget* parent) : PlotPanel(QStringLiteral("heatmap"), parent), statistic_(new QComboBox(this)) {
    for (const StatisticInfo& info : kStatistics) {
        statistic_->addItem(tr(info.title));
        statistic_->setItemData(statistic_->count() - 1, tr(info.tooltip), Qt::ToolTipRole);
    }
    statisticLabel_ = new QLabel(tr("Colour by"), this);
    controls()->addWidget(statisticLabel_);
    controls()->addWidget(statistic_);
    connect(statistic_, &QComboBox::currentIndexChanged, this, &HeatmapView::rebuild);

    QCustomPlot* p = plot();
    p->setInteractions(QCP::Interactions());  // a fixed grid: clicks select, they do not pan
    p->axisRect()->setupFullAxesBox(false);
    scale_ = new QCPColorScale(p);
    p->plotLayout()->addElement(0, 1, scale_);
    scale_->setType(QCPAxis::atRight);
    scale_->setBarWidth(12);
    applyPlotStyle(p);  // again: style the colour scale's axis too
    auto* margins = new QCPMarginGroup(p);
    p->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    scale_->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    scale_->axis()->setTickLabelColor(palette().color(QPalette::WindowText));
    scale_->axis()->setLabelColor(palette().color(QPalette::WindowText));
    scale_->axis()->setBasePen(Qt::NoPen);

    map_ = new QCPColorMap(p->xAxis, p->yAxis);
    map_->setColorScale(scale_);
    map_->setGradient(viridis());
    map_->setInterpolate(false);
    map_->setTightBoundary(false);

    auto projectionTicks = QSharedPointer<QCPAxisTickerText>::create();
    for (int i = 0; i < kProjectionCount; ++i) projectionTicks->addTick(i, QString::fromLatin1(kProjections[size_t(i)].data(), qsizetype(kProjections[size_t(i)].size())));
    p->xAxis->setTicker(projectionTicks);
    p->xAxis->setLabel(tr("Projection"));
    p->xAxis->grid()->setVisible(false);
    p->xAxis2->setVisible(false);
    auto blockTicks = QSharedPointer<QCPAxisTickerFixed>::create();
    blockTicks->setTickStep(1.0);
    blockTicks->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    p->yAxis->setTicker(blockTicks);
    p->yAxis->setSubTicks(false);
    p->yAxis->setLabel(tr("Decoder block"));
    p->yAxis->setRangeReversed(true);  // block 0 at the top, as the network reads
    p->yAxis->grid()->setVisible(false);
    p->yAxis2->setVisible(false);

    connect(p, &QCustomPlot::mousePress, this, &HeatmapView::onMousePress);
    rebuild();
}

void HeatmapView::fillCells(const std::vector<std::string>& names,
                            const std::function<std::array<double, 5>(size_t)>& values) {
    cells_.clear();
    for (size_t i = 0; i < names.size(); ++i) {
        const auto linear = parseLinearName(names[i]);
        if (!linear) continue;
        if (size_t(linear->block) >= cells_.size()) cells_.resize(size_t(linear->block) + 1);
        Cell& cell = cells_[size_t(linear->block)][size_t(linear->projection)];
        cell.tensor = int(i);
        cell.values = values(i);
    }
}

void HeatmapView::setTensors(const std::vector<qs::TensorStats>& tensors) {
    std::vector<std::string> names;
    for (const TensorStats& t : tensors) names.push_back(t.name);
    fillCells(names, [&](size_t i) { return cellValues(tensors[i]); });
    layerValueTitle_.clear();
    statistic_->setVisible(true);
    statisticLabel_->setVisible(true);
    rebuild();
}

void HeatmapView::setLayerValues(const QString& title, const std::vector<std::string>& names,
                                 const std::vector<double>& values, const QString& hint) {
    // The value sits in every statistic's slot, so the drawing needs no second path.
    fillCells(names, [&](size_t i) {
        std::array<double, 5> v;
        v.fill(values[i]);
        return v;
    });
    layerValueTitle_ = title;
    layerValueHint_ = hint;
    statistic_->setVisible(false);
    statisticLabel_->setVisible(false);
    rebuild();
}

void HeatmapView::setStatistic(Statistic statistic) { statistic_->setCurrentIndex(int(statistic)); }

HeatmapView::Statistic HeatmapView::statistic() const { return Statistic(statistic_->currentIndex()); }

int HeatmapView::tensorAt(int block, int projection) const {
    if (block < 0 || block >= blockCount() || projection < 0 || projection >= kProjectionCount) return -1;
    return cells_[size_t(block)][size_t(projection)].tensor;
}

QPoint HeatmapView::cellCenter(int block, int projection) const {
    return QPointF(plot()->xAxis->coordToPixel(projection), plot()->yAxis->coordToPixel(block)).toPoint();
}

void HeatmapView::resetView() { rebuild(); }

void HeatmapView::rebuild() {
    QCustomPlot* p = plot();
    p->clearItems();
    selectionItems_.clear();
    const bool empty = cells_.empty();
    map_->setVisible(!empty);
    scale_->setVisible(!empty);
    if (empty) {
        setCaption(tr("No decoder-block projections (statistics pending or not a LLaMA-style checkpoint)"));
        p->xAxis->setRange(-0.5, kProjectionCount - 0.5);
        p->yAxis->setRange(-0.5, 0.5);
        p->replot(QCustomPlot::rpQueuedReplot);
        return;
    }

    const int blocks = blockCount();
    const size_t stat = size_t(statistic());
    QCPColorMapData* data = map_->data();
    data->setSize(kProjectionCount, blocks);
    data->setRange(QCPRange(0, kProjectionCount - 1), QCPRange(0, blocks - 1));
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (int b = 0; b < blocks; ++b)
        for (int j = 0; j < kProjectionCount; ++j) {
            const Cell& cell = cells_[size_t(b)][size_t(j)];
            const double v = cell.tensor >= 0 ? cell.values[stat] : qQNaN();
            // Inf (a zero median) has no colour on a finite scale: shown as missing, labelled "inf".
            data->setCell(j, b, std::isfinite(v) ? v : qQNaN());
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        }
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (lo == hi) lo -= 0.5 * std::max(1.0, std::fabs(lo)), hi += 0.5 * std::max(1.0, std::fabs(hi));
    map_->setDataRange(QCPRange(lo, hi));
    const QString title = layerValueTitle_.isEmpty() ? tr(kStatistics[stat].title) : layerValueTitle_;
    scale_->axis()->setLabel(title);
    p->xAxis->setRange(-0.5, kProjectionCount - 0.5);
    p->yAxis->setRange(-0.5, blocks - 0.5);

    if (blocks <= kMaxLabelledBlocks) {
        QFont font = p->xAxis->tickLabelFont();
        for (int b = 0; b < blocks; ++b)
            for (int j = 0; j < kProjectionCount; ++j) {
                const Cell& cell = cells_[size_t(b)][size_t(j)];
                if (cell.tensor < 0) continue;
                const double v = cell.values[stat];
                const QColor fill = std::isfinite(v) ? map_->gradient().color(v, map_->dataRange()) : QColor(Qt::lightGray);
                auto* text = new QCPItemText(p);
                text->position->setType(QCPItemPosition::ptPlotCoords);
                text->position->setCoords(j, b);
                text->setText(valueText(v));
                text->setFont(font);
                // Dark text on light cells, light text on dark ones.
                text->setColor(fill.lightnessF() > 0.55 ? QColor(0x20, 0x20, 0x20) : QColor(Qt::white));
                text->setClipToAxisRect(true);
                text->setSelectable(false);
            }
    }
    const QString hint = layerValueTitle_.isEmpty() ? tr("click a cell to select its tensor") : layerValueHint_;
    setCaption(tr("%1 per projection, %n decoder block(s); %2", nullptr, blocks).arg(title, hint));
    drawSelection();
}

void HeatmapView::setSelectedTensors(const QList<int>& tensorRows) {
    selected_ = tensorRows;
    drawSelection();
}

void HeatmapView::setMarkedTensors(const QList<int>& tensorRows) {
    marked_ = tensorRows;
    drawSelection();
}

void HeatmapView::drawSelection() {
    QCustomPlot* p = plot();
    for (QCPAbstractItem* item : std::as_const(selectionItems_)) p->removeItem(item);
    selectionItems_.clear();
    auto frameCells = [&](const QList<int>& tensors, const QPen& pen, double inset) {
        for (int b = 0; b < blockCount(); ++b)
            for (int j = 0; j < kProjectionCount; ++j) {
                if (!tensors.contains(cells_[size_t(b)][size_t(j)].tensor)) continue;
                auto* frame = new QCPItemRect(p);
                frame->topLeft->setCoords(j - 0.5 + inset, b - 0.5 + inset);
                frame->bottomRight->setCoords(j + 0.5 - inset, b + 0.5 - inset);
                frame->setPen(pen);
                frame->setBrush(Qt::NoBrush);
                frame->setSelectable(false);
                selectionItems_ << frame;
            }
    };
    // Marks inside the cell, so a marked cell that is also selected shows both frames.
    frameCells(marked_, QPen(palette().color(QPalette::WindowText), 2.0, Qt::DashLine), 0.08);
    frameCells(selected_, QPen(outlierColor(), 2.5), 0.0);
    p->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::onMousePress(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || cells_.empty()) return;
    if (!plot()->axisRect()->rect().contains(event->pos())) return;
    const int projection = qRound(plot()->xAxis->pixelToCoord(event->pos().x()));
    const int block = qRound(plot()->yAxis->pixelToCoord(event->pos().y()));
    const int tensor = tensorAt(block, projection);
    if (tensor >= 0) emit tensorClicked(tensor);
}

}  // namespace qs::views
