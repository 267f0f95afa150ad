#include "data_file_dialog.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QSettings>

namespace qs::views {

namespace {
const QString kLastDirKey = QStringLiteral("evaluate/lastDatasetDir");

QString startDirectory(const QString& current, DataKind kind) {
    if (!current.isEmpty()) return QFileInfo(current).absolutePath();
    const QString last = QSettings().value(kLastDirKey).toString();
    if (!last.isEmpty() && QFileInfo(last).isDir()) return last;
    const QString shared =
        QStringLiteral(QS_SHARED_DATA_DIR) + (kind == DataKind::Task ? QStringLiteral("/tasks") : QStringLiteral("/text"));
    return QFileInfo(shared).isDir() ? QDir::cleanPath(shared) : QDir::homePath();
}
}  // namespace

QString chooseDataFile(QWidget* parent, const QString& title, const QString& current, DataKind kind) {
    const QString filter = kind == DataKind::Task
                               ? QFileDialog::tr("Task files (*.jsonl *.json *.csv);;All files (*)")
                               : QFileDialog::tr("Text files (*.txt *.raw *.tokens);;All files (*)");
    const QString path = QFileDialog::getOpenFileName(parent, title, startDirectory(current, kind), filter);
    if (!path.isEmpty()) QSettings().setValue(kLastDirKey, QFileInfo(path).absolutePath());
    return path;
}

}  // namespace qs::views
