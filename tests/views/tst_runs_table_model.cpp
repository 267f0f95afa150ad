// The Runs table on real runs of qs-tiny-llama stored in a project file and
// listed back (perplexity, piqa accuracy, KL): it passes the model tester,
// shows the stored numbers in their columns, sorts numerically with empty
// cells last, and the Runs panel lists and appends them. Perplexity runs of
// an edited plan (evaluateRun recording each plan) show the layers that
// changed and the perplexity moved against the previous run.
#include <memory>

#include <QAbstractItemModelTester>
#include <QFile>
#include <QLabel>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include "eval/kl_eval.h"
#include "eval/perplexity.h"
#include "eval/task_eval.h"
#include "eval/task_readers.h"
#include "formats/checkpoint.h"
#include "layer_sort_proxy.h"
#include "model/llama_model.h"
#include "project/project_file.h"
#include "project/run_evaluation.h"
#include "quant/apply_plan.h"
#include "quant/quant_plan.h"
#include "runs_panel.h"
#include "runs_table_model.h"
#include "tokenize/tokenizer.h"

using qs::views::RunsTableModel;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
const QString kWikiText = QStringLiteral(QS_SHARED_DIR "/data/text/wikitext-2-raw.wiki.test.raw");
const QString kPiqa = QStringLiteral(QS_SHARED_DIR "/data/tasks/piqa/valid.jsonl");

std::string readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll().toStdString() : std::string();
}

QString cell(const QAbstractItemModel& m, int row, int column, int role = Qt::DisplayRole) {
    return m.index(row, column).data(role).toString();
}
}  // namespace

class TestRunsTableModel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        project_ = dir_.filePath(QStringLiteral("runs.qsproj.h5")).toStdString();
        ckpt_ = qs::openCheckpoint(kTinyLlama.toStdString());
        const qs::LlamaModel model(*ckpt_);
        const auto tokenizer = qs::tokenizerForCheckpoint(*ckpt_);
        qs::PerplexityOptions options;
        options.ctx = 128;
        options.maxWindows = 2;
        const auto windows = qs::perplexityWindows(model, *tokenizer, readAll(kWikiText), "wikitext", options);
        ppl_ = qs::evaluatePerplexity(model, windows, options);
        task_ = qs::evaluateTask(model, *tokenizer, qs::readTaskFile(kPiqa.toStdString(), qs::TaskType::Piqa, 4), {});
        // KL of a model whose down projections are halved against the plain one.
        const auto base = qs::computeBaseReference(model, windows, options, 0);
        qs::PerplexityOptions halved = options;
        halved.adjustBlock = [](qs::DecoderBlockWeights& b) {
            for (float& w : b[qs::Projection::Down].w) w *= 0.5f;
        };
        kl_ = qs::compareWithBase(model, base, windows, halved);

        qs::RunRecord run;
        run.model = ckpt_->path;
        run.kind = "perplexity";
        run.dataset = kWikiText.toStdString();
        run.seconds = 1.5;
        run.settings = {{"ctx", 128}, {"windows", 2}};
        run.metrics = qs::perplexityJson(ppl_);
        qs::addRun(project_, run);
        run.kind = "task";
        run.dataset = kPiqa.toStdString();
        run.seconds = 0.5;
        run.settings = {{"task_type", "piqa"}, {"limit", 4}};
        run.metrics = qs::taskScoreJson(task_);
        qs::addRun(project_, run);
        run.kind = "kl";
        run.plan = "down x0.5";
        run.dataset = kWikiText.toStdString();
        run.seconds = 2.0;
        run.settings = {{"ctx", 128}, {"windows", 2}};
        run.metrics = qs::klJson(kl_);
        qs::addRun(project_, run);
        runs_ = qs::listRuns(project_);
        QCOMPARE(runs_.size(), size_t(3));
    }

    void passesModelTester() {
        RunsTableModel model;
        qs::views::LayerSortProxy proxy;
        proxy.setSortRole(RunsTableModel::SortRole);
        proxy.setSourceModel(&model);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setRuns(runs_);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), int(RunsTableModel::ColumnCount));
        model.addRun(runs_[0]);
        QCOMPARE(model.rowCount(), 4);
        for (int c = 0; c < RunsTableModel::ColumnCount; ++c) proxy.sort(c, Qt::DescendingOrder);
        model.clear();
        QCOMPARE(proxy.rowCount(), 0);
    }

    void showsTheStoredNumbers() {
        RunsTableModel model;
        model.setRuns(runs_);
        // Row 0: perplexity.
        QCOMPARE(cell(model, 0, RunsTableModel::Id), QStringLiteral("run-0001"));
        QCOMPARE(cell(model, 0, RunsTableModel::Kind), QStringLiteral("perplexity"));
        QCOMPARE(cell(model, 0, RunsTableModel::Model), QStringLiteral("qs-tiny-llama"));
        QCOMPARE(cell(model, 0, RunsTableModel::Plan), QStringLiteral("unquantized"));
        QCOMPARE(cell(model, 0, RunsTableModel::Dataset), QStringLiteral("wikitext-2-raw.wiki.test.raw"));
        QCOMPARE(cell(model, 0, RunsTableModel::Perplexity),
                 QStringLiteral("%1 \u00b1 %2").arg(ppl_.ppl, 0, 'f', 3).arg(ppl_.pplStderr, 0, 'f', 3));
        QCOMPARE(model.index(0, RunsTableModel::Perplexity).data(RunsTableModel::SortRole).toDouble(), ppl_.ppl);
        QVERIFY(cell(model, 0, RunsTableModel::Accuracy).isEmpty());
        QVERIFY(!model.index(0, RunsTableModel::KlMean).data(RunsTableModel::SortRole).isValid());
        QCOMPARE(cell(model, 0, RunsTableModel::Seconds), QStringLiteral("1.5"));
        QVERIFY(cell(model, 0, RunsTableModel::Model, Qt::ToolTipRole).endsWith(QStringLiteral("qs-tiny-llama")));
        // Row 1: piqa.
        QCOMPARE(cell(model, 1, RunsTableModel::Dataset), QStringLiteral("valid.jsonl (piqa)"));
        QCOMPARE(cell(model, 1, RunsTableModel::Accuracy),
                 QStringLiteral("%1 / %2").arg(task_.acc, 0, 'f', 3).arg(task_.accNorm, 0, 'f', 3));
        QCOMPARE(model.index(1, RunsTableModel::Accuracy).data(RunsTableModel::SortRole).toDouble(), task_.acc);
        QVERIFY(cell(model, 1, RunsTableModel::Perplexity).isEmpty());
        // Row 2: KL of the halved down projections.
        QVERIFY(kl_.kl.meanKl > 0);
        QCOMPARE(cell(model, 2, RunsTableModel::Plan), QStringLiteral("down x0.5"));
        QCOMPARE(cell(model, 2, RunsTableModel::KlMean), QString::number(kl_.kl.meanKl, 'f', 5));
        QCOMPARE(cell(model, 2, RunsTableModel::KlP99), QString::number(kl_.kl.p99Kl, 'f', 4));
        QCOMPARE(cell(model, 2, RunsTableModel::Top1),
                 QStringLiteral("%1 %").arg(kl_.kl.top1Agreement * 100.0, 0, 'f', 1));
        QCOMPARE(model.index(2, RunsTableModel::DeltaPpl).data(RunsTableModel::SortRole).toDouble(), kl_.deltaPpl);
        QVERIFY(cell(model, 2, RunsTableModel::DeltaPpl).startsWith(kl_.deltaPpl >= 0 ? u'+' : u'-'));
        QCOMPARE(cell(model, 2, RunsTableModel::Perplexity),
                 QStringLiteral("%1 \u00b1 %2").arg(kl_.model.ppl, 0, 'f', 3).arg(kl_.model.pplStderr, 0, 'f', 3));
    }

    void sortsNumericallyWithEmptyCellsLast() {
        RunsTableModel model;
        model.setRuns(runs_);
        qs::views::LayerSortProxy proxy;
        proxy.setSortRole(RunsTableModel::SortRole);
        proxy.setSourceModel(&model);
        proxy.sort(RunsTableModel::Perplexity, Qt::AscendingOrder);
        // The perplexity and the KL run have a perplexity, the task run none.
        const double first = proxy.index(0, RunsTableModel::Perplexity).data(RunsTableModel::SortRole).toDouble();
        const double second = proxy.index(1, RunsTableModel::Perplexity).data(RunsTableModel::SortRole).toDouble();
        QCOMPARE(first, std::min(ppl_.ppl, kl_.model.ppl));
        QCOMPARE(second, std::max(ppl_.ppl, kl_.model.ppl));
        QCOMPARE(cell(proxy, 2, RunsTableModel::Kind), QStringLiteral("task"));
        proxy.sort(RunsTableModel::Seconds, Qt::DescendingOrder);
        QCOMPARE(cell(proxy, 0, RunsTableModel::Kind), QStringLiteral("kl"));
        QCOMPARE(cell(proxy, 2, RunsTableModel::Kind), QStringLiteral("task"));
    }

    void panelListsTheProjectAndAppends() {
        qs::views::RunsPanel panel;
        panel.setProject(QString::fromStdString(project_));
        QCOMPARE(panel.model()->rowCount(), 3);
        const QString line = panel.findChild<QLabel*>()->text();
        QVERIFY2(line.contains(QStringLiteral("3 run")) && line.contains(QString::fromStdString(project_)),
                 qPrintable(line));
        panel.addRun(runs_[1]);
        QCOMPARE(panel.model()->rowCount(), 4);
        QCOMPARE(panel.view()->selectionModel()->selectedRows().size(), 1);
        panel.setProject(dir_.filePath(QStringLiteral("none-yet.qsproj.h5")));
        QCOMPARE(panel.model()->rowCount(), 0);
        QVERIFY(panel.findChild<QLabel*>()->text().startsWith(QStringLiteral("No runs yet")));
    }

    void changesColumnDiffsAgainstThePreviousRun() {
        // Unquantized, then W8 per-channel everywhere, then with two down projections at g128.
        const std::string project = dir_.filePath(QStringLiteral("diff.qsproj.h5")).toStdString();
        const qs::LlamaModel llama(*ckpt_);
        const auto tokenizer = qs::tokenizerForCheckpoint(*ckpt_);
        qs::RunRequest request;
        request.dataset = kWikiText.toStdString();
        request.ctx = 128;
        request.maxWindows = 2;
        qs::QuantSpec w8;
        w8.bits = 8;
        w8.granularity = qs::Granularity::PerChannel;
        qs::QuantPlan plan = qs::uniformPlan(w8);
        std::vector<qs::QuantPlan> plans{plan};
        qs::QuantOverride grouped;
        grouped.regex = "model\\.layers\\.[03]\\.mlp\\.down_proj\\.weight";
        grouped.spec = w8;
        grouped.spec.granularity = qs::Granularity::PerGroup;
        grouped.spec.groupSize = 128;
        plan.overrides.push_back(grouped);
        plans.push_back(plan);
        qs::addRun(project, qs::evaluateRun(llama, *tokenizer, request));
        for (const qs::QuantPlan& p : plans) {
            request.planLabel = qs::quantPlanLabel(p);
            request.plan = qs::quantPlanToJson(p);
            request.adjustBlock = qs::onTheFlyBlockAdjuster(p, ckpt_->config);
            qs::addRun(project, qs::evaluateRun(llama, *tokenizer, request));
        }
        for (int i = 0; i < 2; ++i) qs::addRun(project, runs_[2]);  // a KL run whose plan was not recorded, twice
        const std::vector<qs::RunRecord> runs = qs::listRuns(project);
        QCOMPARE(runs.size(), size_t(5));
        QVERIFY(runs[2].settings.at("plan") == qs::quantPlanToJson(plans[1]));
        QVERIFY(!runs[0].settings.contains("plan"));  // the unquantized model has none

        RunsTableModel table;
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        table.setRuns(runs);
        // Without the model's size there is nothing to diff against.
        QVERIFY(cell(table, 2, RunsTableModel::Changes).isEmpty());
        table.setNumLayers(int(ckpt_->config.numLayers));
        QCOMPARE(table.previousRow(0), -1);
        QCOMPARE(table.previousRow(1), 0);
        QCOMPARE(table.previousRow(2), 1);
        QCOMPARE(table.previousRow(4), 3);
        QVERIFY(cell(table, 0, RunsTableModel::Changes).isEmpty());
        QVERIFY(!table.index(0, RunsTableModel::PplVsPrevious).data(RunsTableModel::SortRole).isValid());
        // From the unquantized run: every block projection (lm_head stays skipped).
        QCOMPARE(cell(table, 1, RunsTableModel::Changes), QStringLiteral("28 layers -> W8 per-channel RTN"));
        // The edit: exactly the two down projections.
        QCOMPARE(cell(table, 2, RunsTableModel::Changes), QStringLiteral("2 layers -> W8 g128 RTN"));
        const QString tip = cell(table, 2, RunsTableModel::Changes, Qt::ToolTipRole);
        QVERIFY2(tip.contains(QStringLiteral("run-0002")) &&
                     tip.contains(QStringLiteral("blocks 0,3 down_proj W8 per-channel RTN -> W8 g128 RTN")) &&
                     tip.contains(QStringLiteral("model.layers.3.mlp.down_proj.weight")),
                 qPrintable(tip));
        QCOMPARE(table.planChanges(2)->size(), size_t(2));
        for (int row = 1; row <= 2; ++row) {
            const double delta = runs[size_t(row)].metrics.at("ppl").get<double>() -
                                 runs[size_t(row) - 1].metrics.at("ppl").get<double>();
            QCOMPARE(table.index(row, RunsTableModel::PplVsPrevious).data(RunsTableModel::SortRole).toDouble(), delta);
            QVERIFY(delta != 0.0);  // W8 moves the perplexity, and so does the grid of two layers
            QCOMPARE(cell(table, row, RunsTableModel::PplVsPrevious),
                     QStringLiteral("%1%2").arg(delta >= 0 ? QStringLiteral("+") : QString()).arg(delta, 0, 'f', 3));
        }
        QVERIFY(!table.index(2, RunsTableModel::KlVsPrevious).data(RunsTableModel::SortRole).isValid());
        // The KL runs: the same numbers (delta 0), plans unknown.
        QCOMPARE(cell(table, 4, RunsTableModel::Changes), QStringLiteral("plan not recorded"));
        QCOMPARE(table.index(4, RunsTableModel::KlVsPrevious).data(RunsTableModel::SortRole).toDouble(), 0.0);
        QCOMPARE(cell(table, 4, RunsTableModel::KlVsPrevious), QStringLiteral("+0.00000"));

        qs::views::RunsPanel panel;
        panel.setProject(QString::fromStdString(project), int(ckpt_->config.numLayers));
        QCOMPARE(cell(*panel.model(), 2, RunsTableModel::Changes), QStringLiteral("2 layers -> W8 g128 RTN"));
        panel.addRun(runs[2]);  // the same plan again
        QCOMPARE(cell(*panel.model(), 5, RunsTableModel::Changes), QStringLiteral("same plan"));
        QCOMPARE(panel.model()->previousRow(5), 2);
    }

private:
    QTemporaryDir dir_;
    std::string project_;
    std::shared_ptr<const qs::Checkpoint> ckpt_;
    qs::PerplexityResult ppl_;
    qs::TaskScore task_;
    qs::KlResult kl_;
    std::vector<qs::RunRecord> runs_;
};

QTEST_MAIN(TestRunsTableModel)
#include "tst_runs_table_model.moc"
