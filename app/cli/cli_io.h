// What several subcommands share: reading a text file whole, progress on the terminal.
#pragma once

#include <string>

#include "cli_commands.h"
#include "eval/perplexity.h"
#include "jobs/job_control.h"

namespace qs::cli {

// The whole file; FormatError naming it when it cannot be read.
std::string readTextFile(const std::string& path);

// Consumes the window options perplexity and KL share: --ctx N (0: the
// default context), --max-windows N (0: all), --bos; checks their ranges.
PerplexityOptions perplexityOptionsFromArgs(Args& args);

// "block 3 of 32  41%" on one terminal line; nothing when stderr is not a terminal.
JobControl::ProgressFn terminalProgress();

}  // namespace qs::cli
