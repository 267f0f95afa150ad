// A sweep: the grid of a quantization paper's tables, methods x bit-widths x
// granularities, each cell one uniform plan, plus the unquantized baseline.
// Every run a sweep stores carries its cell (sweepCellJson) in
// RunRecord::settings["sweep"]: that is how a stopped sweep knows what is
// done, and how tables, charts and imported cluster results group runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "quant/quant_plan.h"

namespace qs {

struct SweepGrid {
    std::vector<QuantMethod> methods;  // e.g. rtn, gptq, awq
    std::vector<int> bits;             // 2..8
    std::vector<int> groups;           // 0: per-channel; else the group size (32, 64, 128, 256)
    bool symmetric = true;
};

struct SweepCell {
    std::string method;  // "base" for the unquantized model, else methodName()
    int bits = 16;       // the baseline is drawn at 16 bits
    int group = 0;       // 0: per-channel
    std::optional<QuantPlan> plan;  // none for the baseline

    // "base", "rtn-w4-pc", "gptq-w3-g128": stable, file-name safe.
    std::string key() const;
};

// The baseline first, then method-major, bits descending, groups in order.
// Throws std::invalid_argument when a cell's spec is invalid (bits 1, group 100).
std::vector<SweepCell> sweepCells(const SweepGrid& grid);

// The model a sweep's runs belong to: the source checkpoint as an absolute,
// normalized path, so one project holds the same grid for several models and
// a rerun from another working directory still finds its runs.
std::string sweepModelId(const std::string& checkpointPath);
// How tables and legends name a model: a folder by its name ("Llama-3.1-8B"),
// a checkpoint file (.gguf, .bin, .safetensors) by its stem ("stories260K"),
// with its folder when the stem is generic ("qs-tiny-llama/model.llama2c").
std::string modelShortName(const std::string& modelId);

// {"name", "model", "cell", "method", "bits", "group"}: what RunRecord::settings["sweep"] holds
// (`model` a sweepModelId; runs stored before models were recorded lack it).
nlohmann::json sweepCellJson(const std::string& sweepName, const std::string& model, const SweepCell& cell);

// Parses the CLI's lists: methods "rtn,gptq,awq", bits "2,3,4,8", groups
// "128" or "0,128" (0 or "pc": per-channel). Throws std::invalid_argument
// naming the bad item.
SweepGrid parseSweepGrid(const std::string& methods, const std::string& bits, const std::string& groups);

}  // namespace qs
