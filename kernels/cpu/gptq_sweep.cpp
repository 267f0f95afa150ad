#include "cpu/gptq_sweep.h"

#include <Eigen/Core>

#include "cpu/compute_threads.h"

namespace qs {

namespace {

using Matrix = Eigen::MatrixXd;

class CpuGptqSweep final : public GptqSweep {
public:
    CpuGptqSweep(double* w, int64_t rows, int64_t cols, const double* u) : w_(w, rows, cols), u_(u, cols, cols) {}

    void readColumns(int64_t first, int64_t count, double* out) const override {
        checkGptqColumns(first, count, w_.cols());
        Eigen::Map<Matrix>(out, w_.rows(), count) = w_.middleCols(first, count);
    }

    void quantizeBlock(int64_t i1, int64_t i2, const IntGrid* gridSets, int64_t setCount, const int32_t* setOfColumn,
                       uint8_t* codes, float* dequantized) override {
        const int64_t rows = w_.rows(), cols = w_.cols(), count = i2 - i1;
        checkGptqBlock(next_, i1, i2, cols, setCount, setOfColumn);
        next_ = i2;
        if (err_.cols() < count) err_.resize(rows, count);
        Eigen::setNbThreads(computeThreads());
        for (int64_t i = 0; i < count; ++i) {
            const int64_t col = i1 + i;
            const IntGrid* grid = gridSets + int64_t(setOfColumn[i]) * rows;
            const double d = u_(col, col);
            for (int64_t row = 0; row < rows; ++row) {
                const double x = w_(row, col);
                const int code = quantizeToCode(x, grid[row]);
                const double q = grid[row].scale * (double(code) - grid[row].zero);
                err_(row, i) = (x - q) / d;
                codes[i * rows + row] = uint8_t(code);
                dequantized[i * rows + row] = float(q);
            }
            // Alg. 1: spread this column's error over the block's later columns.
            const int64_t rest = count - i - 1;
            if (rest > 0) w_.middleCols(col + 1, rest).noalias() -= err_.col(i) * u_.row(col).segment(col + 1, rest);
        }
        // The lazy batch update of every column right of the block.
        if (i2 < cols) w_.rightCols(cols - i2).noalias() -= err_.leftCols(count) * u_.block(i1, i2, count, cols - i2);
    }

private:
    Eigen::Map<Matrix> w_;
    Eigen::Map<const Matrix> u_;
    Matrix err_;  // [rows, block]: this block's scaled errors, column i for column i1 + i
    int64_t next_ = 0;
};

}  // namespace

std::unique_ptr<GptqSweep> makeCpuGptqSweep(double* w, int64_t rows, int64_t cols, const double* u) {
    return std::make_unique<CpuGptqSweep>(w, rows, cols, u);
}

}  // namespace qs
