// quantscope-cli bench: throughput of core operations as a ratio to a bound
// measured in the same run (ARCHITECTURE.md, kernels/). One function per
// benchmark; runBench dispatches on the first positional.
#include <algorithm>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_io.h"
#include "cpu/memory_read.h"
#include "jobs/best_seconds.h"
#include "eval/eval_benchmark.h"
#include "eval/memory_benchmark.h"
#include "quant/gptq_benchmark.h"
#include "stats/tensor_stats.h"
#include "tensor/dtype.h"

namespace qs::cli {

namespace {

// Weight-like BF16 values without a file: a sum of four uniform bytes
// (Irwin-Hall, close to a Gaussian) scaled to std 0.02, with every 4099th
// element 20x larger for a heavy tail. xorshift64 keeps it fast and repeatable.
std::vector<uint16_t> weightLikeBf16(int64_t n) {
    std::vector<uint16_t> out(static_cast<size_t>(n));
    uint64_t state = 0x9e3779b97f4a7c15ull;
    // Four bytes of 0..255 summed: mean 510, std sqrt(4 * (256^2 - 1) / 12) = 147.8.
    constexpr float kScale = 0.02f / 147.8f;
    for (int64_t i = 0; i < n; ++i) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        const int bytes = int(state & 0xff) + int((state >> 8) & 0xff) + int((state >> 16) & 0xff) + int((state >> 24) & 0xff);
        const float tail = i % 4099 == 0 ? 20.0f : 1.0f;
        out[size_t(i)] = floatToBf16(float(bytes - 510) * kScale * tail);
    }
    return out;
}

int benchStats(Args& args) {
    const bool json = args.flag("--json");
    const int64_t rows = args.intOption("--rows", 8192);
    const int64_t cols = args.intOption("--cols", 28672);
    const int threads = int(args.intOption("--threads", 2));
    const int repeats = int(args.intOption("--repeat", 3));
    args.finish();
    if (rows < 1 || cols < 1 || rows > (int64_t(1) << 33) / cols) throw UsageError("--rows x --cols must be 1..2^33 elements");
    if (threads < 1 || threads > 1024) throw UsageError("--threads must be in 1..1024");
    if (repeats < 1) throw UsageError("--repeat must be at least 1");

    const std::vector<uint16_t> buffer = weightLikeBf16(rows * cols);
    TensorView t;
    t.name = "bench.bf16";
    t.dtype = DType::BF16;
    t.shape = {rows, cols};
    t.data = reinterpret_cast<const std::byte*>(buffer.data());
    t.nbytes = rows * cols * int64_t(sizeof(uint16_t));
    StatsOptions opts;
    opts.threads = threads;

    uint64_t checksum = 0;
    const double readSec = bestSeconds(repeats, [&] { checksum += sumWords(t.data, t.nbytes, threads); });
    TensorStats stats;
    const double statsSec = bestSeconds(repeats, [&] { stats = computeTensorStats(t, opts); });
    const double readBps = double(t.nbytes) / readSec;
    const double statsBps = double(t.nbytes) / statsSec;
    const double ratio = statsBps / readBps;

    if (json) {
        nlohmann::json out = {{"benchmark", "stats"},
                              {"rows", rows},
                              {"cols", cols},
                              {"dtype", "BF16"},
                              {"bytes", t.nbytes},
                              {"threads", threads},
                              {"repeats", repeats},
                              {"read_seconds", readSec},
                              {"stats_seconds", statsSec},
                              {"read_bytes_per_second", readBps},
                              {"stats_bytes_per_second", statsBps},
                              {"ratio_stats_to_read", ratio},
                              {"std", stats.std},
                              {"kurtosis", stats.kurtosis},
                              {"checksum", checksum}};
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("bench stats: %lld x %lld BF16 (%.1f MiB), %d threads, best of %d\n", (long long)rows, (long long)cols,
                    double(t.nbytes) / (1 << 20), threads, repeats);
        std::printf("  plain read   %8.3f s  %8.2f GB/s\n", readSec, readBps / 1e9);
        std::printf("  statistics   %8.3f s  %8.2f GB/s\n", statsSec, statsBps / 1e9);
        std::printf("  ratio stats/read %.3f   (std %.5g, kurtosis %.3f)\n", ratio, stats.std, stats.kurtosis);
    }
    return 0;
}

// Perplexity evaluation against the sgemm bound measured in the same run.
int benchEval(Args& args) {
    const bool json = args.flag("--json");
    EvalBenchmarkOptions o;
    o.ctx = args.intOption("--ctx", 0);
    o.windows = args.intOption("--windows", 32);
    o.threads = int(args.intOption("--threads", 2));
    o.repeats = int(args.intOption("--repeat", 2));
    const CliDevice device = deviceFromArgs(args);
    o.backend = device.backend.get();
    o.model = args.positional("MODEL");
    args.finish();
    if (o.ctx < 0 || o.windows < 1) throw UsageError("--ctx must be >= 0 and --windows >= 1");
    if (o.threads < 1 || o.threads > 1024) throw UsageError("--threads must be in 1..1024");
    if (o.repeats < 1) throw UsageError("--repeat must be at least 1");
    const EvalBenchmarkResult r = benchmarkEval(o);
    if (json) {
        nlohmann::json j = evalBenchmarkJson(r);
        j["device"] = device.json();
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%s", evalBenchmarkSummary(r).c_str());
    }
    return 0;
}

// Peak resident set of a perplexity evaluation against the working-set estimate.
int benchMemory(Args& args) {
    const bool json = args.flag("--json");
    MemoryBenchmarkOptions o;
    const auto text = args.option("--text");
    o.perplexity = perplexityOptionsFromArgs(args);
    const CliDevice device = deviceFromArgs(args);
    o.perplexity.backend = device.backend.get();
    o.model = args.positional("MODEL");
    args.finish();
    if (!text) throw UsageError("bench memory needs --text FILE");
    o.text = *text;
    const MemoryBenchmarkResult r = benchmarkEvalMemory(o);
    if (json) {
        nlohmann::json j = memoryBenchmarkJson(r);
        j["device"] = device.json();
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%s", memoryBenchmarkSummary(r).c_str());
    }
    return 0;
}

// GPTQ on one synthetic layer: Hessian accumulation and solve against the sgemm bound.
int benchQuant(Args& args) {
    const bool json = args.flag("--json");
    GptqBenchmarkOptions o;
    o.rows = args.intOption("--rows", 4096);
    o.cols = args.intOption("--cols", 4096);
    o.tokens = args.intOption("--tokens", 128 * 2048);
    o.threads = int(args.intOption("--threads", 2));
    o.repeats = int(args.intOption("--repeat", 1));
    o.quant.bits = int(args.intOption("--bits", 4));
    o.quant.groupSize = args.intOption("--group", 0);
    args.finish();
    if (o.rows < 1 || o.cols < 1 || o.tokens < 1) throw UsageError("--rows, --cols and --tokens must be positive");
    if (o.threads < 1 || o.threads > 1024) throw UsageError("--threads must be in 1..1024");
    if (o.repeats < 1) throw UsageError("--repeat must be at least 1");
    if (o.quant.bits < 2 || o.quant.bits > 8 || o.quant.groupSize < 0)
        throw UsageError("--bits must be 2..8 and --group >= 0 (0: per channel)");
    const GptqBenchmarkResult r = benchmarkGptq(o);
    if (json)
        std::printf("%s\n", gptqBenchmarkJson(r).dump(2).c_str());
    else
        std::printf("%s", gptqBenchmarkSummary(r).c_str());
    return 0;
}

}  // namespace

static int runBench(Args& args) {
    const std::string which = args.positional("BENCHMARK (stats | eval | quant | memory)");
    if (which == "stats") return benchStats(args);
    if (which == "eval") return benchEval(args);
    if (which == "quant") return benchQuant(args);
    if (which == "memory") return benchMemory(args);
    throw UsageError("unknown benchmark '" + which + "' (known: stats, eval, quant, memory)");
}

static const CommandRegistration runBenchRegistration("bench", runBench,
    "  bench stats [--rows N] [--cols N] [--threads N] [--repeat N] [--json]\n"
    "  bench quant [--rows N] [--cols N] [--tokens N] [--threads N] [--repeat N] [--bits B] [--group G] [--json]\n"
    "  bench eval MODEL [--ctx N] [--windows N] [--threads N] [--repeat N] [--device cpu|cuda|auto] [--json]\n"
    "  bench memory MODEL --text FILE [--ctx N] [--max-windows N] [--device cpu|cuda|auto] [--json]\n");

}  // namespace qs::cli
