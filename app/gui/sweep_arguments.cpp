#include "sweep_arguments.h"

#include <QCommandLineParser>
#include <QTabWidget>

#include "main_window.h"
#include "sweep_metrics_form.h"
#include "sweep_panel.h"
#include "sweep_service.h"

namespace {
const QString kText = QStringLiteral("sweep-text");
const QString kKl = QStringLiteral("sweep-kl");
const QString kTask = QStringLiteral("sweep-task");
const QString kTaskLimit = QStringLiteral("sweep-task-limit");
const QString kShow = QStringLiteral("show-sweep");
}  // namespace

void addSweepOptions(QCommandLineParser& parser) {
    parser.addOption({kText,
                      QStringLiteral("Once statistics are ready, run the Sweep tab's grid on TEXT (repeat for several "
                                     "texts; --ctx, --max-windows, calibrating on --quantize-calib's TEXT with "
                                     "--calib-samples, --calib-length)."),
                      QStringLiteral("TEXT")});
    parser.addOption({kKl, QStringLiteral("With --sweep-text: KL vs the unquantized model on each text too.")});
    parser.addOption({kTask,
                      QStringLiteral("Run the Sweep tab's grid on task FILE too (repeatable; the type is the one its "
                                     "path names, e.g. tasks/piqa/valid.jsonl)."),
                      QStringLiteral("FILE")});
    parser.addOption({kTaskLimit, QStringLiteral("Items of each --sweep-task to score (0: all)."), QStringLiteral("N"),
                      QStringLiteral("0")});
    parser.addOption({kShow, QStringLiteral("Show the Sweep tab: its form and the project's sweep results.")});
}

SweepArguments sweepArguments(const QCommandLineParser& parser) {
    return {parser.values(kText), parser.isSet(kKl), parser.values(kTask), parser.value(kTaskLimit).toInt(),
            parser.isSet(kShow)};
}

void showSweepTab(qs::views::MainWindow& window) {
    if (auto* tabs = qobject_cast<QTabWidget*>(window.centralWidget()))
        tabs->setCurrentWidget(window.sweepPanel()->parentWidget());
}

bool startSweep(qs::views::MainWindow& window, const SweepArguments& args, const QString& calibrationText, int ctx,
                int maxWindows, int samples, int length) {
    qs::views::SweepPanel* panel = window.sweepPanel();
    panel->setRun(args.texts.value(0), calibrationText, ctx, maxWindows, samples, length);
    qs::views::SweepMetricsForm* metrics = panel->metricsForm();
    metrics->setTexts(args.texts);
    metrics->setKl(args.kl);
    std::vector<qs::views::SweepTaskChoice> tasks;
    for (const QString& task : args.tasks) tasks.push_back({task, std::nullopt, args.taskLimit});
    metrics->setTasks(tasks);
    showSweepTab(window);
    panel->run();
    return window.sweepService()->isRunning();
}
