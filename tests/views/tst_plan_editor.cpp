// The Plan tab on qs-tiny-llama: presets set the default spec; an edit of a
// multi-selection through the delegate changes every selected row; save and
// load round-trip the plan; a bad plan file is reported naming its line
// (also by `quantscope --plan`); a plan that needs calibration is refused in
// the status line; "Evaluate this plan" for W8 RTN stores a run labelled
// with the plan whose perplexity is the core's with the same adjuster; a
// layer picked in the plan is selected in the layer table, and back.
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStyle>
#include <QStyleOptionViewItem>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "eval/perplexity.h"
#include "evaluate_panel.h"
#include "formats/checkpoint.h"
#include "layer_table_model.h"
#include "layer_table_panel.h"
#include "main_window.h"
#include "model/llama_model.h"
#include "plan_editor_panel.h"
#include "plan_item_delegate.h"
#include "plan_presets.h"
#include "plan_table_model.h"
#include "quant/apply_plan.h"
#include "quant/quant_plan.h"
#include "tokenize/tokenizer.h"

using qs::views::PlanEditorPanel;
using qs::views::PlanTableModel;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
const QString kWikiText = QStringLiteral(QS_SHARED_DIR "/data/text/wikitext-2-raw.wiki.test.raw");
constexpr int kTimeoutMs = 300000;

QString quantscopeBinary() { return QCoreApplication::applicationDirPath() + QStringLiteral("/../bin/quantscope"); }

std::string readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll().toStdString() : std::string();
}

QString writeFile(const QString& path, const QByteArray& text) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return {};
    f.write(text);
    return path;
}
}  // namespace

class TestPlanEditor : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(dir_.isValid());
        qputenv("XDG_CACHE_HOME", dir_.filePath(QStringLiteral("cache")).toLocal8Bit());
        ckpt_ = qs::openCheckpoint(kTinyLlama.toStdString());
    }

    void presetsSetTheDefault() {
        PlanEditorPanel panel;
        panel.setModelConfig(&ckpt_->config);
        QCOMPARE(panel.presets()->count(), 1 + int(qs::views::planPresets().size()));
        QVERIFY(panel.model()->setCellValue({4}, PlanTableModel::Bits, 6));  // an override survives presets
        for (int i = 1; i < panel.presets()->count(); ++i) {
            emit panel.presets()->activated(i);
            QCOMPARE(panel.model()->plan().defaultSpec, qs::views::planPresets()[size_t(i - 1)].spec);
            QCOMPARE(panel.presets()->currentIndex(), i);
            QCOMPARE(panel.model()->index(0, PlanTableModel::Label).data().toString(),
                     QString::fromStdString(qs::quantSpecLabel(panel.model()->plan().defaultSpec)));
        }
        const qs::QuantSpec w8a8 = qs::views::planPresets()[0].spec;
        QCOMPARE(w8a8.bits, 8);
        QCOMPARE(w8a8.granularity, qs::Granularity::PerChannel);
        QCOMPARE(w8a8.activation.format, qs::ActivationFormat::Int8);
        QVERIFY(w8a8.activation.perToken);
        QCOMPARE(qs::views::planPresets()[4].spec.format, qs::WeightFormat::F8E4M3);
        QCOMPARE(qs::views::planPresets()[5].spec.method, qs::QuantMethod::Gptq);
        // The last preset (SmoothQuant W8A8) is 8-bit, so row 4's 6 bits still differ from it.
        QCOMPARE(panel.model()->plan().overrides.size(), size_t(1));
        // The default row's bits editor edits the default.
        auto* bits = panel.findChildren<QSpinBox*>().value(0);
        QVERIFY(bits);
        bits->setValue(5);
        QCOMPARE(panel.model()->plan().defaultSpec.bits, 5);
        QCOMPARE(panel.presets()->currentIndex(), 0);  // "Custom default"
    }

    void delegateEditAppliesToTheSelection() {
        PlanEditorPanel panel;
        panel.setModelConfig(&ckpt_->config);
        panel.model()->setPlan(qs::uniformPlan(qs::views::planPresets()[1].spec));  // W4 g128
        QTableView* view = panel.view();
        auto* delegate = qobject_cast<qs::views::PlanItemDelegate*>(view->itemDelegate());
        QVERIFY(delegate);
        // Filter to the MLP down projections, select them all, edit one bits cell.
        panel.filterEdit()->setText(QStringLiteral("down_proj"));
        QCOMPARE(view->model()->rowCount(), 4);
        view->selectAll();
        const QModelIndex cell = view->model()->index(2, PlanTableModel::Bits);
        QCOMPARE(delegate->targetRows(cell).size(), 4);
        std::unique_ptr<QWidget> editor(delegate->createEditor(view->viewport(), {}, cell));
        auto* spin = qobject_cast<QSpinBox*>(editor.get());
        QVERIFY(spin);
        delegate->setEditorData(spin, cell);
        QCOMPARE(spin->value(), 4);
        spin->setValue(8);
        delegate->setModelData(spin, view->model(), cell);
        const qs::QuantPlan& plan = panel.model()->plan();
        QCOMPARE(plan.overrides.size(), size_t(4));
        for (int row = 0; row < panel.model()->rowCount() - 1; ++row)
            QCOMPARE(qs::resolve(plan, panel.model()->layerName(row))->bits, row % 7 == 6 ? 8 : 4);
        // With the mouse: select three rows, double-click a cell of one of them, pick a value.
        panel.filterEdit()->clear();
        panel.resize(1200, 800);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        view->selectionModel()->select(QItemSelection(view->model()->index(0, 0), view->model()->index(2, 0)),
                                       QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        const QRect granularity = view->visualRect(view->model()->index(1, PlanTableModel::Granularity));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, granularity.center());
        QCOMPARE(view->selectionModel()->selectedRows().size(), 3);  // a click inside keeps the selection
        QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, granularity.center());
        auto* combo = qobject_cast<QComboBox*>(QApplication::focusWidget());
        QVERIFY(combo);
        combo->setCurrentIndex(combo->findData(int(qs::Granularity::PerTensor)));
        emit combo->activated(combo->currentIndex());
        for (int row = 0; row < 7; ++row)
            QCOMPARE(qs::resolve(plan, panel.model()->layerName(row))->granularity,
                     row < 3 ? qs::Granularity::PerTensor : qs::Granularity::PerGroup);
        QCOMPARE(plan.overrides.size(), size_t(7));
        // Unticking the check box of a selected row unticks the whole selection.
        QStyleOptionViewItem option;
        option.initFrom(view->viewport());
        option.rect = view->visualRect(view->model()->index(1, PlanTableModel::Quantized));
        option.features = QStyleOptionViewItem::HasCheckIndicator;
        const QRect box = view->style()->subElementRect(QStyle::SE_ItemViewItemCheckIndicator, &option, view);
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, box.center());
        for (int row = 0; row < 7; ++row) QCOMPARE(qs::resolve(plan, panel.model()->layerName(row)).has_value(), row >= 3);
        QCOMPARE(view->selectionModel()->selectedRows().size(), 3);

        // A cell outside the selection is edited alone.
        view->clearSelection();
        QCOMPARE(delegate->targetRows(view->model()->index(20, PlanTableModel::Bits)), QList<int>{20});

        // Picking a layer selects it in the window's layer table too.
        qs::views::MainWindow window(false);
        QVERIFY(window.openModel(kTinyLlama));
        PlanEditorPanel* windowPanel = window.planEditor();
        windowPanel->view()->selectRow(13);
        const int tensor = window.layerModel()->rowOf(QStringLiteral("model.layers.1.mlp.down_proj.weight"));
        QVERIFY(tensor >= 0);
        QCOMPARE(window.layerTable()->selectedTensors(), QList<int>{tensor});
        // And the other way: a tensor picked in the layer table is the plan's current row.
        window.layerTable()->selectTensor(window.layerModel()->rowOf(QStringLiteral("model.layers.3.self_attn.k_proj.weight")));
        QCOMPARE(windowPanel->view()->currentIndex().row(), 22);
        QCOMPARE(windowPanel->view()->selectionModel()->selectedRows().size(), 1);
        // A norm has no plan row: the plan keeps its row.
        window.layerTable()->selectTensor(window.layerModel()->rowOf(QStringLiteral("model.norm.weight")));
        QCOMPARE(windowPanel->view()->currentIndex().row(), 22);
    }

    void saveLoadRoundTrip() {
        PlanEditorPanel panel;
        panel.setModelConfig(&ckpt_->config);
        QVERIFY(panel.model()->setCellValue({0, 1}, PlanTableModel::Bits, 8));
        QVERIFY(panel.model()->setCellValue({5}, PlanTableModel::Quantized, false));
        QVERIFY(panel.model()->setCellValue({6}, PlanTableModel::Activation, 1));  // int8-token
        const QString path = dir_.filePath(QStringLiteral("plan.json"));
        QCOMPARE(panel.savePlanFile(path), QString());

        PlanEditorPanel other;
        other.setModelConfig(&ckpt_->config);
        QCOMPARE(other.loadPlanFile(path), QString());
        QCOMPARE(qs::quantPlanToJson(other.model()->plan()), qs::quantPlanToJson(panel.model()->plan()));
        QCOMPARE(other.model()->plan().overrides.size(), size_t(4));
        for (int row = 0; row < other.model()->rowCount(); ++row)
            QCOMPARE(qs::resolve(other.model()->plan(), other.model()->layerName(row)),
                     qs::resolve(panel.model()->plan(), panel.model()->layerName(row)));
    }

    void badPlanFileNamesTheLine() {
        PlanEditorPanel panel;
        panel.setModelConfig(&ckpt_->config);
        const qs::QuantPlan before = panel.model()->plan();
        const QString syntax = writeFile(dir_.filePath(QStringLiteral("syntax.json")),
                                         "{\n  \"default\": {\"method\": \"rtn\"},\n  \"overrides\": [\n    {\"name\": }\n  ]\n}\n");
        QString error = panel.loadPlanFile(syntax);
        QVERIFY2(error.contains(QStringLiteral("line 4")), qPrintable(error));
        QVERIFY(error.contains(syntax));
        QCOMPARE(panel.statusText(), error);
        const QString semantic = writeFile(
            dir_.filePath(QStringLiteral("semantic.json")),
            "{\n  \"overrides\": [\n    {\"name\": \"model.layers.0.mlp.up_proj.weight\", \"weight\": {\"bits\": 8}},\n"
            "    {\"name\": \"model.layers.1.mlp.up_proj.weight\",\n     \"weight\": {\"bits\": 12}}\n  ]\n}\n");
        error = panel.loadPlanFile(semantic);
        QVERIFY2(error.contains(QStringLiteral("line 4")) && error.contains(QStringLiteral("bits")), qPrintable(error));
        // The plan in the editor is untouched.
        QCOMPARE(qs::quantPlanToJson(panel.model()->plan()), qs::quantPlanToJson(before));

        // The command line reports it and exits non-zero.
        QProcess app;
        app.start(quantscopeBinary(), {QStringLiteral("--open"), kTinyLlama, QStringLiteral("--plan"), semantic,
                                       QStringLiteral("--screenshot"), dir_.filePath(QStringLiteral("never.png")),
                                       QStringLiteral("-platform"), QStringLiteral("offscreen")});
        QVERIFY(app.waitForFinished(kTimeoutMs));
        QCOMPARE(app.exitCode(), 1);
        const QString stderrText = QString::fromUtf8(app.readAllStandardError());
        QVERIFY2(stderrText.contains(QStringLiteral("line 4")), qPrintable(stderrText));
        QVERIFY(!QFile::exists(dir_.filePath(QStringLiteral("never.png"))));
    }

    void calibrationPlanIsRefusedInTheStatusLine() {
        PlanEditorPanel panel;
        panel.setModelConfig(&ckpt_->config);
        panel.model()->setDefaultSpec(qs::views::planPresets()[5].spec);  // W4 g128 GPTQ
        QSignalSpy chosen(&panel, &PlanEditorPanel::planChosen);
        QTest::mouseClick(panel.evaluateButton(), Qt::LeftButton);
        QCOMPARE(chosen.count(), 0);
        QVERIFY2(panel.statusText().contains(QStringLiteral("needs calibration")), qPrintable(panel.statusText()));
    }

    void evaluateThisPlanIsTheCorePerplexity() {
        qs::views::MainWindow window(false);
        QVERIFY(window.openModel(kTinyLlama));
        qs::QuantSpec w8;
        w8.bits = 8;
        w8.granularity = qs::Granularity::PerChannel;
        PlanEditorPanel* panel = window.planEditor();
        panel->model()->setDefaultSpec(w8);
        QVERIFY(panel->model()->setCellValue({3}, PlanTableModel::Bits, 6));
        const qs::QuantPlan plan = panel->model()->plan();
        QCOMPARE(QString::fromStdString(qs::quantPlanLabel(plan)), QStringLiteral("W8 per-channel RTN (+1 override)"));

        window.evaluatePanel()->setPerplexityRun(kWikiText, 128, 4);
        QSignalSpy finished(&window, &qs::views::MainWindow::evaluationFinished);
        QSignalSpy errors(&window, &qs::views::MainWindow::errorOccurred);
        QTest::mouseClick(panel->evaluateButton(), Qt::LeftButton);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(errors.count(), 0);
        const qs::RunRecord run = finished.at(0).at(0).value<qs::RunRecord>();
        QCOMPARE(run.plan, qs::quantPlanLabel(plan));

        const qs::LlamaModel model(*ckpt_);
        const auto tokenizer = qs::tokenizerForCheckpoint(*ckpt_);
        qs::PerplexityOptions options;
        options.ctx = 128;
        options.maxWindows = 4;
        options.adjustBlock = qs::onTheFlyBlockAdjuster(plan, ckpt_->config);
        const auto windows = qs::perplexityWindows(model, *tokenizer, readAll(kWikiText), "wikitext", options);
        const double expected = qs::evaluatePerplexity(model, windows, options).ppl;
        QCOMPARE(run.metrics.at("ppl").get<double>(), expected);
        // Quantization moved the number: the run is not the unquantized model's.
        qs::PerplexityOptions plain = options;
        plain.adjustBlock = nullptr;
        QVERIFY(run.metrics.at("ppl").get<double>() != qs::evaluatePerplexity(model, windows, plain).ppl);
    }

private:
    QTemporaryDir dir_;
    std::shared_ptr<const qs::Checkpoint> ckpt_;
};

QTEST_MAIN(TestPlanEditor)
#include "tst_plan_editor.moc"
