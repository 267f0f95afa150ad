// The subcommands of quantscope-cli and the small argument list they share.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace qs::cli {

// Options are "--name value" or "--flag"; the rest are positionals in order.
class Args {
public:
    Args(int argc, char** argv) : items_(argv, argv + argc) {}
    bool flag(const std::string& name);                       // consumes --name
    std::optional<std::string> option(const std::string& name);  // consumes --name VALUE
    long long intOption(const std::string& name, long long fallback);
    std::string positional(const char* what);                 // next positional, or error naming `what`
    std::vector<std::string> positionals(const char* what);   // every positional left, at least one
    std::vector<std::string> options(const std::string& name);  // every --name VALUE, in order
    void finish() const;                                      // error on anything left over

private:
    std::vector<std::string> items_;
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Every cmd_*.cpp registers its subcommands with a file-scope
// CommandRegistration, so a new command is one new file and main.cpp never
// changes; files that need an optional library (`*_hdf5.cpp`, `*_qt.cpp`) are
// left out of builds without it and their commands are then unknown.
using CommandFn = int (*)(Args& args);
struct Command {
    const char* name;
    CommandFn run;
    const char* usage;  // the lines of the usage text, each starting with two spaces
};
struct CommandRegistration {
    CommandRegistration(const char* name, CommandFn run, const char* usage);
};
// Registered commands, by name.
const std::vector<Command>& commands();

}  // namespace qs::cli
