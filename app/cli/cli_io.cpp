#include "cli_io.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "formats/format_error.h"

namespace qs::cli {

std::string readTextFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path, "cannot open the text file");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

JobControl::ProgressFn terminalProgress() {
    if (!::isatty(STDERR_FILENO)) return {};
    return [](double fraction, const std::string& stage) {
        std::fprintf(stderr, "\r%-24s %3d%%", stage.c_str(), int(fraction * 100.0 + 0.5));
        if (fraction >= 1.0) std::fprintf(stderr, "\n");
    };
}

}  // namespace qs::cli
