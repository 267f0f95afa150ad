#include <algorithm>
#include <cstring>

#include "cli_commands.h"

namespace qs::cli {

namespace {
// A function-local static: registrations run during static initialisation,
// in no particular order across files.
std::vector<Command>& registry() {
    static std::vector<Command> all;
    return all;
}
}  // namespace

CommandRegistration::CommandRegistration(const char* name, CommandFn run, const char* usage) {
    auto& all = registry();
    all.push_back({name, run, usage});
    std::sort(all.begin(), all.end(), [](const Command& a, const Command& b) { return std::strcmp(a.name, b.name) < 0; });
}

const std::vector<Command>& commands() { return registry(); }

}  // namespace qs::cli
