// Sorting and filtering for the layer table: numeric columns compare as
// numbers, names compare naturally (layers.2 before layers.10), and a
// regular expression on the name filters rows.
#pragma once

#include <QSortFilterProxyModel>

namespace qs::views {

// Natural order: runs of digits compare by value, the rest case-insensitively.
// (QCollator's numeric mode is a no-op where Qt is built without ICU.)
bool naturalLess(const QString& a, const QString& b);

class LayerSortProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit LayerSortProxy(QObject* parent = nullptr);

    // Filters on the tensor name. Returns false (and keeps the previous
    // filter) when `pattern` is not a valid regular expression; the error
    // text is then in filterError().
    bool setNamePattern(const QString& pattern);
    QString filterError() const { return filterError_; }

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    QString filterError_;
};

}  // namespace qs::views
