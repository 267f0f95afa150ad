// The plan table's view: a click inside a multi-row selection keeps the
// selection (a plain QTableView collapses it to the clicked row on release),
// so double-clicking a cell of the selection, or its check box, edits every
// selected row. Clicking outside the selection, or with Ctrl/Shift, selects
// as usual.
#pragma once

#include <QTableView>

namespace qs::views {

class PlanTableView : public QTableView {
    Q_OBJECT
public:
    using QTableView::QTableView;

protected:
    QItemSelectionModel::SelectionFlags selectionCommand(const QModelIndex& index,
                                                         const QEvent* event = nullptr) const override;
};

}  // namespace qs::views
