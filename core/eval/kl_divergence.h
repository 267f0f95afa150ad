// KL divergence of a (quantized) model's next-token distributions against
// the base model's, token by token. The base side is stored compactly: for
// each scored position the top-k log-probabilities (k = vocab keeps it
// exact). With k < vocab the rest of the vocabulary is one "tail" bucket on
// both sides, which gives a lower bound of the true KL (merging outcomes
// never increases a divergence) and is exact as k -> vocab.
#pragma once

#include <cstdint>
#include <vector>

namespace qs {

struct BaseLogProbs {
    int64_t vocab = 0;
    int k = 0;                      // entries kept per position
    std::vector<int32_t> ids;       // positions x k, most probable first
    // positions x k, log p of ids; float32 puts a floor of ~1e-8 nats on the
    // KL it can resolve (a model against itself measures ~1.5e-8).
    std::vector<float> logProbs;
    int64_t positions() const { return k == 0 ? 0 : int64_t(ids.size()) / k; }
};

// log-softmax of one row of logits, then its top-k appended to `base`.
void appendBaseRow(const float* logits, int64_t vocab, BaseLogProbs& base);

struct KlSummary {
    int64_t tokens = 0;
    double meanKl = 0;           // nats per token
    double p99Kl = 0;            // 99th percentile over tokens (nearest rank)
    double top1Agreement = 0;    // fraction where both models' argmax token agree
};

class KlAccumulator {
public:
    explicit KlAccumulator(const BaseLogProbs& base) : base_(base) {}
    // The compared model's logits at base position `pos`.
    void add(int64_t pos, const float* logits);
    KlSummary summary() const;
    const std::vector<double>& perToken() const { return kl_; }

private:
    const BaseLogProbs& base_;
    std::vector<double> kl_;
    int64_t agree_ = 0;
};

}  // namespace qs
