// One serialisation of a tensor's summary, shared by `inspect --json/--csv`
// and the workbench's CSV export, so both print the same columns.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "stats/tensor_stats.h"

namespace qs {

// {"name","shape","dtype","min","max","mean","std","absmax","kurtosis",
//  "outlier_ratio_out","outlier_ratio_in","zeros","nans","infs"}
nlohmann::json tensorStatsSummaryJson(const TensorStats& s);
std::string tensorStatsCsvHeader();
std::string tensorStatsCsvRow(const TensorStats& s);

}  // namespace qs
