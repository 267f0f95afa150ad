#include "analysis/sweep_grid.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace qs {

std::string SweepCell::key() const {
    if (!plan) return "base";
    return method + "-w" + std::to_string(bits) + (group ? "-g" + std::to_string(group) : std::string("-pc"));
}

std::vector<SweepCell> sweepCells(const SweepGrid& grid) {
    std::vector<SweepCell> cells{SweepCell{"base", 16, 0, std::nullopt}};
    std::vector<int> bits = grid.bits;
    std::sort(bits.begin(), bits.end(), std::greater<>());
    for (QuantMethod method : grid.methods)
        for (int b : bits)
            for (int g : grid.groups) {
                QuantSpec spec;
                spec.method = method;
                spec.bits = b;
                spec.symmetric = grid.symmetric;
                spec.granularity = g ? Granularity::PerGroup : Granularity::PerChannel;
                if (g) spec.groupSize = g;
                const SweepCell cell{std::string(methodName(method)), b, g, uniformPlan(spec)};
                if (const std::string problem = quantSpecProblem(spec); !problem.empty())
                    throw std::invalid_argument("sweep cell " + cell.key() + ": " + problem);
                cells.push_back(cell);
            }
    return cells;
}

std::string sweepModelId(const std::string& checkpointPath) {
    std::filesystem::path path = std::filesystem::absolute(checkpointPath).lexically_normal();
    if (!path.has_filename() && path.has_parent_path() && path != path.root_path()) path = path.parent_path();  // "dir/"
    return path.string();
}

std::string modelShortName(const std::string& modelId) {
    std::filesystem::path path(modelId);
    if (!path.has_filename()) path = path.parent_path();  // "dir/"
    const std::string ext = path.extension().string();
    if (ext != ".gguf" && ext != ".bin" && ext != ".safetensors") return path.filename().string();  // a folder: "Llama-3.1-8B"
    const std::string stem = path.stem().string();
    // "model.llama2c.bin" says less than the folder it is in.
    if (stem.starts_with("model") && path.parent_path().has_filename())
        return path.parent_path().filename().string() + "/" + stem;
    return stem;
}

nlohmann::json sweepCellJson(const std::string& sweepName, const std::string& model, const SweepCell& cell) {
    return {{"name", sweepName}, {"model", model},       {"cell", cell.key()},
            {"method", cell.method}, {"bits", cell.bits}, {"group", cell.group}};
}

namespace {

std::vector<std::string> splitList(const std::string& list, const char* what) {
    std::vector<std::string> items;
    std::stringstream in(list);
    for (std::string item; std::getline(in, item, ',');) {
        if (item.empty()) throw std::invalid_argument(std::string(what) + ": empty item in '" + list + "'");
        items.push_back(item);
    }
    if (items.empty()) throw std::invalid_argument(std::string(what) + ": no items");
    return items;
}

int listInt(const std::string& item, const char* what) {
    size_t used = 0;
    int v = -1;
    try {
        v = std::stoi(item, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != item.size() || v < 0) throw std::invalid_argument(std::string(what) + ": '" + item + "' is not a count");
    return v;
}

}  // namespace

SweepGrid parseSweepGrid(const std::string& methods, const std::string& bits, const std::string& groups) {
    SweepGrid grid;
    for (const std::string& m : splitList(methods, "methods")) {
        bool known = false;
        for (QuantMethod q : {QuantMethod::Rtn, QuantMethod::Gptq, QuantMethod::Awq, QuantMethod::SmoothQuant,
                              QuantMethod::BiSmooth})
            if (m == methodName(q)) grid.methods.push_back(q), known = true;
        if (!known) throw std::invalid_argument("methods: unknown method '" + m + "' (rtn, gptq, awq, smoothquant, bismooth)");
    }
    for (const std::string& b : splitList(bits, "bits")) grid.bits.push_back(listInt(b, "bits"));
    for (const std::string& g : splitList(groups, "groups")) grid.groups.push_back(g == "pc" ? 0 : listInt(g, "groups"));
    return grid;
}

}  // namespace qs
