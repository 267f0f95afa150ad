#include "layer_sort_proxy.h"

#include <cmath>

#include <QRegularExpression>

#include "layer_table_model.h"

namespace qs::views {

bool naturalLess(const QString& a, const QString& b) {
    qsizetype i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].isDigit() && b[j].isDigit()) {
            qsizetype ie = i, je = j;
            while (ie < a.size() && a[ie].isDigit()) ++ie;
            while (je < b.size() && b[je].isDigit()) ++je;
            // Compare digit runs by value without overflow: strip leading zeros, then length, then text.
            QStringView x = QStringView(a).mid(i, ie - i), y = QStringView(b).mid(j, je - j);
            while (x.size() > 1 && x[0] == u'0') x = x.mid(1);
            while (y.size() > 1 && y[0] == u'0') y = y.mid(1);
            if (x.size() != y.size()) return x.size() < y.size();
            if (const int c = x.compare(y); c != 0) return c < 0;
            i = ie;
            j = je;
            continue;
        }
        const QChar ca = a[i].toCaseFolded(), cb = b[j].toCaseFolded();
        if (ca != cb) return ca < cb;
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j;
}

LayerSortProxy::LayerSortProxy(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(LayerTableModel::SortRole);
    setFilterKeyColumn(LayerTableModel::Name);
}

bool LayerSortProxy::setNamePattern(const QString& pattern) {
    const QRegularExpression re(pattern, QRegularExpression::CaseInsensitiveOption);
    if (!re.isValid()) {
        filterError_ = tr("Invalid regular expression at offset %1: %2")
                           .arg(re.patternErrorOffset())
                           .arg(re.errorString());
        return false;
    }
    filterError_.clear();
    setFilterRegularExpression(re);
    return true;
}

bool LayerSortProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const {
    const QVariant l = left.data(sortRole());
    const QVariant r = right.data(sortRole());
    // Rows without a value yet (statistics pending) go last.
    if (!l.isValid() || !r.isValid()) return l.isValid() && !r.isValid();
    if (l.typeId() == QMetaType::QString) return naturalLess(l.toString(), r.toString());
    if (l.typeId() == QMetaType::LongLong) return l.toLongLong() < r.toLongLong();
    // NaN (a tensor of only NaNs) sorts below every number instead of breaking the order.
    const double a = l.toDouble(), b = r.toDouble();
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && !std::isnan(b);
    return a < b;
}

}  // namespace qs::views
