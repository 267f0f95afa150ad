#include "plan_item_delegate.h"

#include <QAbstractItemView>
#include <QAbstractProxyModel>
#include <QComboBox>
#include <QItemSelectionModel>

#include "plan_table_model.h"
#include "spec_fields.h"

namespace qs::views {

namespace {
QModelIndex toSource(const QModelIndex& index) {
    const auto* proxy = qobject_cast<const QAbstractProxyModel*>(index.model());
    return proxy ? proxy->mapToSource(index) : index;
}
}  // namespace

PlanItemDelegate::PlanItemDelegate(PlanTableModel* model, QAbstractItemView* view)
    : QStyledItemDelegate(view), model_(model), view_(view) {}

QList<int> PlanItemDelegate::targetRows(const QModelIndex& index) const {
    const int row = toSource(index).row();
    QList<int> rows;
    const QItemSelectionModel* selection = view_->selectionModel();
    if (selection && selection->isRowSelected(index.row(), index.parent()))
        for (const QModelIndex& selected : selection->selectedRows()) rows << toSource(selected).row();
    if (!rows.contains(row)) rows = {row};
    return rows;
}

QWidget* PlanItemDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                                        const QModelIndex& index) const {
    const std::optional<SpecField> field = PlanTableModel::specField(index.column());
    if (!field) return QStyledItemDelegate::createEditor(parent, option, index);
    QWidget* editor = createSpecFieldEditor(*field, parent);
    // A combo box opens at once: one click to see the choices, one to pick.
    // (createEditor is const in Qt's interface; emitting is not.)
    if (auto* combo = qobject_cast<QComboBox*>(editor)) {
        auto* self = const_cast<PlanItemDelegate*>(this);
        connect(combo, &QComboBox::activated, self, [self, combo] {
            emit self->commitData(combo);
            emit self->closeEditor(combo);
        });
    }
    return editor;
}

void PlanItemDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
    if (!PlanTableModel::specField(index.column())) return QStyledItemDelegate::setEditorData(editor, index);
    setSpecEditorValue(editor, index.data(Qt::EditRole));
}

void PlanItemDelegate::setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const {
    if (!PlanTableModel::specField(index.column())) return QStyledItemDelegate::setModelData(editor, model, index);
    model_->setCellValue(targetRows(index), index.column(), specEditorValue(editor));
}

bool PlanItemDelegate::editorEvent(QEvent* event, QAbstractItemModel* model, const QStyleOptionViewItem& option,
                                   const QModelIndex& index) {
    // The check box toggles its own row; the rest of the selection follows it.
    const QList<int> rows = index.column() == PlanTableModel::Quantized ? targetRows(index) : QList<int>();
    const QVariant before = index.data(Qt::CheckStateRole);
    if (!QStyledItemDelegate::editorEvent(event, model, option, index)) return false;
    const QVariant after = index.data(Qt::CheckStateRole);
    if (rows.size() > 1 && after != before)
        model_->setCellValue(rows, PlanTableModel::Quantized, after.toInt() == Qt::Checked);
    return true;
}

}  // namespace qs::views
