// Absmax per channel of one tensor (qs::TensorStats::rowAbsmax / colAbsmax):
// per output channel (rows) or per input channel (columns), with the median
// and the channels above k x median marked in red. Such channels set the
// scale of a per-tensor quantizer and crush the resolution of all others.
#pragma once

#include <optional>

#include "plot_panel.h"
#include "stats/tensor_stats.h"

class QComboBox;
class QDoubleSpinBox;

namespace qs::views {

class ChannelProfileView : public PlotPanel {
    Q_OBJECT
public:
    explicit ChannelProfileView(QWidget* parent = nullptr);

    void setTensor(std::optional<qs::TensorStats> tensor);  // nullopt: nothing selected
    void setInputChannels(bool on);  // false: output channels (rows)
    void setOutlierFactor(double k);
    bool inputChannels() const;
    double outlierFactor() const;
    int outlierCount() const { return outlierCount_; }  // channels above k x median now shown

public slots:
    void resetView() override;

private:
    void rebuild();

    std::optional<qs::TensorStats> tensor_;
    QComboBox* direction_;
    QDoubleSpinBox* factor_;
    int outlierCount_ = 0;
};

}  // namespace qs::views
