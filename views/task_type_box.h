// The zero-shot task types core reads (eval/task_items.h) as a combo box, for
// every panel that asks for a task file's type, and the type a task file's
// path names (".../piqa/valid.jsonl"), so a picked file usually needs no
// second choice.
#pragma once

#include <optional>

#include <QComboBox>

#include "eval/task_items.h"

namespace qs::views {

class TaskTypeBox : public QComboBox {
    Q_OBJECT
public:
    explicit TaskTypeBox(QWidget* parent = nullptr);

    // Nothing chosen yet: the box shows a prompt and type() is empty.
    std::optional<qs::TaskType> type() const;
    void setType(std::optional<qs::TaskType> type);
};

// The task type a folder or file name in `path` names ("mmlu/test/anatomy_test.csv": MMLU), if any.
std::optional<qs::TaskType> taskTypeOfPath(const QString& path);

}  // namespace qs::views
