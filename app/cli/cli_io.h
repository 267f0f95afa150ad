// What several subcommands share: reading a text file whole, progress on the terminal.
#pragma once

#include <string>

#include "jobs/job_control.h"

namespace qs::cli {

// The whole file; FormatError naming it when it cannot be read.
std::string readTextFile(const std::string& path);

// "block 3 of 32  41%" on one terminal line; nothing when stderr is not a terminal.
JobControl::ProgressFn terminalProgress();

}  // namespace qs::cli
