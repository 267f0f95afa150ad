// The command-line options that fill and run the Sweep tab, so screenshots
// and docs can show a sweep as the CLI's `sweep` command would run it:
// --sweep-text (repeatable), --sweep-kl, --sweep-task (repeatable, its type
// named by its path), --sweep-task-limit, and --show-sweep for a project's
// finished sweeps.
#pragma once

#include <QStringList>

class QCommandLineParser;

namespace qs::views {
class MainWindow;
}

struct SweepArguments {
    QStringList texts;
    bool kl = false;
    QStringList tasks;
    int taskLimit = 0;
    bool show = false;  // the Sweep tab without running anything

    bool runs() const { return !texts.isEmpty() || !tasks.isEmpty(); }
};

void addSweepOptions(QCommandLineParser& parser);
SweepArguments sweepArguments(const QCommandLineParser& parser);

// Shows the Sweep tab with its form filled from `args` (the window and
// calibration settings as SweepPanel::setRun takes them) and starts it.
// False when the form refuses; the panel's status then says why.
bool startSweep(qs::views::MainWindow& window, const SweepArguments& args, const QString& calibrationText, int ctx,
                int maxWindows, int samples, int length);
void showSweepTab(qs::views::MainWindow& window);
