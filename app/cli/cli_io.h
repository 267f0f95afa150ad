// What several subcommands share: reading a text file whole, progress on the terminal.
#pragma once

#include <string>

#include "cli_commands.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"  // readTextFile, for the commands
#include "jobs/job_control.h"

namespace qs::cli {

// Consumes the window options perplexity and KL share: --ctx N (0: the
// default context), --max-windows N (0: all), --bos; checks their ranges.
PerplexityOptions perplexityOptionsFromArgs(Args& args);

// "block 3 of 32  41%" on one terminal line; nothing when stderr is not a terminal.
JobControl::ProgressFn terminalProgress();

}  // namespace qs::cli
