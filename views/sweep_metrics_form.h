// What each cell of a sweep is evaluated on, as the CLI's repeated --text,
// --kl and --task/--task-type/--limit say it: a list of texts (perplexity on
// each, and KL against the unquantized model on each if asked) and a list of
// zero-shot tasks, each a file, its type and how many items to score.
#pragma once

#include <optional>
#include <vector>

#include <QStringList>
#include <QWidget>

#include "project/sweep_runner.h"

class QCheckBox;
class QListWidget;
class QTableWidget;

namespace qs::views {

struct SweepTaskChoice {
    QString file;
    std::optional<qs::TaskType> type;  // empty: the user has not chosen one yet
    int limit = 0;                     // 0: every item
};

class SweepMetricsForm : public QWidget {
    Q_OBJECT
public:
    explicit SweepMetricsForm(QWidget* parent = nullptr);

    void setTexts(const QStringList& files);
    QStringList texts() const;
    void setKl(bool on);
    // A task without a type gets the one its path names (taskTypeOfPath), if any.
    void setTasks(const std::vector<SweepTaskChoice>& tasks);
    std::vector<SweepTaskChoice> tasks() const;

    // The metrics in the CLI's order: each text's perplexity (then its KL),
    // then the tasks. std::invalid_argument, with a message for the panel,
    // when there is none or a task has no type.
    std::vector<qs::SweepMetric> metrics() const;

signals:
    void changed();

private:
    void addText(const QString& file);
    void addTask(const SweepTaskChoice& task);
    void chooseText();
    void chooseTask();
    void removeSelectedTexts();
    void removeSelectedTasks();

    QListWidget* texts_;
    QCheckBox* kl_;
    QTableWidget* tasks_;
};

}  // namespace qs::views
