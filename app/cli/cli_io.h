// What several subcommands share: reading a text file whole, progress on the
// terminal, the device they compute on, the working set they will need.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "cli_commands.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"  // readTextFile, for the commands
#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "model/memory_estimate.h"

namespace qs::cli {

// Consumes the window options perplexity and KL share: --ctx N (0: the
// default context), --max-windows N (0: all), --bos; checks their ranges.
PerplexityOptions perplexityOptionsFromArgs(Args& args);

// The device a command runs on and its backend (kept alive for the command).
struct CliDevice {
    DeviceChoice choice;
    std::unique_ptr<KernelBackend> backend;
    nlohmann::json json() const;  // {"name": "cpu"|"cuda", "line": DeviceChoice::line}
};

// Consumes --device cpu|cuda|auto (default auto), resolves it and prints the
// resolved line to stderr, so every run says where it computed.
CliDevice deviceFromArgs(Args& args);

// Prints workingSetLine to stderr (stdout stays the command's result).
void printWorkingSet(const WorkingSet& w);

// Says on stderr when the model rounds linear inputs as its export recorded
// (a re-opened W8A8 / FP8 fake export, quant/activation_record.h).
void printActivationRecord(const LlamaModel& model);

// "block 3 of 32  41%" on one terminal line; nothing when stderr is not a terminal.
JobControl::ProgressFn terminalProgress();

}  // namespace qs::cli
