// The evaluation engine face on qs-tiny-llama: a perplexity run off the GUI
// thread gives exactly the core's numbers and is stored in the project; a
// task run stores the core's accuracy; KL of the unadjusted model against
// itself is zero and of an adjusted one is not, with the base cached for the
// next run; cancel stores nothing; a bad text file fails naming it; progress
// reports tokens/s.
#include <memory>

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "eval/perplexity.h"
#include "eval/task_eval.h"
#include "eval/task_readers.h"
#include "eval_service.h"
#include "formats/checkpoint.h"
#include "model/decoder_block_weights.h"
#include "model/llama_model.h"
#include "project/project_file.h"
#include "tokenize/tokenizer.h"

using qs::views::EvalKind;
using qs::views::EvalRequest;
using qs::views::EvalService;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
const QString kWikiText = QStringLiteral(QS_SHARED_DIR "/data/text/wikitext-2-raw.wiki.test.raw");
const QString kPiqa = QStringLiteral(QS_SHARED_DIR "/data/tasks/piqa/valid.jsonl");
constexpr int kTimeoutMs = 300000;
constexpr int kSettleMs = 300;  // time for a wrongly delivered result to show up

std::string readAll(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.readAll().toStdString();
}

qs::RunRecord finishedRun(const QSignalSpy& spy) { return spy.at(0).at(0).value<qs::RunRecord>(); }
}  // namespace

class TestEvalService : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        ckpt_ = qs::openCheckpoint(kTinyLlama.toStdString());
    }

    void perplexityIsTheCoreNumberAndIsStored() {
        const QString project = dir_.filePath(QStringLiteral("ppl.qsproj.h5"));
        EvalService service;
        QSignalSpy finished(&service, &EvalService::finished);
        QSignalSpy failed(&service, &EvalService::failed);
        QSignalSpy progress(&service, &EvalService::progress);
        service.start(textRequest(EvalKind::Perplexity, kWikiText, project, 128, 4));
        QVERIFY(service.isRunning());
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(failed.count(), 0);
        QVERIFY(!service.isRunning());

        const qs::LlamaModel model(*ckpt_);
        const auto tokenizer = qs::tokenizerForCheckpoint(*ckpt_);
        qs::PerplexityOptions options;
        options.ctx = 128;
        options.maxWindows = 4;
        const auto windows = qs::perplexityWindows(model, *tokenizer, readAll(kWikiText), "wikitext", options);
        const qs::PerplexityResult expected = qs::evaluatePerplexity(model, windows, options);

        const qs::RunRecord run = finishedRun(finished);
        QCOMPARE(QString::fromStdString(run.id), QStringLiteral("run-0001"));
        QCOMPARE(run.kind, std::string("perplexity"));
        QCOMPARE(run.model, ckpt_->path);
        QCOMPARE(run.dataset, kWikiText.toStdString());
        QCOMPARE(run.plan, std::string());
        QCOMPARE(run.metrics.at("ppl").get<double>(), expected.ppl);
        QCOMPARE(run.metrics.at("stderr").get<double>(), expected.pplStderr);
        QCOMPARE(run.metrics.at("tokens").get<int64_t>(), int64_t(4 * 127));
        QCOMPARE(run.settings.at("ctx").get<int64_t>(), int64_t(128));
        QCOMPARE(run.settings.at("windows").get<int64_t>(), int64_t(4));
        QVERIFY(run.seconds > 0);

        const auto stored = qs::listRuns(project.toStdString());
        QCOMPARE(stored.size(), size_t(1));
        QCOMPARE(stored[0].id, run.id);
        QCOMPARE(stored[0].metrics.at("ppl").get<double>(), expected.ppl);
        QCOMPARE(stored[0].seconds, run.seconds);

        // Fractions in [0, 1], and tokens/s once the model passes ran.
        bool sawRate = false;
        for (const auto& args : progress) {
            QVERIFY(args.at(0).toDouble() >= 0.0);
            QVERIFY(args.at(0).toDouble() <= 1.0);
            QVERIFY(args.at(2).toDouble() >= 0.0);
            sawRate = sawRate || args.at(1).toDouble() > 0.0;
        }
        QVERIFY(sawRate);
    }

    void cancelStopsARunningJobAndStoresNothing() {
        const QString project = dir_.filePath(QStringLiteral("cancel.qsproj.h5"));
        EvalService service;
        QSignalSpy finished(&service, &EvalService::finished);
        QSignalSpy cancelled(&service, &EvalService::cancelled);
        QSignalSpy progress(&service, &EvalService::progress);
        // Every 512-token window of WikiText-2: minutes on this model, so the job is mid-pass when cancelled.
        service.start(textRequest(EvalKind::Perplexity, kWikiText, project, 512, 0));
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(1).toDouble() > 0.0, kTimeoutMs);
        QVERIFY(service.isRunning());
        service.cancel();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QTest::qWait(kSettleMs);
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(finished.count(), 0);
        QVERIFY(!service.isRunning());
        QVERIFY(qs::listRuns(project.toStdString()).empty());
    }

    void badTextFileFailsNamingIt_data() {
        QTest::addColumn<QString>("path");
        QTest::newRow("missing") << dir_.filePath(QStringLiteral("no-such-text.txt"));
        QTest::newRow("empty") << dir_.filePath(QStringLiteral("empty.txt"));
    }
    void badTextFileFailsNamingIt() {
        QFETCH(QString, path);
        QFile empty(dir_.filePath(QStringLiteral("empty.txt")));
        QVERIFY(empty.open(QIODevice::WriteOnly));
        empty.close();
        const QString project = dir_.filePath(QStringLiteral("bad.qsproj.h5"));
        EvalService service;
        QSignalSpy finished(&service, &EvalService::finished);
        QSignalSpy failed(&service, &EvalService::failed);
        service.start(textRequest(EvalKind::Perplexity, path, project, 128, 4));
        QVERIFY(failed.wait(kTimeoutMs));
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.contains(path), qPrintable(message));
        QCOMPARE(finished.count(), 0);
        QVERIFY(qs::listRuns(project.toStdString()).empty());
    }

    void taskRunStoresTheCoreAccuracy() {
        constexpr int kItems = 6;
        const QString project = dir_.filePath(QStringLiteral("task.qsproj.h5"));
        EvalRequest request;
        request.kind = EvalKind::Task;
        request.checkpoint = ckpt_;
        request.dataset = kPiqa;
        request.taskType = qs::TaskType::Piqa;
        request.taskLimit = kItems;
        request.projectPath = project;
        EvalService service;
        QSignalSpy finished(&service, &EvalService::finished);
        QSignalSpy failed(&service, &EvalService::failed);
        service.start(request);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(failed.count(), 0);

        const qs::LlamaModel model(*ckpt_);
        const auto tokenizer = qs::tokenizerForCheckpoint(*ckpt_);
        const auto items = qs::readTaskFile(kPiqa.toStdString(), qs::TaskType::Piqa, kItems);
        const qs::TaskScore expected = qs::evaluateTask(model, *tokenizer, items, {});

        const qs::RunRecord run = finishedRun(finished);
        QCOMPARE(run.kind, std::string("task"));
        QCOMPARE(run.metrics.at("n").get<int64_t>(), int64_t(kItems));
        QCOMPARE(run.metrics.at("acc").get<double>(), expected.acc);
        QCOMPARE(run.metrics.at("acc_norm").get<double>(), expected.accNorm);
        QCOMPARE(run.settings.at("task_type").get<std::string>(), std::string("piqa"));
        const auto stored = qs::listRuns(project.toStdString());
        QCOMPARE(stored.size(), size_t(1));
        QCOMPARE(stored[0].metrics.at("acc").get<double>(), expected.acc);
    }

    void klIsZeroUnadjustedAndPositiveAdjusted() {
        const QString project = dir_.filePath(QStringLiteral("kl.qsproj.h5"));
        EvalService service;
        QSignalSpy finished(&service, &EvalService::finished);
        QSignalSpy failed(&service, &EvalService::failed);

        service.start(textRequest(EvalKind::Kl, kWikiText, project, 128, 2));
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(failed.count(), 0);
        const qs::RunRecord same = finishedRun(finished);
        QCOMPARE(same.kind, std::string("kl"));
        QCOMPARE(same.settings.at("base_cached").get<bool>(), false);
        // The base log-probabilities are stored as float: zero up to their rounding.
        QVERIFY2(std::abs(same.metrics.at("kl_mean").get<double>()) < 1e-6, same.metrics.dump().c_str());
        QCOMPARE(same.metrics.at("top1_agreement").get<double>(), 1.0);
        QCOMPARE(same.metrics.at("delta_ppl").get<double>(), 0.0);

        // A crude "plan": the MLP down projections scaled by 0.8.
        EvalRequest adjusted = textRequest(EvalKind::Kl, kWikiText, project, 128, 2);
        adjusted.planLabel = QStringLiteral("down x0.8");
        adjusted.adjustBlock = [](qs::DecoderBlockWeights& b) {
            for (float& w : b[qs::Projection::Down].w) w *= 0.8f;
        };
        service.start(adjusted);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(failed.count(), 0);
        const qs::RunRecord other = finished.at(1).at(0).value<qs::RunRecord>();
        QCOMPARE(other.plan, std::string("down x0.8"));
        QCOMPARE(other.settings.at("base_cached").get<bool>(), true);  // the first run cached the base
        QVERIFY(other.metrics.at("kl_mean").get<double>() > 1e-4);
        QVERIFY(other.metrics.at("top1_agreement").get<double>() < 1.0);
        QCOMPARE(other.metrics.at("base_ppl").get<double>(), same.metrics.at("ppl").get<double>());
        QCOMPARE(qs::listRuns(project.toStdString()).size(), size_t(2));
    }

private:
    EvalRequest textRequest(EvalKind kind, const QString& text, const QString& project, int ctx, int windows) const {
        EvalRequest r;
        r.kind = kind;
        r.checkpoint = ckpt_;
        r.dataset = text;
        r.ctx = ctx;
        r.maxWindows = windows;
        r.projectPath = project;
        return r;
    }

    QTemporaryDir dir_;
    std::shared_ptr<const qs::Checkpoint> ckpt_;
};

QTEST_GUILESS_MAIN(TestEvalService)
#include "tst_eval_service.moc"
