// A sweep's runs as the quantization papers present them: a table of cells
// (per model: baseline, then method x bits x group) against (dataset, metric)
// columns, in each column the best method at each bit width marked, and per-method
// series of a metric against the weight bits for the charts. Runs are grouped by
// RunRecord::settings["sweep"] (sweep_grid.h); runs without it are ignored.
// Writers give the table as CSV and LaTeX booktabs, chart series as CSV, and
// the runs behind either as JSON, so a figure can be reproduced.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "project/run_record.h"

namespace qs {

// What a metric means for display and ranking.
struct MetricInfo {
    std::string title;   // "Perplexity", "Accuracy", "Mean KL (nats/token)"
    bool lowerIsBetter;  // ppl, nll, kl_*, *perplexity, bits_per_byte
    bool logAxis;        // perplexities and KL span orders of magnitude across bit widths
};
MetricInfo metricInfo(const std::string& metric);

// The metric a run is judged by: perplexity -> ppl (word_perplexity for an
// lm-evaluation-harness import, which has no ppl), task -> acc, kl -> kl_mean.
std::string defaultMetric(const RunRecord& run);

// "wikitext-2-raw" for ".../wikitext-2-raw.wiki.test.raw", "piqa" for
// ".../piqa/valid.jsonl" (a split name says less than its folder), a task
// name as it is.
std::string datasetShortName(const std::string& dataset);

struct SweepRow {
    std::string model;   // sweepModelId; empty for runs stored before sweeps recorded it
    std::string cell;    // "base", "rtn-w4-g128"
    std::string method;  // "base" for the baseline
    int bits = 16;
    int group = 0;  // 0: per-channel
    bool baseline() const { return method == "base"; }
};

struct SweepColumn {
    std::string dataset;  // datasetShortName
    std::string metric;   // "ppl", "acc", ...
    std::string label() const { return dataset + " " + metric; }
};

struct SweepEntry {
    double value = 0.0;
    std::optional<double> standardError;  // the run's "<metric>_stderr"
    std::string runId;
    // The best of its column and model (SweepTableOptions::best says among
    // which rows; ties: all of them); never the baseline, never a row alone there.
    bool best = false;
};

struct SweepTable {
    // Model (first seen), then baseline first, method (first seen), bits descending, group ascending.
    std::vector<SweepRow> rows;
    std::vector<SweepColumn> columns;  // metric (in the asked order), then dataset (first seen)
    // entries[row][column]; empty where that cell has no run with that metric.
    std::vector<std::vector<std::optional<SweepEntry>>> entries;
    std::vector<std::string> models() const;  // distinct SweepRow::model, in row order
};

// Which rows of a column compete for its mark.
enum class BestScope {
    BitWidth,  // the methods at equal bits and group: the winner at an equal budget, as the papers bold
    Column,    // every quantized row of the model
};

struct SweepTableOptions {
    std::string sweepName;             // only this sweep's runs; empty: every sweep run
    std::vector<std::string> metrics;  // empty: the runs' default metrics (perplexity, then task, then KL)
    std::string model;                 // only this model's runs (its sweepModelId or modelShortName); empty: all
    BestScope best = BestScope::BitWidth;
};

// The latest run (by creation time, then by order in `runs`) of each
// (cell, column) gives the value. A metric is read from every kind of run
// that measured it: a KL run's ppl on a text fills that text's ppl column too.
SweepTable buildSweepTable(const std::vector<RunRecord>& runs, const SweepTableOptions& options = {});

// Metrics the sweep runs measured that this module knows how to rank, in a fixed order.
std::vector<std::string> sweepMetrics(const std::vector<RunRecord>& runs, const std::string& sweepName = {});
// Distinct sweep names, first seen first.
std::vector<std::string> sweepNames(const std::vector<RunRecord>& runs);
// Distinct models (SweepRow::model) of the sweep's runs, first seen first.
std::vector<std::string> sweepModels(const std::vector<RunRecord>& runs, const std::string& sweepName = {});

struct SweepPoint {
    int bits = 0;
    SweepEntry entry;
};

struct SweepSeries {
    std::string method;
    int group = 0;
    std::string label;               // "GPTQ", or "GPTQ g128" / "GPTQ pc" when several groups are drawn
    std::vector<SweepPoint> points;  // bits ascending
};

struct SweepChartData {
    SweepColumn column;
    std::vector<SweepSeries> series;  // in the table's method order
    std::optional<SweepEntry> baseline;
};

// One column of `table` against the weight bits; only `group` when given. A
// chart shows one model: the table's first (build the table for the model wanted).
SweepChartData sweepChart(const SweepTable& table, size_t column, std::optional<int> group = std::nullopt);

// "RTN", "GPTQ", "AWQ", "SmoothQuant"; unknown methods as they are.
std::string methodTitle(const std::string& method);
// "pc" (per-channel) or "g128", as the sweep's cell keys say it.
std::string groupLabel(int group);

struct SweepTextOptions {
    int decimals = 4;            // fixed decimals of every value (and standard error)
    bool standardErrors = true;  // CSV: a "<column> stderr" column each; LaTeX: "value $\pm$ stderr"
};

// Header "cell,method,bits,group,<col>[,<col> stderr]..." (a "model" column first when the
// table holds several models); blank fields where a cell has no run.
std::string sweepTableCsv(const SweepTable& table, const SweepTextOptions& options = {});
// A booktabs tabular: the baseline row above a \midrule (a Model column and a
// \midrule between models when there are several), the best entries
// (SweepEntry::best) in \textbf, an arrow in each header saying which way is better.
std::string sweepTableLatex(const SweepTable& table,
                            const SweepTextOptions& options = {.decimals = 2, .standardErrors = false});
// "series,method,group,bits,value,stderr,run": every plotted point, the baseline as series "baseline".
std::string sweepChartCsv(const SweepChartData& chart, int decimals = 6);

// {"column": {"dataset","metric"}, "baseline": {...} | null, "series":
// [{"label","method","group","points": [{"bits","value","stderr","run"}]}]}:
// what a chart draws, for --json.
nlohmann::json sweepChartJson(const SweepChartData& chart);

// The runs whose ids the table or chart shows, as an array of RunRecord
// objects (every field), in the order of `runs`.
nlohmann::json runsBehind(const std::vector<RunRecord>& runs, const SweepTable& table);
nlohmann::json runsBehind(const std::vector<RunRecord>& runs, const SweepChartData& chart);
nlohmann::json runRecordJson(const RunRecord& run);

// Writes a CSV, LaTeX or JSON export; FormatError naming `path` when it cannot.
void writeResultFile(const std::string& path, const std::string& text);

}  // namespace qs
