// quantscope-cli: one subcommand per capability; every one prints JSON with --json.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "cli_commands.h"

namespace {
void usage() {
    std::fprintf(stderr,
                 "usage: quantscope-cli <command> [options]\n"
                 "commands:\n"
                 "  inspect MODEL [--json | --csv] [--bins N] [--tensor REGEX] [--threads N]\n"
                 "  eval MODEL --text FILE [--ctx N] [--max-windows N] [QUANT] [--json]\n"
                 "  eval MODEL --task FILE --task-type T [--limit N] [QUANT] [--json]\n"
                 "    QUANT: --plan PLAN.json, or --method rtn --bits B [--group G] [--asym]\n"
                 "           [--act int8-token|int8-tensor|fp8-token|fp8-tensor [--act-scale S]]\n"
                 "           [--weight-format int|fp8]; methods gptq, awq, smoothquant, bismooth\n"
                 "           (and static activation scales) also need --calib FILE [--nsamples N] [--seqlen L]\n"
                 "  quantize MODEL QUANT [--calib FILE [--nsamples N] [--seqlen L] [--seed S]] --out DIR\n"
                 "           [--format fake|gptq] [--dtype f32|f16|bf16] [--overwrite] [--json]\n"
                 "  kl MODEL (--base BASE | QUANT | both) --text FILE [--project P] [--top-k K] [--ctx N] [--max-windows N] [--json]\n"
                 "  sensitivity MODEL QUANT --text FILE [--ctx N] [--max-windows N] [--calib FILE [--nsamples N] [--seqlen L]]\n"
                 "           [--out RESULT.json] [--json]   (one layer quantized at a time: KL, dPPL, proxies)\n"
                 "  suggest MODEL --sensitivity RESULT.json (--budget 3% | --target-kl X) [--group G] --out PLAN.json [--json]\n"
                 "  bench stats [--rows N] [--cols N] [--threads N] [--repeat N] [--json]\n"
                 "  bench quant [--rows N] [--cols N] [--tokens N] [--threads N] [--repeat N] [--bits B] [--group G] [--json]\n"
                 "  bench eval MODEL [--ctx N] [--windows N] [--threads N] [--repeat N] [--json]\n"
                 "  --version\n");
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
            std::printf("quantscope-cli %s\n", QS_VERSION);
            return 0;
        }
        if (cmd == "inspect") return qs::cli::runInspect(args);
        if (cmd == "bench") return qs::cli::runBench(args);
        if (cmd == "eval") return qs::cli::runEval(args);
        if (cmd == "quantize") return qs::cli::runQuantize(args);
        if (cmd == "sensitivity") return qs::cli::runSensitivity(args);
        if (cmd == "suggest") return qs::cli::runSuggest(args);
        if (cmd == "kl") {
#ifdef QS_HAVE_HDF5
            return qs::cli::runKl(args);
#else
            throw qs::cli::UsageError("kl keeps its base reference in the project file: rebuild with HDF5 (libhdf5-dev)");
#endif
        }
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            usage();
            return 0;
        }
        std::fprintf(stderr, "quantscope-cli: unknown command '%s'\n", cmd.c_str());
        usage();
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "quantscope-cli %s: %s\n", cmd.c_str(), e.what());
        return 1;
    }
}
