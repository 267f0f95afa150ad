#include "analysis/sensitivity_scan.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "analysis/rank_correlation.h"
#include "cpu/matmul.h"
#include "eval/kl_eval.h"
#include "formats/format_error.h"
#include "formats/staged_directory.h"
#include "formats/tensor_names.h"
#include "model/block_prefetch.h"
#include "model/decoder_block.h"
#include "quant/apply_plan.h"
#include "quant/block_calibration.h"
#include "quant/quant_plan.h"
#include "stats/tensor_stats.h"

namespace qs {

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double secondsSince(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// 10 log10(||W||² / ||W - Q||²) in float64; +Inf when Q == W.
double snrDb(const std::vector<float>& w, const std::vector<float>& q) {
    double signal = 0, noise = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        const double d = double(w[i]) - double(q[i]);
        signal += double(w[i]) * double(w[i]);
        noise += d * d;
    }
    return noise > 0 ? 10.0 * std::log10(signal / noise) : std::numeric_limits<double>::infinity();
}

// ||X Wᵀ - Xq Qᵀ||² / ||X Wᵀ||² over the site's rows, in slabs so the outputs
// of a long calibration set are never all held.
double relativeOutputError(const SiteInput& x, const LinearWeights& reference, const LinearWeights& quantized) {
    constexpr int64_t kSlabRows = 1024;
    const int64_t in = reference.inFeatures, out = reference.outFeatures;
    std::vector<float> xq, y, yq;
    double error = 0, norm = 0;
    for (int64_t first = 0; first < x.rows; first += kSlabRows) {
        const int64_t n = std::min(kSlabRows, x.rows - first);
        xq.assign(x.row(first), x.row(first) + n * in);
        fakeQuantizeInput(quantized.inputQuant, xq.data(), n, in);
        y.resize(static_cast<size_t>(n * out));
        yq.resize(y.size());
        linearForward(x.row(first), n, in, reference.w.data(), out, y.data());
        linearForward(xq.data(), n, in, quantized.w.data(), out, yq.data());
        for (size_t i = 0; i < y.size(); ++i) {
            const double d = double(y[i]) - double(yq[i]);
            error += d * d;
            norm += double(y[i]) * double(y[i]);
        }
    }
    return norm > 0 ? error / norm : error;
}

// The evaluation set's base pass: log-probabilities, NLL and the hidden
// states entering every block.
struct BaseScan {
    BaseLogProbs logProbs;
    NllAccumulator nll;
    std::vector<std::vector<float>> blockInputs;
};

BaseScan runBase(const LlamaModel& model, const TokenBatch& windows, int topK, LayerMajorOptions lm) {
    const int64_t vocab = model.config().vocabSize;
    BaseScan base;
    base.logProbs.vocab = vocab;
    base.logProbs.k = topK > 0 ? int(std::min<int64_t>(topK, vocab)) : defaultTopK(vocab);
    base.blockInputs.resize(static_cast<size_t>(model.numBlocks()));
    const size_t floats = static_cast<size_t>(windows.rows() * model.config().hiddenSize);
    lm.observeBlockInput = [&](int b, const float* hidden) { base.blockInputs[size_t(b)].assign(hidden, hidden + floats); };
    int64_t position = 0;
    visitScoredRowsInOnePass(model, windows, lm, position, [&](int64_t, int32_t target, const float* logits, double lse) {
        base.nll.add(lse - double(logits[target]));
        appendBaseRow(logits, vocab, base.logProbs);
    });
    return base;
}

// The output-error proxy's activations: the base model's hidden states
// entering each block, advanced block by block with the float weights.
class CalibrationStream {
public:
    CalibrationStream(const LlamaModel& model, const TokenBatch& calibration, const TokenBatch& evalWindows,
                      const BaseScan& base)
        : model_(model), own_(calibration.rows() > 0), batch_(own_ ? calibration : evalWindows), base_(base),
          rope_(makeRopeTable(model.ropeInverseFrequencies(), batch_.longest())) {
        if (own_) {
            hidden_.resize(static_cast<size_t>(batch_.rows() * model.config().hiddenSize));
            model.embed(batch_.tokens.data(), batch_.rows(), hidden_.data());
        }
    }
    int64_t rows() const { return batch_.rows(); }

    // The linears' inputs in block `b` (called for b = 0, 1, ... in order).
    BlockInputs inputs(int b, const DecoderBlockWeights& weights) {
        BlockCalibration calib;
        calib.hidden = own_ ? hidden_.data() : base_.blockInputs[size_t(b)].data();
        calib.seqStarts = batch_.starts;
        calib.rope = &rope_;
        calib.layout = model_.ropeLayout();
        BlockInputs x = captureBlockInputs(model_.config(), weights, calib);
        if (own_) hidden_ = runBlock(model_.config(), weights, calib);
        return x;
    }

private:
    const LlamaModel& model_;
    bool own_;
    const TokenBatch& batch_;
    const BaseScan& base_;
    RopeTable rope_;
    std::vector<float> hidden_;
};

// Which linears (block * kProjectionCount + projection) the scan measures.
std::vector<bool> scannedLayers(const std::vector<std::string>& names, int blocks) {
    const size_t linears = size_t(blocks) * kProjectionCount;
    if (names.empty()) return std::vector<bool>(linears, true);
    std::vector<bool> scanned(linears, false);
    for (const std::string& name : names) {
        const auto parsed = parseLinearName(name);
        if (!parsed || parsed->block >= blocks)
            throw std::invalid_argument("sensitivity scan: \"" + name + "\" is not a linear layer of the model");
        scanned[size_t(parsed->block * kProjectionCount + parsed->projection)] = true;
    }
    return scanned;
}

}  // namespace

SensitivityResult scanSensitivity(const LlamaModel& model, const TokenBatch& evalWindows, const TokenBatch& calibration,
                                  const SensitivityOptions& options, const JobControl* job) {
    const auto started = Clock::now();
    const ModelConfig& c = model.config();
    if (evalWindows.sequences() == 0) throw std::invalid_argument("sensitivity scan: no evaluation windows");
    // Refuses, before any work, a spec that cannot be applied on the fly to every layer.
    onTheFlyBlockAdjuster(uniformPlan(options.spec), c);

    const int blocks = model.numBlocks();
    const std::vector<bool> scanned = scannedLayers(options.layers, blocks);
    const int64_t linears = std::count(scanned.begin(), scanned.end(), true);
    // The blocks past the last scanned layer's are only needed by the base pass.
    int lastBlock = 0;
    for (size_t i = 0; i < scanned.size(); ++i)
        if (scanned[i]) lastBlock = int(i) / kProjectionCount;
    const double slice = 1.0 / double(linears + 1);  // progress: the base pass, then one slice per layer
    LayerMajorOptions lm;
    lm.job = job;
    lm.progressEnd = slice;
    lm.backend = options.eval.backend;
    const BaseScan base = runBase(model, evalWindows, options.topK, lm);

    SensitivityResult r;
    r.spec = options.spec;
    r.model = model.checkpoint().path;
    const PerplexityResult basePpl = base.nll.result(evalWindows.longest(), evalWindows.sequences());
    r.windows = basePpl.windows;
    r.ctx = basePpl.ctx;
    r.tokens = basePpl.tokens;
    r.baseNll = basePpl.nll;
    r.basePpl = basePpl.ppl;
    r.blockPasses = blocks;
    r.bruteForceBlockPasses = blocks * (linears + 1);

    CalibrationStream calib(model, calibration, evalWindows, base);
    r.calibrationTokens = calib.rows();
    StatsOptions statsOptions;
    statsOptions.bins = 1;  // only the channel absmaxes are wanted
    BlockPrefetcher loads(model, 0, lastBlock + 1);
    for (int b = 0; b <= lastBlock; ++b) {
        const DecoderBlockWeights weights = loads.next();
        const BlockInputs inputs = calib.inputs(b, weights);  // in block order: the stream advances through b
        for (int p = 0; p < kProjectionCount; ++p) {
            if (!scanned[size_t(b * kProjectionCount + p)]) continue;
            const auto layerStarted = Clock::now();
            LayerSensitivity s;
            s.name = linearTensorName(b, p);
            s.block = b;
            s.projection = p;
            const LinearWeights& reference = weights.linear[size_t(p)];
            LinearWeights quantized = reference;
            fakeQuantizeWeights(options.spec, quantized);
            quantized.inputQuant = inputQuantFor(options.spec.activation, s.name);
            s.weightSnrDb = snrDb(reference.w, quantized.w);
            s.outputError = relativeOutputError(inputs[size_t(inputSiteOf(Projection(p)))], reference, quantized);
            const TensorStats stats = computeTensorStats(model.checkpoint().at(s.name), statsOptions);
            s.outlierRatioIn = stats.outlierRatioIn;
            s.outlierRatioOut = stats.outlierRatioOut;

            // Blocks before b are the base's: resume at b from its cached input.
            LayerMajorOptions resumed;
            resumed.job = job;
            resumed.backend = options.eval.backend;
            resumed.progressBegin = slice * double(r.layers.size() + 1);
            resumed.progressEnd = resumed.progressBegin + slice;
            resumed.firstBlock = b;
            resumed.firstHidden = base.blockInputs[size_t(b)].data();
            resumed.adjustBlock = [&](DecoderBlockWeights& w) {
                if (w.block == b) w.linear[size_t(p)] = quantized;
            };
            KlAccumulator kl(base.logProbs);
            NllAccumulator nll;
            int64_t position = 0;
            visitScoredRowsInOnePass(model, evalWindows, resumed, position,
                                     [&](int64_t pos, int32_t target, const float* logits, double lse) {
                                         nll.add(lse - double(logits[target]));
                                         kl.add(pos, logits);
                                     });
            const PerplexityResult layerPpl = nll.result(evalWindows.longest(), evalWindows.sequences());
            s.klMean = kl.summary().meanKl;
            s.deltaNll = layerPpl.nll - r.baseNll;
            s.deltaPpl = layerPpl.ppl - r.basePpl;
            r.blockPasses += blocks - b;
            s.seconds = secondsSince(layerStarted);
            r.layers.push_back(std::move(s));
        }
    }
    r.correlations = proxyCorrelations(r.layers);
    r.seconds = secondsSince(started);
    return r;
}

std::vector<ProxyCorrelation> proxyCorrelations(const std::vector<LayerSensitivity>& layers) {
    const auto column = [&](double LayerSensitivity::*field) {
        std::vector<double> v;
        v.reserve(layers.size());
        for (const LayerSensitivity& l : layers) v.push_back(l.*field);
        return v;
    };
    const std::vector<double> kl = column(&LayerSensitivity::klMean);
    const std::pair<const char*, double LayerSensitivity::*> proxies[] = {
        {"weight_snr_db", &LayerSensitivity::weightSnrDb},
        {"output_error", &LayerSensitivity::outputError},
        {"outlier_ratio_in", &LayerSensitivity::outlierRatioIn},
        {"outlier_ratio_out", &LayerSensitivity::outlierRatioOut},
        {"delta_nll", &LayerSensitivity::deltaNll},
    };
    std::vector<ProxyCorrelation> out;
    for (const auto& [name, field] : proxies) out.push_back({name, spearman(kl, column(field))});
    return out;
}

namespace {

// NaN and infinities are JSON null (nlohmann writes them so); read back as NaN.
json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double numberAt(const json& j, const char* key) {
    if (!j.contains(key)) throw std::invalid_argument(std::string("sensitivity result: missing \"") + key + "\"");
    const json& v = j.at(key);
    if (v.is_null()) return kNaN;
    if (!v.is_number()) throw std::invalid_argument(std::string("sensitivity result: \"") + key + "\" is not a number");
    return v.get<double>();
}
// A count, which must be a JSON integer (converting a float such as 1e20 would be undefined).
int64_t countAt(const json& j, const char* key, std::optional<int64_t> fallback = std::nullopt) {
    if (!j.contains(key) && fallback) return *fallback;
    if (!j.contains(key)) throw std::invalid_argument(std::string("sensitivity result: missing \"") + key + "\"");
    if (!j.at(key).is_number_integer())
        throw std::invalid_argument(std::string("sensitivity result: \"") + key + "\" is not an integer");
    return j.at(key).get<int64_t>();
}

}  // namespace

json sensitivityToJson(const SensitivityResult& r) {
    json layers = json::array();
    for (const LayerSensitivity& l : r.layers)
        layers.push_back({{"name", l.name},
                          {"block", l.block},
                          {"projection", std::string(kProjections[size_t(l.projection)])},
                          {"kl_mean", number(l.klMean)},
                          {"delta_nll", number(l.deltaNll)},
                          {"delta_ppl", number(l.deltaPpl)},
                          {"weight_snr_db", number(l.weightSnrDb)},
                          {"output_error", number(l.outputError)},
                          {"outlier_ratio_in", number(l.outlierRatioIn)},
                          {"outlier_ratio_out", number(l.outlierRatioOut)},
                          {"seconds", l.seconds}});
    json correlations = json::object();
    for (const ProxyCorrelation& c : r.correlations) correlations[c.proxy] = number(c.spearman);
    return {{"spec", quantSpecToJson(r.spec)},
            {"spec_label", quantSpecLabel(r.spec)},
            {"model", r.model},
            {"eval",
             {{"windows", r.windows},
              {"ctx", r.ctx},
              {"tokens", r.tokens},
              {"calibration_tokens", r.calibrationTokens},
              {"base_nll", r.baseNll},
              {"base_ppl", r.basePpl}}},
            {"layers", layers},
            {"spearman_vs_kl", correlations},
            {"block_passes", r.blockPasses},
            {"brute_force_block_passes", r.bruteForceBlockPasses},
            {"seconds", r.seconds}};
}

SensitivityResult sensitivityFromJson(const json& j) {
    try {
        SensitivityResult r;
        r.spec = quantSpecFromJson(j.at("spec"));
        r.model = j.value("model", "");
        const json& e = j.at("eval");
        r.windows = countAt(e, "windows");
        r.ctx = countAt(e, "ctx");
        r.tokens = countAt(e, "tokens");
        r.calibrationTokens = countAt(e, "calibration_tokens", 0);
        r.baseNll = numberAt(e, "base_nll");
        r.basePpl = numberAt(e, "base_ppl");
        for (const json& l : j.at("layers")) {
            LayerSensitivity s;
            s.name = l.at("name").get<std::string>();
            const auto parsed = parseLinearName(s.name);
            if (!parsed) throw std::invalid_argument("sensitivity result: \"" + s.name + "\" is not a linear layer");
            s.block = parsed->block;
            s.projection = parsed->projection;
            s.klMean = numberAt(l, "kl_mean");
            s.deltaNll = numberAt(l, "delta_nll");
            s.deltaPpl = numberAt(l, "delta_ppl");
            s.weightSnrDb = numberAt(l, "weight_snr_db");
            s.outputError = numberAt(l, "output_error");
            s.outlierRatioIn = numberAt(l, "outlier_ratio_in");
            s.outlierRatioOut = numberAt(l, "outlier_ratio_out");
            s.seconds = numberAt(l, "seconds");
            r.layers.push_back(std::move(s));
        }
        for (const auto& [proxy, value] : j.at("spearman_vs_kl").items())
            r.correlations.push_back({proxy, value.is_null() ? kNaN : value.get<double>()});
        r.blockPasses = countAt(j, "block_passes", 0);
        r.bruteForceBlockPasses = countAt(j, "brute_force_block_passes", 0);
        r.seconds = j.value("seconds", 0.0);
        return r;
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("sensitivity result: ") + e.what());
    }
}

SensitivityResult loadSensitivity(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path, "cannot open the sensitivity result");
    std::ostringstream s;
    s << in.rdbuf();
    try {
        return sensitivityFromJson(json::parse(s.str()));
    } catch (const std::exception& e) {
        throw FormatError(path, e.what());
    }
}

void saveSensitivity(const SensitivityResult& r, const std::string& path) {
    writeFileAtomically(path, sensitivityToJson(r).dump(2) + "\n", "the sensitivity result");
}

}  // namespace qs
