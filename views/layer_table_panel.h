// The layer table with its regex filter line: the place where tensors are
// selected. Its selection is the one selection of the window: the charts
// follow it, and a click in the heatmap lands here through selectTensor().
#pragma once

#include <QList>
#include <QWidget>

class QItemSelection;
class QLabel;
class QLineEdit;
class QTableView;

namespace qs::views {

class LayerSortProxy;
class LayerTableModel;

class LayerTablePanel : public QWidget {
    Q_OBJECT
public:
    explicit LayerTablePanel(LayerTableModel* model, QWidget* parent = nullptr);

    QTableView* view() const { return view_; }
    QLineEdit* filterEdit() const { return filter_; }
    LayerSortProxy* proxy() const { return proxy_; }

    // Selected rows as indices into the model's tensors(), in table order.
    QList<int> selectedTensors() const;

public slots:
    // Makes `tensorRow` the only selected and the current row (clearing a
    // filter that hides it) and scrolls to it.
    void selectTensor(int tensorRow);

signals:
    // `current` is the row that was clicked last (-1 when nothing is selected).
    void selectionChanged(const QList<int>& tensorRows, int current);

private:
    void applyFilter(const QString& pattern);
    void updateCount();
    void emitSelection();

    LayerTableModel* model_;
    LayerSortProxy* proxy_;
    QLineEdit* filter_;
    QLabel* count_;
    QTableView* view_;
};

}  // namespace qs::views
