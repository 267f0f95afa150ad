#include "layer_table_panel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QVBoxLayout>

#include "layer_sort_proxy.h"
#include "layer_table_model.h"
#include "plot_style.h"

namespace qs::views {

LayerTablePanel::LayerTablePanel(LayerTableModel* model, QWidget* parent)
    : QWidget(parent),
      model_(model),
      proxy_(new LayerSortProxy(this)),
      filter_(new QLineEdit(this)),
      count_(new QLabel(this)),
      view_(new QTableView(this)) {
    proxy_->setSourceModel(model_);

    filter_->setPlaceholderText(tr("Filter tensors by name (regular expression, e.g. mlp\\.down or layers\\.(0|1)\\.)"));
    filter_->setClearButtonEnabled(true);
    filter_->setToolTip(tr("Case-insensitive regular expression matched anywhere in the tensor name"));
    connect(filter_, &QLineEdit::textChanged, this, &LayerTablePanel::applyFilter);

    view_->setModel(proxy_);
    view_->setSortingEnabled(true);
    view_->sortByColumn(-1, Qt::AscendingOrder);  // checkpoint order until the user sorts
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view_->setAlternatingRowColors(true);
    view_->setShowGrid(false);
    view_->setWordWrap(false);
    view_->setTextElideMode(Qt::ElideMiddle);
    view_->verticalHeader()->setVisible(false);
    view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 6);
    view_->horizontalHeader()->setHighlightSections(false);
    view_->horizontalHeader()->setStretchLastSection(false);
    view_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    view_->setColumnWidth(LayerTableModel::Name, 300);
    connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &LayerTablePanel::emitSelection);
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &LayerTablePanel::emitSelection);
    connect(proxy_, &QAbstractItemModel::modelReset, this, [this] {
        view_->resizeColumnsToContents();
        view_->setColumnWidth(LayerTableModel::Name, qMax(view_->columnWidth(LayerTableModel::Name), 260));
        updateCount();
    });
    connect(proxy_, &QAbstractItemModel::rowsInserted, this, &LayerTablePanel::updateCount);
    connect(proxy_, &QAbstractItemModel::rowsRemoved, this, &LayerTablePanel::updateCount);

    auto* top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(filter_, 1);
    top->addWidget(count_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addWidget(view_, 1);
    updateCount();
}

void LayerTablePanel::applyFilter(const QString& pattern) {
    if (proxy_->setNamePattern(pattern)) {
        filter_->setStyleSheet(QString());
        filter_->setToolTip(tr("Case-insensitive regular expression matched anywhere in the tensor name"));
    } else {
        // Keep the last valid filter; say what is wrong instead of failing.
        filter_->setStyleSheet(QStringLiteral("QLineEdit { color: %1; }").arg(outlierColor().name()));
        filter_->setToolTip(proxy_->filterError());
    }
    updateCount();
}

void LayerTablePanel::updateCount() {
    const int shown = proxy_->rowCount();
    const int total = model_->rowCount();
    count_->setText(shown == total ? tr("%n tensor(s)", nullptr, total) : tr("%1 of %2 tensors").arg(shown).arg(total));
}

QList<int> LayerTablePanel::selectedTensors() const {
    QList<int> rows;
    const QModelIndexList selected = view_->selectionModel()->selectedRows(LayerTableModel::Name);
    for (const QModelIndex& index : selected) rows << index.data(LayerTableModel::TensorIndexRole).toInt();
    return rows;
}

void LayerTablePanel::emitSelection() {
    const QModelIndex current = view_->selectionModel()->currentIndex();
    const QList<int> rows = selectedTensors();
    int currentRow = current.isValid() ? current.data(LayerTableModel::TensorIndexRole).toInt() : -1;
    if (!rows.contains(currentRow)) currentRow = rows.isEmpty() ? -1 : rows.last();
    emit selectionChanged(rows, currentRow);
}

void LayerTablePanel::selectTensor(int tensorRow) {
    if (tensorRow < 0 || tensorRow >= model_->rowCount()) return;
    QModelIndex index = proxy_->mapFromSource(model_->index(tensorRow, LayerTableModel::Name));
    if (!index.isValid()) {  // hidden by the filter
        filter_->clear();
        index = proxy_->mapFromSource(model_->index(tensorRow, LayerTableModel::Name));
    }
    view_->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    view_->scrollTo(index, QAbstractItemView::EnsureVisible);
}

}  // namespace qs::views
