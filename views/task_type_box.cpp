#include "task_type_box.h"

#include <QDir>
#include <QFileInfo>

namespace qs::views {

namespace {
constexpr qs::TaskType kTaskTypes[] = {qs::TaskType::HellaSwag, qs::TaskType::Arc,   qs::TaskType::Piqa,
                                       qs::TaskType::WinoGrande, qs::TaskType::BoolQ, qs::TaskType::Lambada,
                                       qs::TaskType::Mmlu,      qs::TaskType::OpenBookQa};
}  // namespace

TaskTypeBox::TaskTypeBox(QWidget* parent) : QComboBox(parent) {
    for (qs::TaskType t : kTaskTypes) {
        const std::string_view name = qs::taskTypeName(t);
        addItem(QString::fromLatin1(name.data(), qsizetype(name.size())), int(t));
    }
    setPlaceholderText(tr("choose a type"));
    setCurrentIndex(-1);
}

std::optional<qs::TaskType> TaskTypeBox::type() const {
    if (currentIndex() < 0) return std::nullopt;
    return qs::TaskType(currentData().toInt());
}

void TaskTypeBox::setType(std::optional<qs::TaskType> type) { setCurrentIndex(type ? findData(int(*type)) : -1); }

std::optional<qs::TaskType> taskTypeOfPath(const QString& path) {
    // The file's own name first ("arc_challenge.jsonl"), then its folders from the nearest up.
    QStringList names = QDir::fromNativeSeparators(QFileInfo(path).path()).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    names.append(QFileInfo(path).completeBaseName());
    for (auto it = names.crbegin(); it != names.crend(); ++it)
        if (const auto type = qs::taskTypeFromName(it->toLower().toStdString())) return type;
    return std::nullopt;
}

}  // namespace qs::views
