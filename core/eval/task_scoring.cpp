#include "eval/task_scoring.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace qs {

int64_t utf8Length(const std::string& s) {
    int64_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

namespace {
size_t argmax(const std::vector<double>& v) {
    size_t best = 0;
    for (size_t i = 1; i < v.size(); ++i)
        if (v[i] > v[best]) best = i;
    return best;
}

// lm-eval metrics.mean_stderr: sample standard deviation / sqrt(n).
double meanStderr(double sum, double sumSq, int64_t n) {
    if (n < 2) return 0.0;
    const double mean = sum / double(n);
    const double var = (sumSq - double(n) * mean * mean) / double(n - 1);
    return std::sqrt(std::max(0.0, var) / double(n));
}
}  // namespace

TaskScore scoreTask(const std::vector<TaskItem>& items, const std::vector<std::vector<RequestScore>>& scores) {
    if (scores.size() != items.size()) throw std::invalid_argument("scoreTask: one score list per item expected");
    double acc = 0, accNorm = 0;
    for (size_t i = 0; i < items.size(); ++i) {
        const auto& item = items[i];
        const auto& s = scores[i];
        if (s.size() != item.requests.size()) throw std::invalid_argument("scoreTask: one score per request expected");
        if (item.greedyOnly) {
            const double hit = s.at(0).isGreedy ? 1.0 : 0.0;
            acc += hit;
            accNorm += hit;
            continue;
        }
        std::vector<double> ll, llNorm;
        for (size_t j = 0; j < s.size(); ++j) {
            ll.push_back(s[j].logLikelihood);
            llNorm.push_back(s[j].logLikelihood / double(std::max<int64_t>(1, utf8Length(item.choices[j]))));
        }
        acc += argmax(ll) == size_t(item.gold);
        accNorm += argmax(llNorm) == size_t(item.gold);
    }
    TaskScore out;
    out.n = int64_t(items.size());
    if (out.n == 0) return out;
    // Per-item scores are 0/1, so the sum of squares equals the sum.
    out.acc = acc / double(out.n);
    out.accNorm = accNorm / double(out.n);
    out.accStderr = meanStderr(acc, acc, out.n);
    out.accNormStderr = meanStderr(accNorm, accNorm, out.n);
    return out;
}

}  // namespace qs
