// quantscope-cli: one subcommand per capability (cmd_*.cpp registers each);
// every one prints JSON with --json.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "build_info.h"
#include "cli_commands.h"

namespace {

void usage() {
    std::fprintf(stderr, "usage: quantscope-cli <command> [options]\ncommands:\n");
    for (const qs::cli::Command& c : qs::cli::commands()) std::fputs(c.usage, stderr);
    std::fprintf(stderr, "  --version\n");
}

// Commands whose files a build may leave out, and what brings them back.
const char* missingLibraryOf(const std::string& cmd) {
    static const struct {
        const char* name;
        const char* needs;
    } optional[] = {{"kl", "HDF5 (libhdf5-dev): it keeps its base reference in the project file"},
                    {"sweep", "HDF5 (libhdf5-dev): its runs are stored in the project file"},
                    {"import-results", "HDF5 (libhdf5-dev): it adds the imported runs to the project file"},
                    {"table", "HDF5 (libhdf5-dev): it reads the runs from the project file"},
                    {"plot", "the GUI (Qt 6 and QCustomPlot): charts are drawn with the workbench's code"}};
    for (const auto& o : optional)
        if (cmd == o.name) return o.needs;
    return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage();
        return 2;
    }
    const std::string cmd = argv[1];
    qs::cli::Args args(argc - 2, argv + 2);
    try {
        if (cmd == "--version" || cmd == "version") {
            std::printf("quantscope-cli %s\n", QS_VERSION_STRING);
            return 0;
        }
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            usage();
            return 0;
        }
        for (const qs::cli::Command& c : qs::cli::commands())
            if (cmd == c.name) return c.run(args);
        if (const char* needs = missingLibraryOf(cmd))
            throw qs::cli::UsageError(std::string("this build has no '") + cmd + "' command: rebuild with " + needs);
        std::fprintf(stderr, "quantscope-cli: unknown command '%s'\n", cmd.c_str());
        usage();
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "quantscope-cli %s: %s\n", cmd.c_str(), e.what());
        return 1;
    }
}
