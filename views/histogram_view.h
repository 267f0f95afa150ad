// Value histograms of the selected tensors, overlaid in distinct colours:
// the linear histogram over [min, max] or the symmetric-log one that core
// computed (qs::TensorStats), drawn as filled step lines; log-y optional.
// Heights are densities (count / (finite elements x bin width)), so tensors
// of different sizes and ranges overlay on one scale.
#pragma once

#include <vector>

#include "plot_panel.h"
#include "stats/tensor_stats.h"

class QCheckBox;
class QComboBox;

namespace qs::views {

class HistogramView : public PlotPanel {
    Q_OBJECT
public:
    explicit HistogramView(QWidget* parent = nullptr);

    // The tensors to overlay (a copy of their summaries; order = legend order).
    void setTensors(std::vector<qs::TensorStats> tensors);
    void setLogY(bool on);
    void setSymlogAxis(bool on);
    bool logY() const;
    bool symlogAxis() const;

public slots:
    void resetView() override;

private:
    void rebuild();
    void setupSymlogTicks(const qs::TensorStats& reference, bool absoluteLabels);

    std::vector<qs::TensorStats> tensors_;
    QCheckBox* logY_;
    QComboBox* axis_;
};

}  // namespace qs::views
