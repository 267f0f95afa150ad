// The common quantization schemes offered as one-click default specs in the
// Plan editor.
#pragma once

#include <vector>

#include <QString>

#include "quant/quant_spec.h"

namespace qs::views {

struct PlanPreset {
    QString name;
    QuantSpec spec;
};

const std::vector<PlanPreset>& planPresets();

}  // namespace qs::views
