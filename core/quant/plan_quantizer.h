// Quantizing a model by a plan whose layers need calibration (GPTQ, AWQ,
// SmoothQuant, bi-smoothing, or static activation scales not given), layer-
// major on a calibration set (quant/calibrated_model.h): each block's layers
// are quantized by their resolved specs, then the quantized block produces the
// next block's inputs. One calibration method per block: within a block every
// quantized layer uses that method or RTN, and the smoothing methods (which
// fold scales across layers) need one spec for all the block's layers.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "model/token_batch.h"
#include "quant/activation_stats.h"
#include "quant/calibrated_model.h"
#include "quant/gptq_block.h"
#include "quant/quant_plan.h"

namespace qs {

// Whether the plan needs quantizePlanWithCalibration (else onTheFlyBlockAdjuster does).
bool planNeedsCalibration(const QuantPlan& plan, const ModelConfig& config);

struct LayerQuantReport {
    std::string name;    // a tensor ("model.layers.3.self_attn.q_proj.weight") or a smoothing group
    std::string method;  // "gptq", "awq", "smoothquant", "bismooth", "rtn"
    double relativeError = 0.0;  // ||X Wᵀ - X Qᵀ||² / ||X Wᵀ||² on the calibration inputs; NaN when not measured
    double baselineError = 0.0;  // the same spec without the method (RTN / unsmoothed); NaN when not measured
    double exponent = 0.0;       // SmoothQuant / bi-smoothing alpha, AWQ ratio; NaN otherwise
    double seconds = 0.0;
};

// A linear layer's calibration inputs as the (quantized) model feeds it,
// before its own block is quantized: what the activation views show.
struct LayerActivationStats {
    std::string name;  // the linear's tensor name (q/k/v, and gate/up, share their input's statistics)
    ActivationStats stats;
};

struct PlanQuantizeResult {
    CalibratedModel model;
    std::vector<LayerQuantReport> layers;
    std::vector<LayerActivationStats> activations;  // every linear of every block, in block order
};

struct PlanQuantizeOptions {
    const JobControl* job = nullptr;  // progress per block, Cancel between blocks
    GptqLayerHook onGptqLayer;        // sees each GPTQ layer's codes and grids (the packed export)
    // Where the calibration forward passes and GPTQ run (null: the CPU); the
    // smoothing methods' scale searches run on the CPU.
    const KernelBackend* backend = nullptr;
};

// Checks the plan against the model first (the errors name the plan file and
// the layer), then quantizes every block.
PlanQuantizeResult quantizePlanWithCalibration(const LlamaModel& model, const QuantPlan& plan,
                                               const TokenBatch& calibration, const PlanQuantizeOptions& options = {});

// {"seconds", "layers": [{"name", "method", "relative_error", "baseline_error", "exponent", "seconds"}]}.
nlohmann::json planQuantizeJson(const PlanQuantizeResult& r);

}  // namespace qs
