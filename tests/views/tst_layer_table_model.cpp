// The layer table model and its sort/filter proxy on the real statistics of
// qs-tiny-llama (4 blocks, 39 tensors): cells carry the TensorStats values,
// numeric columns sort as numbers, the regex filter counts rows, a bad regex
// is reported and changes nothing.
#include <cmath>
#include <memory>

#include <QAbstractItemModelTester>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "formats/checkpoint.h"
#include "layer_sort_proxy.h"
#include "layer_table_model.h"
#include "layer_table_panel.h"
#include "stats/tensor_stats.h"

using qs::views::LayerSortProxy;
using qs::views::LayerTableModel;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
constexpr int kTinyLlamaTensors = 4 * 9 + 3;  // 9 per block + embed, final norm, lm_head

// The exact field behind each numeric column.
double field(const qs::TensorStats& s, int column) {
    switch (column) {
    case LayerTableModel::Elements: return double(s.count);
    case LayerTableModel::Min: return s.min;
    case LayerTableModel::Max: return s.max;
    case LayerTableModel::Mean: return s.mean;
    case LayerTableModel::Std: return s.std;
    case LayerTableModel::Absmax: return s.absmax;
    case LayerTableModel::Kurtosis: return s.kurtosis;
    case LayerTableModel::OutlierOut: return s.outlierRatioOut;
    case LayerTableModel::OutlierIn: return s.outlierRatioIn;
    case LayerTableModel::Zeros: return double(s.zeros);
    case LayerTableModel::NaNs: return double(s.nans);
    case LayerTableModel::Infs: return double(s.infs);
    }
    return qQNaN();
}
}  // namespace

class TestLayerTableModel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        ckpt_ = qs::openCheckpoint(kTinyLlama.toStdString());
        stats_ = qs::computeCheckpointStats(*ckpt_);
        QCOMPARE(int(stats_.size()), kTinyLlamaTensors);
    }

    void passesModelTester() {
        LayerTableModel model;
        LayerSortProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setCheckpoint(*ckpt_);
        model.setStats(stats_);
        proxy.sort(LayerTableModel::Kurtosis, Qt::DescendingOrder);
        QVERIFY(proxy.setNamePattern(QStringLiteral("layers\\.1\\.")));
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void headerRowsBeforeStats() {
        LayerTableModel model;
        model.setCheckpoint(*ckpt_);
        QCOMPARE(model.rowCount(), kTinyLlamaTensors);
        QVERIFY(!model.hasStats());
        for (int r = 0; r < model.rowCount(); ++r) {
            const qs::TensorView& t = ckpt_->tensors()[size_t(r)];
            QCOMPARE(model.index(r, LayerTableModel::Name).data().toString(), QString::fromStdString(t.name));
            QCOMPARE(model.index(r, LayerTableModel::Elements).data(LayerTableModel::SortRole).toLongLong(), t.numel());
            QVERIFY(!model.index(r, LayerTableModel::Absmax).data(LayerTableModel::SortRole).isValid());
        }
    }

    void cellsEqualStats() {
        LayerTableModel model;
        model.setStats(stats_);
        QCOMPARE(model.columnCount(), int(LayerTableModel::ColumnCount));
        for (int r = 0; r < model.rowCount(); ++r) {
            const qs::TensorStats& s = stats_[size_t(r)];
            QCOMPARE(model.index(r, LayerTableModel::Name).data().toString(), QString::fromStdString(s.name));
            QCOMPARE(model.index(r, LayerTableModel::DType).data().toString(), QString::fromStdString(s.dtype));
            for (int c = LayerTableModel::Elements; c < LayerTableModel::ColumnCount; ++c) {
                const double cell = model.index(r, c).data(LayerTableModel::SortRole).toDouble();
                const double expected = field(s, c);
                if (std::isnan(expected)) QVERIFY(std::isnan(cell));
                else QCOMPARE(cell, expected);  // the very value, not a rounded display string
            }
            QCOMPARE(model.index(r, LayerTableModel::Absmax).data().toString(), QString::number(s.absmax, 'g', 4));
        }
        const int down3 = model.rowOf(QStringLiteral("model.layers.3.mlp.down_proj.weight"));
        QVERIFY(down3 >= 0);
        QCOMPARE(model.tensor(down3).name, std::string("model.layers.3.mlp.down_proj.weight"));
        QCOMPARE(model.rowOf(QStringLiteral("no.such.tensor")), -1);
    }

    void numericColumnsSortAsNumbers_data() {
        QTest::addColumn<int>("column");
        QTest::newRow("absmax") << int(LayerTableModel::Absmax);
        QTest::newRow("mean") << int(LayerTableModel::Mean);
        QTest::newRow("kurtosis") << int(LayerTableModel::Kurtosis);
        QTest::newRow("outlier in") << int(LayerTableModel::OutlierIn);
        QTest::newRow("elements") << int(LayerTableModel::Elements);
    }
    void numericColumnsSortAsNumbers() {
        QFETCH(int, column);
        LayerTableModel model;
        model.setStats(stats_);
        LayerSortProxy proxy;
        proxy.setSourceModel(&model);
        proxy.sort(column, Qt::AscendingOrder);
        std::vector<double> expected;
        for (const qs::TensorStats& s : stats_) expected.push_back(field(s, column));
        std::sort(expected.begin(), expected.end());
        for (int r = 0; r < proxy.rowCount(); ++r)
            QCOMPARE(proxy.index(r, column).data(LayerTableModel::SortRole).toDouble(), expected[size_t(r)]);
    }

    void namesSortNaturally() {
        std::vector<qs::TensorStats> rows(3);
        rows[0].name = "model.layers.10.mlp.up_proj.weight";
        rows[1].name = "model.layers.2.mlp.up_proj.weight";
        rows[2].name = "model.layers.1.mlp.up_proj.weight";
        LayerTableModel model;
        model.setStats(rows);
        LayerSortProxy proxy;
        proxy.setSourceModel(&model);
        proxy.sort(LayerTableModel::Name, Qt::AscendingOrder);
        QCOMPARE(proxy.index(0, 0).data().toString(), QStringLiteral("model.layers.1.mlp.up_proj.weight"));
        QCOMPARE(proxy.index(1, 0).data().toString(), QStringLiteral("model.layers.2.mlp.up_proj.weight"));
        QCOMPARE(proxy.index(2, 0).data().toString(), QStringLiteral("model.layers.10.mlp.up_proj.weight"));
    }

    void regexFilterCountsRows_data() {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<int>("rows");
        QTest::newRow("all") << QString() << kTinyLlamaTensors;
        QTest::newRow("down") << QStringLiteral("mlp\\.down") << 4;
        QTest::newRow("q or k") << QStringLiteral("self_attn\\.(q|k)_proj") << 8;
        QTest::newRow("block 2") << QStringLiteral("layers\\.2\\.") << 9;
        QTest::newRow("norms") << QStringLiteral("norm") << 4 * 2 + 1;
        QTest::newRow("case-insensitive") << QStringLiteral("LM_HEAD") << 1;
    }
    void regexFilterCountsRows() {
        QFETCH(QString, pattern);
        QFETCH(int, rows);
        LayerTableModel model;
        model.setStats(stats_);
        LayerSortProxy proxy;
        proxy.setSourceModel(&model);
        QVERIFY(proxy.setNamePattern(pattern));
        QCOMPARE(proxy.rowCount(), rows);
    }

    void invalidRegexKeepsFilterAndTurnsRed() {
        LayerTableModel model;
        model.setStats(stats_);
        qs::views::LayerTablePanel panel(&model);
        panel.filterEdit()->setText(QStringLiteral("mlp\\.down"));
        QCOMPARE(panel.proxy()->rowCount(), 4);
        panel.filterEdit()->setText(QStringLiteral("mlp\\.(down"));  // unbalanced parenthesis
        QCOMPARE(panel.proxy()->rowCount(), 4);
        QVERIFY(!panel.proxy()->filterError().isEmpty());
        QVERIFY(panel.filterEdit()->styleSheet().contains(QStringLiteral("color")));
        QVERIFY(panel.filterEdit()->toolTip().contains(QStringLiteral("Invalid")));
        panel.filterEdit()->setText(QStringLiteral("mlp\\.(down|up)"));
        QCOMPARE(panel.proxy()->rowCount(), 8);
        QVERIFY(panel.filterEdit()->styleSheet().isEmpty());
    }

    void selectTensorReachesHiddenRows() {
        LayerTableModel model;
        model.setStats(stats_);
        qs::views::LayerTablePanel panel(&model);
        QSignalSpy spy(&panel, &qs::views::LayerTablePanel::selectionChanged);
        panel.filterEdit()->setText(QStringLiteral("mlp\\.down"));
        const int embed = model.rowOf(QStringLiteral("model.embed_tokens.weight"));
        panel.selectTensor(embed);  // hidden by the filter: the filter is cleared
        QVERIFY(panel.filterEdit()->text().isEmpty());
        QCOMPARE(panel.selectedTensors(), QList<int>{embed});
        QVERIFY(spy.count() >= 1);
        QCOMPARE(spy.last().at(0).value<QList<int>>(), QList<int>{embed});
        QCOMPARE(spy.last().at(1).toInt(), embed);
    }

private:
    std::unique_ptr<qs::Checkpoint> ckpt_;
    std::vector<qs::TensorStats> stats_;
};

QTEST_MAIN(TestLayerTableModel)
#include "tst_layer_table_model.moc"
