#include "cli_io.h"

#include <cstdio>
#include <stdexcept>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "quant/export_directory.h"

namespace qs::cli {

PerplexityOptions perplexityOptionsFromArgs(Args& args) {
    PerplexityOptions opts;
    opts.ctx = args.intOption("--ctx", 0);
    opts.maxWindows = args.intOption("--max-windows", 0);
    opts.addBos = args.flag("--bos");
    if (opts.ctx < 0 || opts.ctx == 1) throw UsageError("--ctx must be at least 2 tokens");
    if (opts.maxWindows < 0) throw UsageError("--max-windows must not be negative");
    return opts;
}

nlohmann::json CliDevice::json() const {
    return {{"name", std::string(deviceName(choice.device))}, {"line", choice.line}};
}

CliDevice deviceFromArgs(Args& args) {
    const std::string requested = args.option("--device").value_or("auto");
    CliDevice d;
    try {
        d.choice = resolveDevice(requested);
    } catch (const std::invalid_argument&) {
        throw UsageError("--device must be cpu, cuda or auto, not \"" + requested + "\"");
    }
    std::fprintf(stderr, "%s\n", d.choice.line.c_str());
    d.backend = makeKernelBackend(d.choice.device);
    return d;
}

void printWorkingSet(const WorkingSet& w) { std::fprintf(stderr, "%s\n", workingSetLine(w).c_str()); }

void printActivationRecord(const LlamaModel& model) {
    if (const int64_t n = model.recordedInputQuantCount())
        std::fprintf(stderr, "activations: the inputs of %lld of %d linears are rounded as the export recorded (%s)\n",
                     (long long)n, model.numBlocks() * kProjectionCount, kQuantizationRecordFile);
}

JobControl::ProgressFn terminalProgress() {
    if (!::isatty(STDERR_FILENO)) return {};
    return [](double fraction, const std::string& stage) {
        std::fprintf(stderr, "\r%-24s %3d%%", stage.c_str(), int(fraction * 100.0 + 0.5));
        if (fraction >= 1.0) std::fprintf(stderr, "\n");
    };
}

}  // namespace qs::cli
