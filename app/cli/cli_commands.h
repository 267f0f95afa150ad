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
    void finish() const;                                      // error on anything left over

private:
    std::vector<std::string> items_;
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

int runInspect(Args& args);
int runBench(Args& args);
int runEval(Args& args);
int runKl(Args& args);
int runQuantize(Args& args);
int runSensitivity(Args& args);
int runSuggest(Args& args);

}  // namespace qs::cli
