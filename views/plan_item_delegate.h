// Editors for the plan table's spec cells (only valid values: combo boxes,
// a 2..8 spin box) that apply an edit to every selected row, not only the
// edited one, so a whole selection of layers is changed in one step.
#pragma once

#include <QStyledItemDelegate>

class QAbstractItemView;

namespace qs::views {

class PlanTableModel;

class PlanItemDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    // `view` shows `model` through a QSortFilterProxyModel (or directly).
    PlanItemDelegate(PlanTableModel* model, QAbstractItemView* view);

    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    void setEditorData(QWidget* editor, const QModelIndex& index) const override;
    void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override;
    bool editorEvent(QEvent* event, QAbstractItemModel* model, const QStyleOptionViewItem& option,
                     const QModelIndex& index) override;

    // The source rows an edit of `index` (a view index) applies to: the
    // selected rows when `index` is one of them, else its row alone.
    QList<int> targetRows(const QModelIndex& index) const;

private:
    PlanTableModel* model_;
    QAbstractItemView* view_;
};

}  // namespace qs::views
