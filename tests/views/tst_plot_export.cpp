// Every chart exports to PNG (raster at the asked dpi), PDF and SVG (vector):
// checked on the histogram, channel profile and heatmap of a real tensor of
// qs-tiny-llama.
#include <filesystem>
#include <memory>

#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include "channel_profile_view.h"
#include "formats/checkpoint.h"
#include "heatmap_view.h"
#include "histogram_view.h"
#include "plot_export.h"
#include "stats/tensor_stats.h"

namespace {
const QString kTinyLlama = QStringLiteral(QS_SHARED_DIR "/models/qs-tiny-llama");
const QSize kExportSize(640, 400);

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
}  // namespace

class TestPlotExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        ckpt_ = qs::openCheckpoint(kTinyLlama.toStdString());
        stats_ = qs::computeCheckpointStats(*ckpt_);
        for (const qs::TensorStats& s : stats_)
            if (s.name == "model.layers.1.mlp.down_proj.weight" || s.name == "model.layers.1.self_attn.q_proj.weight")
                pair_.push_back(s);
        QCOMPARE(int(pair_.size()), 2);
    }

    void pngHasTheAskedPixels() {
        qs::views::HistogramView view;
        view.setTensors(pair_);
        const QString path = dir_.filePath(QStringLiteral("hist.png"));
        QCOMPARE(qs::views::exportPlot(view.plot(), path, {kExportSize, 192}), QString());
        QImage image(path);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), kExportSize * 2);  // 192 dpi = 2 x the 96 dpi logical size
        // Not blank: the bars and text put several colours on the page.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7)
            for (int x = 0; x < image.width(); x += 7) colours.insert(image.pixel(x, y));
        QVERIFY(colours.size() > 10);
    }

    void pdfIsVector() {
        qs::views::HistogramView view;
        view.setTensors(pair_);
        const QString path = dir_.filePath(QStringLiteral("hist.pdf"));
        QCOMPARE(qs::views::exportPlot(view.plot(), path, {kExportSize, 300}), QString());
        const QByteArray pdf = readAll(path);
        QVERIFY(pdf.startsWith("%PDF"));
        QVERIFY(pdf.size() > 2000);
        QVERIFY(!pdf.contains("/Subtype /Image"));  // drawn as paths, not a picture of the plot
        QVERIFY(!pdf.contains("/Subtype/Image"));
    }

    void svgHasPaths() {
        qs::views::ChannelProfileView view;
        view.setTensor(pair_[0]);
        const QString path = dir_.filePath(QStringLiteral("profile.svg"));
        QCOMPARE(qs::views::exportPlot(view.plot(), path, {kExportSize, 300}), QString());
        const QByteArray svg = readAll(path);
        QVERIFY(svg.contains("<svg"));
        // Graphs come out as <polyline>, axes and text as <path>: vector shapes either way.
        const qsizetype shapes = svg.count("<path") + svg.count("<polyline") + svg.count("<polygon");
        QVERIFY2(shapes > 10, qPrintable(QString::number(shapes)));
        QVERIFY(svg.count("<polyline") >= 1);  // the profile itself
        QVERIFY(!svg.contains("<image"));
        QVERIFY(svg.contains("viewBox=\"0 0 640 400\""));
    }

    void everyChartEveryFormat_data() {
        QTest::addColumn<QString>("chart");
        QTest::addColumn<QString>("suffix");
        for (const char* chart : {"histogram", "profile", "heatmap"})
            for (const char* suffix : {"png", "pdf", "svg", "SVG"})
                QTest::addRow("%s.%s", chart, suffix) << QString::fromLatin1(chart) << QString::fromLatin1(suffix);
    }
    void everyChartEveryFormat() {
        QFETCH(QString, chart);
        QFETCH(QString, suffix);
        qs::views::HistogramView histogram;
        histogram.setTensors(pair_);
        histogram.setSymlogAxis(true);
        histogram.setLogY(true);
        qs::views::ChannelProfileView profile;
        profile.setTensor(pair_[1]);
        profile.setInputChannels(true);
        qs::views::HeatmapView heatmap;
        heatmap.setTensors(stats_);
        qs::views::PlotPanel* panel = chart == QLatin1String("histogram") ? static_cast<qs::views::PlotPanel*>(&histogram)
                                      : chart == QLatin1String("profile") ? static_cast<qs::views::PlotPanel*>(&profile)
                                                                          : &heatmap;
        const QString path = dir_.filePath(chart + QLatin1Char('.') + suffix);
        QCOMPARE(panel->exportTo(path), QString());
        QVERIFY(QFileInfo(path).size() > 1000);
    }

    // A figure exported again over an old one replaces it by a rename: a second
    // hard link to the old file keeps the old bytes, and no staging file is left.
    void exportOverAnOldFigureReplacesItWhole_data() {
        QTest::addColumn<QString>("suffix");
        for (const char* s : {"png", "pdf", "svg"}) QTest::newRow(s) << QString::fromLatin1(s);
    }
    void exportOverAnOldFigureReplacesItWhole() {
        QFETCH(QString, suffix);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("fig.") + suffix);
        {
            QFile old(path);
            QVERIFY(old.open(QIODevice::WriteOnly));
            old.write("old figure");
        }
        std::filesystem::create_hard_link(path.toStdString(), dir.filePath(QStringLiteral("kept")).toStdString());
        qs::views::HistogramView view;
        view.setTensors(pair_);
        QCOMPARE(qs::views::exportPlot(view.plot(), path, {kExportSize, 96}), QString());
        QFile kept(dir.filePath(QStringLiteral("kept")));
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), QByteArray("old figure"));
        QVERIFY(QFileInfo(path).size() > 1000);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 2);
    }

    void badPathsAreReportedByName() {
        qs::views::HistogramView view;
        view.setTensors(pair_);
        const QString unknown = dir_.filePath(QStringLiteral("hist.bmpx"));
        const QString error = qs::views::exportPlot(view.plot(), unknown);
        QVERIFY(error.contains(unknown));
        QVERIFY(error.contains(QStringLiteral("bmpx")));
        QVERIFY(!QFile::exists(unknown));
        const QString missingDir = dir_.filePath(QStringLiteral("no/such/dir/hist.png"));
        QVERIFY(qs::views::exportPlot(view.plot(), missingDir).contains(missingDir));
    }

private:
    QTemporaryDir dir_;
    std::unique_ptr<qs::Checkpoint> ckpt_;
    std::vector<qs::TensorStats> stats_;
    std::vector<qs::TensorStats> pair_;
};

QTEST_MAIN(TestPlotExport)
#include "tst_plot_export.moc"
