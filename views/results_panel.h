// The Results dock: a project's sweep runs as the papers show them, a chart
// of one (dataset, metric) column against the weight bits and the results
// table, with exports for a paper: the figure at a column's or a page's width
// (PNG at a dpi, PDF, SVG, each with its plotted data and runs beside it),
// the table as CSV or LaTeX booktabs, and the runs behind the table as JSON.
#pragma once

#include <optional>
#include <vector>

#include <QWidget>

#include "project/run_record.h"

class QComboBox;
class QLabel;
class QSpinBox;
class QTableView;

namespace qs::views {

class ResultsTableModel;
class SweepChart;

class ResultsPanel : public QWidget {
    Q_OBJECT
public:
    explicit ResultsPanel(QWidget* parent = nullptr);

    // The project whose runs are shown; reload() reads them.
    void setProjectPath(const QString& path);
    QString projectPath() const { return projectPath_; }
    // Reads the runs again (after a sweep stored more); an unreadable
    // project is said in the panel, not thrown.
    void reload();

    // The selectors, by what they show: "" / a sweep name, "" (each kind's
    // default) / a metric, a table column index, nothing (all) / a group.
    void setSweep(const QString& name);
    void setMetric(const QString& metric);
    void setChartColumn(int column);
    void setGroup(std::optional<int> group);
    // The models of a sweep over several (hidden for one): "" / a sweepModelId.
    QComboBox* modelSelector() const { return modelBox_; }

    // Exports at the chosen print size and dpi; empty on success, else the error naming the file.
    QString exportFigure(const QString& path);
    QString exportTable(const QString& path);  // .tex: LaTeX booktabs; anything else: CSV
    QString exportRunsJson(const QString& path);

    SweepChart* chart() const { return chart_; }
    ResultsTableModel* model() const { return model_; }
    QTableView* view() const { return view_; }

private:
    void rebuildTable();
    void rebuildChart();
    void askAndExport(const QString& title, const QString& suggested, const QString& filter,
                      QString (ResultsPanel::*exporter)(const QString&));

    QString projectPath_;
    std::vector<qs::RunRecord> runs_;
    QComboBox* sweep_;
    QComboBox* modelBox_;  // shown when the sweep covers several models: one model's table and chart
    QLabel* modelLabel_;
    QComboBox* metric_;
    QComboBox* column_;
    QComboBox* group_;
    QComboBox* printSize_;
    QSpinBox* dpi_;
    SweepChart* chart_;
    ResultsTableModel* model_;
    QTableView* view_;
    QLabel* status_;
};

}  // namespace qs::views
