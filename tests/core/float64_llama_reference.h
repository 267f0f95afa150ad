// A deliberately plain float64 LLaMA forward pass, written here with loops
// from the architecture's definition (no engine code: only the checkpoint
// readers supply the weights), that tests hold the engine's numbers against:
// its logits (test_model_reference.cpp) and the KL of a quantized model
// (test_kl_divergence.cpp). Hooks let a test change each decoder linear's
// weight and input as a quantization plan does; without them the pass is the
// unquantized model.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "formats/checkpoint.h"
#include "tensor/dtype.h"

namespace qs::test {

using Vec = std::vector<double>;

// Changes applied to each decoder linear ("model.layers.N.mlp.down_proj.weight"),
// each hook optional: `weight` rewrites its [out, in] row-major weight once,
// `input` rounds the input vector of one token just before the product.
struct ReferenceLinearHooks {
    std::function<void(const std::string& name, size_t out, Vec& w)> weight;
    std::function<void(const std::string& name, Vec& x)> input;
};

inline Vec tensorAsDouble(const Checkpoint& ckpt, const std::string& name) {
    const TensorView& t = ckpt.at(name);
    std::vector<float> f(static_cast<size_t>(t.numel()));
    decodeToFloat(t, 0, t.numel(), f.data());
    return Vec(f.begin(), f.end());
}

// y[o] = sum_i W[o][i] x[i], W row-major [out, in].
inline Vec matVec(const Vec& w, const Vec& x, size_t out) {
    const size_t in = x.size();
    Vec y(out, 0.0);
    for (size_t o = 0; o < out; ++o)
        for (size_t i = 0; i < in; ++i) y[o] += w[o * in + i] * x[i];
    return y;
}

inline Vec rmsNorm(const Vec& x, const Vec& w, double eps) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / double(x.size()) + eps);
    Vec y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w[i];
    return y;
}

// theta^(-2i/d), then Llama 3.1's scaling written out from its definition:
// long wavelengths / factor, short ones kept, a linear blend in between.
inline double inverseFrequency(const ModelConfig& c, size_t i) {
    double f = std::pow(c.ropeTheta, -2.0 * double(i) / double(c.headDim));
    if (c.ropeScaling && c.ropeScaling->type == "llama3") {
        const RopeScaling& s = *c.ropeScaling;
        const double wavelength = 2 * std::numbers::pi / f;
        const double old = double(s.originalMaxPositions);
        if (wavelength > old / s.lowFreqFactor) {
            f = f / s.factor;
        } else if (wavelength >= old / s.highFreqFactor) {
            const double t = (old / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
            f = (1 - t) * f / s.factor + t * f;
        }
    }
    return f;
}

// Rotates every head of v at position pos: pairs (x[i], x[i + d/2]) for the HF
// layout, (x[2i], x[2i+1]) for llama2.c's.
inline void rotate(Vec& v, size_t heads, const ModelConfig& c, size_t pos) {
    const size_t d = size_t(c.headDim);
    for (size_t h = 0; h < heads; ++h)
        for (size_t i = 0; i < d / 2; ++i) {
            const size_t a = h * d + (c.ropeInterleaved ? 2 * i : i);
            const size_t b = h * d + (c.ropeInterleaved ? 2 * i + 1 : i + d / 2);
            const double angle = double(pos) * inverseFrequency(c, i);
            const double x = v[a], y = v[b];
            v[a] = x * std::cos(angle) - y * std::sin(angle);
            v[b] = y * std::cos(angle) + x * std::sin(angle);
        }
}

// Logits [tokens][vocab] of one sequence.
inline std::vector<Vec> referenceLogits(const Checkpoint& ckpt, const std::vector<int32_t>& tokens,
                                        const ReferenceLinearHooks& hooks = {}) {
    const ModelConfig& c = ckpt.config;
    const size_t T = tokens.size(), H = size_t(c.hiddenSize), I = size_t(c.intermediateSize);
    const size_t nh = size_t(c.numHeads), nkv = size_t(c.numKvHeads), d = size_t(c.headDim), V = size_t(c.vocabSize);
    const Vec embed = tensorAsDouble(ckpt, "model.embed_tokens.weight");
    std::vector<Vec> x(T, Vec(H));
    for (size_t t = 0; t < T; ++t)
        for (size_t i = 0; i < H; ++i) x[t][i] = embed[size_t(tokens[t]) * H + i];

    for (int64_t layer = 0; layer < c.numLayers; ++layer) {
        const std::string p = "model.layers." + std::to_string(layer) + ".";
        struct Linear {
            std::string name;
            Vec w;
            size_t out;
        };
        const auto linear = [&](const std::string& suffix, size_t out) {
            Linear l{p + suffix, tensorAsDouble(ckpt, p + suffix), out};
            if (hooks.weight) hooks.weight(l.name, out, l.w);
            return l;
        };
        const auto apply = [&](const Linear& l, const Vec& in) {
            if (!hooks.input) return matVec(l.w, in, l.out);
            Vec rounded = in;
            hooks.input(l.name, rounded);
            return matVec(l.w, rounded, l.out);
        };
        const Linear wq = linear("self_attn.q_proj.weight", nh * d), wk = linear("self_attn.k_proj.weight", nkv * d);
        const Linear wv = linear("self_attn.v_proj.weight", nkv * d), wo = linear("self_attn.o_proj.weight", H);
        const Linear wg = linear("mlp.gate_proj.weight", I), wu = linear("mlp.up_proj.weight", I);
        const Linear wd = linear("mlp.down_proj.weight", H);
        const Vec n1 = tensorAsDouble(ckpt, p + "input_layernorm.weight");
        const Vec n2 = tensorAsDouble(ckpt, p + "post_attention_layernorm.weight");

        std::vector<Vec> q(T), k(T), v(T);
        for (size_t t = 0; t < T; ++t) {
            const Vec xn = rmsNorm(x[t], n1, c.rmsNormEps);
            q[t] = apply(wq, xn);
            k[t] = apply(wk, xn);
            v[t] = apply(wv, xn);
            rotate(q[t], nh, c, t);
            rotate(k[t], nkv, c, t);
        }
        for (size_t t = 0; t < T; ++t) {
            Vec att(nh * d, 0.0);
            for (size_t h = 0; h < nh; ++h) {
                const size_t g = h / (nh / nkv);
                Vec score(t + 1);
                double max = -1e300;
                for (size_t j = 0; j <= t; ++j) {
                    double s = 0;
                    for (size_t e = 0; e < d; ++e) s += q[t][h * d + e] * k[j][g * d + e];
                    score[j] = s / std::sqrt(double(d));
                    max = std::max(max, score[j]);
                }
                double sum = 0;
                for (double& s : score) sum += (s = std::exp(s - max));
                for (size_t j = 0; j <= t; ++j)
                    for (size_t e = 0; e < d; ++e) att[h * d + e] += score[j] / sum * v[j][g * d + e];
            }
            const Vec o = apply(wo, att);
            for (size_t i = 0; i < H; ++i) x[t][i] += o[i];
            const Vec xn = rmsNorm(x[t], n2, c.rmsNormEps);
            const Vec gate = apply(wg, xn), up = apply(wu, xn);
            Vec act(I);
            for (size_t i = 0; i < I; ++i) act[i] = gate[i] / (1 + std::exp(-gate[i])) * up[i];
            const Vec down = apply(wd, act);
            for (size_t i = 0; i < H; ++i) x[t][i] += down[i];
        }
    }
    const Vec norm = tensorAsDouble(ckpt, "model.norm.weight");
    const Vec head = ckpt.find("lm_head.weight") && !c.tieWordEmbeddings ? tensorAsDouble(ckpt, "lm_head.weight") : embed;
    std::vector<Vec> logits(T);
    for (size_t t = 0; t < T; ++t) logits[t] = matVec(head, rmsNorm(x[t], norm, c.rmsNormEps), V);
    return logits;
}

}  // namespace qs::test
