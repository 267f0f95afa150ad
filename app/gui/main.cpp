// quantscope: the workbench. Wiring only; everything lives in views/ and core/.
//   quantscope [MODEL]                      open MODEL (default: the bundled demo model)
//   quantscope --open MODEL --screenshot F  render the window once statistics are ready, save F, exit
//   ... --evaluate-text TEXT [--ctx N] [--max-windows N]
//                                           then run a perplexity evaluation (stored in the model's
//                                           project); with --screenshot, render once it is listed
#include <cstdio>

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QPixmap>
#include <QTimer>

#include "main_window.h"

namespace {

QString demoModel() {
    // The source tree's copy when running from a build directory, else the installed one.
    const QString source = QStringLiteral(QS_DEMO_MODEL_DIR);
    return QFileInfo::exists(source) ? source : QStringLiteral(QS_INSTALLED_DEMO_DIR);
}

constexpr QSize kScreenshotSize(1600, 1000);

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("QuantScope"));
    QApplication::setOrganizationName(QStringLiteral("QuantScope"));
    QApplication::setApplicationVersion(QStringLiteral(QS_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("quantscope"));

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
    parser.addOption(openOption);
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

    qs::views::MainWindow window(interactive);
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
        if (evaluateText.isEmpty())
            QObject::connect(&window, &qs::views::MainWindow::statsFinished, &app, takeScreenshot);
        else  // with the Runs table showing the finished run
            QObject::connect(&window, &qs::views::MainWindow::evaluationFinished, &app, takeScreenshot);
        window.resize(kScreenshotSize);
    }
    if (!evaluateText.isEmpty())
        QObject::connect(&window, &qs::views::MainWindow::statsFinished, &window,
                         [&window, evaluateText, ctx, maxWindows] { window.evaluateText(evaluateText, ctx, maxWindows); },
                         Qt::SingleShotConnection);
    window.show();
    // Open once the event loop runs, so an early error can end it.
    QTimer::singleShot(0, &window, [&window, model] { window.openModel(model); });
    return app.exec();
}
