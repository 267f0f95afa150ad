// The file dialog for evaluation and calibration data (texts, task files),
// shared by the panels that ask for them: it starts in the last folder used,
// else in the shared data of a source checkout, else at home, and remembers
// where the user went.
#pragma once

#include <QString>

class QWidget;

namespace qs::views {

enum class DataKind { Text, Task };

// The chosen file, or an empty string when the dialog was cancelled.
QString chooseDataFile(QWidget* parent, const QString& title, const QString& current, DataKind kind);

}  // namespace qs::views
