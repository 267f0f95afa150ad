// The Sensitivity tab (issue "Diagnosis"): scan the open model with one spec
// (SensitivityService), then see the measured KL per layer three ways — the
// blocks x projections heatmap, the top-20 ranking, a proxy against KL with
// its Spearman. The charts edit the Plan editor's model: clicking a cell or
// a bar toggles that layer between the plan's per-channel and per-group g128
// grid, "Suggest 3%" loads suggestTopK's plan, and the per-group layers are
// outlined on the heatmap, so plan and charts always show the same state.
// "Re-evaluate" asks for the Plan editor's "Evaluate this plan".
#pragma once

#include <memory>
#include <set>
#include <string>

#include <QWidget>

#include "sensitivity_service.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace qs {
class Checkpoint;
}

namespace qs::views {

class HeatmapView;
class KlRankView;
class PlanTableModel;
class ProxyScatterView;

class SensitivityPanel : public QWidget {
    Q_OBJECT
public:
    // `plan` is the Plan editor's model, which the charts edit (not owned).
    explicit SensitivityPanel(PlanTableModel* plan, QWidget* parent = nullptr);

    SensitivityService* service() const { return service_; }
    HeatmapView* heatmap() const { return heatmap_; }
    KlRankView* ranking() const { return ranking_; }
    ProxyScatterView* scatter() const { return scatter_; }
    SensitivityResultPtr result() const { return result_; }

    void setModel(std::shared_ptr<const qs::Checkpoint> checkpoint);
    // The scan's inputs; a spec name from specNames() (empty keeps the current).
    void setScan(const QString& textFile, int ctx, int windows, const QString& specName = {});
    static QStringList specNames();
    // Shows a finished scan (what the service's finished() leads to).
    void setResult(SensitivityResultPtr result);
    // Layers the plan now quantizes per-group (outlined, second colour).
    std::set<std::string> perGroupLayers() const;

public slots:
    void run();
    // Switches `name` between the plan's spec per-channel and per-group g128; false when the plan cannot.
    bool toggleLayer(const std::string& name);
    // Loads suggestTopK(result, 3%) into the plan.
    void suggest();

signals:
    void reevaluateRequested();
    void scanFinished();

private:
    void showPlanState();
    void setRunning(bool running);

    PlanTableModel* plan_;
    SensitivityService* service_;
    std::shared_ptr<const qs::Checkpoint> checkpoint_;
    SensitivityResultPtr result_;
    QComboBox* spec_;
    QLineEdit* text_;
    QSpinBox* ctx_;
    QSpinBox* windows_;
    QPushButton* run_;
    QPushButton* cancel_;
    QPushButton* suggest_;
    QPushButton* reevaluate_;
    QProgressBar* progress_;
    QLabel* status_;
    HeatmapView* heatmap_;
    KlRankView* ranking_;
    ProxyScatterView* scatter_;
};

}  // namespace qs::views
