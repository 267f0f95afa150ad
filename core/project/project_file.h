// A QuantScope project: one HDF5 file (`.qsproj.h5`, ARCHITECTURE.md) with
//   /runs/<id>      one finished evaluation: kind, model, plan, dataset,
//                   settings and metrics (JSON), seconds, creation time
//   /kl_base/<key>  a base model's top-k log-probabilities on a text's
//                   windows, so KL against it costs one pass per compared model
// Every change copies the current file into a temporary sibling, applies the
// change there and renames it over the original: a crash or a full disk
// leaves the previous project intact.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/kl_eval.h"
#include "formats/checkpoint.h"
#include "project/hdf5_file.h"
#include "project/run_record.h"

namespace qs {

// `quantscope.qsproj.h5` inside a Hugging Face directory, `<file>.qsproj.h5`
// beside a single-file model, or the user's cache when that place is read-only.
std::string defaultProjectPath(const Checkpoint& ckpt);

// Applies `change` to a copy of the project (a new one when `path` does not
// exist) and atomically replaces it. Throws Hdf5Error naming the file.
void updateProject(const std::string& path, const std::function<void(const Hdf5Node& root)>& change);


// Stores `run` under a new id, returned (and set in the stored record).
std::string addRun(const std::string& projectPath, RunRecord run);
// Runs in the order they were added; none when the project does not exist.
// A project that exists but cannot be read throws Hdf5Error naming it.
std::vector<RunRecord> listRuns(const std::string& projectPath);

// Identifies a base reference: the base checkpoint's files, the exact
// windows (token ids) and k.
std::string baseReferenceKey(const Checkpoint& base, const TokenBatch& windows, int topK);
std::optional<BaseReference> loadBaseReference(const std::string& projectPath, const std::string& key);
void saveBaseReference(const std::string& projectPath, const std::string& key, const BaseReference& ref);

}  // namespace qs
