// Sweeps from the GUI on qs-tiny-llama: the service stores the same runs the
// core sweep does (baseline + RTN W8 g128 on WikiText-2), announces each, and
// a second start skips them all; the Sweep tab's form builds those options.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "formats/checkpoint.h"
#include "main_window.h"
#include "project/project_file.h"
#include "sweep_panel.h"
#include "sweep_service.h"

using qs::views::SweepRequest;
using qs::views::SweepService;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
const std::string kWikiText = QS_SHARED_DIR "/data/text/wikitext-2-raw.wiki.test.raw";
constexpr int kTimeoutMs = 300000;

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
        // The form's grid (RTN/GPTQ/AWQ at 2, 3, 4, 8 bits) minus the calibrated methods: no calibration text.
        const qs::SweepOptions o = [&] {
            window.sweepPanel()->setRun(QString::fromStdString(kWikiText), {}, 64, 1, 0, 0);
            return window.sweepPanel()->options();
        }();
        QCOMPARE(o.grid.bits.size(), size_t(4));
        QCOMPARE(o.grid.methods.size(), size_t(3));
        QCOMPARE(o.ctx, int64_t(64));
        QCOMPARE(o.maxWindows, int64_t(1));
        QVERIFY(!o.calibPath.has_value());
        // Without calibration GPTQ/AWQ cells are refused before any run.
        window.sweepText(QString::fromStdString(kWikiText), {}, 64, 1, 0, 0);
        QVERIFY(done.wait(kTimeoutMs));
        QCOMPARE(stored.count(), 0);
    }
};

QTEST_MAIN(TestSweepService)
#include "tst_sweep_service.moc"
