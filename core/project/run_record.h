// One finished evaluation as the project file keeps it (/runs/<id>). Plain
// data, without HDF5, so Qt-free analysis (sweep tables, imported results)
// can work on runs in builds that have no project file.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace qs {

struct RunRecord {
    std::string id;       // assigned by addRun: run-0001, run-0002, ...
    std::string kind;     // "perplexity", "task", "kl"
    std::string model;    // checkpoint path
    std::string plan;     // quantization plan label ("" for the unquantized model)
    std::string dataset;  // text or task file
    std::string created;  // ISO 8601, UTC
    double seconds = 0.0;
    nlohmann::json settings = nlohmann::json::object();  // ctx, windows, task type, ...
    nlohmann::json metrics = nlohmann::json::object();   // what the run measured
};

}  // namespace qs
