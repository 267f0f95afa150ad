// Activation statistics of a calibration run, kept in the project file under
// /activations/<tensor name> (tokens, per-token absmax range as attributes;
// channel_absmax, channel_mean_abs and the per-token absmax quantiles with
// their percents as datasets), for the activation views. Projects saved
// before the quantiles were kept load with none.
// Saving replaces the previous set: they describe the latest calibration.
#pragma once

#include <string>
#include <vector>

#include "quant/plan_quantizer.h"

namespace qs {

void saveActivationStats(const std::string& projectPath, const std::vector<LayerActivationStats>& layers);
// None when the project or its /activations do not exist.
std::vector<LayerActivationStats> loadActivationStats(const std::string& projectPath);

}  // namespace qs
