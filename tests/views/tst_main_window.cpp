// The workbench window end to end on qs-tiny-llama: rows appear at once,
// statistics arrive in the background, a heatmap click selects the tensor
// everywhere, the table exports as CSV; a corrupt checkpoint is reported by
// name (dialog or signal), never a crash; `quantscope --screenshot` works
// and fails loudly on bad input.
#include <QApplication>
#include <QFile>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include "channel_profile_view.h"
#include "formats/tensor_names.h"
#include "heatmap_view.h"
#include "histogram_view.h"
#include "layer_table_model.h"
#include "layer_table_panel.h"
#include "main_window.h"
#include "stats/stats_json.h"

using qs::views::MainWindow;

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
constexpr int kTimeoutMs = 120000;

QString quantscopeBinary() { return QCoreApplication::applicationDirPath() + QStringLiteral("/../bin/quantscope"); }
}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // settings and recent files stay out of the user's
        QVERIFY(dir_.isValid());
        qputenv("XDG_CACHE_HOME", dir_.filePath(QStringLiteral("cache")).toLocal8Bit());
        // A Hugging Face directory whose safetensors file is garbage.
        corrupt_ = dir_.filePath(QStringLiteral("corrupt-model"));
        QVERIFY(QDir().mkpath(corrupt_));
        QVERIFY(QFile::copy(kTinyLlama + QStringLiteral("/config.json"), corrupt_ + QStringLiteral("/config.json")));
        QFile garbage(corrupt_ + QStringLiteral("/model.safetensors"));
        QVERIFY(garbage.open(QIODevice::WriteOnly));
        garbage.write(QByteArray("\xff\xff\xff\xff\xff\xff\xff\x7f{this is not a safetensors header", 41));
        garbage.close();
    }

    void opensAndFillsInTheBackground() {
        MainWindow window(false);
        window.resize(1400, 900);
        window.show();
        QSignalSpy finished(&window, &MainWindow::statsFinished);
        QVERIFY(window.openModel(kTinyLlama));
        // Header rows immediately, statistics later.
        QCOMPARE(window.layerModel()->rowCount(), 39);
        QVERIFY(window.windowTitle().contains(QStringLiteral("qs-tiny-llama")));
        QVERIFY(finished.wait(kTimeoutMs));
        QVERIFY(window.layerModel()->hasStats());
        QCOMPARE(window.heatmapView()->blockCount(), 4);
        // Something is selected and shown without the user doing anything.
        QCOMPARE(window.layerTable()->selectedTensors().size(), 1);
        QCOMPARE(window.histogramView()->plot()->graphCount(), 1);

        // A heatmap click selects that tensor in the table, histogram and profile.
        window.heatmapView()->plot()->replot();
        QTest::mouseClick(window.heatmapView()->plot(), Qt::LeftButton, Qt::NoModifier,
                          window.heatmapView()->cellCenter(3, 5));
        const int up3 = window.layerModel()->rowOf(QString::fromStdString(qs::linearTensorName(3, 5)));
        QCOMPARE(window.layerTable()->selectedTensors(), QList<int>{up3});
        QCOMPARE(window.histogramView()->plot()->graph(0)->name(), QStringLiteral("layers.3.mlp.up_proj"));
        const auto& up3Stats = window.layerModel()->tensor(up3);
        QCOMPARE(window.channelProfileView()->plot()->graph(0)->dataCount(), int(up3Stats.rowAbsmax.size()));
    }

    void exportsTheVisibleRowsAsCsv() {
        MainWindow window(false);
        QSignalSpy finished(&window, &MainWindow::statsFinished);
        QVERIFY(window.openModel(kTinyLlama));
        QVERIFY(finished.wait(kTimeoutMs));
        window.layerTable()->filterEdit()->setText(QStringLiteral("mlp\\.down"));
        const QString path = dir_.filePath(QStringLiteral("down.csv"));
        QCOMPARE(window.exportTableCsv(path), QString());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1 + 4);
        QCOMPARE(lines[0], QString::fromStdString(qs::tensorStatsCsvHeader()));
        const int down0 = window.layerModel()->rowOf(QStringLiteral("model.layers.0.mlp.down_proj.weight"));
        QVERIFY(lines.contains(QString::fromStdString(qs::tensorStatsCsvRow(window.layerModel()->tensor(down0)))));
    }

    void corruptFileIsReportedNotCrashed() {
        MainWindow window(false);
        QSignalSpy errors(&window, &MainWindow::errorOccurred);
        QVERIFY(!window.openModel(corrupt_));
        QCOMPARE(errors.count(), 1);
        const QString message = errors.at(0).at(0).toString();
        QVERIFY2(message.contains(QStringLiteral("model.safetensors")), qPrintable(message));
        QCOMPARE(window.layerModel()->rowCount(), 0);
        QCOMPARE(window.windowTitle(), QStringLiteral("QuantScope"));
        // A file that does not exist is an error of the same kind.
        QVERIFY(!window.openModel(dir_.filePath(QStringLiteral("missing.gguf"))));
        QCOMPARE(errors.count(), 2);
        QVERIFY(errors.at(1).at(0).toString().contains(QStringLiteral("missing.gguf")));
    }

    void corruptFileShowsADialogNamingIt() {
        MainWindow window(true);
        window.show();
        QString dialogText;
        QTimer::singleShot(0, this, [&dialogText] {
            // The dialog is modal: read it and close it from inside its event loop.
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!box) return;
            dialogText = box->text();
            box->accept();
        });
        QVERIFY(!window.openModel(corrupt_));
        QVERIFY2(dialogText.contains(QStringLiteral("model.safetensors")), qPrintable(dialogText));
        QVERIFY(dialogText.size() > QStringLiteral("<b></b><br>").size() + corrupt_.size());
    }

    void screenshotRendersAndExits() {
        const QString png = dir_.filePath(QStringLiteral("shot.png"));
        QProcess proc;
        proc.start(quantscopeBinary(), {QStringLiteral("--open"), kTinyLlama, QStringLiteral("--screenshot"), png});
        QVERIFY(proc.waitForFinished(kTimeoutMs));
        QCOMPARE(proc.exitStatus(), QProcess::NormalExit);
        QCOMPARE(proc.exitCode(), 0);
        const QImage image(png);
        QCOMPARE(image.size(), QSize(1600, 1000));
    }

    void screenshotOfCorruptFileFailsOnStderr() {
        QProcess proc;
        proc.start(quantscopeBinary(), {QStringLiteral("--open"), corrupt_, QStringLiteral("--screenshot"),
                                        dir_.filePath(QStringLiteral("never.png"))});
        QVERIFY(proc.waitForFinished(kTimeoutMs));
        QCOMPARE(proc.exitStatus(), QProcess::NormalExit);
        QVERIFY(proc.exitCode() != 0);
        QVERIFY(QString::fromLocal8Bit(proc.readAllStandardError()).contains(QStringLiteral("model.safetensors")));
        QVERIFY(!QFile::exists(dir_.filePath(QStringLiteral("never.png"))));
    }

private:
    QTemporaryDir dir_;
    QString corrupt_;
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
