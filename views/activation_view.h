// One layer's channel absmax on the input side, twice: of its weights
// (TensorStats::colAbsmax, per input channel) and of the calibration
// activations entering it (the project's activation statistics, saved by a
// Quantize). On one log axis, with each side's difficulty (max / median over
// channels) in the caption, it shows whether a layer's outlier channels come
// from the weights or from the activations — which decides between
// weight-side remedies (per-group grids) and activation-side ones
// (SmoothQuant's migration). A box right of the channels shows how per-token
// absmax spreads over the calibration tokens (whiskers 1-99 %, dots min and
// max): a wide spread is what per-token activation scales are for.
#pragma once

#include <optional>
#include <vector>

#include "plot_panel.h"
#include "stats/tensor_stats.h"

namespace qs::views {

class ActivationView : public PlotPanel {
    Q_OBJECT
public:
    explicit ActivationView(QWidget* parent = nullptr);

    // `weights`: the selected layer (nullopt: nothing selected); `activations`:
    // its input channels' absmax (empty: no calibration statistics for it);
    // `tokenAbsmaxQuantiles`: per-token absmax at qs::kTokenAbsmaxPercents
    // (empty: not recorded, no box).
    void setLayer(std::optional<qs::TensorStats> weights, std::vector<float> activations,
                  std::vector<float> tokenAbsmaxQuantiles = {});

    // Max / median of the series as drawn (0 when absent), for the caption and tests.
    struct Summary {
        double max = 0, median = 0;
    };
    Summary weightSummary() const { return weight_; }
    Summary activationSummary() const { return activation_; }

public slots:
    void resetView() override;

private:
    Summary weight_, activation_;
};

}  // namespace qs::views
