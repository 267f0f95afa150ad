// Sweeps from the GUI on qs-tiny-llama: the service stores the same runs the
// core sweep does (baseline + RTN W8 g128 on WikiText-2), announces each, and
// a second start skips them all; the Sweep tab's form builds those options,
// its texts and tasks the same metrics as the CLI's --text/--kl/--task, and
// says what it lacks before Run.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "formats/checkpoint.h"
#include "main_window.h"
#include "project/project_file.h"
#include "sweep_metrics_form.h"
#include "sweep_panel.h"
#include "sweep_service.h"

using qs::views::SweepMetricsForm;
using qs::views::SweepPanel;
using qs::views::SweepRequest;
using qs::views::SweepService;
using qs::views::SweepTaskChoice;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
const std::string kWikiText = QS_SHARED_DIR "/data/text/wikitext-2-raw.wiki.test.raw";
const QString kWiki = QString::fromStdString(kWikiText);
const QString kPtb = QStringLiteral(QS_SHARED_DIR "/data/text/ptb.test.txt");
const QString kPiqa = QStringLiteral(QS_SHARED_DIR "/data/tasks/piqa/valid.jsonl");
constexpr int kPiqaLimit = 5;  // items: enough for an accuracy, few enough for seconds
constexpr int kTimeoutMs = 300000;

QStringList metricKeys(const std::vector<qs::SweepMetric>& metrics) {
    QStringList keys;
    for (const qs::SweepMetric& m : metrics) keys.append(QString::fromStdString(m.key(64, 1)));
    return keys;
}

qs::SweepOptions smallSweep() {
    qs::SweepOptions o;
    o.name = "gui";
    o.grid = qs::parseSweepGrid("rtn", "8", "128");
    o.metrics = {qs::SweepMetric{qs::RunKind::Perplexity, kWikiText}};
    o.ctx = 64;
    o.maxWindows = 2;
    return o;
}
}  // namespace

class TestSweepService : public QObject {
    Q_OBJECT
private slots:
    void storesEveryCellThenSkipsThem() {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("p.qsproj.h5"));
        SweepService service;
        QSignalSpy stored(&service, &SweepService::runStored);
        QSignalSpy finished(&service, &SweepService::finished);
        QSignalSpy failed(&service, &SweepService::failed);
        QSignalSpy progress(&service, &SweepService::progress);
        SweepRequest request{qs::openCheckpoint(kTinyLlama.toStdString()), smallSweep(), project};
        service.start(request);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(failed.count(), 0);
        QCOMPARE(stored.count(), 2);
        QCOMPARE(finished.at(0).at(0).toInt(), 2);
        const auto runs = qs::listRuns(project.toStdString());
        QCOMPARE(runs.size(), size_t(2));
        QCOMPARE(QString::fromStdString(runs[1].settings["sweep"]["cell"]), QStringLiteral("rtn-w8-g128"));
        QVERIFY(runs[1].metrics["ppl"].get<double>() > 1.0);
        // Overall progress never goes back; each run's own progress stays in [0, 1].
        QVERIFY(progress.count() > 2);
        double last = 0.0;
        for (const QList<QVariant>& p : progress) {
            QVERIFY(p.at(0).toDouble() >= last);
            last = p.at(0).toDouble();
            QVERIFY(p.at(1).toDouble() >= 0.0 && p.at(1).toDouble() <= 1.0);
        }
        QVERIFY(last > 0.5);

        service.start(request);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.at(1).at(0).toInt(), 0);  // stored
        QCOMPARE(finished.at(1).at(1).toInt(), 2);  // skipped
    }

    void theTabRunsTheFormsSweep() {
        QTemporaryDir cache;
        qputenv("XDG_CACHE_HOME", cache.path().toUtf8());
        qs::views::MainWindow window(false);
        QSignalSpy stats(&window, &qs::views::MainWindow::statsFinished);
        QVERIFY(window.openModel(kTinyLlama));
        QVERIFY(stats.wait(kTimeoutMs));
        QSignalSpy done(&window, &qs::views::MainWindow::sweepFinished);
        QSignalSpy stored(window.sweepService(), &SweepService::runStored);
        // The form's grid: RTN/GPTQ/AWQ at 2, 3, 4, 8 bits, GPTQ and AWQ calibrated on the text given.
        window.sweepPanel()->setRun(kWiki, kWiki, 64, 1, 0, 0);
        const qs::SweepOptions o = window.sweepPanel()->options();
        QCOMPARE(o.grid.bits.size(), size_t(4));
        QCOMPARE(o.grid.methods.size(), size_t(3));
        QCOMPARE(o.ctx, int64_t(64));
        QCOMPARE(o.maxWindows, int64_t(1));
        QCOMPARE(QString::fromStdString(o.calibPath.value_or("")), kWiki);
        // Without calibration GPTQ/AWQ cells are refused before any run, in the panel.
        window.sweepText(kWiki, {}, 64, 1, 0, 0);
        QVERIFY(!window.sweepService()->isRunning());
        QCOMPARE(window.sweepPanel()->statusText(), QStringLiteral("GPTQ calibrates: choose a calibration text, or untick it."));
        QVERIFY(!done.wait(200));
        QCOMPARE(stored.count(), 0);
    }

    // quantscope-cli sweep ... --text WIKI --text PTB --kl --task PIQA --task-type piqa --limit 5
    // builds [ppl WIKI, kl WIKI, ppl PTB, kl PTB, task PIQA piqa 5] (cmd_sweep_hdf5.cpp); so does the form,
    // and a sweep of RTN W8 g128 stores those runs in that order.
    void theFormBuildsTheClisMetrics() {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("p.qsproj.h5"));
        SweepService service;
        SweepPanel panel(&service);
        const std::shared_ptr<const qs::Checkpoint> checkpoint = qs::openCheckpoint(kTinyLlama.toStdString());
        panel.setModel(checkpoint, project);
        panel.setRun(kWiki, {}, 64, 1, 0, 0);
        SweepMetricsForm* form = panel.metricsForm();
        form->setTexts({kWiki, kPtb});
        form->setKl(true);
        form->setTasks({SweepTaskChoice{kPiqa, std::nullopt, kPiqaLimit}});
        QVERIFY(form->tasks().at(0).type == qs::TaskType::Piqa);  // named by its folder

        const std::vector<qs::SweepMetric> cli = {
            {qs::RunKind::Perplexity, kWikiText},
            {qs::RunKind::Kl, kWikiText},
            {qs::RunKind::Perplexity, kPtb.toStdString()},
            {qs::RunKind::Kl, kPtb.toStdString()},
            {qs::RunKind::Task, kPiqa.toStdString(), qs::TaskType::Piqa, kPiqaLimit},
        };
        const std::vector<qs::SweepMetric> metrics = form->metrics();
        QCOMPARE(metricKeys(metrics), metricKeys(cli));
        for (size_t i = 0; i < cli.size(); ++i) {
            QCOMPARE(int(metrics[i].kind), int(cli[i].kind));
            QCOMPARE(QString::fromStdString(metrics[i].dataset), QString::fromStdString(cli[i].dataset));
            QCOMPARE(int(metrics[i].taskType), int(cli[i].taskType));
            QCOMPARE(metrics[i].taskLimit, cli[i].taskLimit);
        }

        qs::SweepOptions o = smallSweep();
        o.metrics = metrics;
        o.maxWindows = 1;
        QSignalSpy finished(&service, &SweepService::finished);
        QSignalSpy failed(&service, &SweepService::failed);
        service.start(SweepRequest{checkpoint, o, project});
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(failed.count(), 0);
        const std::vector<qs::RunRecord> runs = qs::listRuns(project.toStdString());
        QCOMPARE(runs.size(), size_t(2 * cli.size()));  // the baseline and rtn-w8-g128
        const QStringList kinds = {"perplexity", "kl", "perplexity", "kl", "task"};
        for (size_t i = 0; i < cli.size(); ++i) {
            const qs::RunRecord& r = runs[cli.size() + i];
            QCOMPARE(QString::fromStdString(r.settings["sweep"]["cell"]), QStringLiteral("rtn-w8-g128"));
            QCOMPARE(QString::fromStdString(r.kind), kinds[int(i)]);
            QCOMPARE(QString::fromStdString(r.dataset), QString::fromStdString(cli[i].dataset));
        }
        const qs::RunRecord& task = runs.back();
        QCOMPARE(QString::fromStdString(task.settings["task_type"]), QStringLiteral("piqa"));
        QCOMPARE(task.settings["limit"].get<int>(), kPiqaLimit);
        const double acc = task.metrics["acc"].get<double>();
        QVERIFY(acc >= 0.0 && acc <= 1.0);
    }

    // Before Run, the panel says what the form lacks, first things first, and Run starts nothing.
    void theFormSaysWhatItLacks() {
        QTemporaryDir dir;
        SweepService service;
        SweepPanel panel(&service);
        QCOMPARE(panel.statusText(), QStringLiteral("Open a model to sweep it."));
        panel.setModel(qs::openCheckpoint(kTinyLlama.toStdString()), dir.filePath(QStringLiteral("p.qsproj.h5")));
        SweepMetricsForm* form = panel.metricsForm();
        const auto says = [&](const QString& message) {
            panel.run();
            QVERIFY(!service.isRunning());
            QCOMPARE(panel.statusText(), message);
        };
        panel.setRun({}, kWiki, 64, 1, 0, 0);
        says(QStringLiteral("Add a text or a task: each cell needs something to be evaluated on."));
        form->setKl(true);
        form->setTasks({SweepTaskChoice{kPiqa, std::nullopt, kPiqaLimit}});
        says(QStringLiteral("KL is measured on the texts: add a text or untick KL."));
        form->setKl(false);
        // A task file whose path names no type waits for one.
        form->setTasks({SweepTaskChoice{kPiqa, std::nullopt, kPiqaLimit},
                        SweepTaskChoice{dir.filePath(QStringLiteral("items.jsonl")), std::nullopt, 0}});
        QVERIFY(!form->tasks().at(1).type.has_value());
        says(QStringLiteral("Choose the type of task items.jsonl."));
        form->setTasks({SweepTaskChoice{kPiqa, std::nullopt, kPiqaLimit}});
        form->setTexts({kWiki});
        panel.setRun(kWiki, {}, 0, 0, 0, 0);
        says(QStringLiteral("GPTQ calibrates: choose a calibration text, or untick it."));
        // Complete: the baseline and 3 methods x 4 bit widths x g128, each on one text and one task.
        panel.setRun(kWiki, kWiki, 0, 0, 0, 0);
        QVERIFY2(panel.statusText().startsWith(QStringLiteral("Ready: 26 run")), qPrintable(panel.statusText()));
    }
};

QTEST_MAIN(TestSweepService)
#include "tst_sweep_service.moc"
