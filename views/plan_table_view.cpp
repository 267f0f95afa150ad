#include "plan_table_view.h"

#include <QMouseEvent>

namespace qs::views {

QItemSelectionModel::SelectionFlags PlanTableView::selectionCommand(const QModelIndex& index,
                                                                    const QEvent* event) const {
    const bool plainRelease = event && event->type() == QEvent::MouseButtonRelease &&
                              static_cast<const QMouseEvent*>(event)->modifiers() == Qt::NoModifier;
    if (plainRelease && index.isValid() && selectionModel()->isRowSelected(index.row(), index.parent()) &&
        selectionModel()->selectedRows().size() > 1)
        return QItemSelectionModel::NoUpdate;
    return QTableView::selectionCommand(index, event);
}

}  // namespace qs::views
