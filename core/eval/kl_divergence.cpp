#include "eval/kl_divergence.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace qs {

namespace {
double logSumExp(const float* x, int64_t n) {
    const float m = *std::max_element(x, x + n);
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += std::exp(double(x[i]) - m);
    return double(m) + std::log(s);
}

// log(1 - exp(a)) for a <= 0, accurate near both ends.
double log1mExp(double a) { return a > -0.693 ? std::log(-std::expm1(a)) : std::log1p(-std::exp(a)); }
}  // namespace

void appendBaseRow(const float* logits, int64_t vocab, BaseLogProbs& base) {
    if (base.vocab != vocab || base.k <= 0 || base.k > vocab)
        throw std::invalid_argument("appendBaseRow: k must be in 1..vocab and the vocabulary must match");
    const double lse = logSumExp(logits, vocab);
    std::vector<int32_t> order(static_cast<size_t>(vocab));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + base.k, order.end(),
                      [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
    for (int i = 0; i < base.k; ++i) {
        base.ids.push_back(order[size_t(i)]);
        base.logProbs.push_back(float(double(logits[order[size_t(i)]]) - lse));
    }
}

void KlAccumulator::add(int64_t pos, const float* logits) {
    if (pos < 0 || pos >= base_.positions()) throw std::out_of_range("KlAccumulator: position past the base's");
    const int64_t vocab = base_.vocab;
    const double lse = logSumExp(logits, vocab);
    const int32_t* ids = &base_.ids[size_t(pos * base_.k)];
    const float* lp = &base_.logProbs[size_t(pos * base_.k)];
    double kl = 0, pKept = 0, qKept = 0;
    for (int i = 0; i < base_.k; ++i) {
        const double logP = lp[i], logQ = double(logits[ids[i]]) - lse;
        const double p = std::exp(logP);
        kl += p * (logP - logQ);
        pKept += p;
        qKept += std::exp(logQ);
    }
    if (base_.k < vocab && pKept < 1.0) {
        const double logPTail = log1mExp(std::log(pKept));
        const double logQTail = log1mExp(std::log(std::min(qKept, 1.0 - 1e-16)));
        kl += std::exp(logPTail) * (logPTail - logQTail);
    }
    kl_.push_back(std::max(0.0, kl));  // rounding can leave -1e-17
    const int32_t qTop = int32_t(std::max_element(logits, logits + vocab) - logits);
    agree_ += qTop == ids[0];
}

KlSummary KlAccumulator::summary() const {
    KlSummary s;
    s.tokens = int64_t(kl_.size());
    if (kl_.empty()) return s;
    s.meanKl = std::accumulate(kl_.begin(), kl_.end(), 0.0) / double(kl_.size());
    std::vector<double> sorted = kl_;
    const size_t rank = size_t(std::ceil(0.99 * double(sorted.size()))) - 1;
    std::nth_element(sorted.begin(), sorted.begin() + long(rank), sorted.end());
    s.p99Kl = sorted[rank];
    s.top1Agreement = double(agree_) / double(kl_.size());
    return s;
}

}  // namespace qs
