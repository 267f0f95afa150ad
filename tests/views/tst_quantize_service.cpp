// Quantizing from the GUI on qs-tiny-llama: the service gives exactly the
// blocks of core's quantizePlanWithCalibration on the same calibration set
// (GPTQ W4 g128, 8 x 64 tokens of the held-out text) and saves the
// activation statistics; cancel keeps nothing; a missing calibration file
// fails naming it; the report model passes QAbstractItemModelTester and shows
// core's numbers; Quantize in the Plan tab makes "Evaluate this plan" use the
// quantized blocks, and the stored perplexity is core's with substituteBlocks.
#include <cmath>
#include <memory>

#include <QAbstractItemModelTester>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "eval/perplexity.h"
#include "eval_service.h"
#include "evaluate_panel.h"
#include "formats/checkpoint.h"
#include "main_window.h"
#include "model/llama_model.h"
#include "plan_editor_panel.h"
#include "plan_presets.h"
#include "plan_table_model.h"
#include "project/activation_store.h"
#include "project/project_file.h"
#include "quant/calibrated_model.h"
#include "quant/calibration.h"
#include "quant/plan_quantizer.h"
#include "quant_report_model.h"
#include "quantize_panel.h"
#include "quantize_service.h"
#include "tokenize/tokenizer.h"

using qs::views::QuantizeRequest;
using qs::views::QuantizeResultPtr;
using qs::views::QuantizeService;
using qs::views::QuantReportModel;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
const QString kHeldOut = QStringLiteral(QS_SHARED_DIR "/data/text/frankenstein-heldout.txt");
const QString kWikiText = QStringLiteral(QS_SHARED_DIR "/data/text/wikitext-2-raw.wiki.test.raw");
constexpr int kTimeoutMs = 300000;
constexpr int kSettleMs = 300;  // time for a wrongly delivered result to show up

qs::QuantPlan gptqPlan() {
    for (const qs::views::PlanPreset& p : qs::views::planPresets())
        if (p.name == QStringLiteral("W4 g128 GPTQ")) return qs::uniformPlan(p.spec);
    return {};
}

qs::CalibrationOptions smallCalibration() {
    qs::CalibrationOptions o;
    o.sequences = 8;
    o.length = 64;
    return o;
}

std::string readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll().toStdString() : std::string();
}
}  // namespace

class TestQuantizeService : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        // The shared model directory is read-only: the window's project goes to this cache.
        qputenv("XDG_CACHE_HOME", dir_.filePath(QStringLiteral("cache")).toLocal8Bit());
        ckpt_ = qs::openCheckpoint(kTinyLlama.toStdString());
        QCOMPARE(gptqPlan().defaultSpec.method, qs::QuantMethod::Gptq);
    }

    void blocksAreTheCoreResultAndStatisticsAreSaved() {
        const QString project = dir_.filePath(QStringLiteral("gptq.qsproj.h5"));
        QuantizeService service;
        QSignalSpy finished(&service, &QuantizeService::finished);
        QSignalSpy failed(&service, &QuantizeService::failed);
        QSignalSpy progress(&service, &QuantizeService::progress);
        service.start(request(kHeldOut, smallCalibration(), project));
        QVERIFY(service.isRunning());
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(failed.count(), 0);
        QVERIFY(!service.isRunning());
        const auto result = finished.at(0).at(0).value<QuantizeResultPtr>();
        QVERIFY(result);

        const qs::LlamaModel model(*ckpt_);
        const auto tokenizer = qs::tokenizerForCheckpoint(*ckpt_);
        const qs::TokenBatch calibration =
            qs::calibrationFromFile(*tokenizer, kHeldOut.toStdString(), smallCalibration(), model.config());
        const qs::PlanQuantizeResult expected = qs::quantizePlanWithCalibration(model, gptqPlan(), calibration);

        QCOMPARE(result->model.blocks.size(), size_t(4));
        QCOMPARE(result->model.blocks.size(), expected.model.blocks.size());
        for (size_t b = 0; b < expected.model.blocks.size(); ++b)
            for (int p = 0; p < qs::kProjectionCount; ++p)
                QVERIFY2(result->model.blocks[b].linear[size_t(p)].w == expected.model.blocks[b].linear[size_t(p)].w,
                         qPrintable(QStringLiteral("block %1 projection %2").arg(b).arg(p)));
        QCOMPARE(result->layers.size(), size_t(4 * 7));
        for (size_t i = 0; i < expected.layers.size(); ++i) {
            QCOMPARE(result->layers[i].name, expected.layers[i].name);
            QCOMPARE(result->layers[i].method, std::string("gptq"));
            QCOMPARE(result->layers[i].relativeError, expected.layers[i].relativeError);
        }

        // The statistics the activation views read: every linear's inputs.
        const auto stored = qs::loadActivationStats(project.toStdString());
        QCOMPARE(stored.size(), expected.activations.size());
        QCOMPARE(stored.size(), size_t(4 * 7));
        QCOMPARE(stored[0].name, expected.activations[0].name);

        // One step per block, "Block 1 of 4" .. "Block 4 of 4", fractions in [0, 1].
        QStringList stages;
        for (const auto& args : progress) {
            QVERIFY(args.at(0).toDouble() >= 0.0 && args.at(0).toDouble() <= 1.0);
            stages << args.at(2).toString();
        }
        for (int b = 1; b <= 4; ++b)
            QVERIFY2(stages.contains(QStringLiteral("Block %1 of 4").arg(b)), qPrintable(stages.join(u'|')));
    }

    void cancelKeepsNothing() {
        const QString project = dir_.filePath(QStringLiteral("cancel.qsproj.h5"));
        QuantizeService service;
        QSignalSpy finished(&service, &QuantizeService::finished);
        QSignalSpy cancelled(&service, &QuantizeService::cancelled);
        QSignalSpy progress(&service, &QuantizeService::progress);
        qs::CalibrationOptions large;  // 128 x 512 tokens: seconds per block, so Cancel lands mid-job
        large.length = 512;
        service.start(request(kHeldOut, large, project));
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(2).toString().startsWith(u"Block"),
                                 kTimeoutMs);
        service.cancel();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QTest::qWait(kSettleMs);
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(finished.count(), 0);
        QVERIFY(!service.isRunning());
        QVERIFY(qs::loadActivationStats(project.toStdString()).empty());
    }

    void missingCalibrationFileFailsNamingIt() {
        const QString missing = dir_.filePath(QStringLiteral("no-such-calibration.txt"));
        QuantizeService service;
        QSignalSpy failed(&service, &QuantizeService::failed);
        QSignalSpy finished(&service, &QuantizeService::finished);
        service.start(request(missing, smallCalibration(), {}));
        QVERIFY(failed.wait(kTimeoutMs));
        QCOMPARE(finished.count(), 0);
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.contains(missing), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("calibration")), qPrintable(message));
    }

    void reportModelShowsTheCoreNumbers() {
        std::vector<qs::LayerQuantReport> rows = {
            {"model.layers.0.self_attn.q_proj.weight", "gptq", 0.0123, std::nan(""), std::nan(""), 0.25},
            {"model.layers.0 attention group", "smoothquant", 0.002, 0.0041, 0.5, 1.5},
        };
        QuantReportModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setReport(rows);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(QuantReportModel::ColumnCount));
        const auto cell = [&](int row, int column, int role = Qt::DisplayRole) {
            return model.data(model.index(row, column), role);
        };
        QCOMPARE(cell(0, QuantReportModel::Layer).toString(), QStringLiteral("model.layers.0.self_attn.q_proj.weight"));
        QCOMPARE(cell(0, QuantReportModel::Method).toString(), QStringLiteral("gptq"));
        QCOMPARE(cell(0, QuantReportModel::RelativeError).toString(), QStringLiteral("0.0123"));
        QCOMPARE(cell(0, QuantReportModel::BaselineError).toString(), QStringLiteral("\u2014"));
        QVERIFY(std::isnan(cell(0, QuantReportModel::BaselineError, QuantReportModel::ValueRole).toDouble()));
        QCOMPARE(cell(1, QuantReportModel::BaselineError, QuantReportModel::ValueRole).toDouble(), 0.0041);
        QCOMPARE(cell(1, QuantReportModel::Exponent).toString(), QStringLiteral("0.50"));
        QCOMPARE(cell(1, QuantReportModel::Seconds).toString(), QStringLiteral("1.500"));
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    // The Plan tab's Quantize: the report is core's, "Evaluate this plan" is
    // refused before and uses the quantized blocks after, and the stored
    // perplexity is core's with substituteBlocks of the same quantization.
    void quantizedPlanIsEvaluatedWithTheQuantizedBlocks() {
        qs::views::MainWindow window(false);
        QSignalSpy stats(&window, &qs::views::MainWindow::statsFinished);
        QVERIFY(window.openModel(kTinyLlama));
        QVERIFY(stats.wait(kTimeoutMs));
        qs::views::PlanEditorPanel* plan = window.planEditor();
        qs::views::QuantizePanel* quantize = plan->quantizePanel();
        plan->model()->setDefaultSpec(gptqPlan().defaultSpec);
        QVERIFY(!plan->evaluatePlan());
        QVERIFY2(plan->statusText().contains(QStringLiteral("Quantize")), qPrintable(plan->statusText()));

        QSignalSpy quantized(&window, &qs::views::MainWindow::quantizationFinished);
        QSignalSpy evaluated(&window, &qs::views::MainWindow::evaluationFinished);
        window.quantizeWithCalibration(kHeldOut, 8, 64);
        QVERIFY(quantized.wait(kTimeoutMs));
        const QuantizeResultPtr result = quantize->resultFor(plan->model()->plan());
        QVERIFY(result);
        QCOMPARE(quantize->reportModel()->rowCount(), 28);
        QCOMPARE(quantize->reportModel()->data(quantize->reportModel()->index(0, QuantReportModel::RelativeError),
                                               QuantReportModel::ValueRole).toDouble(),
                 result->layers[0].relativeError);
        QVERIFY(quantize->quantizeButton()->isEnabled());

        window.evaluateText(kWikiText, 128, 4);
        QVERIFY(evaluated.wait(kTimeoutMs));
        const qs::RunRecord run = evaluated.at(0).at(0).value<qs::RunRecord>();
        QVERIFY2(QString::fromStdString(run.plan).contains(QStringLiteral("frankenstein-heldout.txt (8 \u00d7 64)")),
                 run.plan.c_str());

        const qs::LlamaModel model(*ckpt_);
        const auto tokenizer = qs::tokenizerForCheckpoint(*ckpt_);
        qs::PerplexityOptions options;
        options.ctx = 128;
        options.maxWindows = 4;
        options.adjustBlock = qs::substituteBlocks(result->model);
        const auto windows = qs::perplexityWindows(model, *tokenizer, readAll(kWikiText), "wikitext", options);
        const qs::PerplexityResult expected = qs::evaluatePerplexity(model, windows, options);
        QCOMPARE(run.metrics.at("ppl").get<double>(), expected.ppl);
        qs::PerplexityOptions unquantized = options;
        unquantized.adjustBlock = {};
        QVERIFY(qs::evaluatePerplexity(model, windows, unquantized).ppl != expected.ppl);

        // An edited plan no longer matches the quantized one.
        plan->model()->setDefaultSpec(qs::QuantSpec{});
        QVERIFY(!quantize->resultFor(plan->model()->plan()));
    }

private:
    QuantizeRequest request(const QString& file, const qs::CalibrationOptions& options, const QString& project) const {
        QuantizeRequest r;
        r.checkpoint = ckpt_;
        r.plan = gptqPlan();
        r.calibrationFile = file;
        r.calibration = options;
        r.projectPath = project;
        return r;
    }

    QTemporaryDir dir_;
    std::shared_ptr<const qs::Checkpoint> ckpt_;
};

QTEST_MAIN(TestQuantizeService)
#include "tst_quantize_service.moc"
