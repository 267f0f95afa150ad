// The Runs dock: every evaluation stored in the open model's project file,
// in a sortable table (each run beside the previous one of its kind: plan
// changes and metric deltas), with a line saying where that file is.
#pragma once

#include <QString>
#include <QWidget>

#include "project/project_file.h"

class QLabel;
class QTableView;

namespace qs::views {

class LayerSortProxy;
class RunsTableModel;

class RunsPanel : public QWidget {
    Q_OBJECT
public:
    explicit RunsPanel(QWidget* parent = nullptr);

    // Lists the runs of `projectPath` (none yet when it does not exist); an
    // unreadable project is said in the panel, not thrown. Empty: no model.
    // `numLayers`: the model's decoder blocks, for the plan diffs (0: no diffs).
    void setProject(const QString& projectPath, int numLayers = 0);
    // Appends a run just stored in the current project and selects it.
    void addRun(const qs::RunRecord& run);

    RunsTableModel* model() const { return model_; }
    QTableView* view() const { return view_; }

private:
    void fitColumns();
    void showProjectLine(const QString& problem = {});

    QString projectPath_;
    RunsTableModel* model_;
    LayerSortProxy* proxy_;
    QTableView* view_;
    QLabel* project_;
};

}  // namespace qs::views
