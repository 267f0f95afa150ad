// The Plan dock: which spec each linear layer gets. A default-spec row with
// presets above the per-layer table (PlanTableModel), Load/Save of plan
// JSON, a regex filter, the plan's label, the Quantize section
// (QuantizePanel: calibration set, progress, per-layer report), and
// "Evaluate this plan", which turns the plan into a block adjuster for the
// open model and hands it on (MainWindow gives it to the Evaluate panel):
// RTN / FP8 plans are applied on the fly while evaluating, calibration
// methods substitute the blocks of the last quantization of this very plan.
#pragma once

#include <functional>
#include <vector>

#include <QWidget>

#include <nlohmann/json.hpp>

#include "formats/model_config.h"
#include "spec_fields.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace qs {
struct DecoderBlockWeights;
}

namespace qs::views {

class PlanTableModel;
class QuantizePanel;

class PlanEditorPanel : public QWidget {
    Q_OBJECT
public:
    explicit PlanEditorPanel(QWidget* parent = nullptr);

    PlanTableModel* model() const { return model_; }
    QTableView* view() const { return view_; }
    QComboBox* presets() const { return presets_; }
    QLineEdit* filterEdit() const { return filter_; }
    QPushButton* evaluateButton() const { return evaluate_; }
    QuantizePanel* quantizePanel() const { return quantize_; }
    QString statusText() const;
    // The plan needs calibration and has not been quantized yet (Quantize first).
    bool awaitsQuantization() const;

    // Rows for the open model (null: none open); the plan is kept.
    void setModelConfig(const qs::ModelConfig* config);

    // Reads a plan file into the editor; the error (naming the file and
    // line) or an empty string. `interactive` shows it in a dialog as well.
    QString loadPlanFile(const QString& path, bool interactive = false);
    QString savePlanFile(const QString& path);

public slots:
    // Makes the layer `name` the current row (the window's selection moved);
    // a row that is already current keeps the table's multi-selection.
    void selectLayer(const QString& name);
    // Checks the plan against the open model and emits planChosen; on a plan
    // the evaluator cannot apply (a calibration method not quantized yet, a
    // misfit spec) shows why in the status line and returns false.
    bool evaluatePlan();
    // Quantizes the open model by the plan on the calibration set; the result
    // goes to the Evaluate panel when it is done. A plan that needs no
    // calibration is handed on at once: RTN / FP8 apply while evaluating.
    // True when a quantization job started.
    bool quantize();

signals:
    // `plan`: the plan's JSON (quantPlanToJson), recorded with the runs made under it.
    void planChosen(const QString& label, std::function<void(qs::DecoderBlockWeights&)> adjustBlock,
                    const nlohmann::json& plan);
    // The current layer of the table (canonical tensor name).
    void layerSelected(const QString& name);

private:
    void applyPreset(int index);
    void onDefaultFieldEdited(SpecField field);
    void updateDefaultRow();
    void applyFilter(const QString& pattern);
    void chooseLoadPath();
    void chooseSavePath();
    void setStatus(const QString& text, bool error);

    PlanTableModel* model_;
    QSortFilterProxyModel* proxy_;
    bool haveModel_ = false;
    std::vector<std::pair<SpecField, QWidget*>> defaultEditors_;
    QComboBox* presets_;
    QLineEdit* filter_;
    QTableView* view_;
    QLabel* label_;
    QPushButton* evaluate_;
    QLabel* status_;
    QuantizePanel* quantize_;
};

}  // namespace qs::views
