#include "quant/output_error.h"

#include <stdexcept>

#include <Eigen/Core>

namespace qs {

double relativeOutputError(const LinearWeights& reference, const std::vector<float>& candidate,
                           const std::vector<double>& hessian) {
    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const int64_t out = reference.outFeatures, in = reference.inFeatures;
    if (candidate.size() != reference.w.size() || int64_t(hessian.size()) != in * in)
        throw std::invalid_argument("relativeOutputError: shapes do not match [out, in] and [in, in]");
    const Eigen::MatrixXd w = Eigen::Map<const RowMajorF>(reference.w.data(), out, in).cast<double>();
    const Eigen::MatrixXd diff = w - Eigen::Map<const RowMajorF>(candidate.data(), out, in).cast<double>();
    const Eigen::Map<const Eigen::MatrixXd> h(hessian.data(), in, in);  // symmetric: either layout
    const double reference2 = (w * h).cwiseProduct(w).sum();
    const double error2 = (diff * h).cwiseProduct(diff).sum();
    return reference2 > 0 ? error2 / reference2 : error2;
}

}  // namespace qs
