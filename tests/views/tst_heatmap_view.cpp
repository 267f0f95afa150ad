// The blocks x projections heatmap on qs-tiny-llama: every (block,
// projection) cell maps to the right tensor and carries the chosen
// statistic; a simulated click on a cell emits that tensor.
#include <memory>

#include <QSignalSpy>
#include <QtTest>
#include <qcustomplot.h>

#include "formats/checkpoint.h"
#include "formats/tensor_names.h"
#include "heatmap_view.h"
#include "stats/tensor_stats.h"

using qs::views::HeatmapView;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
constexpr int kTinyLlamaBlocks = 4;

int indexOf(const std::vector<qs::TensorStats>& stats, const std::string& name) {
    for (size_t i = 0; i < stats.size(); ++i)
        if (stats[i].name == name) return int(i);
    return -1;
}
}  // namespace

class TestHeatmapView : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        ckpt_ = qs::openCheckpoint(kTinyLlama.toStdString());
        stats_ = qs::computeCheckpointStats(*ckpt_);
    }

    void cellsMapToTensors() {
        HeatmapView view;
        view.setTensors(stats_);
        QCOMPARE(view.blockCount(), kTinyLlamaBlocks);
        for (int b = 0; b < kTinyLlamaBlocks; ++b)
            for (int p = 0; p < int(qs::kProjections.size()); ++p) {
                const int t = view.tensorAt(b, p);
                QVERIFY(t >= 0);
                QCOMPARE(stats_[size_t(t)].name, qs::linearTensorName(b, p));
            }
        QCOMPARE(view.tensorAt(kTinyLlamaBlocks, 0), -1);
        QCOMPARE(view.tensorAt(0, 7), -1);
        QCOMPARE(view.tensorAt(-1, 0), -1);
    }

    void cellsCarryTheChosenStatistic_data() {
        QTest::addColumn<int>("statistic");
        QTest::newRow("outlier in") << int(HeatmapView::Statistic::OutlierRatioIn);
        QTest::newRow("outlier out") << int(HeatmapView::Statistic::OutlierRatioOut);
        QTest::newRow("kurtosis") << int(HeatmapView::Statistic::Kurtosis);
        QTest::newRow("absmax") << int(HeatmapView::Statistic::Absmax);
        QTest::newRow("std") << int(HeatmapView::Statistic::Std);
    }
    void cellsCarryTheChosenStatistic() {
        QFETCH(int, statistic);
        HeatmapView view;
        view.setTensors(stats_);
        view.setStatistic(HeatmapView::Statistic(statistic));
        auto* map = qobject_cast<QCPColorMap*>(view.plot()->plottable(0));
        QVERIFY(map);
        for (int b = 0; b < kTinyLlamaBlocks; ++b)
            for (int p = 0; p < int(qs::kProjections.size()); ++p) {
                const qs::TensorStats& s = stats_[size_t(view.tensorAt(b, p))];
                const double expected[] = {s.outlierRatioIn, s.outlierRatioOut, s.kurtosis, s.absmax, s.std};
                QCOMPARE(map->data()->cell(p, b), expected[statistic]);
            }
    }

    void clickSelectsTheCellsTensor_data() {
        QTest::addColumn<int>("block");
        QTest::addColumn<int>("projection");
        QTest::newRow("0 q") << 0 << 0;
        QTest::newRow("2 down") << 2 << 6;
        QTest::newRow("3 gate") << 3 << 4;
        QTest::newRow("1 v") << 1 << 2;
    }
    void clickSelectsTheCellsTensor() {
        QFETCH(int, block);
        QFETCH(int, projection);
        HeatmapView view;
        view.resize(480, 420);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setTensors(stats_);
        view.plot()->replot();  // lay out the axes so pixels map to cells
        QSignalSpy spy(&view, &HeatmapView::tensorClicked);
        QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, view.cellCenter(block, projection));
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toInt(), indexOf(stats_, qs::linearTensorName(block, projection)));
    }

    void clickOutsideTheGridSelectsNothing() {
        HeatmapView view;
        view.resize(480, 420);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setTensors(stats_);
        view.plot()->replot();
        QSignalSpy spy(&view, &HeatmapView::tensorClicked);
        QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));
        QCOMPARE(spy.count(), 0);
    }

    void nonLlamaNamesGiveAnEmptyGrid() {
        std::vector<qs::TensorStats> rows(2);
        rows[0].name = "model.embed_tokens.weight";
        rows[1].name = "lm_head.weight";
        HeatmapView view;
        view.setTensors(rows);
        QCOMPARE(view.blockCount(), 0);
        QCOMPARE(view.tensorAt(0, 0), -1);
    }

private:
    std::unique_ptr<qs::Checkpoint> ckpt_;
    std::vector<qs::TensorStats> stats_;
};

QTEST_MAIN(TestHeatmapView)
#include "tst_heatmap_view.moc"
