#include "stats/stats_json.h"

#include <cmath>
#include <cstdio>

namespace qs {

nlohmann::json tensorStatsSummaryJson(const TensorStats& s) {
    // JSON has no NaN: a tensor of only NaNs reports null moments.
    auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    return {{"name", s.name},
            {"shape", s.shape},
            {"dtype", s.dtype},
            {"min", num(s.min)},
            {"max", num(s.max)},
            {"mean", num(s.mean)},
            {"std", num(s.std)},
            {"absmax", num(s.absmax)},
            {"kurtosis", num(s.kurtosis)},
            {"outlier_ratio_out", num(s.outlierRatioOut)},
            {"outlier_ratio_in", num(s.outlierRatioIn)},
            {"zeros", s.zeros},
            {"nans", s.nans},
            {"infs", s.infs}};
}

std::string tensorStatsCsvHeader() {
    return "name,shape,dtype,min,max,mean,std,absmax,kurtosis,outlier_ratio_out,outlier_ratio_in,zeros,nans,infs";
}

std::string tensorStatsCsvRow(const TensorStats& s) {
    std::string shape;
    for (size_t i = 0; i < s.shape.size(); ++i) shape += (i ? "x" : "") + std::to_string(s.shape[i]);
    char buf[512];
    std::snprintf(buf, sizeof buf, "%s,%s,%s,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%lld,%lld,%lld", s.name.c_str(),
                  shape.c_str(), s.dtype.c_str(), s.min, s.max, s.mean, s.std, s.absmax, s.kurtosis, s.outlierRatioOut,
                  s.outlierRatioIn, (long long)s.zeros, (long long)s.nans, (long long)s.infs);
    return buf;
}

}  // namespace qs
