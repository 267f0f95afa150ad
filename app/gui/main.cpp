// quantscope: the workbench. Wiring only; everything lives in views/ and core/.
//   quantscope [MODEL]                      open MODEL (default: the bundled demo model)
//   quantscope --open MODEL --screenshot F  render the window once statistics are ready, save F, exit
//   ... --evaluate-text TEXT [--ctx N] [--max-windows N]
//                                           then run a perplexity evaluation (stored in the model's
//                                           project); with --screenshot, render once it is listed
//   ... --plan PLAN.json                    load a quantization plan into the Plan tab; evaluations
//                                           (--evaluate-text included) run with it
//   ... --quantize-calib TEXT [--calib-samples N] [--calib-length L]
//                                           once statistics are ready, Quantize by the plan on TEXT;
//                                           --evaluate-text then runs on the quantized model, and
//                                           --screenshot waits for both; --show-activations LAYER
//                                           then selects LAYER in the Weights vs activations tab
//   ... --sensitivity-text TEXT [--sensitivity-spec NAME] [--ctx N] [--max-windows N]
//                                           once statistics are ready, scan layer sensitivity in the
//                                           Sensitivity tab; --screenshot waits for the scan
//   ... --sweep-text TEXT ... [--sweep-kl] [--sweep-task FILE ... [--sweep-task-limit N]]
//                                           once statistics are ready, run the Sweep tab's grid on
//                                           them (sweep_arguments.h); --screenshot waits for it;
//                                           --show-sweep shows the tab and the project's results
//   ... --device auto|cpu|cuda              where evaluations compute (the toolbar's Device selector)
#include <cstdio>

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QIcon>
#include <QPixmap>
#include <QTabWidget>
#include <QTimer>

#include "build_info.h"
#include "layer_table_model.h"
#include "layer_table_panel.h"
#include "main_window.h"
#include "sweep_arguments.h"
#include "sweep_panel.h"

namespace {

// A file the package installs under share/, found from bin/ wherever the
// package was installed (/usr, /usr/local, an unpacked tree).
QString installedShareFile(const QString& relative) {
    return QDir(QCoreApplication::applicationDirPath()).absoluteFilePath(QStringLiteral("../share/") + relative);
}

QString demoModel() {
    // The source tree's copy when running from a build directory, else the installed one.
    const QString source = QStringLiteral(QS_DEMO_MODEL_DIR);
    return QFileInfo::exists(source) ? source : installedShareFile(QStringLiteral("quantscope/demo/qs-tiny-llama"));
}

constexpr QSize kScreenshotSize(1600, 1000);

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("QuantScope"));
    QApplication::setOrganizationName(QStringLiteral("QuantScope"));
    QApplication::setApplicationVersion(QStringLiteral(QS_VERSION_STRING));
    QApplication::setDesktopFileName(QStringLiteral("quantscope"));
    // The icon theme's when installed system-wide, else the PNG the package installs.
    const QIcon packagedIcon(installedShareFile(QStringLiteral("icons/hicolor/256x256/apps/quantscope.png")));
    QApplication::setWindowIcon(QIcon::fromTheme(QStringLiteral("quantscope"), packagedIcon));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("QuantScope: inspect and quantize LLaMA-family weights"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption openOption(QStringLiteral("open"), QStringLiteral("Model to open (directory or file)."),
                                        QStringLiteral("MODEL"));
    const QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"), QStringLiteral("Render the window once statistics are ready, save it, exit."),
        QStringLiteral("FILE.png"));
    const QCommandLineOption evaluateOption(
        QStringLiteral("evaluate-text"), QStringLiteral("Once statistics are ready, evaluate perplexity on TEXT."),
        QStringLiteral("TEXT"));
    const QCommandLineOption ctxOption(QStringLiteral("ctx"), QStringLiteral("Window length for --evaluate-text."),
                                       QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption windowsOption(QStringLiteral("max-windows"),
                                           QStringLiteral("Windows for --evaluate-text (0: all)."), QStringLiteral("N"),
                                           QStringLiteral("0"));
    const QCommandLineOption planOption(QStringLiteral("plan"),
                                        QStringLiteral("Quantization plan to load; evaluations use it."),
                                        QStringLiteral("PLAN.json"));
    const QCommandLineOption quantizeOption(
        QStringLiteral("quantize-calib"), QStringLiteral("Once statistics are ready, quantize by --plan on TEXT."),
        QStringLiteral("TEXT"));
    const QCommandLineOption samplesOption(QStringLiteral("calib-samples"),
                                           QStringLiteral("Calibration samples for --quantize-calib (0: 128)."),
                                           QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption lengthOption(QStringLiteral("calib-length"),
                                          QStringLiteral("Tokens per calibration sample (0: min(2048, model))."),
                                          QStringLiteral("L"), QStringLiteral("0"));
    const QCommandLineOption sensitivityOption(
        QStringLiteral("sensitivity-text"),
        QStringLiteral("Once statistics are ready, scan layer sensitivity on TEXT (--ctx, --max-windows)."),
        QStringLiteral("TEXT"));
    const QCommandLineOption sensitivitySpecOption(QStringLiteral("sensitivity-spec"),
                                                   QStringLiteral("Spec of --sensitivity-text, e.g. \"W4 per-channel RTN\"."),
                                                   QStringLiteral("NAME"));
    const QCommandLineOption activationsOption(
        QStringLiteral("show-activations"),
        QStringLiteral("After --quantize-calib, select LAYER and show its weights vs activations."),
        QStringLiteral("LAYER"));
    const QCommandLineOption deviceOption(QStringLiteral("device"),
                                          QStringLiteral("Where evaluation, quantization and sweeps compute: auto, cpu or cuda."),
                                          QStringLiteral("DEVICE"));
    parser.addOption(deviceOption);
    parser.addOption(activationsOption);
    addSweepOptions(parser);
    parser.addOption(sensitivityOption);
    parser.addOption(sensitivitySpecOption);
    parser.addOption(openOption);
    parser.addOption(quantizeOption);
    parser.addOption(samplesOption);
    parser.addOption(lengthOption);
    parser.addOption(planOption);
    parser.addOption(screenshotOption);
    parser.addOption(evaluateOption);
    parser.addOption(ctxOption);
    parser.addOption(windowsOption);
    parser.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("Model to open (same as --open)."));
    parser.process(app);

    QString model = parser.value(openOption);
    if (model.isEmpty() && !parser.positionalArguments().isEmpty()) model = parser.positionalArguments().constFirst();
    if (model.isEmpty()) model = demoModel();
    const QString screenshot = parser.value(screenshotOption);
    const bool interactive = screenshot.isEmpty();
    const QString evaluateText = parser.value(evaluateOption);
    const int ctx = parser.value(ctxOption).toInt();
    const int maxWindows = parser.value(windowsOption).toInt();
    const QString plan = parser.value(planOption);
    const QString calibration = parser.value(quantizeOption);
    const QString sensitivityText = parser.value(sensitivityOption);
    const QString sensitivitySpec = parser.value(sensitivitySpecOption);
    const SweepArguments sweep = sweepArguments(parser);
    const int samples = parser.value(samplesOption).toInt();
    const int length = parser.value(lengthOption).toInt();
    // Evaluation (and the screenshot without one) waits for the step before it.
    const auto readyToEvaluate = calibration.isEmpty() || sweep.runs()
                                     ? &qs::views::MainWindow::statsFinished
                                     : &qs::views::MainWindow::quantizationFinished;

    qs::views::MainWindow window(interactive);
    if (parser.isSet(deviceOption) && !window.selectDevice(parser.value(deviceOption))) {
        std::fprintf(stderr, "quantscope: --device must be auto, cpu or cuda, not \"%s\"\n",
                     qPrintable(parser.value(deviceOption)));
        return 1;
    }
    if (!interactive) {
        // Errors go to stderr with a non-zero exit instead of a dialog nobody can click.
        QObject::connect(&window, &qs::views::MainWindow::errorOccurred, &app, [](const QString& message) {
            std::fprintf(stderr, "quantscope: %s\n", qPrintable(message));
            QCoreApplication::exit(1);
        });
        auto takeScreenshot = [&window, screenshot] {
            // One more event-loop pass so the charts' queued replots have run.
            QTimer::singleShot(100, &window, [&window, screenshot] {
                if (!window.grab().save(screenshot)) {
                    std::fprintf(stderr, "quantscope: %s: cannot write the screenshot\n", qPrintable(screenshot));
                    QCoreApplication::exit(2);
                    return;
                }
                QCoreApplication::exit(0);
            });
        };
        if (sweep.runs())  // with the sweep's chart and table showing
            QObject::connect(&window, &qs::views::MainWindow::sweepFinished, &app, takeScreenshot);
        else if (!sensitivityText.isEmpty())  // with the scan's charts showing
            QObject::connect(&window, &qs::views::MainWindow::sensitivityFinished, &app, takeScreenshot);
        else if (evaluateText.isEmpty())
            QObject::connect(&window, readyToEvaluate, &app, takeScreenshot);
        else  // with the Runs table showing the finished run
            QObject::connect(&window, &qs::views::MainWindow::evaluationFinished, &app, takeScreenshot);
        window.resize(kScreenshotSize);
    }
    if (!plan.isEmpty())  // the plan is checked against the model, so it loads once the model is open
        QObject::connect(&window, &qs::views::MainWindow::modelOpened, &window,
                         [&window, plan] { window.loadPlan(plan); }, Qt::SingleShotConnection);
    if (sweep.runs())  // a sweep calibrates each cell itself
        QObject::connect(&window, &qs::views::MainWindow::statsFinished, &window,
                         [&window, sweep, calibration, ctx, maxWindows, samples, length, interactive] {
                             if (startSweep(window, sweep, calibration, ctx, maxWindows, samples, length) || interactive)
                                 return;
                             std::fprintf(stderr, "quantscope: sweep: %s\n", qPrintable(window.sweepPanel()->statusText()));
                             QCoreApplication::exit(1);
                         },
                         Qt::SingleShotConnection);
    else if (!calibration.isEmpty())
        QObject::connect(&window, &qs::views::MainWindow::statsFinished, &window,
                         [&window, calibration, samples, length] {
                             window.quantizeWithCalibration(calibration, samples, length);
                         },
                         Qt::SingleShotConnection);
    if (sweep.show)
        QObject::connect(&window, &qs::views::MainWindow::statsFinished, &window, [&window] { showSweepTab(window); },
                         Qt::SingleShotConnection);
    if (!evaluateText.isEmpty())
        QObject::connect(&window, readyToEvaluate, &window,
                         [&window, evaluateText, ctx, maxWindows] { window.evaluateText(evaluateText, ctx, maxWindows); },
                         Qt::SingleShotConnection);
    if (!sensitivityText.isEmpty())
        QObject::connect(&window, &qs::views::MainWindow::statsFinished, &window,
                         [&window, sensitivityText, ctx, maxWindows, sensitivitySpec] {
                             window.scanSensitivity(sensitivityText, ctx, maxWindows, sensitivitySpec);
                         },
                         Qt::SingleShotConnection);
    if (const QString layer = parser.value(activationsOption); !layer.isEmpty())
        QObject::connect(&window, &qs::views::MainWindow::quantizationFinished, &window, [&window, layer] {
            window.layerTable()->selectTensor(window.layerModel()->rowOf(layer));
            // The Layers tab with the layer selected; the Plan tab's minimum height would keep the chart small.
            auto* tabs = qobject_cast<QTabWidget*>(window.centralWidget());
            auto* dock = window.findChild<QDockWidget*>(QStringLiteral("ActivationDock"));
            if (!tabs || !dock) return;
            tabs->setCurrentWidget(window.layerTable());
            tabs->setMinimumHeight(kScreenshotSize.height() / 3);
            dock->raise();
            window.resizeDocks({dock}, {kScreenshotSize.height() / 2}, Qt::Vertical);
        });
    window.show();
    // Open once the event loop runs, so an early error can end it.
    QTimer::singleShot(0, &window, [&window, model] { window.openModel(model); });
    return app.exec();
}
