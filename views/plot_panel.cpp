#include "plot_panel.h"

#include <QContextMenuEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QToolButton>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "plot_export.h"
#include "plot_style.h"

namespace qs::views {

PlotPanel::PlotPanel(const QString& exportBaseName, QWidget* parent)
    : QWidget(parent), exportBaseName_(exportBaseName), plot_(new QCustomPlot(this)) {
    plot_->setMinimumSize(240, 160);
    applyPlotStyle(plot_);

    auto* exportButton = new QToolButton(this);
    exportButton->setText(tr("Export..."));
    exportButton->setToolTip(tr("Save this chart as PNG, PDF or SVG"));
    exportButton->setAutoRaise(true);
    connect(exportButton, &QToolButton::clicked, this, &PlotPanel::exportInteractively);

    controls_ = new QHBoxLayout;
    controls_->setContentsMargins(0, 0, 0, 0);
    controls_->setSpacing(10);
    auto* top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addLayout(controls_);
    top->addStretch(1);
    top->addWidget(exportButton);

    caption_ = new QLabel(this);
    caption_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    caption_->setWordWrap(true);  // a long tensor name must not widen the dock
    QFont captionFont = caption_->font();
    captionFont.setBold(true);
    caption_->setFont(captionFont);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addWidget(caption_);
    layout->addWidget(plot_, 1);

    plot_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(plot_, &QWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
        QMenu menu(this);
        menu.addAction(tr("Export..."), this, &PlotPanel::exportInteractively);
        menu.addAction(tr("Export for print, column width (3.5 in)..."), this,
                       [this] { exportPlotInteractively(plot_, this, exportBaseName_, PrintSize::Column); });
        menu.addAction(tr("Export for print, page width (7 in)..."), this,
                       [this] { exportPlotInteractively(plot_, this, exportBaseName_, PrintSize::Page); });
        menu.addAction(tr("Reset zoom"), this, &PlotPanel::resetView);
        menu.exec(plot_->mapToGlobal(pos));
    });
}

QString PlotPanel::exportTo(const QString& path) const { return exportPlot(plot_, path); }

void PlotPanel::exportInteractively() { exportPlotInteractively(plot_, this, exportBaseName_); }

void PlotPanel::resetView() {
    plot_->rescaleAxes();
    plot_->replot();
}

void PlotPanel::setCaption(const QString& text) {
    caption_->setText(text);
    caption_->setToolTip(text);
}

void PlotPanel::setPlaceholder(const QString& text) {
    plot_->clearPlottables();
    plot_->clearItems();
    plot_->legend->setVisible(false);
    setCaption(text);
    plot_->replot();
}

}  // namespace qs::views

