// The Sensitivity tab on qs-tiny-llama: the service's KL per layer is core's
// scanSensitivity on the same windows (2 x 64 tokens, W8A8 INT8); a layer
// toggled from the panel switches between per-channel and per-group g128 in
// the plan table model and back, and is outlined/coloured as per-group;
// "Suggest 3%" loads suggestTopK's plan; the activation view draws the
// weight and activation series with exactly the input numbers.
#include <QSignalSpy>
#include <QtTest>
#include <qcustomplot.h>

#include "activation_view.h"
#include "analysis/plan_suggestion.h"
#include "eval/perplexity.h"
#include "formats/checkpoint.h"
#include "model/llama_model.h"
#include "plan_presets.h"
#include "plan_table_model.h"
#include "sensitivity_charts.h"
#include "sensitivity_panel.h"
#include "sensitivity_service.h"
#include "tokenize/tokenizer.h"

using namespace qs::views;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
const QString kHeldOut = QStringLiteral(QS_SHARED_DIR "/data/text/frankenstein-heldout.txt");

qs::QuantSpec w8a8() { return planPresets().front().spec; }

std::string readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll().toStdString() : std::string();
}
}  // namespace

class TestSensitivity : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        ckpt_ = qs::openCheckpoint(kTinyLlama.toStdString());
        QCOMPARE(planPresets().front().name, QStringLiteral("W8A8 INT8 per-channel/per-token"));
        SensitivityService service;
        QSignalSpy done(&service, &SensitivityService::finished);
        QSignalSpy progress(&service, &SensitivityService::progress);
        service.start({ckpt_, w8a8(), kHeldOut, 64, 2});
        QVERIFY(done.wait(300000));
        result_ = done.first().first().value<SensitivityResultPtr>();
        QVERIFY(result_);
        QVERIFY(progress.count() > 2);
    }

    void serviceEqualsCoreScan() {
        const qs::LlamaModel model(*ckpt_);
        const auto tokenizer = qs::tokenizerForCheckpoint(*ckpt_);
        qs::SensitivityOptions options;
        options.spec = w8a8();
        options.eval.ctx = 64;
        options.eval.maxWindows = 2;
        const qs::TokenBatch windows =
            qs::perplexityWindows(model, *tokenizer, readAll(kHeldOut), kHeldOut.toStdString(), options.eval);
        const qs::SensitivityResult core = qs::scanSensitivity(model, windows, qs::TokenBatch{}, options);
        QCOMPARE(result_->windows, 2);
        QCOMPARE(result_->ctx, 64);
        QCOMPARE(int(result_->layers.size()), 28);  // 4 blocks x 7 projections
        QCOMPARE(result_->layers.size(), core.layers.size());
        QCOMPARE(result_->baseNll, core.baseNll);
        for (size_t i = 0; i < core.layers.size(); ++i) {
            QCOMPARE(result_->layers[i].name, core.layers[i].name);
            QCOMPARE(result_->layers[i].klMean, core.layers[i].klMean);
            QVERIFY(result_->layers[i].klMean > 0);
        }
    }

    void cancelEndsQuietly() {
        SensitivityService service;
        QSignalSpy cancelled(&service, &SensitivityService::cancelled);
        QSignalSpy done(&service, &SensitivityService::finished);
        service.start({ckpt_, w8a8(), kHeldOut, 64, 2});
        service.cancel();
        QVERIFY(cancelled.wait(60000));
        QCOMPARE(done.count(), 0);
    }

    void clickingToggles() {
        PlanTableModel plan;
        plan.setModelConfig(ckpt_->config);
        plan.setPlan(qs::uniformPlan(w8a8()));
        SensitivityPanel panel(&plan);
        panel.setResult(result_);
        // The most sensitive layer: its bar is shown however short the chart is.
        const std::string name = qs::bySensitivity(*result_).front()->name;
        const int row = plan.rowOf(QString::fromStdString(name));
        QVERIFY(row >= 0);
        auto granularity = [&] { return plan.index(row, PlanTableModel::Granularity).data(Qt::EditRole).toInt(); };
        QCOMPARE(granularity(), int(qs::Granularity::PerChannel));

        QVERIFY(panel.toggleLayer(name));
        QCOMPARE(granularity(), int(qs::Granularity::PerGroup));
        QCOMPARE(plan.index(row, PlanTableModel::GroupSize).data(Qt::EditRole).toInt(), 128);
        QCOMPARE(plan.plan().overrides.size(), size_t(1));
        QCOMPARE(panel.perGroupLayers(), std::set<std::string>{name});
        // The ranking colours it: its bar sits in the second (per-group) series.
        QCOMPARE(panel.ranking()->plot()->plottableCount(), 2);
        auto* perGroupBars = qobject_cast<QCPBars*>(panel.ranking()->plot()->plottable(1));
        QCOMPARE(perGroupBars->dataCount(), 1);
        const auto& ranked = panel.ranking()->ranked();
        QCOMPARE(ranked[size_t(perGroupBars->data()->at(0)->key)], name);

        QVERIFY(panel.toggleLayer(name));
        QCOMPARE(granularity(), int(qs::Granularity::PerChannel));
        QVERIFY(plan.plan().overrides.empty());  // back to the plain plan
        QVERIFY(panel.perGroupLayers().empty());

        // A click on the ranking's top bar toggles the most sensitive layer.
        QSignalSpy clicked(panel.ranking(), &KlRankView::layerClicked);
        panel.resize(1400, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        panel.ranking()->plot()->replot();
        QCustomPlot* bars = panel.ranking()->plot();
        const double topKl = qs::bySensitivity(*result_).front()->klMean;
        const QPoint top(int(bars->xAxis->coordToPixel(topKl / 2)), int(bars->yAxis->coordToPixel(0)));
        QTest::mouseClick(bars, Qt::LeftButton, {}, top);
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.first().first().value<std::string>(), qs::bySensitivity(*result_).front()->name);
        QCOMPARE(panel.perGroupLayers(), std::set<std::string>{qs::bySensitivity(*result_).front()->name});
    }

    void suggestLoadsTopK() {
        PlanTableModel plan;
        plan.setModelConfig(ckpt_->config);
        SensitivityPanel panel(&plan);
        panel.setResult(result_);
        panel.suggest();
        const qs::PlanSuggestion s = qs::suggestTopK(*result_, 0.03, 128);
        QCOMPARE(s.upgraded.size(), size_t(1));  // 3% of 28
        QCOMPARE(plan.plan().defaultSpec, s.plan.defaultSpec);
        QCOMPARE(panel.perGroupLayers(), std::set<std::string>(s.upgraded.begin(), s.upgraded.end()));
    }

    void activationViewShowsBothSeries() {
        ActivationView view;
        qs::TensorStats weights;
        weights.name = "model.layers.0.mlp.down_proj.weight";
        weights.colAbsmax = {0.1f, 0.2f, 0.9f, 0.3f, 0.2f};
        const std::vector<float> acts = {1.0f, 40.0f, 2.0f, 3.0f, 2.0f};
        view.setLayer(weights, acts);
        QCOMPARE(view.plot()->graphCount(), 2);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(view.plot()->graph(0)->data()->at(i)->value, double(weights.colAbsmax[size_t(i)]));
            QCOMPARE(view.plot()->graph(1)->data()->at(i)->value, double(acts[size_t(i)]));
        }
        QCOMPARE(view.weightSummary().max, double(0.9f));
        QCOMPARE(view.weightSummary().median, double(0.2f));
        QCOMPARE(view.activationSummary().max, 40.0);
        QCOMPARE(view.activationSummary().median, 2.0);
        QCOMPARE(view.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);

        view.setLayer(weights, {});  // no calibration statistics: weights alone
        QCOMPARE(view.plot()->graphCount(), 1);
        QCOMPARE(view.activationSummary().max, 0.0);
        view.setLayer(std::nullopt, {});
        QCOMPARE(view.plot()->graphCount(), 0);
    }

private:
    std::shared_ptr<const qs::Checkpoint> ckpt_;
    SensitivityResultPtr result_;
};

QTEST_MAIN(TestSensitivity)
#include "tst_sensitivity.moc"
