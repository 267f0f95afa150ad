#include "runs_panel.h"

#include <algorithm>
#include <exception>

#include <QDir>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

#include "layer_sort_proxy.h"
#include "runs_table_model.h"

namespace qs::views {

RunsPanel::RunsPanel(QWidget* parent)
    : QWidget(parent),
      model_(new RunsTableModel(this)),
      proxy_(new LayerSortProxy(this)),  // numbers as numbers, empty cells last, run ids naturally
      view_(new QTableView(this)),
      project_(new QLabel(this)) {
    proxy_->setSortRole(RunsTableModel::SortRole);
    proxy_->setSourceModel(model_);
    view_->setModel(proxy_);
    view_->setSortingEnabled(true);
    view_->sortByColumn(RunsTableModel::Id, Qt::AscendingOrder);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setAlternatingRowColors(true);
    view_->setWordWrap(false);
    view_->setTextElideMode(Qt::ElideMiddle);
    view_->verticalHeader()->hide();
    view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 8);
    view_->horizontalHeader()->setStretchLastSection(true);
    project_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    project_->setWordWrap(true);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->addWidget(view_, 1);
    layout->addWidget(project_);
    showProjectLine();
}

void RunsPanel::setProject(const QString& projectPath, int numLayers) {
    projectPath_ = projectPath;
    model_->setNumLayers(numLayers);
    if (projectPath.isEmpty()) {
        model_->clear();
        showProjectLine();
        return;
    }
    try {
        model_->setRuns(qs::listRuns(projectPath.toStdString()));
        showProjectLine();
    } catch (const std::exception& e) {
        model_->clear();
        showProjectLine(QString::fromUtf8(e.what()));
    }
    fitColumns();
}

void RunsPanel::addRun(const qs::RunRecord& run) {
    model_->addRun(run);
    showProjectLine();
    fitColumns();
    const QModelIndex added = proxy_->mapFromSource(model_->index(model_->rowCount() - 1, 0));
    view_->selectRow(added.row());
    view_->scrollTo(added);
}

// To their contents, but no column wider than its cap (paths and plan labels
// elide in the middle; the tooltips have them whole), so the metrics and
// their changes stay in view. The plan changes get the most room, enough for
// "28 layers -> W4 per-channel RTN".
void RunsPanel::fitColumns() {
    constexpr int kMaxColumnWidth = 170;
    constexpr int kMaxPlanWidth = 130;
    constexpr int kMaxChangesWidth = 240;
    view_->resizeColumnsToContents();
    for (int c = 0; c < model_->columnCount(); ++c) {
        const int cap = c == RunsTableModel::Changes ? kMaxChangesWidth
                        : c == RunsTableModel::Plan  ? kMaxPlanWidth
                                                     : kMaxColumnWidth;
        view_->setColumnWidth(c, std::min(view_->columnWidth(c), cap));
    }
}

void RunsPanel::showProjectLine(const QString& problem) {
    if (projectPath_.isEmpty()) {
        project_->setText(tr("No model open: runs are stored in the model's project file."));
    } else if (!problem.isEmpty()) {
        project_->setText(tr("Cannot read the project: %1").arg(problem));
    } else {
        const QString where = QDir::toNativeSeparators(projectPath_);
        project_->setText(QFileInfo::exists(projectPath_)
                              ? tr("%n run(s) in %1", nullptr, model_->rowCount()).arg(where)
                              : tr("No runs yet; the first is stored in %1").arg(where));
    }
    project_->setToolTip(projectPath_);
}

}  // namespace qs::views
