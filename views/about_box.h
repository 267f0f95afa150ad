// Help > About: what this build is and which papers its methods follow.
#pragma once

class QWidget;

namespace qs::views {

// A modal QMessageBox::about over `parent` with the application's name and
// version (QCoreApplication::applicationVersion(): version, commit, CUDA),
// the Qt version and the method references.
void showAboutBox(QWidget* parent);

}  // namespace qs::views
