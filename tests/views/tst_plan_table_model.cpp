// The plan table on qs-tiny-llama's layers: 28 linear rows plus lm_head
// (skipped), under QAbstractItemModelTester; an edit makes exactly one
// exact-name override and leaves every other layer alone; a multi-row edit
// changes exactly those rows; an edit back to the default removes the
// override; a group size that does not divide a layer is flagged; values
// that make an invalid spec are refused; a new default absorbs overrides
// equal to it.
#include <memory>

#include <QAbstractItemModelTester>
#include <QBrush>
#include <QtTest>

#include "formats/checkpoint.h"
#include "formats/tensor_names.h"
#include "plan_table_model.h"
#include "plot_style.h"
#include "quant/quant_plan.h"

using qs::views::PlanTableModel;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");

qs::QuantSpec w4g128() {
    qs::QuantSpec s;
    s.bits = 4;
    s.granularity = qs::Granularity::PerGroup;
    s.groupSize = 128;
    return s;
}
}  // namespace

class TestPlanTableModel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { config_ = qs::openCheckpoint(kTinyLlama.toStdString())->config; }

    void init() {
        model_ = std::make_unique<PlanTableModel>();
        tester_ = std::make_unique<QAbstractItemModelTester>(model_.get(),
                                                             QAbstractItemModelTester::FailureReportingMode::QtTest);
        model_->setPlan(qs::uniformPlan(w4g128()));
        model_->setModelConfig(config_);
    }
    void cleanup() {
        tester_.reset();
        model_.reset();
    }

    void rowsAreTheLinearLayersPlusTheSkippedHead() {
        QCOMPARE(model_->rowCount(), 4 * 7 + 1);
        QCOMPARE(model_->columnCount(), int(PlanTableModel::ColumnCount));
        QCOMPARE(model_->layerName(0), std::string("model.layers.0.self_attn.q_proj.weight"));
        QCOMPARE(model_->index(6, PlanTableModel::Projection).data().toString(), QStringLiteral("down"));
        QCOMPARE(model_->inFeatures(6), int64_t(512));  // down_proj reads the intermediate size
        QCOMPARE(model_->inFeatures(0), int64_t(256));
        QCOMPARE(model_->index(13, PlanTableModel::Block).data().toInt(), 1);
        for (int row = 0; row < 28; ++row) {
            QCOMPARE(model_->index(row, PlanTableModel::Quantized).data(Qt::CheckStateRole).toInt(), int(Qt::Checked));
            QCOMPARE(model_->index(row, PlanTableModel::Label).data().toString(), QStringLiteral("W4 g128 RTN"));
            QCOMPARE(model_->index(row, PlanTableModel::Bits).data().toString(), QStringLiteral("4"));
            QVERIFY(!model_->index(row, 0).data(PlanTableModel::OverriddenRole).toBool());
        }
        const int head = 28;
        QCOMPARE(model_->layerName(head), std::string("lm_head.weight"));
        QCOMPARE(model_->index(head, PlanTableModel::Quantized).data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QVERIFY(model_->index(head, PlanTableModel::Label).data().toString().startsWith(QStringLiteral("skipped")));
        QVERIFY(!(model_->flags(model_->index(head, PlanTableModel::Quantized)) & Qt::ItemIsUserCheckable));
        QVERIFY(!(model_->flags(model_->index(head, PlanTableModel::Bits)) & Qt::ItemIsEditable));
        // Skipped means skipped: turning it on is refused.
        QVERIFY(!model_->setData(model_->index(head, PlanTableModel::Quantized), Qt::Checked, Qt::CheckStateRole));
        QVERIFY(model_->plan().overrides.empty());
    }

    void editingOneCellMakesOneExactOverride() {
        const int row = model_->rowOf(QStringLiteral("model.layers.1.self_attn.v_proj.weight"));
        QCOMPARE(row, 9);
        QSignalSpy changed(model_.get(), &PlanTableModel::planChanged);
        QVERIFY(model_->setData(model_->index(row, PlanTableModel::Bits), 8));
        QCOMPARE(changed.count(), 1);

        const qs::QuantPlan& plan = model_->plan();
        QCOMPARE(plan.overrides.size(), size_t(1));
        QCOMPARE(plan.overrides[0].name, model_->layerName(row));
        QVERIFY(plan.overrides[0].regex.empty());
        qs::QuantSpec expected = w4g128();
        expected.bits = 8;
        QCOMPARE(qs::resolve(plan, model_->layerName(row)), std::optional(expected));
        for (int other = 0; other < 28; ++other)
            if (other != row) QCOMPARE(qs::resolve(plan, model_->layerName(other)), std::optional(w4g128()));
        QVERIFY(!qs::resolve(plan, "lm_head.weight"));
        QCOMPARE(model_->index(row, PlanTableModel::Label).data().toString(), QStringLiteral("W8 g128 RTN"));
        QVERIFY(model_->index(row, PlanTableModel::Layer).data(PlanTableModel::OverriddenRole).toBool());
        QVERIFY(model_->index(row, PlanTableModel::Layer).data(Qt::BackgroundRole).value<QBrush>().style() != Qt::NoBrush);
        QVERIFY(!model_->index(row - 1, PlanTableModel::Layer).data(PlanTableModel::OverriddenRole).toBool());

        // A second edit of the same layer updates its override, not a new one.
        QVERIFY(model_->setData(model_->index(row, PlanTableModel::Symmetric), false));
        QCOMPARE(model_->plan().overrides.size(), size_t(1));
        QCOMPARE(model_->plan().overrides[0].spec.symmetric, false);
        QCOMPARE(model_->plan().overrides[0].spec.bits, 8);

        // Back to the default spec: the override goes.
        QVERIFY(model_->setData(model_->index(row, PlanTableModel::Symmetric), true));
        QVERIFY(model_->setData(model_->index(row, PlanTableModel::Bits), 4));
        QVERIFY(model_->plan().overrides.empty());
        QVERIFY(!model_->index(row, 0).data(PlanTableModel::OverriddenRole).toBool());
        // Setting what is already there changes nothing.
        QVERIFY(!model_->setData(model_->index(row, PlanTableModel::Bits), 4));
    }

    void multiRowEditChangesExactlyThoseRows() {
        const QList<int> rows = {2, 9, 16, 23};  // every block's v_proj
        const int activationChoice = model_->index(0, PlanTableModel::Activation).data(Qt::EditRole).toInt();
        QVERIFY(model_->setCellValue(rows, PlanTableModel::Granularity, int(qs::Granularity::PerChannel)));
        QCOMPARE(model_->plan().overrides.size(), size_t(4));
        for (int row = 0; row < 28; ++row) {
            const auto spec = qs::resolve(model_->plan(), model_->layerName(row));
            QVERIFY(spec);
            QCOMPARE(spec->granularity, rows.contains(row) ? qs::Granularity::PerChannel : qs::Granularity::PerGroup);
            QCOMPARE(model_->index(row, PlanTableModel::GroupSize).data().toString(),
                     rows.contains(row) ? QStringLiteral("\u2013") : QStringLiteral("128"));
            // Per-channel has no group size to edit.
            QCOMPARE(bool(model_->flags(model_->index(row, PlanTableModel::GroupSize)) & Qt::ItemIsEditable),
                     !rows.contains(row));
        }
        QCOMPARE(model_->index(0, PlanTableModel::Activation).data(Qt::EditRole).toInt(), activationChoice);

        // Unchecking two rows makes them unquantized; checked again, they get
        // what the plan gives them without an override of their own: the default.
        QVERIFY(model_->setCellValue({2, 3}, PlanTableModel::Quantized, false));
        QVERIFY(!qs::resolve(model_->plan(), model_->layerName(2)));
        QVERIFY(!qs::resolve(model_->plan(), model_->layerName(3)));
        QCOMPARE(model_->index(3, PlanTableModel::Label).data().toString(), QStringLiteral("not quantized"));
        QVERIFY(!(model_->flags(model_->index(3, PlanTableModel::Bits)) & Qt::ItemIsEditable));
        QCOMPARE(model_->plan().overrides.size(), size_t(5));
        QVERIFY(model_->setCellValue({2, 3}, PlanTableModel::Quantized, true));
        QCOMPARE(*qs::resolve(model_->plan(), model_->layerName(3)), w4g128());
        QCOMPARE(model_->plan().overrides.size(), size_t(3));  // rows 9, 16, 23 still per-channel; 2 and 3 back to default
    }

    void groupSizeThatDoesNotDivideIsFlagged() {
        qs::ModelConfig odd = config_;
        odd.intermediateSize = 384;  // 256 does not divide it; 128 does
        model_->setModelConfig(odd);
        const int down = model_->rowOf(QString::fromStdString(qs::linearTensorName(0, 6)));
        QVERIFY(model_->setCellValue({0, down}, PlanTableModel::GroupSize, 256));
        const QModelIndex bad = model_->index(down, PlanTableModel::GroupSize);
        QCOMPARE(bad.data(PlanTableModel::ProblemRole).toString(), QStringLiteral("group_size 256 does not divide 384"));
        QCOMPARE(bad.data(Qt::ToolTipRole).toString(), QStringLiteral("group_size 256 does not divide 384"));
        QCOMPARE(bad.data(Qt::BackgroundRole).value<QBrush>().color().rgb(), qs::views::outlierColor().rgb());
        const QModelIndex fine = model_->index(0, PlanTableModel::GroupSize);
        QCOMPARE(fine.data().toString(), QStringLiteral("256"));
        QVERIFY(fine.data(PlanTableModel::ProblemRole).toString().isEmpty());
        QVERIFY_THROWS_EXCEPTION(std::exception, qs::checkAgainstModel(model_->plan(), odd));
    }

    void invalidSpecValuesAreRefused() {
        QVERIFY(!model_->setData(model_->index(0, PlanTableModel::Bits), 9));
        QVERIFY(!model_->setData(model_->index(0, PlanTableModel::GroupSize), 100));
        QVERIFY(!model_->setData(model_->index(0, PlanTableModel::Layer), QStringLiteral("x")));
        QVERIFY(model_->plan().overrides.empty());
    }

    void fp8WeightsAreEightBitPerChannel() {
        QVERIFY(model_->setData(model_->index(0, PlanTableModel::Format), int(qs::WeightFormat::F8E4M3)));
        const auto spec = qs::resolve(model_->plan(), model_->layerName(0));
        QCOMPARE(spec->format, qs::WeightFormat::F8E4M3);
        QCOMPARE(spec->bits, 8);
        QCOMPARE(spec->granularity, qs::Granularity::PerChannel);
        QVERIFY(!(model_->flags(model_->index(0, PlanTableModel::Bits)) & Qt::ItemIsEditable));
        QVERIFY(qs::quantSpecProblem(*spec).empty());
    }

    void newDefaultAbsorbsOverridesEqualToIt() {
        QVERIFY(model_->setCellValue({0, 1}, PlanTableModel::Bits, 8));
        QVERIFY(model_->setCellValue({2}, PlanTableModel::Bits, 3));
        QCOMPARE(model_->plan().overrides.size(), size_t(3));
        qs::QuantSpec w8 = w4g128();
        w8.bits = 8;
        model_->setDefaultSpec(w8);
        QCOMPARE(model_->plan().overrides.size(), size_t(1));
        QCOMPARE(model_->plan().overrides[0].name, model_->layerName(2));
        QCOMPARE(qs::resolve(model_->plan(), model_->layerName(5))->bits, 8);
        QCOMPARE(qs::resolve(model_->plan(), model_->layerName(2))->bits, 3);
    }

private:
    qs::ModelConfig config_;
    std::unique_ptr<PlanTableModel> model_;
    std::unique_ptr<QAbstractItemModelTester> tester_;
};

QTEST_MAIN(TestPlanTableModel)
#include "tst_plan_table_model.moc"
