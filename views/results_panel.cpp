#include "results_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>

#include "analysis/sweep_grid.h"
#include "analysis/sweep_results.h"
#include "project/project_file.h"
#include "results_table_model.h"
#include "sweep_chart.h"

namespace qs::views {

namespace {

QString text(const std::string& s) { return QString::fromStdString(s); }

// Refills `box` with (label, data) pairs, keeping the current choice when it is still offered.
void refill(QComboBox* box, const std::vector<std::pair<QString, QVariant>>& items) {
    const QSignalBlocker blocker(box);
    const QVariant current = box->currentData();
    box->clear();
    for (const auto& [label, data] : items) box->addItem(label, data);
    box->setCurrentIndex(std::max(0, box->findData(current)));
}

QString writeText(const QString& path, const std::string& content) {
    try {
        qs::writeResultFile(path.toStdString(), content);
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

}  // namespace

ResultsPanel::ResultsPanel(QWidget* parent)
    : QWidget(parent),
      sweep_(new QComboBox(this)),
      modelBox_(new QComboBox(this)),
      modelLabel_(new QLabel(tr("Model"), this)),
      metric_(new QComboBox(this)),
      column_(new QComboBox(this)),
      group_(new QComboBox(this)),
      printSize_(new QComboBox(this)),
      dpi_(new QSpinBox(this)),
      chart_(new SweepChart(this)),
      model_(new ResultsTableModel(this)),
      view_(new QTableView(this)),
      status_(new QLabel(this)) {
    sweep_->setToolTip(tr("Runs of one sweep, or of every sweep in the project"));
    modelBox_->setToolTip(tr("The model whose cells the table and chart show"));
    modelBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    metric_->setToolTip(tr("What the table lists: each kind's own metric, or one metric on every dataset"));
    column_->setToolTip(tr("The table column the chart draws against the weight bits"));
    group_->setToolTip(tr("Only the series of one group size"));
    printSize_->addItem(tr("Column (3.5 in)"), int(PrintSize::Column));
    printSize_->addItem(tr("Page (7 in)"), int(PrintSize::Page));
    dpi_->setRange(72, 1200);
    dpi_->setValue(300);
    dpi_->setSuffix(tr(" dpi"));
    dpi_->setToolTip(tr("Resolution of PNG figures; PDF and SVG are vector"));

    auto* selectors = new QHBoxLayout;
    selectors->addWidget(new QLabel(tr("Sweep"), this));
    selectors->addWidget(sweep_);
    selectors->addWidget(modelLabel_);
    selectors->addWidget(modelBox_);
    for (auto [label, box] : {std::pair{tr("Metric"), metric_}, {tr("Chart"), column_}, {tr("Group"), group_}}) {
        // Column labels ("wikitext-2-raw kl_mean") are long: the box grows to show them whole.
        box->setSizeAdjustPolicy(QComboBox::AdjustToContents);
        selectors->addWidget(new QLabel(label, this));
        selectors->addWidget(box);
    }
    selectors->addStretch(1);

    auto* exports = new QHBoxLayout;
    exports->addWidget(new QLabel(tr("Print size"), this));
    exports->addWidget(printSize_);
    exports->addWidget(dpi_);
    const auto addButton = [&](const QString& label, const QString& tip, auto slot) {
        auto* button = new QPushButton(label, this);
        button->setToolTip(tip);
        connect(button, &QPushButton::clicked, this, slot);
        exports->addWidget(button);
    };
    addButton(tr("Figure..."), tr("The chart as PNG, PDF or SVG, with its data (.csv) and runs (.runs.json) beside it"),
              [this] {
                  askAndExport(tr("Export Figure"), QStringLiteral("sweep.pdf"),
                               tr("PDF document (*.pdf);;SVG drawing (*.svg);;PNG image (*.png)"),
                               &ResultsPanel::exportFigure);
              });
    addButton(tr("Table CSV..."), tr("The results table with standard errors"), [this] {
        askAndExport(tr("Export Table"), QStringLiteral("results.csv"), tr("CSV (*.csv)"), &ResultsPanel::exportTable);
    });
    addButton(tr("LaTeX..."), tr("The results table as a booktabs tabular, the best method per bit width in bold"),
              [this] {
                  askAndExport(tr("Export Table"), QStringLiteral("results.tex"), tr("LaTeX (*.tex)"),
                               &ResultsPanel::exportTable);
              });
    addButton(tr("Runs JSON..."), tr("Every run behind the table, settings and metrics, to reproduce it"), [this] {
        askAndExport(tr("Export Runs"), QStringLiteral("results.runs.json"), tr("JSON (*.json)"),
                     &ResultsPanel::exportRunsJson);
    });
    exports->addStretch(1);

    view_->setModel(model_);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setAlternatingRowColors(true);
    view_->verticalHeader()->hide();
    view_->horizontalHeader()->setStretchLastSection(true);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(chart_);
    split->addWidget(view_);
    // The chart is what a sweep is read from; the table scrolls.
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->addLayout(selectors);
    layout->addWidget(split, 1);
    layout->addLayout(exports);
    layout->addWidget(status_);

    connect(sweep_, &QComboBox::currentIndexChanged, this, &ResultsPanel::rebuildTable);
    connect(modelBox_, &QComboBox::currentIndexChanged, this, &ResultsPanel::rebuildTable);
    connect(metric_, &QComboBox::currentIndexChanged, this, &ResultsPanel::rebuildTable);
    connect(column_, &QComboBox::currentIndexChanged, this, &ResultsPanel::rebuildChart);
    connect(group_, &QComboBox::currentIndexChanged, this, &ResultsPanel::rebuildChart);
    reload();
}

void ResultsPanel::setProjectPath(const QString& path) { projectPath_ = path; }

void ResultsPanel::reload() {
    runs_.clear();
    QString problem;
    try {
        if (!projectPath_.isEmpty()) runs_ = qs::listRuns(projectPath_.toStdString());
    } catch (const std::exception& e) {
        problem = tr("Cannot read the project: %1").arg(QString::fromUtf8(e.what()));
    }
    std::vector<std::pair<QString, QVariant>> sweeps = {{tr("All sweeps"), QString()}};
    for (const std::string& name : qs::sweepNames(runs_)) sweeps.push_back({text(name), text(name)});
    refill(sweep_, sweeps);
    rebuildTable();
    if (!problem.isEmpty()) status_->setText(problem);
}

void ResultsPanel::setSweep(const QString& name) { sweep_->setCurrentIndex(std::max(0, sweep_->findData(name))); }
void ResultsPanel::setMetric(const QString& metric) {
    metric_->setCurrentIndex(std::max(0, metric_->findData(metric)));
}
void ResultsPanel::setChartColumn(int column) { column_->setCurrentIndex(column); }
void ResultsPanel::setGroup(std::optional<int> group) {
    group_->setCurrentIndex(std::max(0, group ? group_->findData(*group) : 0));
}

void ResultsPanel::rebuildTable() {
    const std::string sweep = sweep_->currentData().toString().toStdString();
    std::vector<std::pair<QString, QVariant>> models;
    for (const std::string& m : qs::sweepModels(runs_, sweep)) {
        const QString label = text(qs::modelShortName(m));
        models.push_back({label.isEmpty() ? tr("(not recorded)") : label, text(m)});
    }
    refill(modelBox_, models);
    modelLabel_->setVisible(models.size() > 1);
    modelBox_->setVisible(models.size() > 1);
    std::vector<std::pair<QString, QVariant>> metrics = {{tr("Each kind's own"), QString()}};
    for (const std::string& m : qs::sweepMetrics(runs_, sweep)) metrics.push_back({text(m), text(m)});
    refill(metric_, metrics);
    const QString metric = metric_->currentData().toString();
    qs::SweepTableOptions options;
    options.sweepName = sweep;
    // A table and chart of one model at a time; a run stored before sweeps
    // recorded their model has none, and an empty filter takes every model.
    if (models.size() > 1) options.model = modelBox_->currentData().toString().toStdString();
    if (!metric.isEmpty()) options.metrics = {metric.toStdString()};
    model_->setTable(qs::buildSweepTable(runs_, options));
    view_->resizeColumnsToContents();

    const qs::SweepTable& table = model_->table();
    std::vector<std::pair<QString, QVariant>> columns;
    for (size_t c = 0; c < table.columns.size(); ++c) columns.push_back({text(table.columns[c].label()), int(c)});
    refill(column_, columns);
    std::vector<int> groups;
    for (const qs::SweepRow& r : table.rows)
        if (!r.baseline() && std::find(groups.begin(), groups.end(), r.group) == groups.end())
            groups.push_back(r.group);
    std::sort(groups.begin(), groups.end());
    std::vector<std::pair<QString, QVariant>> groupItems = {{tr("All groups"), QVariant()}};
    for (int g : groups) groupItems.push_back({text(qs::groupLabel(g)), g});
    refill(group_, groupItems);

    status_->setText(projectPath_.isEmpty() ? tr("No project: sweep results are read from a project file.")
                     : table.rows.empty()   ? tr("No sweep runs in %1").arg(projectPath_)
                                            : tr("%n cell(s) x %1 column(s) from %2", nullptr, int(table.rows.size()))
                                                .arg(table.columns.size())
                                                .arg(projectPath_));
    rebuildChart();
}

void ResultsPanel::rebuildChart() {
    const QVariant group = group_->currentData();
    chart_->setData(qs::sweepChart(model_->table(), size_t(std::max(0, column_->currentIndex())),
                                   group.isValid() ? std::optional<int>(group.toInt()) : std::nullopt));
}

QString ResultsPanel::exportFigure(const QString& path) {
    return exportFigureWithData(*chart_, runs_, path, PrintSize(printSize_->currentData().toInt()), dpi_->value());
}

QString ResultsPanel::exportTable(const QString& path) {
    const bool latex = QFileInfo(path).suffix().toLower() == QLatin1String("tex");
    return writeText(path, latex ? qs::sweepTableLatex(model_->table()) : qs::sweepTableCsv(model_->table()));
}

QString ResultsPanel::exportRunsJson(const QString& path) {
    return writeText(path, qs::runsBehind(runs_, model_->table()).dump(2) + "\n");
}

void ResultsPanel::askAndExport(const QString& title, const QString& suggested, const QString& filter,
                                QString (ResultsPanel::*exporter)(const QString&)) {
    const QString dir = projectPath_.isEmpty() ? QString() : QFileInfo(projectPath_).absolutePath();
    const QString path = QFileDialog::getSaveFileName(this, title, QDir(dir).filePath(suggested), filter);
    if (path.isEmpty()) return;
    const QString error = (this->*exporter)(path);
    if (!error.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), error);
    else
        status_->setText(tr("Wrote %1").arg(path));
}

}  // namespace qs::views
