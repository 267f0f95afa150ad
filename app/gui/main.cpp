// quantscope: the workbench. Wiring only; everything lives in views/ and core/.
//   quantscope [MODEL]                      open MODEL (default: the bundled demo model)
//   quantscope --open MODEL --screenshot F  render the window once statistics are ready, save F, exit
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
    parser.addOption(openOption);
    parser.addOption(screenshotOption);
    parser.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("Model to open (same as --open)."));
    parser.process(app);

    QString model = parser.value(openOption);
    if (model.isEmpty() && !parser.positionalArguments().isEmpty()) model = parser.positionalArguments().constFirst();
    if (model.isEmpty()) model = demoModel();
    const QString screenshot = parser.value(screenshotOption);
    const bool interactive = screenshot.isEmpty();

    qs::views::MainWindow window(interactive);
    if (!interactive) {
        // Errors go to stderr with a non-zero exit instead of a dialog nobody can click.
        QObject::connect(&window, &qs::views::MainWindow::errorOccurred, &app, [](const QString& message) {
            std::fprintf(stderr, "quantscope: %s\n", qPrintable(message));
            QCoreApplication::exit(1);
        });
        QObject::connect(&window, &qs::views::MainWindow::statsFinished, &app, [&window, screenshot] {
            // One more event-loop pass so the charts' queued replots have run.
            QTimer::singleShot(100, &window, [&window, screenshot] {
                if (!window.grab().save(screenshot)) {
                    std::fprintf(stderr, "quantscope: %s: cannot write the screenshot\n", qPrintable(screenshot));
                    QCoreApplication::exit(2);
                    return;
                }
                QCoreApplication::exit(0);
            });
        });
        window.resize(kScreenshotSize);
    }
    window.show();
    // Open once the event loop runs, so an early error can end it.
    QTimer::singleShot(0, &window, [&window, model] { window.openModel(model); });
    return app.exec();
}
