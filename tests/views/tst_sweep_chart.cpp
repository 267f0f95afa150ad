// The Results panel on a project of synthetic sweep runs: the chart draws
// exactly the table's numbers, exported PDF and SVG figures are vector (no
// raster picture of the plot, also inside compressed PDF streams), a PNG has
// the pixels of its print width at the asked dpi, and the data and runs land
// beside the figure.
#include <QComboBox>
#include <QFile>
#include <QFont>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <tuple>

#include "analysis/sweep_results.h"
#include "project/project_file.h"
#include "results_panel.h"
#include "results_table_model.h"
#include "sweep_chart.h"

namespace {

const char* kWiki = "/data/text/wikitext-2-raw.wiki.test.raw";
const char* kPiqa = "/data/tasks/piqa/valid.jsonl";
const char* kMethods[] = {"rtn", "gptq", "awq"};
const int kBits[] = {8, 4, 3, 2};
constexpr int kGroup = 128;
constexpr double kColumnWidthIn = 3.5;
constexpr double kPageWidthIn = 7.0;

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void addSweepRun(const std::string& project, const char* kind, const char* dataset, const std::string& method, int bits,
                 nlohmann::json metrics) {
    qs::RunRecord r;
    r.kind = kind;
    r.dataset = dataset;
    const std::string cell = method == "base" ? "base" : method + "-w" + std::to_string(bits) + "-g128";
    r.settings = {
        {"sweep", {{"name", "paper"}, {"cell", cell}, {"method", method}, {"bits", bits}, {"group", kGroup}}}};
    r.metrics = std::move(metrics);
    qs::addRun(project, r);
}

// Every stream of a PDF, inflated where it is Flate-compressed.
QList<QByteArray> pdfStreams(const QByteArray& pdf) {
    QList<QByteArray> streams;
    static const QRegularExpression start(QStringLiteral("stream\\r?\\n"));
    for (qsizetype at = 0;;) {
        const auto m = start.match(QString::fromLatin1(pdf), at);
        if (!m.hasMatch()) break;
        const qsizetype begin = m.capturedEnd();
        const qsizetype end = pdf.indexOf("endstream", begin);
        if (end < 0) break;
        const QByteArray raw = pdf.mid(begin, end - begin);
        const qsizetype dict = pdf.lastIndexOf("<<", m.capturedStart());
        if (pdf.mid(dict, m.capturedStart() - dict).contains("/FlateDecode")) {
            // qUncompress wants the expected length first; it grows the buffer as needed.
            QByteArray sized(4, '\0');
            sized[1] = 1;  // 65536
            const QByteArray inflated = qUncompress(sized + raw);
            if (inflated.isEmpty()) return {};  // a stream that does not inflate: fail the test
            streams << inflated;
        } else {
            streams << raw;
        }
        at = end + 9;
    }
    return streams;
}

}  // namespace

class TestSweepChart : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        project_ = dir_.filePath(QStringLiteral("paper.qsproj.h5"));
        const std::string p = project_.toStdString();
        addSweepRun(p, "perplexity", kWiki, "base", 16, {{"ppl", 5.68}, {"ppl_stderr", 0.04}});
        addSweepRun(p, "task", kPiqa, "base", 16, {{"acc", 0.79}, {"acc_stderr", 0.0095}});
        double k = 1.0;
        for (const char* method : kMethods) {
            for (int bits : kBits) {
                const double ppl = 5.68 * std::exp(k * std::pow(2.0, 8 - bits) * 0.01);
                addSweepRun(p, "perplexity", kWiki, method, bits, {{"ppl", ppl}, {"ppl_stderr", 0.01 * ppl}});
                addSweepRun(p, "task", kPiqa, method, bits,
                            {{"acc", 0.79 - k * (8 - bits) * 0.02}, {"acc_stderr", 0.01}});
            }
            k *= 0.6;
        }
        panel_.setProjectPath(project_);
        panel_.reload();
        panel_.resize(900, 700);
    }

    void tableHasEveryCell() {
        const qs::SweepTable& t = panel_.model()->table();
        QCOMPARE(int(t.rows.size()), 1 + 3 * 4);
        QCOMPARE(int(t.columns.size()), 2);
        QCOMPARE(panel_.model()->columnCount(), qs::views::ResultsTableModel::FirstMetric + 2);
        // GPTQ and AWQ beat RTN at every width; AWQ (smallest k) is best, bold in the view.
        for (int r = 1; r < panel_.model()->rowCount(); ++r) {
            const QModelIndex ppl = panel_.model()->index(r, qs::views::ResultsTableModel::FirstMetric);
            const bool awq = t.rows[size_t(r)].method == "awq";
            QCOMPARE(t.entries[size_t(r)][0]->best, awq);
            QCOMPARE(ppl.data(Qt::FontRole).isValid(), awq);
        }
    }

    void chartDrawsTheTablesNumbers() {
        const qs::SweepTable& t = panel_.model()->table();
        for (int column = 0; column < 2; ++column) {
            panel_.setChartColumn(column);
            const qs::views::SweepChart* chart = panel_.chart();
            QCOMPARE(int(chart->data().series.size()), 3);
            int drawn = 0;
            for (size_t s = 0; s < 3; ++s) {
                const QCPGraph* graph = chart->seriesGraph(s);
                QVERIFY(graph);
                for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
                    const std::string cell = std::string(kMethods[s]) + "-w" + std::to_string(int(it->key)) + "-g128";
                    size_t row = 0;
                    while (row < t.rows.size() && t.rows[row].cell != cell) ++row;
                    QVERIFY2(row < t.rows.size(), cell.c_str());
                    QCOMPARE(it->value, t.entries[row][size_t(column)]->value);
                    ++drawn;
                }
            }
            QCOMPARE(drawn, 12);
            QCOMPARE(chart->baselineGraph()->data()->constBegin()->value, t.entries[0][size_t(column)]->value);
        }
        panel_.setChartColumn(0);
        QCOMPARE(panel_.chart()->plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);  // perplexity
        panel_.setChartColumn(1);
        QCOMPARE(panel_.chart()->plot()->yAxis->scaleType(), QCPAxis::stLinear);  // accuracy
    }

    void pdfIsVectorAtColumnWidth() {
        panel_.setChartColumn(0);
        const QString path = dir_.filePath(QStringLiteral("ppl.pdf"));
        QCOMPARE(panel_.exportFigure(path), QString());
        const QByteArray pdf = readAll(path);
        QVERIFY(pdf.startsWith("%PDF"));
        QVERIFY(pdf.contains(QByteArray("/MediaBox [0 0 ") + QByteArray::number(kColumnWidthIn * 72)));
        QVERIFY(!pdf.contains("/Subtype /Image"));
        QVERIFY(!pdf.contains("/Subtype/Image"));
        const QList<QByteArray> streams = pdfStreams(pdf);
        QVERIFY(!streams.isEmpty());
        qsizetype drawing = 0;
        for (const QByteArray& s : streams) {
            QVERIFY(!s.contains("/Subtype /Image") && !s.contains("/Subtype/Image"));
            QVERIFY(!s.contains(" BI "));                  // no inline image either
            drawing += s.count(" l\n") + s.count(" c\n");  // line-to and curve-to operators: the paths
        }
        QVERIFY2(drawing > 50, qPrintable(QString::number(drawing)));

        // The plotted numbers and the runs behind them, beside the figure.
        const QByteArray csv = readAll(dir_.filePath(QStringLiteral("ppl.csv")));
        QCOMPARE(csv.count('\n'), 1 + 1 + 12);  // header, baseline, 3 methods x 4 widths
        const QJsonDocument runs = QJsonDocument::fromJson(readAll(dir_.filePath(QStringLiteral("ppl.runs.json"))));
        QCOMPARE(runs.array().size(), 13);
        QCOMPARE(runs.array().at(0).toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("perplexity"));
    }

    void svgIsVector() {
        panel_.setChartColumn(1);
        const QString path = dir_.filePath(QStringLiteral("acc.svg"));
        QCOMPARE(panel_.exportFigure(path), QString());
        const QByteArray svg = readAll(path);
        QVERIFY(svg.contains("<svg"));
        QVERIFY(!svg.contains("<image"));
        // Series, error bars, markers and axes come out as shapes (<polyline>
        // mostly), labels as <text>: more shapes than the 12 points.
        const qsizetype shapes =
            svg.count("<polyline") + svg.count("<path") + svg.count("<circle") + svg.count("<rect");
        QVERIFY2(shapes > 3 * 12, qPrintable(QString::number(shapes)));
        QVERIFY(svg.contains("<text"));
        QVERIFY(svg.contains("viewBox=\"0 0 252 "));
    }

    void pngHasThePrintWidthInPixels_data() {
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("dpi");
        QTest::addColumn<int>("width");
        QTest::addRow("column 300 dpi") << 0 << 300 << int(kColumnWidthIn * 300);
        QTest::addRow("page 150 dpi") << 1 << 150 << int(kPageWidthIn * 150);
    }
    void pngHasThePrintWidthInPixels() {
        QFETCH(int, size);
        QFETCH(int, dpi);
        QFETCH(int, width);
        const QString path = dir_.filePath(QStringLiteral("fig%1.png").arg(size));
        QCOMPARE(qs::views::exportFigureWithData(*panel_.chart(), {}, path, qs::views::PrintSize(size), dpi),
                 QString());
        const QImage image(path);
        QCOMPARE(image.width(), width);
        QCOMPARE(image.height(), qRound(qs::views::printStyle(qs::views::PrintSize(size)).heightInches * dpi));
    }

    void aSweepOverTwoModelsShowsOneModelAtATime() {
        const std::string project = dir_.filePath(QStringLiteral("two-models.qsproj.h5")).toStdString();
        for (const char* model : {"/m/Llama-3-8B", "/m/Llama-3-70B"})
            for (const auto& [method, bits, ppl] : {std::tuple{"base", 16, 6.1}, {"rtn", 4, 7.0}, {"gptq", 4, 6.5}}) {
                qs::RunRecord r;
                r.kind = "perplexity";
                r.dataset = kWiki;
                const std::string cell = std::string(method) == "base" ? "base" : std::string(method) + "-w4-g128";
                r.settings = {{"sweep",
                               {{"name", "two"}, {"model", model}, {"cell", cell}, {"method", method}, {"bits", bits},
                                {"group", std::string(method) == "base" ? 0 : kGroup}}}};
                // The 70B model's perplexities are lower: which model is shown is visible in the numbers.
                r.metrics = {{"ppl", std::string(model).ends_with("70B") ? ppl / 2 : ppl}};
                qs::addRun(project, r);
            }
        qs::views::ResultsPanel panel;
        panel.setProjectPath(QString::fromStdString(project));
        panel.reload();
        QComboBox* models = panel.modelSelector();
        QCOMPARE(models->count(), 2);
        QCOMPARE(models->itemText(0), QStringLiteral("Llama-3-8B"));
        QVERIFY(!models->isHidden());
        QCOMPARE(panel.model()->rowCount(), 3);  // one model's baseline, RTN and GPTQ
        QCOMPARE(panel.model()->data(panel.model()->index(0, 3), qs::views::ResultsTableModel::ValueRole).toDouble(), 6.1);
        models->setCurrentIndex(1);
        QCOMPARE(panel.model()->rowCount(), 3);
        QCOMPARE(panel.model()->data(panel.model()->index(0, 3), qs::views::ResultsTableModel::ValueRole).toDouble(), 3.05);
        QVERIFY(panel.model()->data(panel.model()->index(2, 3), Qt::FontRole).value<QFont>().bold());  // GPTQ wins
    }

    void exportsNameTheFileThatFailed() {
        const QString missing = dir_.filePath(QStringLiteral("no/such/dir/t.tex"));
        QVERIFY(panel_.exportTable(missing).contains(missing));
        const QString tex = dir_.filePath(QStringLiteral("t.tex"));
        QCOMPARE(panel_.exportTable(tex), QString());
        QVERIFY(readAll(tex).contains("\\toprule"));
    }

private:
    QTemporaryDir dir_;
    QString project_;
    qs::views::ResultsPanel panel_;
};

QTEST_MAIN(TestSweepChart)
#include "tst_sweep_chart.moc"
