#include "main_window.h"

#include <cmath>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QLineEdit>
#include <QTextDocumentFragment>
#include <QToolBar>

#include "about_box.h"
#include "activation_view.h"
#include "channel_profile_view.h"
#include "eval_device_selector.h"
#include "eval_service.h"
#include "evaluate_panel.h"
#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "formats/tensor_names.h"
#include "heatmap_view.h"
#include "histogram_view.h"
#include "layer_sort_proxy.h"
#include "layer_table_model.h"
#include "layer_table_panel.h"
#include "model_info_panel.h"
#include "plan_editor_panel.h"
#include "quantize_panel.h"
#include "quantize_service.h"
#include "project/activation_store.h"
#include "results_panel.h"
#include "runs_panel.h"
#include "sensitivity_panel.h"
#include "sweep_panel.h"
#include "sweep_service.h"
#include "stats/stats_json.h"
#include "stats_service.h"

namespace qs::views {

namespace {
constexpr int kMaxRecentFiles = 8;
const QString kRecentKey = QStringLiteral("recentFiles");

// The tensor a freshly opened model shows first: the linear projection with
// the largest input-channel outlier ratio, the thing a quantizer fears most.
int mostInterestingTensor(const std::vector<TensorStats>& stats) {
    int best = stats.empty() ? -1 : 0;
    double bestRatio = -1;
    for (size_t i = 0; i < stats.size(); ++i)
        if (parseLinearName(stats[i].name) && std::isfinite(stats[i].outlierRatioIn) &&
            stats[i].outlierRatioIn > bestRatio) {
            bestRatio = stats[i].outlierRatioIn;
            best = int(i);
        }
    return best;
}
}  // namespace

MainWindow::MainWindow(bool interactive, QWidget* parent)
    : QMainWindow(parent),
      interactive_(interactive),
      model_(new LayerTableModel(this)),
      table_(new LayerTablePanel(model_, this)),
      plan_(new PlanEditorPanel(this)),
      centralTabs_(new QTabWidget(this)),
      info_(new ModelInfoPanel(this)),
      heatmap_(new HeatmapView(this)),
      histogram_(new HistogramView(this)),
      profile_(new ChannelProfileView(this)),
      activation_(new ActivationView(this)),
      sensitivity_(new SensitivityPanel(plan_->model(), this)),
      stats_(new StatsService(this)),
      eval_(new EvalService(this)),
      evaluate_(new EvaluatePanel(eval_, this)),
      runs_(new RunsPanel(this)),
      sweeper_(new SweepService(this)),
      sweep_(new SweepPanel(sweeper_, this)),
      results_(new ResultsPanel(this)) {
    setWindowTitle(QStringLiteral("QuantScope"));
    setObjectName(QStringLiteral("MainWindow"));
    // The plan is a table of the same layers, so it sits beside the layer
    // table, with the full width its twelve columns need.
    centralTabs_->addTab(table_, tr("Layers"));
    centralTabs_->addTab(plan_, tr("Plan"));
    // Three charts wide enough to read need the centre, not a dock.
    centralTabs_->addTab(sensitivity_, tr("Sensitivity"));
    // A sweep's form in a column beside the chart and table of its results,
    // which get the page's whole height.
    auto* sweepPage = new QSplitter(Qt::Horizontal, this);
    sweepPage->setChildrenCollapsible(false);
    sweepPage->addWidget(sweep_);
    sweepPage->addWidget(results_);
    sweepPage->setStretchFactor(1, 1);
    centralTabs_->addTab(sweepPage, tr("Sweep"));
    centralTabs_->setDocumentMode(true);
    setCentralWidget(centralTabs_);
    createActions();
    createDocks();
    createStatusBar();
    // A sweep's chart and table need the height the one-tensor charts take
    // below the centre: those docks step aside while the Sweep tab shows,
    // and the layout comes back as it was when another tab is chosen.
    connect(centralTabs_, &QTabWidget::currentChanged, this, [this, sweepPage] {
        const bool sweep = centralTabs_->currentWidget() == sweepPage;
        if (sweep == !layoutBeforeSweep_.isEmpty()) return;
        if (sweep) {
            layoutBeforeSweep_ = saveState();
            for (QDockWidget* d : bottomDocks_) d->hide();
        } else {
            restoreState(layoutBeforeSweep_);
            layoutBeforeSweep_.clear();
        }
    });

    connect(table_, &LayerTablePanel::selectionChanged, this, &MainWindow::onSelectionChanged);
    connect(heatmap_, &HeatmapView::tensorClicked, table_, &LayerTablePanel::selectTensor);
    // A layer picked in the plan is selected everywhere, so the charts show its weights.
    connect(plan_, &PlanEditorPanel::layerSelected, this, [this](const QString& name) {
        table_->selectTensor(model_->rowOf(name));
    });
    connect(plan_, &PlanEditorPanel::planChosen, this, &MainWindow::onPlanChosen);
    connect(sensitivity_, &SensitivityPanel::reevaluateRequested, plan_, &PlanEditorPanel::evaluatePlan);
    connect(sensitivity_, &SensitivityPanel::scanFinished, this, &MainWindow::sensitivityFinished);
    connect(sensitivity_->service(), &SensitivityService::failed, this,
            [this](const QString& message) { reportError(tr("Sensitivity scan failed"), message.toHtmlEscaped()); });
    QuantizeService* quantizer = plan_->quantizePanel()->service();
    connect(quantizer, &QuantizeService::finished, this, [this] {
        loadActivations();  // the job saved them before it finished
        emit quantizationFinished();
    });
    connect(quantizer, &QuantizeService::failed, this,
            [this](const QString& message) { reportError(tr("Quantization failed"), message.toHtmlEscaped()); });
    connect(stats_, &StatsService::started, this, &MainWindow::onStatsStarted);
    connect(stats_, &StatsService::progress, this, &MainWindow::onStatsProgress);
    connect(stats_, &StatsService::statsReady, this, &MainWindow::onStatsReady);
    connect(stats_, &StatsService::cancelled, this, &MainWindow::onStatsCancelled);
    connect(stats_, &StatsService::failed, this,
            [this](const QString& message) {
                setBusy(false);
                reportError(tr("Statistics failed"), message);
            });
    connect(eval_, &EvalService::finished, this, &MainWindow::onRunStored);
    connect(sweeper_, &SweepService::runStored, this, [this](const qs::RunRecord& run) {
        runs_->addRun(run);
        results_->reload();
    });
    connect(sweeper_, &SweepService::finished, this, &MainWindow::sweepFinished);
    connect(sweeper_, &SweepService::cancelled, this, &MainWindow::sweepFinished);
    connect(sweeper_, &SweepService::failed, this, [this](const QString& message) {
        reportError(tr("Sweep failed"), message.toHtmlEscaped());
        emit sweepFinished();
    });
    connect(eval_, &EvalService::failed, this,
            [this](const QString& message) { reportError(tr("Evaluation failed"), message.toHtmlEscaped()); });
    if (interactive_) restoreSettings();
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions() {
    openAction_ = new QAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open Model..."), this);
    openAction_->setShortcut(QKeySequence::Open);
    openAction_->setToolTip(tr("Open a Hugging Face directory, .safetensors, .gguf or llama2.c .bin"));
    connect(openAction_, &QAction::triggered, this, &MainWindow::chooseModel);

    exportCsvAction_ = new QAction(QIcon::fromTheme(QStringLiteral("document-export")), tr("&Export Table as CSV..."), this);
    exportCsvAction_->setShortcut(QKeySequence(tr("Ctrl+E")));
    exportCsvAction_->setToolTip(tr("Save the visible rows of the layer table, in their current order, as CSV"));
    exportCsvAction_->setEnabled(false);
    connect(exportCsvAction_, &QAction::triggered, this, &MainWindow::chooseCsvPath);

    cancelAction_ = new QAction(QIcon::fromTheme(QStringLiteral("process-stop")), tr("&Cancel Statistics"), this);
    cancelAction_->setShortcut(QKeySequence::Cancel);
    cancelAction_->setEnabled(false);
    connect(cancelAction_, &QAction::triggered, stats_, &StatsService::cancel);

    auto* findAction = new QAction(tr("&Filter Tensors"), this);
    findAction->setShortcut(QKeySequence::Find);
    connect(findAction, &QAction::triggered, this, [this] {
        table_->filterEdit()->setFocus();
        table_->filterEdit()->selectAll();
    });
    auto* quitAction = new QAction(tr("&Quit"), this);
    quitAction->setShortcut(QKeySequence::Quit);
    connect(quitAction, &QAction::triggered, this, &QWidget::close);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(openAction_);
    recentMenu_ = file->addMenu(tr("Open &Recent"));
    file->addAction(exportCsvAction_);
    file->addSeparator();
    file->addAction(quitAction);
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(findAction);
    edit->addAction(cancelAction_);
    viewMenu_ = menuBar()->addMenu(tr("&View"));
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About QuantScope"), this, [this] { showAboutBox(this); });

    QToolBar* tools = addToolBar(tr("Main"));
    tools->setObjectName(QStringLiteral("MainToolBar"));
    tools->setMovable(false);
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tools->addAction(openAction_);
    tools->addAction(exportCsvAction_);
    tools->addSeparator();
    auto* deviceLabel = new QLabel(tr("Device "), this);
    device_ = new EvalDeviceSelector(this);
    deviceLabel->setBuddy(device_);
    tools->addWidget(deviceLabel);
    tools->addWidget(device_);
    useSelectedDevice();
    updateRecentMenu();
}

void MainWindow::createDocks() {
    auto dock = [this](QWidget* widget, const QString& title, const QString& name, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        d->setWidget(widget);
        d->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                       QDockWidget::DockWidgetClosable);
        addDockWidget(area, d);
        viewMenu_->addAction(d->toggleViewAction());
        return d;
    };
    // The right column runs the full height; the charts share the bottom.
    setCorner(Qt::TopRightCorner, Qt::RightDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    QDockWidget* info = dock(info_, tr("Model"), QStringLiteral("ModelDock"), Qt::RightDockWidgetArea);
    QDockWidget* heat = dock(heatmap_, tr("Blocks \u00d7 projections"), QStringLiteral("HeatmapDock"),
                             Qt::RightDockWidgetArea);
    QDockWidget* hist = dock(histogram_, tr("Histogram"), QStringLiteral("HistogramDock"), Qt::BottomDockWidgetArea);
    QDockWidget* prof = dock(profile_, tr("Channel profile"), QStringLiteral("ProfileDock"), Qt::BottomDockWidgetArea);
    QDockWidget* act = dock(activation_, tr("Weights vs activations"), QStringLiteral("ActivationDock"),
                            Qt::BottomDockWidgetArea);
    // Evaluation shares the right column with the model facts, and the Runs
    // table the wider bottom area with the channel charts (its metric columns
    // need the width); the inspection views stay in front until a run ends.
    evaluateDock_ = dock(evaluate_, tr("Evaluate"), QStringLiteral("EvaluateDock"), Qt::RightDockWidgetArea);
    runsDock_ = dock(runs_, tr("Runs"), QStringLiteral("RunsDock"), Qt::BottomDockWidgetArea);
    bottomDocks_ = {hist, prof, act, runsDock_};
    splitDockWidget(hist, prof, Qt::Horizontal);
    tabifyDockWidget(info, evaluateDock_);
    tabifyDockWidget(prof, act);  // the same layer's input channels, weights alone or against activations
    tabifyDockWidget(prof, runsDock_);
    info->raise();
    hist->raise();
    prof->raise();
    resizeDocks({info, heat}, {1, 3}, Qt::Vertical);
    resizeDocks({heat}, {470}, Qt::Horizontal);
    resizeDocks({hist, prof}, {420, 420}, Qt::Vertical);
}

void MainWindow::useSelectedDevice() {
    evaluate_->setBackend(device_->backend());
    sweep_->setBackend(device_->backend());
    plan_->quantizePanel()->setBackend(device_->backend());
}

bool MainWindow::selectDevice(const QString& request) {
    const int index = device_->findData(request);
    if (index < 0) return false;
    device_->setCurrentIndex(index);
    return true;
}

void MainWindow::createStatusBar() {
    statusText_ = new QLabel(tr("Open a model to inspect its weights"), this);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->setMaximumWidth(260);
    progress_->setTextVisible(true);
    cancelButton_ = new QPushButton(tr("Cancel"), this);
    cancelButton_->setToolTip(tr("Stop computing statistics (Esc)"));
    connect(cancelButton_, &QPushButton::clicked, stats_, &StatsService::cancel);
    deviceText_ = new QLabel(device_->resolvedLine(), this);
    deviceText_->setObjectName(QStringLiteral("DeviceText"));
    connect(device_, &EvalDeviceSelector::deviceChanged, this, [this](const QString& line) {
        deviceText_->setText(line);
        useSelectedDevice();
    });
    statusBar()->addWidget(statusText_, 1);
    statusBar()->addPermanentWidget(deviceText_);
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(cancelButton_);
    setBusy(false);
}

void MainWindow::setBusy(bool busy) {
    progress_->setVisible(busy);
    cancelButton_->setVisible(busy);
    cancelAction_->setEnabled(busy);
}

bool MainWindow::openModel(const QString& path) {
    std::shared_ptr<const Checkpoint> ckpt;
    try {
        ckpt = openCheckpoint(path.toStdString());
    } catch (const FormatError& e) {
        reportError(tr("Cannot open model"), tr("<b>%1</b><br>%2").arg(QString::fromStdString(e.path()).toHtmlEscaped(),
                                                                   QString::fromStdString(e.problem()).toHtmlEscaped()));
        return false;
    } catch (const std::exception& e) {
        reportError(tr("Cannot open model"),
                    tr("<b>%1</b><br>%2").arg(path.toHtmlEscaped(), QString::fromUtf8(e.what()).toHtmlEscaped()));
        return false;
    }
    checkpoint_ = ckpt;
    model_->setCheckpoint(*ckpt);
    info_->setCheckpoint(*ckpt);
    heatmap_->setTensors({});
    histogram_->setTensors({});
    profile_->setTensor(std::nullopt);
    exportCsvAction_->setEnabled(false);
    const QString name = QFileInfo(path).fileName();
    setWindowTitle(tr("%1 \u2014 QuantScope").arg(name));
    setWindowFilePath(QFileInfo(path).absoluteFilePath());
    if (interactive_) addRecentFile(QFileInfo(path).absoluteFilePath());
    const QString project = QString::fromStdString(defaultProjectPath(*ckpt));
    evaluate_->setModel(checkpoint_, project);
    evaluate_->setPlan({}, {});  // an adjuster was checked against the previous model
    plan_->setModelConfig(&checkpoint_->config);
    plan_->quantizePanel()->setModel(checkpoint_, project);
    sensitivity_->setModel(checkpoint_);
    projectPath_ = project;
    currentTensor_ = -1;  // rows of the previous model
    loadActivations();
    runs_->setProject(project, int(checkpoint_->config.numLayers));
    sweep_->setModel(checkpoint_, project);
    results_->setProjectPath(project);
    results_->reload();
    emit modelOpened(path);
    stats_->start(checkpoint_);
    return true;
}

void MainWindow::onStatsStarted() {
    statsClock_.start();
    progress_->setValue(0);
    progress_->setFormat(QStringLiteral("%p%"));
    statusText_->setText(tr("Computing statistics\u2026"));
    setBusy(true);
}

void MainWindow::onStatsProgress(double fraction, const QString& stage) {
    progress_->setValue(int(fraction * 1000));
    if (!stage.isEmpty()) statusText_->setText(tr("Computing statistics: %1").arg(stage));
}

void MainWindow::onStatsReady(const std::vector<qs::TensorStats>& stats) {
    setBusy(false);
    QStringList selectedNames;
    for (int row : table_->selectedTensors()) selectedNames << QString::fromStdString(model_->tensor(row).name);
    model_->setStats(stats);
    heatmap_->setTensors(model_->tensors());
    exportCsvAction_->setEnabled(true);
    // Keep what the user had selected while the numbers were coming in.
    int first = selectedNames.isEmpty() ? mostInterestingTensor(model_->tensors()) : model_->rowOf(selectedNames.first());
    if (first >= 0) table_->selectTensor(first);
    statusText_->setText(tr("Statistics of %n tensor(s) ready in %1 s", nullptr, int(stats.size()))
                             .arg(statsClock_.elapsed() / 1000.0, 0, 'f', 1));
    emit statsFinished();
}

void MainWindow::onStatsCancelled() {
    setBusy(false);
    statusText_->setText(tr("Statistics cancelled; open the model again to compute them"));
}

void MainWindow::evaluateText(const QString& textFile, int ctx, int maxWindows) {
    evaluateDock_->show();
    evaluateDock_->raise();
    runsDock_->show();
    runsDock_->raise();
    evaluate_->setPerplexityRun(textFile, ctx, maxWindows);
    evaluate_->run();
}

bool MainWindow::loadPlan(const QString& path) {
    centralTabs_->setCurrentWidget(plan_);
    const QString error = plan_->loadPlanFile(path);
    if (!error.isEmpty()) {
        reportError(tr("Cannot load plan"), error.toHtmlEscaped());
        return false;
    }
    // A calibration plan is fine here: Quantize makes it evaluable.
    if (!plan_->evaluatePlan() && !plan_->awaitsQuantization()) {
        reportError(tr("Cannot evaluate plan"), plan_->statusText().toHtmlEscaped());
        return false;
    }
    return true;
}

void MainWindow::quantizeWithCalibration(const QString& textFile, int samples, int length) {
    centralTabs_->setCurrentWidget(plan_);
    plan_->quantizePanel()->setCalibration(textFile, samples, length);
    if (!plan_->quantize()) emit quantizationFinished();  // an RTN / FP8 plan was handed on at once
}

void MainWindow::sweepText(const QString& textFile, const QString& calibrationText, int ctx, int maxWindows,
                           int samples, int length) {
    centralTabs_->setCurrentWidget(sweep_->parentWidget());
    sweep_->setRun(textFile, calibrationText, ctx, maxWindows, samples, length);
    sweep_->run();
}

void MainWindow::scanSensitivity(const QString& textFile, int ctx, int windows, const QString& specName) {
    centralTabs_->setCurrentWidget(sensitivity_);
    sensitivity_->setScan(textFile, ctx, windows, specName);
    sensitivity_->run();
}

void MainWindow::loadActivations() {
    activations_.clear();
    try {
        for (LayerActivationStats& layer : loadActivationStats(projectPath_.toStdString()))
            activations_[layer.name] = std::move(layer.stats);
    } catch (const std::exception& e) {
        // A damaged project must not stop the weight views: say so and show weights alone.
        statusText_->setText(tr("Activation statistics unreadable: %1").arg(QString::fromUtf8(e.what())));
    }
    showActivationsOf(currentTensor_);
}

void MainWindow::showActivationsOf(int tensorRow) {
    if (tensorRow < 0 || tensorRow >= int(model_->tensors().size())) return activation_->setLayer(std::nullopt, {});
    const TensorStats& t = model_->tensor(tensorRow);
    const auto it = activations_.find(t.name);
    if (it == activations_.end()) return activation_->setLayer(t, {});
    activation_->setLayer(t, it->second.channelAbsmax, it->second.tokenAbsmaxQuantiles);
}

void MainWindow::onPlanChosen(const QString& label, std::function<void(qs::DecoderBlockWeights&)> adjustBlock,
                              const nlohmann::json& plan) {
    evaluate_->setPlan(label, std::move(adjustBlock), plan);
    evaluateDock_->show();
    evaluateDock_->raise();
    evaluate_->run();  // does nothing until the panel has a dataset
}

void MainWindow::onRunStored(const qs::RunRecord& run) {
    // A run started before another model was opened belongs to that model's project.
    if (checkpoint_ && run.model == checkpoint_->path) {
        runs_->addRun(run);
        runsDock_->raise();
    }
    statusText_->setText(tr("Evaluation %1 stored in the project").arg(QString::fromStdString(run.id)));
    emit evaluationFinished(run);
}

void MainWindow::onSelectionChanged(const QList<int>& tensorRows, int current) {
    std::vector<TensorStats> selected;
    for (int row : tensorRows) selected.push_back(model_->tensor(row));
    histogram_->setTensors(std::move(selected));
    profile_->setTensor(current >= 0 ? std::optional<TensorStats>(model_->tensor(current)) : std::nullopt);
    heatmap_->setSelectedTensors(tensorRows);
    currentTensor_ = current;
    showActivationsOf(current);
    if (current >= 0) plan_->selectLayer(QString::fromStdString(model_->tensor(current).name));
}

void MainWindow::reportError(const QString& title, const QString& message) {
    // The status bar gets plain text; the dialog keeps the bold file name.
    QString plain = message;
    plain.replace(QLatin1String("<br>"), QLatin1String(": "));
    plain = QTextDocumentFragment::fromHtml(plain).toPlainText();
    statusText_->setText(plain);
    emit errorOccurred(plain);
    if (interactive_) QMessageBox::critical(this, title, message);
}

QString MainWindow::exportTableCsv(const QString& path) const {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
        return tr("%1: cannot write (%2)").arg(path, file.errorString());
    const LayerSortProxy* proxy = table_->proxy();
    QByteArray csv = QByteArray::fromStdString(tensorStatsCsvHeader()) + '\n';
    for (int r = 0; r < proxy->rowCount(); ++r) {
        const int row = proxy->index(r, 0).data(LayerTableModel::TensorIndexRole).toInt();
        csv += QByteArray::fromStdString(tensorStatsCsvRow(model_->tensor(row))) + '\n';
    }
    file.write(csv);
    if (!file.commit()) return tr("%1: cannot write (%2)").arg(path, file.errorString());
    return {};
}

void MainWindow::chooseModel() {
    QSettings settings;
    const QString dir = settings.value(QStringLiteral("lastModelDir")).toString();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Model"), dir,
        tr("Checkpoints (*.safetensors *.gguf *.bin config.json model.safetensors.index.json);;All files (*)"));
    if (path.isEmpty()) return;
    settings.setValue(QStringLiteral("lastModelDir"), QFileInfo(path).absolutePath());
    // A file inside a Hugging Face directory opens the directory (config + shards).
    const QFileInfo info(path);
    openModel(info.fileName() == QLatin1String("config.json") ? info.absolutePath() : path);
}

void MainWindow::chooseCsvPath() {
    const QString base = QFileInfo(windowFilePath()).completeBaseName();
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Table"), base + QStringLiteral("-stats.csv"),
                                                      tr("CSV files (*.csv)"));
    if (path.isEmpty()) return;
    const QString error = exportTableCsv(path);
    if (!error.isEmpty()) reportError(tr("Export failed"), error.toHtmlEscaped());
    else statusText_->setText(tr("Table written to %1").arg(path));
}

void MainWindow::addRecentFile(const QString& path) {
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecentFiles) recent.removeLast();
    settings.setValue(kRecentKey, recent);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
    recentMenu_->clear();
    const QStringList recent = interactive_ ? QSettings().value(kRecentKey).toStringList() : QStringList();
    for (const QString& path : recent)
        recentMenu_->addAction(QFileInfo(path).fileName(), this, [this, path] { openModel(path); })->setToolTip(path);
    recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::restoreSettings() {
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::saveSettings() const {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    stats_->cancel();
    eval_->cancel();
    plan_->quantizePanel()->service()->cancel();
    sensitivity_->service()->cancel();
    if (interactive_) saveSettings();
    QMainWindow::closeEvent(event);
}

}  // namespace qs::views
