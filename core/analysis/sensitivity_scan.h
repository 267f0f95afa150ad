// Sensitivity scan (issue "Diagnosis"): for one spec, each linear layer is
// quantized alone (the rest left in float) and measured on a small evaluation
// set — KL divergence to the base and the change in NLL — next to the cheap
// proxies: the weight's quantization SNR, the relative output error on
// calibration activations, and the weight's outlier ratios. Spearman's rank
// correlation then says how well each proxy would have ranked the layers.
//
// Layer-major cost: with a layer of block b quantized alone, blocks < b are
// unchanged, so their outputs are the base's. One base pass caches the hidden
// states entering every block; each layer of block b then resumes at block b
// from that cache (runLayerMajor's firstBlock), so it costs (blocks - b) block
// passes plus the head instead of a whole model pass. For n blocks of 7
// linears: n + 7 n (n + 1) / 2 block passes against 7 n² + n brute force
// (about half for large n; 74 against 116 for 4 blocks), and the same 7 n + 1
// head passes. Memory: the cache is blocks x [eval tokens, hidden] float32
// (4 blocks x 4096 tokens x 256 = 16 MiB for qs-tiny-llama; 32 x 4096 x 4096
// = 2 GiB for a 7B model), so keep the evaluation set small (8-16 windows).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "eval/perplexity.h"
#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "model/token_batch.h"
#include "quant/quant_spec.h"

namespace qs {

struct SensitivityOptions {
    // Applied to one layer at a time; must work on the fly (RTN integer or FP8,
    // dynamic activations or a given static scale): calibration methods are refused.
    QuantSpec spec;
    // Windows longer than 4096 rows in total are run in chunks as evaluation
    // does (LayerMajorOptions::chunkRows); adjustBlock is ignored.
    PerplexityOptions eval;
    int topK = 0;  // base log-probabilities kept per position; 0: defaultTopK (exact up to 4096)
    // Only these linear layers (canonical names), e.g. the candidates of a plan
    // suggestion at their upgraded spec; empty: every linear layer. The base
    // pass is the same either way, so each layer measures what a full scan would.
    std::vector<std::string> layers;
};

// One linear layer quantized alone.
struct LayerSensitivity {
    std::string name;    // canonical, "model.layers.3.mlp.down_proj.weight"
    int block = -1;
    int projection = -1; // index into kProjections
    double klMean = 0;   // nats per token against the base
    double deltaNll = 0; // mean NLL minus the base's, nats per token
    double deltaPpl = 0; // exp(base NLL + deltaNll) - base ppl
    // Proxies, from the weights and calibration activations alone:
    double weightSnrDb = 0;     // 10 log10(||W||² / ||W - Q||²); higher: less damage expected
    double outputError = 0;     // ||X Wᵀ - Xq Qᵀ||² / ||X Wᵀ||², Xq the input as the spec rounds it
    double outlierRatioIn = 0;  // max / median input-channel (column) absmax of W
    double outlierRatioOut = 0; // max / median output-channel (row) absmax of W
    double seconds = 0;         // wall time of this layer's evaluation and proxies
};

// Spearman of one per-layer quantity against the measured KL. Expected
// signs: positive for output error, delta NLL and the outlier ratios,
// negative for the SNR (more signal, less KL).
struct ProxyCorrelation {
    std::string proxy;  // "weight_snr_db", "output_error", "outlier_ratio_in", "outlier_ratio_out", "delta_nll"
    double spearman = 0;
};

struct SensitivityResult {
    QuantSpec spec;
    std::string model;  // checkpoint path, for the record
    int64_t windows = 0, ctx = 0, tokens = 0;  // the evaluation set; tokens scored
    int64_t calibrationTokens = 0;             // rows the output-error proxy saw
    double baseNll = 0, basePpl = 0;
    std::vector<LayerSensitivity> layers;      // block-major, projection order (the scanned ones)
    std::vector<ProxyCorrelation> correlations;
    int64_t blockPasses = 0;           // decoder-block runs over the evaluation set, base pass included
    int64_t bruteForceBlockPasses = 0; // what one full evaluation per layer (plus the base) would cost
    double seconds = 0;
};

// Scans every linear layer of `model` (or options.layers; a name that is not
// one of its linear layers throws std::invalid_argument naming it).
// `calibration` supplies the activations of the output-error proxy (the base
// model's block inputs); empty: the evaluation windows' own. Progress and
// cancellation through `job`.
SensitivityResult scanSensitivity(const LlamaModel& model, const TokenBatch& evalWindows, const TokenBatch& calibration,
                                  const SensitivityOptions& options, const JobControl* job = nullptr);

// The correlations of result.layers' proxies (and delta NLL) against KL.
std::vector<ProxyCorrelation> proxyCorrelations(const std::vector<LayerSensitivity>& layers);

// Round-trips: {"spec", "model", "eval": {...}, "layers": [...], "spearman": {...},
// "block_passes", "brute_force_block_passes", "seconds"}; NaN is null.
nlohmann::json sensitivityToJson(const SensitivityResult& r);
// Throws std::invalid_argument naming a missing or malformed key.
SensitivityResult sensitivityFromJson(const nlohmann::json& j);
SensitivityResult loadSensitivity(const std::string& path);
void saveSensitivity(const SensitivityResult& r, const std::string& path);

}  // namespace qs
