// quantscope-cli inspect: the layer table of the workbench, as JSON or CSV.
#include <cstdio>
#include <regex>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "formats/checkpoint.h"
#include "stats/stats_json.h"
#include "stats/tensor_stats.h"

namespace qs::cli {

static int runInspect(Args& args) {
    const bool json = args.flag("--json");
    const bool csv = args.flag("--csv");
    StatsOptions opts;
    opts.bins = int(args.intOption("--bins", opts.bins));
    opts.threads = int(args.intOption("--threads", opts.threads));
    const auto pattern = args.option("--tensor");
    const std::string model = args.positional("MODEL");
    args.finish();
    if (json && csv) throw UsageError("--json and --csv are exclusive");
    if (opts.bins < 1 || opts.bins > 1 << 20) throw UsageError("--bins must be in 1..1048576");

    const auto ckpt = openCheckpoint(model);
    std::vector<TensorStats> stats;
    std::regex re;
    if (pattern) {
        try {
            re = std::regex(*pattern);
        } catch (const std::regex_error& e) {
            throw UsageError("--tensor: bad regular expression '" + *pattern + "': " + e.what());
        }
    }
    for (const TensorView& t : ckpt->tensors())
        if (!pattern || std::regex_search(t.name, re)) stats.push_back(computeTensorStats(t, opts));

    if (json) {
        nlohmann::json out = {{"path", ckpt->path},
                              {"format", std::string(checkpointFormatName(ckpt->format))},
                              {"config", ckpt->hasConfig ? modelConfigToJson(ckpt->config) : nlohmann::json(nullptr)},
                              {"tensors", nlohmann::json::array()}};
        for (const auto& s : stats) out["tensors"].push_back(tensorStatsSummaryJson(s));
        std::printf("%s\n", out.dump(2).c_str());
    } else if (csv) {
        std::printf("%s\n", tensorStatsCsvHeader().c_str());
        for (const auto& s : stats) std::printf("%s\n", tensorStatsCsvRow(s).c_str());
    } else {
        std::printf("%s (%s), %zu tensors\n", ckpt->path.c_str(), std::string(checkpointFormatName(ckpt->format)).c_str(),
                    ckpt->tensors().size());
        if (ckpt->hasConfig) {
            const auto& c = ckpt->config;
            std::printf("hidden %lld, intermediate %lld, layers %lld, heads %lld/%lld, head_dim %lld, vocab %lld\n",
                        (long long)c.hiddenSize, (long long)c.intermediateSize, (long long)c.numLayers,
                        (long long)c.numHeads, (long long)c.numKvHeads, (long long)c.headDim, (long long)c.vocabSize);
        }
        std::printf("%-48s %-8s %12s %12s %12s %10s %9s %9s\n", "tensor", "dtype", "min", "max", "std", "kurtosis",
                    "out-ratio", "in-ratio");
        for (const auto& s : stats)
            std::printf("%-48s %-8s %12.5g %12.5g %12.5g %10.3f %9.2f %9.2f\n", s.name.c_str(), s.dtype.c_str(), s.min,
                        s.max, s.std, s.kurtosis, s.outlierRatioOut, s.outlierRatioIn);
    }
    return 0;
}

static const CommandRegistration runInspectRegistration("inspect", runInspect,
    "  inspect MODEL [--json | --csv] [--bins N] [--tensor REGEX] [--threads N]\n");

}  // namespace qs::cli
