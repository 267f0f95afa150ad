// The weight-inspection workbench: the layer table in the centre, model
// facts, heatmap, histogram and channel profile in docks, statistics
// computed in the background with a progress bar and Cancel; evaluations
// (perplexity, task accuracy, KL) run from the Evaluate dock and are listed,
// as stored in the model's project file, in the Runs dock. The Plan tab,
// beside the layer table, edits the quantization plan those runs can use;
// the Sensitivity tab scans the layers and edits that plan from its charts.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <memory>
#include <vector>

#include <QElapsedTimer>
#include <QMainWindow>

#include "project/project_file.h"
#include "quant/activation_stats.h"
#include "stats/tensor_stats.h"

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QTabWidget;

namespace qs {
class Checkpoint;
struct DecoderBlockWeights;
}  // namespace qs

namespace qs::views {

class ActivationView;
class ChannelProfileView;
class EvalDeviceSelector;
class EvalService;
class EvaluatePanel;
class HeatmapView;
class HistogramView;
class LayerTableModel;
class LayerTablePanel;
class ModelInfoPanel;
class PlanEditorPanel;
class ResultsPanel;
class RunsPanel;
class SweepPanel;
class SweepService;
class SensitivityPanel;
class StatsService;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // Not interactive (--screenshot, tests): errors are only reported through
    // errorOccurred() and the status bar, never a modal dialog, and window
    // settings are neither restored nor saved.
    explicit MainWindow(bool interactive = true, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Reads the checkpoint's headers (instant) and starts its statistics.
    // Returns false, after reporting, when the file cannot be opened.
    bool openModel(const QString& path);

    LayerTableModel* layerModel() const { return model_; }
    LayerTablePanel* layerTable() const { return table_; }
    HistogramView* histogramView() const { return histogram_; }
    ChannelProfileView* channelProfileView() const { return profile_; }
    HeatmapView* heatmapView() const { return heatmap_; }
    StatsService* statsService() const { return stats_; }
    EvalService* evalService() const { return eval_; }
    // Picks the evaluation device by its request ("auto", "cpu", "cuda"); false for any other.
    bool selectDevice(const QString& request);
    EvaluatePanel* evaluatePanel() const { return evaluate_; }
    RunsPanel* runsPanel() const { return runs_; }
    SweepPanel* sweepPanel() const { return sweep_; }
    SweepService* sweepService() const { return sweeper_; }
    ResultsPanel* resultsPanel() const { return results_; }
    PlanEditorPanel* planEditor() const { return plan_; }
    SensitivityPanel* sensitivityPanel() const { return sensitivity_; }
    ActivationView* activationView() const { return activation_; }

    // Loads a plan file into the Plan tab, shows it, and makes it the plan
    // the Evaluate panel's runs use (needs an open model). False, after
    // reporting, when the file is bad or the evaluator cannot apply the plan.
    bool loadPlan(const QString& path);

    // Shows the Plan tab and quantizes the open model by the loaded plan on
    // `textFile` (samples / length 0: the form's defaults); when it is done
    // the quantized model is the one the Evaluate panel's runs use.
    void quantizeWithCalibration(const QString& textFile, int samples, int length);

    // Shows the Evaluate and Runs docks and starts a perplexity run on
    // `textFile` (ctx / maxWindows 0: the panel's defaults) for the open model.
    void evaluateText(const QString& textFile, int ctx, int maxWindows);

    // Shows the Sensitivity tab and scans the open model with the spec named
    // `specName` (SensitivityPanel::specNames(); empty: the panel's) on `textFile`.
    void scanSensitivity(const QString& textFile, int ctx, int windows, const QString& specName);

    // Shows the Sweep tab and runs the form's grid (by default RTN/GPTQ/AWQ at
    // 2, 3, 4, 8 bits, g128) on `textFile`, calibrating on `calibrationText`
    // (0 for ctx, windows, samples or length: the form's value).
    void sweepText(const QString& textFile, const QString& calibrationText, int ctx, int maxWindows, int samples,
                   int length);

    // Writes the visible table rows, in their current order, as CSV (the
    // columns of `quantscope-cli inspect --csv`). Empty string or the error.
    QString exportTableCsv(const QString& path) const;

signals:
    void modelOpened(const QString& path);
    void statsFinished();
    // A Quantize finished (or, for a plan needing no calibration, was handed on at once).
    void quantizationFinished();
    // A run finished and was stored in the project (and listed in the Runs dock).
    void evaluationFinished(const qs::RunRecord& run);
    void errorOccurred(const QString& message);
    void sensitivityFinished();
    void sweepFinished();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createDocks();
    void createStatusBar();
    void useSelectedDevice();  // hands the device selector's backend to every panel that computes
    void restoreSettings();
    void saveSettings() const;
    void addRecentFile(const QString& path);
    void updateRecentMenu();

    void chooseModel();
    void chooseCsvPath();
    void onStatsStarted();
    void onStatsProgress(double fraction, const QString& stage);
    void onStatsReady(const std::vector<qs::TensorStats>& stats);
    void onStatsCancelled();
    void onRunStored(const qs::RunRecord& run);
    void onSelectionChanged(const QList<int>& tensorRows, int current);
    void onPlanChosen(const QString& label, std::function<void(qs::DecoderBlockWeights&)> adjustBlock,
                      const nlohmann::json& plan);
    // Reads the project's calibration statistics (after a Quantize) for the activation view.
    void loadActivations();
    void showActivationsOf(int tensorRow);
    void reportError(const QString& title, const QString& message);
    void setBusy(bool busy);

    bool interactive_;
    std::shared_ptr<const qs::Checkpoint> checkpoint_;
    LayerTableModel* model_;
    LayerTablePanel* table_;
    PlanEditorPanel* plan_;
    QTabWidget* centralTabs_;
    ModelInfoPanel* info_;
    HeatmapView* heatmap_;
    HistogramView* histogram_;
    ChannelProfileView* profile_;
    ActivationView* activation_;
    SensitivityPanel* sensitivity_;
    std::map<std::string, qs::ActivationStats> activations_;  // calibration input statistics by layer name
    QString projectPath_;
    int currentTensor_ = -1;
    StatsService* stats_;
    EvalService* eval_;
    EvaluatePanel* evaluate_;
    RunsPanel* runs_;
    SweepService* sweeper_;
    SweepPanel* sweep_;
    ResultsPanel* results_;
    QDockWidget* evaluateDock_ = nullptr;
    QDockWidget* runsDock_ = nullptr;
    std::vector<QDockWidget*> bottomDocks_;  // the one-tensor charts and the Runs table
    QByteArray layoutBeforeSweep_;           // saveState() while the Sweep tab shows; empty otherwise
    QElapsedTimer statsClock_;

    QAction* openAction_ = nullptr;
    QAction* exportCsvAction_ = nullptr;
    QAction* cancelAction_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QMenu* viewMenu_ = nullptr;
    QLabel* statusText_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    EvalDeviceSelector* device_ = nullptr;
    QLabel* deviceText_ = nullptr;  // the device's resolved line, always in view
};

}  // namespace qs::views
