#include "sweep_metrics_form.h"

#include <algorithm>
#include <stdexcept>

#include <QCheckBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "data_file_dialog.h"
#include "task_type_box.h"

namespace qs::views {

namespace {
enum TaskColumn { FileColumn, TypeColumn, LimitColumn };
constexpr int kMaxLimit = 1 << 30;  // the CLI's bound on --limit

struct ListButtons {
    QHBoxLayout* row;
    QPushButton* add;
    QPushButton* remove;
};

// "Add…" and "Remove" under a list, Remove enabled while something is selected.
ListButtons listButtons(QWidget* parent, QAbstractItemView* view, const QString& addLabel) {
    ListButtons b{new QHBoxLayout, new QPushButton(QIcon::fromTheme(QStringLiteral("list-add")), addLabel, parent),
                  new QPushButton(QIcon::fromTheme(QStringLiteral("list-remove")), SweepMetricsForm::tr("Remove"), parent)};
    b.remove->setEnabled(false);
    QObject::connect(view->selectionModel(), &QItemSelectionModel::selectionChanged, b.remove,
                     [view, remove = b.remove] { remove->setEnabled(view->selectionModel()->hasSelection()); });
    b.row->setContentsMargins(0, 0, 0, 0);
    b.row->addWidget(b.add);
    b.row->addWidget(b.remove);
    b.row->addStretch(1);
    return b;
}
}  // namespace

SweepMetricsForm::SweepMetricsForm(QWidget* parent)
    : QWidget(parent),
      texts_(new QListWidget(this)),
      kl_(new QCheckBox(tr("also KL vs the unquantized model, on each text"), this)),
      tasks_(new QTableWidget(0, 3, this)) {
    texts_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    texts_->setToolTip(tr("Perplexity of every cell on each text"));
    tasks_->setHorizontalHeaderLabels({tr("Task file"), tr("Type"), tr("Items")});
    tasks_->setSelectionBehavior(QAbstractItemView::SelectRows);
    tasks_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    tasks_->verticalHeader()->hide();
    tasks_->horizontalHeader()->setSectionResizeMode(FileColumn, QHeaderView::Stretch);
    tasks_->horizontalHeader()->setSectionResizeMode(TypeColumn, QHeaderView::ResizeToContents);
    tasks_->horizontalHeader()->setSectionResizeMode(LimitColumn, QHeaderView::ResizeToContents);
    tasks_->setToolTip(tr("Zero-shot accuracy of every cell on each task (lm-evaluation-harness scoring)"));

    const ListButtons textButtons = listButtons(this, texts_, tr("Add text\u2026"));
    const ListButtons taskButtons = listButtons(this, tasks_, tr("Add task\u2026"));
    connect(textButtons.add, &QPushButton::clicked, this, &SweepMetricsForm::chooseText);
    connect(textButtons.remove, &QPushButton::clicked, this, &SweepMetricsForm::removeSelectedTexts);
    connect(taskButtons.add, &QPushButton::clicked, this, &SweepMetricsForm::chooseTask);
    connect(taskButtons.remove, &QPushButton::clicked, this, &SweepMetricsForm::removeSelectedTasks);
    connect(kl_, &QCheckBox::toggled, this, &SweepMetricsForm::changed);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Texts (perplexity)"), this));
    layout->addWidget(texts_, 1);
    layout->addLayout(textButtons.row);
    layout->addWidget(kl_);
    layout->addWidget(new QLabel(tr("Tasks (accuracy)"), this));
    layout->addWidget(tasks_, 1);
    layout->addLayout(taskButtons.row);
}

void SweepMetricsForm::setTexts(const QStringList& files) {
    texts_->clear();
    for (const QString& f : files) addText(f);
    emit changed();
}

void SweepMetricsForm::addText(const QString& file) {
    if (file.isEmpty() || texts().contains(file)) return;  // the same text twice would be the same runs
    auto* item = new QListWidgetItem(QFileInfo(file).fileName(), texts_);
    item->setData(Qt::UserRole, file);
    item->setToolTip(file);
    emit changed();
}

QStringList SweepMetricsForm::texts() const {
    QStringList files;
    for (int i = 0; i < texts_->count(); ++i) files.append(texts_->item(i)->data(Qt::UserRole).toString());
    return files;
}

void SweepMetricsForm::setKl(bool on) { kl_->setChecked(on); }

void SweepMetricsForm::setTasks(const std::vector<SweepTaskChoice>& tasks) {
    tasks_->setRowCount(0);
    for (const SweepTaskChoice& t : tasks) addTask(t);
    emit changed();
}

void SweepMetricsForm::addTask(const SweepTaskChoice& task) {
    const int row = tasks_->rowCount();
    tasks_->insertRow(row);
    auto* file = new QTableWidgetItem(QFileInfo(task.file).fileName());
    file->setData(Qt::UserRole, task.file);
    file->setToolTip(task.file);
    tasks_->setItem(row, FileColumn, file);
    auto* type = new TaskTypeBox(tasks_);
    type->setType(task.type ? task.type : taskTypeOfPath(task.file));
    connect(type, &QComboBox::currentIndexChanged, this, &SweepMetricsForm::changed);
    tasks_->setCellWidget(row, TypeColumn, type);
    auto* limit = new QSpinBox(tasks_);
    limit->setRange(0, kMaxLimit);
    limit->setSpecialValueText(tr("all"));
    limit->setValue(task.limit);
    limit->setToolTip(tr("Score the first N items of the task file (0: all)"));
    connect(limit, &QSpinBox::valueChanged, this, &SweepMetricsForm::changed);
    tasks_->setCellWidget(row, LimitColumn, limit);
    emit changed();
}

std::vector<SweepTaskChoice> SweepMetricsForm::tasks() const {
    std::vector<SweepTaskChoice> rows;
    for (int r = 0; r < tasks_->rowCount(); ++r)
        rows.push_back({tasks_->item(r, FileColumn)->data(Qt::UserRole).toString(),
                        static_cast<TaskTypeBox*>(tasks_->cellWidget(r, TypeColumn))->type(),
                        static_cast<QSpinBox*>(tasks_->cellWidget(r, LimitColumn))->value()});
    return rows;
}

std::vector<qs::SweepMetric> SweepMetricsForm::metrics() const {
    const QStringList files = texts();
    const std::vector<SweepTaskChoice> rows = tasks();
    if (files.isEmpty() && rows.empty())
        throw std::invalid_argument(tr("Add a text or a task: each cell needs something to be evaluated on.").toStdString());
    if (kl_->isChecked() && files.isEmpty())
        throw std::invalid_argument(tr("KL is measured on the texts: add a text or untick KL.").toStdString());
    std::vector<std::string> textPaths;
    for (const QString& f : files) textPaths.push_back(f.toStdString());
    std::vector<qs::SweepMetric> metrics = qs::textMetrics(textPaths, kl_->isChecked());
    for (const SweepTaskChoice& t : rows) {
        if (!t.type)
            throw std::invalid_argument(tr("Choose the type of task %1.").arg(QFileInfo(t.file).fileName()).toStdString());
        metrics.push_back({qs::RunKind::Task, t.file.toStdString(), *t.type, t.limit});
    }
    return metrics;
}

void SweepMetricsForm::chooseText() {
    const QStringList files = texts();
    addText(chooseDataFile(this, tr("Evaluation Text"), files.isEmpty() ? QString() : files.last(), DataKind::Text));
}

void SweepMetricsForm::chooseTask() {
    const std::vector<SweepTaskChoice> rows = tasks();
    const QString file =
        chooseDataFile(this, tr("Task File"), rows.empty() ? QString() : rows.back().file, DataKind::Task);
    if (!file.isEmpty()) addTask({file, std::nullopt, rows.empty() ? 0 : rows.back().limit});
}

void SweepMetricsForm::removeSelectedTexts() {
    qDeleteAll(texts_->selectedItems());
    emit changed();
}

void SweepMetricsForm::removeSelectedTasks() {
    const QModelIndexList rows = tasks_->selectionModel()->selectedRows();
    // From the bottom up, so the rows still to remove keep their numbers.
    std::vector<int> numbers;
    for (const QModelIndex& i : rows) numbers.push_back(i.row());
    std::sort(numbers.rbegin(), numbers.rend());
    for (int r : numbers) tasks_->removeRow(r);
    emit changed();
}

}  // namespace qs::views
