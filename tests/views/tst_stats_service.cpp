// The statistics engine face: a job runs to completion off the GUI thread
// with the same numbers as the core function, reports progress, cancels,
// and drops the results of a superseded job.
#include <memory>
#include <thread>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "formats/checkpoint.h"
#include "stats/tensor_stats.h"
#include "stats_service.h"

using qs::views::StatsService;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
const QString kTinyLlamaF32 = kTinyLlama + QStringLiteral("/model.f32.safetensors");
constexpr int kTimeoutMs = 120000;
constexpr int kSettleMs = 300;  // time for a wrongly delivered result to show up

std::shared_ptr<const qs::Checkpoint> open(const QString& path) { return qs::openCheckpoint(path.toStdString()); }
}  // namespace

class TestStatsService : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        // A private statistics cache: the first job computes, nothing leaks into ~/.cache.
        QVERIFY(cacheDir_.isValid());
        qputenv("XDG_CACHE_HOME", cacheDir_.path().toLocal8Bit());
        qRegisterMetaType<std::vector<qs::TensorStats>>();
    }

    void runsToCompletionOffTheGuiThread() {
        auto ckpt = open(kTinyLlama);
        StatsService service;
        QSignalSpy ready(&service, &StatsService::statsReady);
        QSignalSpy progress(&service, &StatsService::progress);
        QSignalSpy failed(&service, &StatsService::failed);
        service.start(ckpt);
        QVERIFY(service.isRunning());
        QVERIFY(ready.wait(kTimeoutMs));
        QVERIFY(!service.isRunning());
        QCOMPARE(failed.count(), 0);
        QVERIFY(progress.count() >= 1);
        for (const auto& args : progress) {
            QVERIFY(args.at(0).toDouble() >= 0.0);
            QVERIFY(args.at(0).toDouble() <= 1.0);
        }
        const auto stats = ready.at(0).at(0).value<std::vector<qs::TensorStats>>();
        const auto expected = qs::computeCheckpointStats(*ckpt);
        QCOMPARE(stats.size(), expected.size());
        for (size_t i = 0; i < stats.size(); ++i) {
            QCOMPARE(stats[i].name, expected[i].name);
            QCOMPARE(stats[i].absmax, expected[i].absmax);
            QCOMPARE(stats[i].std, expected[i].std);
            QCOMPARE(stats[i].histogram.counts, expected[i].histogram.counts);
        }
    }

    void cancelRightAfterStart() {
        // The f32 copy has no cache entry yet in this run's cache directory.
        StatsService service;
        QSignalSpy ready(&service, &StatsService::statsReady);
        QSignalSpy cancelled(&service, &StatsService::cancelled);
        service.start(open(kTinyLlamaF32));
        service.cancel();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QTest::qWait(kSettleMs);
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(ready.count(), 0);
        QVERIFY(!service.isRunning());
    }

    void cancelWinsEvenOverACacheHit() {
        auto ckpt = open(kTinyLlama);  // cached by runsToCompletionOffTheGuiThread
        StatsService service;
        QSignalSpy ready(&service, &StatsService::statsReady);
        QSignalSpy cancelled(&service, &StatsService::cancelled);
        service.start(ckpt);
        service.cancel();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QTest::qWait(kSettleMs);
        QCOMPARE(ready.count(), 0);
    }

    void supersededJobIsDropped() {
        StatsService service;
        QSignalSpy ready(&service, &StatsService::statsReady);
        QSignalSpy cancelled(&service, &StatsService::cancelled);
        service.start(open(kTinyLlamaF32));
        service.start(open(kTinyLlama));  // the user opened another model
        QVERIFY(ready.wait(kTimeoutMs));
        QTest::qWait(kSettleMs);
        QCOMPARE(ready.count(), 1);
        QCOMPARE(cancelled.count(), 0);  // the first job ends silently
        const auto stats = ready.at(0).at(0).value<std::vector<qs::TensorStats>>();
        QVERIFY(!stats.empty());
        QCOMPARE(stats.front().dtype, std::string("BF16"));  // the second model's, not the F32 one
    }

    void guiThreadStaysFree() {
        // While a job runs, the event loop keeps turning: a 5 ms timer fires.
        StatsService service;
        QSignalSpy ready(&service, &StatsService::statsReady);
        QSignalSpy cancelled(&service, &StatsService::cancelled);
        int ticks = 0;
        QTimer timer;
        connect(&timer, &QTimer::timeout, this, [&ticks] { ++ticks; });
        timer.start(5);
        QElapsedTimer clock;
        clock.start();
        qputenv("XDG_CACHE_HOME", QByteArray(cacheDir_.path().toLocal8Bit() + "/fresh"));  // force computing
        service.start(open(kTinyLlamaF32));
        QVERIFY(ready.wait(kTimeoutMs));
        qputenv("XDG_CACHE_HOME", cacheDir_.path().toLocal8Bit());
        // At least one tick per 50 ms of work (the loop was never blocked for long).
        QVERIFY2(ticks >= int(clock.elapsed() / 50), qPrintable(QStringLiteral("%1 ticks in %2 ms").arg(ticks).arg(clock.elapsed())));
    }

    void destroyedWhileRunning() {
        auto service = std::make_unique<StatsService>();
        qputenv("XDG_CACHE_HOME", QByteArray(cacheDir_.path().toLocal8Bit() + "/fresh2"));
        service->start(open(kTinyLlamaF32));
        service.reset();  // cancels and joins; no late signal to a dead object
        qputenv("XDG_CACHE_HOME", cacheDir_.path().toLocal8Bit());
        QTest::qWait(kSettleMs);
    }

private:
    QTemporaryDir cacheDir_;
};

QTEST_MAIN(TestStatsService)
#include "tst_stats_service.moc"
