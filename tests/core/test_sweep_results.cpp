// Sweep results (core/analysis/sweep_results.h) on synthetic runs: the
// table's row and column order, best marking in both directions, latest run
// wins, blank cells, CSV precision, LaTeX escaping, chart series and the runs
// behind a table.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/sweep_grid.h"
#include "analysis/sweep_results.h"
#include "check.h"

using namespace qs;

namespace {

const std::string kWiki = "/data/text/wikitext-2-raw.wiki.test.raw";
const std::string kPiqa = "/data/tasks/piqa/valid.jsonl";

RunRecord sweepRun(const std::string& kind, const std::string& dataset, const std::string& method, int bits, int group,
                   nlohmann::json metrics, const std::string& created = "2026-01-01T00:00:00Z",
                   const std::string& sweep = "s1") {
    RunRecord r;
    r.kind = kind;
    r.dataset = dataset;
    r.created = created;
    const std::string cell = method == "base" ? "base"
                                              : method + "-w" + std::to_string(bits) +
                                                    (group ? "-g" + std::to_string(group) : std::string("-pc"));
    r.settings = {{"sweep", {{"name", sweep}, {"cell", cell}, {"method", method}, {"bits", bits}, {"group", group}}}};
    r.metrics = std::move(metrics);
    return r;
}

// Ids as addRun gives them: run-1, run-2, ... in the order of the list.
std::vector<RunRecord> numbered(std::vector<RunRecord> runs) {
    for (size_t i = 0; i < runs.size(); ++i) runs[i].id = "run-" + std::to_string(i + 1);
    return runs;
}

nlohmann::json ppl(double v, double err) { return {{"ppl", v}, {"ppl_stderr", err}, {"nll", 1.0}}; }
nlohmann::json acc(double v, double err) { return {{"acc", v}, {"acc_stderr", err}, {"n", 100}}; }

// A small sweep added out of order: baseline, RTN and GPTQ at 4 and 3 bits,
// per-channel and g128, and one ordinary evaluation that is no part of it.
std::vector<RunRecord> smallSweep() {
    RunRecord stray = sweepRun("perplexity", kWiki, "rtn", 4, 0, ppl(1.0, 0.0));
    stray.settings = {{"ctx", 128}};
    return numbered({
        sweepRun("perplexity", kWiki, "rtn", 3, 128, ppl(9.5, 0.2)),
        sweepRun("perplexity", kWiki, "base", 16, 0, ppl(5.0, 0.1)),
        sweepRun("perplexity", kWiki, "rtn", 4, 0, ppl(6.5, 0.15)),
        sweepRun("perplexity", kWiki, "gptq", 4, 0, ppl(5.6, 0.12)),
        sweepRun("perplexity", kWiki, "gptq", 3, 0, ppl(7.25, 0.18)),
        sweepRun("perplexity", kWiki, "rtn", 4, 128, ppl(5.9, 0.13)),
        sweepRun("task", kPiqa, "base", 16, 0, acc(0.80, 0.01)),
        sweepRun("task", kPiqa, "rtn", 4, 0, acc(0.74, 0.011)),
        sweepRun("task", kPiqa, "gptq", 4, 0, acc(0.775, 0.0105)),
        stray,
    });
}

size_t rowOf(const SweepTable& t, const std::string& cell) {
    for (size_t r = 0; r < t.rows.size(); ++r)
        if (t.rows[r].cell == cell) return r;
    return t.rows.size();
}

}  // namespace

QS_TEST(rows_are_baseline_then_method_bits_descending_group_ascending) {
    const SweepTable t = buildSweepTable(smallSweep());
    std::vector<std::string> cells;
    for (const SweepRow& r : t.rows) cells.push_back(r.cell);
    const std::vector<std::string> expected = {"base",        "rtn-w4-pc",  "rtn-w4-g128",
                                               "rtn-w3-g128", "gptq-w4-pc", "gptq-w3-pc"};
    QS_CHECK(cells == expected);
    // Default metrics per kind; the dataset's short name heads the column.
    QS_CHECK_EQ(t.columns.size(), size_t(2));
    QS_CHECK_EQ(t.columns[0].label(), std::string("wikitext-2-raw ppl"));
    QS_CHECK_EQ(t.columns[1].label(), std::string("piqa acc"));
    QS_CHECK_NEAR(t.entries[rowOf(t, "gptq-w3-pc")][0]->value, 7.25, 0.0);
    QS_CHECK_NEAR(*t.entries[rowOf(t, "gptq-w3-pc")][0]->standardError, 0.18, 0.0);
}

QS_TEST(best_is_the_lowest_perplexity_and_highest_accuracy_at_equal_bits_and_group) {
    const SweepTable t = buildSweepTable(smallSweep());
    int bestPpl = 0, bestAcc = 0;
    for (size_t r = 0; r < t.rows.size(); ++r) {
        if (t.entries[r][0] && t.entries[r][0]->best) ++bestPpl;
        if (t.entries[r][1] && t.entries[r][1]->best) ++bestAcc;
    }
    QS_CHECK_EQ(bestPpl, 1);
    QS_CHECK_EQ(bestAcc, 1);
    QS_CHECK(t.entries[rowOf(t, "gptq-w4-pc")][0]->best);  // 5.6: lower is better
    QS_CHECK(t.entries[rowOf(t, "gptq-w4-pc")][1]->best);  // 0.775: higher is better
    QS_CHECK(!t.entries[rowOf(t, "base")][0]->best);       // the baseline is better, but not a contender
    QS_CHECK(!t.entries[rowOf(t, "base")][1]->best);
    // 5.9 beats RTN per-channel, but RTN is alone at 4 bits g128: nothing to win against.
    QS_CHECK(!t.entries[rowOf(t, "rtn-w4-g128")][0]->best);
}

QS_TEST(ties_are_all_marked_best) {
    std::vector<RunRecord> runs = numbered({sweepRun("task", kPiqa, "rtn", 4, 0, acc(0.7, 0.01)),
                                            sweepRun("task", kPiqa, "gptq", 4, 0, acc(0.7, 0.01)),
                                            sweepRun("task", kPiqa, "awq", 4, 0, acc(0.6, 0.01))});
    const SweepTable t = buildSweepTable(runs);
    QS_CHECK(t.entries[0][0]->best);
    QS_CHECK(t.entries[1][0]->best);
    QS_CHECK(!t.entries[2][0]->best);
}

QS_TEST(latest_run_per_cell_and_column_wins) {
    std::vector<RunRecord> runs = numbered({
        sweepRun("perplexity", kWiki, "rtn", 4, 0, ppl(7.0, 0.1), "2026-03-02T10:00:00Z"),
        sweepRun("perplexity", kWiki, "rtn", 4, 0, ppl(8.0, 0.1), "2026-03-01T10:00:00Z"),  // older, added later
        sweepRun("perplexity", kWiki, "gptq", 4, 0, ppl(6.0, 0.1), "2026-03-01T10:00:00Z"),
        sweepRun("perplexity", kWiki, "gptq", 4, 0, ppl(6.2, 0.1), "2026-03-01T10:00:00Z"),  // same time, added later
    });
    const SweepTable t = buildSweepTable(runs);
    QS_CHECK_EQ(t.rows.size(), size_t(2));
    QS_CHECK_NEAR(t.entries[rowOf(t, "rtn-w4-pc")][0]->value, 7.0, 0.0);
    QS_CHECK_EQ(t.entries[rowOf(t, "rtn-w4-pc")][0]->runId, runs[0].id);
    QS_CHECK_NEAR(t.entries[rowOf(t, "gptq-w4-pc")][0]->value, 6.2, 0.0);
}

QS_TEST(csv_rounds_to_the_stated_decimals_and_leaves_missing_cells_blank) {
    std::vector<RunRecord> runs = numbered({sweepRun("perplexity", kWiki, "base", 16, 0, ppl(5.683219, 0.031449)),
                                            sweepRun("perplexity", kWiki, "rtn", 4, 0, ppl(6.1, 0.05)),
                                            sweepRun("task", kPiqa, "base", 16, 0, acc(0.79871, 0.00935))});
    const SweepTable t = buildSweepTable(runs);
    const std::string csv = sweepTableCsv(t, {.decimals = 3, .standardErrors = true});
    const std::string expected =
        "cell,method,bits,group,wikitext-2-raw ppl,wikitext-2-raw ppl stderr,piqa acc,piqa acc stderr\n"
        "base,base,16,0,5.683,0.031,0.799,0.009\n"
        "rtn-w4-pc,rtn,4,0,6.100,0.050,,\n";
    QS_CHECK_EQ(csv, expected);
    const std::string bare = sweepTableCsv(t, {.decimals = 1, .standardErrors = false});
    QS_CHECK_EQ(bare, std::string("cell,method,bits,group,wikitext-2-raw ppl,piqa acc\nbase,base,16,0,5.7,0.8\n"
                                  "rtn-w4-pc,rtn,4,0,6.1,\n"));
}

QS_TEST(latex_is_booktabs_with_best_in_bold_and_escaped_names) {
    std::vector<RunRecord> runs =
        numbered({sweepRun("perplexity", "/x/my_set%&#.txt", "base", 16, 0, ppl(5.0, 0.1)),
                  sweepRun("perplexity", "/x/my_set%&#.txt", "rtn", 4, 128, ppl(6.25, 0.1)),
                  sweepRun("perplexity", "/x/my_set%&#.txt", "gptq", 4, 128, ppl(5.5, 0.125))});
    const std::string tex = sweepTableLatex(buildSweepTable(runs), {.decimals = 2, .standardErrors = true});
    const std::string expected =
        "\\begin{tabular}{llrr}\n"
        "\\toprule\n"
        "Method & Group & Bits & my\\_set\\%\\&\\# ppl $\\downarrow$ \\\\\n"
        "\\midrule\n"
        "Baseline & -- & 16 & 5.00 $\\pm$ 0.10 \\\\\n"
        "\\midrule\n"
        "RTN & g128 & 4 & 6.25 $\\pm$ 0.10 \\\\\n"
        "GPTQ & g128 & 4 & \\textbf{5.50} $\\pm$ 0.12 \\\\\n"
        "\\bottomrule\n"
        "\\end{tabular}\n";
    QS_CHECK_EQ(tex, expected);
    // Without standard errors (the default) and with a missing cell: an empty field, no stray "\pm".
    runs.push_back(sweepRun("task", kPiqa, "gptq", 4, 128, acc(0.7, 0.01)));
    runs.push_back(sweepRun("task", kPiqa, "awq", 4, 128, acc(0.6, 0.01)));
    const std::string two = sweepTableLatex(buildSweepTable(runs));
    QS_CHECK(two.find("piqa acc $\\uparrow$") != std::string::npos);
    QS_CHECK(two.find("RTN & g128 & 4 & 6.25 &  \\\\\n") != std::string::npos);
    QS_CHECK(two.find("AWQ & g128 & 4 &  & 0.60 \\\\\n") != std::string::npos);
    QS_CHECK(two.find("\\textbf{0.70}") != std::string::npos);
    QS_CHECK(two.find("\\pm") == std::string::npos);
}

QS_TEST(chart_series_per_method_bits_ascending_with_baseline) {
    const SweepTable t = buildSweepTable(smallSweep());
    const SweepChartData all = sweepChart(t, 0);
    QS_CHECK(all.baseline.has_value());
    QS_CHECK_NEAR(all.baseline->value, 5.0, 0.0);
    QS_CHECK_EQ(all.series.size(), size_t(3));  // rtn pc, rtn g128, gptq pc
    QS_CHECK_EQ(all.series[0].label, std::string("RTN pc"));
    QS_CHECK_EQ(all.series[1].label, std::string("RTN g128"));
    QS_CHECK_EQ(all.series[2].label, std::string("GPTQ pc"));
    QS_CHECK_EQ(all.series[2].points.size(), size_t(2));
    QS_CHECK_EQ(all.series[2].points[0].bits, 3);
    QS_CHECK_NEAR(all.series[2].points[0].entry.value, 7.25, 0.0);
    QS_CHECK_NEAR(all.series[2].points[1].entry.value, 5.6, 0.0);

    const SweepChartData perChannel = sweepChart(t, 0, 0);
    QS_CHECK_EQ(perChannel.series.size(), size_t(2));
    QS_CHECK_EQ(perChannel.series[0].label, std::string("RTN"));  // one group: no group in the label
    QS_CHECK_EQ(sweepChartCsv(perChannel, 2), std::string("series,method,group,bits,value,stderr,run\n"
                                                          "baseline,base,0,16,5.00,0.10,run-2\n"
                                                          "RTN,rtn,0,4,6.50,0.15,run-3\n"
                                                          "GPTQ,gptq,0,3,7.25,0.18,run-5\n"
                                                          "GPTQ,gptq,0,4,5.60,0.12,run-4\n"));
}

QS_TEST(sweep_name_filters_and_runs_behind_are_the_shown_ones) {
    auto runs = smallSweep();
    runs.push_back(sweepRun("perplexity", kWiki, "awq", 4, 0, ppl(5.4, 0.1), "2026-01-01T00:00:00Z", "s2"));
    QS_CHECK((sweepNames(runs) == std::vector<std::string>{"s1", "s2"}));
    const SweepTable only2 = buildSweepTable(runs, {.sweepName = "s2", .metrics = {}});
    QS_CHECK_EQ(only2.rows.size(), size_t(1));
    QS_CHECK_EQ(only2.rows[0].cell, std::string("awq-w4-pc"));

    const SweepTable s1 = buildSweepTable(runs, {.sweepName = "s1", .metrics = {"ppl"}});
    QS_CHECK_EQ(s1.columns.size(), size_t(1));
    const nlohmann::json behind = runsBehind(runs, s1);
    QS_CHECK_EQ(behind.size(), size_t(6));  // the six perplexity cells of s1; not the stray run, not s2
    for (const auto& r : behind) {
        QS_CHECK(r.contains("settings") && r.contains("metrics") && r.contains("created"));
        QS_CHECK_EQ(r["kind"].get<std::string>(), std::string("perplexity"));
    }
    const nlohmann::json chartRuns = runsBehind(runs, sweepChart(s1, 0, 128));
    QS_CHECK_EQ(chartRuns.size(), size_t(3));  // baseline, rtn w4 g128, rtn w3 g128
}

QS_TEST(metric_directions_and_dataset_short_names) {
    for (const char* lower : {"ppl", "nll", "kl_mean", "kl_p99", "word_perplexity", "byte_perplexity", "bits_per_byte"})
        QS_CHECK(metricInfo(lower).lowerIsBetter);
    for (const char* higher : {"acc", "acc_norm", "top1_agreement"}) QS_CHECK(!metricInfo(higher).lowerIsBetter);
    QS_CHECK(metricInfo("ppl").logAxis);
    QS_CHECK(!metricInfo("acc").logAxis);
    RunRecord klRun;
    klRun.kind = "kl";
    QS_CHECK_EQ(defaultMetric(klRun), std::string("kl_mean"));
    QS_CHECK_EQ(datasetShortName(kWiki), std::string("wikitext-2-raw"));
    QS_CHECK_EQ(datasetShortName(kPiqa), std::string("piqa"));
    QS_CHECK_EQ(datasetShortName("/d/mmlu/test/anatomy_test.csv"), std::string("anatomy_test"));
    QS_CHECK_EQ(datasetShortName("arc_easy"), std::string("arc_easy"));
    QS_CHECK((sweepMetrics(smallSweep()) == std::vector<std::string>{"ppl", "acc", "nll"}));
}

QS_TEST(imported_perplexity_runs_default_to_word_perplexity) {
    // lm-evaluation-harness reports word and byte perplexity, no ppl.
    const std::vector<RunRecord> runs = numbered({
        sweepRun("perplexity", "wikitext", "base", 16, 0, {{"word_perplexity", 9.5}, {"byte_perplexity", 1.5}}),
        sweepRun("perplexity", "wikitext", "gptq", 4, 128, {{"word_perplexity", 10.25}, {"byte_perplexity", 1.6}}),
        sweepRun("perplexity", kWiki, "gptq", 4, 128, ppl(6.0, 0.1)),
    });
    const SweepTable t = buildSweepTable(runs);
    QS_CHECK_EQ(t.columns.size(), size_t(2));
    // Default metrics in the order their runs first appear.
    QS_CHECK_EQ(t.columns[0].label(), std::string("wikitext word_perplexity"));
    QS_CHECK_EQ(t.columns[1].label(), std::string("wikitext-2-raw ppl"));
    QS_CHECK_NEAR(t.entries[rowOf(t, "gptq-w4-g128")][0]->value, 10.25, 0.0);
    QS_CHECK_NEAR(t.entries[rowOf(t, "gptq-w4-g128")][1]->value, 6.0, 0.0);
    QS_CHECK(metricInfo("word_perplexity").lowerIsBetter && metricInfo("word_perplexity").logAxis);
}

namespace {

// The same run as sweepRun, recorded as a sweep over `model` does.
RunRecord modelRun(const std::string& model, const std::string& method, int bits, double value) {
    RunRecord r = sweepRun("perplexity", kWiki, method, bits, method == "base" ? 0 : 128, ppl(value, 0.1));
    r.settings["sweep"]["model"] = model;
    return r;
}

// Two models of one sweep, the second's runs first in the project: rows group
// by model in first-seen order, each with its own baseline.
std::vector<RunRecord> twoModelSweep() {
    return numbered({
        modelRun("/m/llama3-70b", "base", 16, 2.9),
        modelRun("/m/llama3-70b", "rtn", 4, 3.4),
        modelRun("/m/llama3-70b", "gptq", 4, 3.2),
        modelRun("/m/llama3-70b", "rtn", 8, 2.91),
        modelRun("/m/llama3-8b", "base", 16, 6.1),
        modelRun("/m/llama3-8b", "rtn", 4, 7.0),
        modelRun("/m/llama3-8b", "gptq", 4, 6.5),
        modelRun("/m/llama3-8b", "gptq", 8, 6.12),
    });
}

}  // namespace

QS_TEST(several_models_keep_their_own_rows_baselines_and_marks) {
    const SweepTable t = buildSweepTable(twoModelSweep());
    QS_CHECK(t.models() == (std::vector<std::string>{"/m/llama3-70b", "/m/llama3-8b"}));
    std::vector<std::string> rows;
    for (const SweepRow& r : t.rows) rows.push_back(r.model.substr(3) + ":" + r.cell);
    QS_CHECK(rows == (std::vector<std::string>{"llama3-70b:base", "llama3-70b:rtn-w8-g128", "llama3-70b:rtn-w4-g128",
                                               "llama3-70b:gptq-w4-g128", "llama3-8b:base", "llama3-8b:rtn-w4-g128",
                                               "llama3-8b:gptq-w8-g128", "llama3-8b:gptq-w4-g128"}));
    // At 4 bits each model's GPTQ wins against its own RTN; 8 bits has one method per model, so no mark.
    const auto best = [&](size_t r) { return t.entries[r][0]->best; };
    QS_CHECK(best(3) && !best(2) && best(7) && !best(5));
    QS_CHECK(!best(1) && !best(6));

    const std::string csv = sweepTableCsv(t, {2, false});
    QS_CHECK(csv.starts_with("model,cell,method,bits,group,wikitext-2-raw ppl\nllama3-70b,base,base,16,0,2.90\n"));
    QS_CHECK(csv.find("\nllama3-8b,gptq-w4-g128,gptq,4,128,6.50\n") != std::string::npos);

    // LaTeX: a Model column, named on each model's first row, a rule between models.
    const std::string tex = sweepTableLatex(t);
    QS_CHECK(tex.starts_with("\\begin{tabular}{lllrr}\n\\toprule\nModel & Method & Group & Bits & "));
    QS_CHECK(tex.find("\\midrule\nllama3-8b & Baseline & -- & 16 & 6.10 \\\\\n\\midrule\n & RTN & g128 & 4 & 7.00") !=
             std::string::npos);

    // One model by id or short name; its chart has its own baseline.
    for (const std::string& name : {std::string("/m/llama3-8b"), std::string("llama3-8b")}) {
        const SweepTable one = buildSweepTable(twoModelSweep(), {.model = name});
        QS_CHECK_EQ(one.rows.size(), size_t(4));
        QS_CHECK_EQ(sweepTableCsv(one).substr(0, 5), "cell,");  // one model: no model column
        const SweepChartData chart = sweepChart(one, 0);
        QS_CHECK_NEAR(chart.baseline->value, 6.1, 0.0);
        QS_CHECK_EQ(chart.series.size(), size_t(2));
    }
    QS_CHECK(sweepModels(twoModelSweep()) == (std::vector<std::string>{"/m/llama3-70b", "/m/llama3-8b"}));
}

QS_TEST(column_scope_marks_the_best_quantized_value_of_each_models_column) {
    const SweepTable t = buildSweepTable(twoModelSweep(), {.best = BestScope::Column});
    std::vector<std::string> marked;
    for (size_t r = 0; r < t.rows.size(); ++r)
        if (t.entries[r][0]->best) marked.push_back(t.rows[r].model.substr(3) + ":" + t.rows[r].cell);
    // The 8-bit cells win their model's whole column; the baselines are never marked.
    QS_CHECK(marked == (std::vector<std::string>{"llama3-70b:rtn-w8-g128", "llama3-8b:gptq-w8-g128"}));
}

QS_TEST(model_short_names_are_the_folder_or_the_checkpoint_files_stem) {
    QS_CHECK_EQ(modelShortName("/models/Llama-3.1-70B"), "Llama-3.1-70B");
    QS_CHECK_EQ(modelShortName("/models/Llama-3.1-70B/"), "Llama-3.1-70B");
    QS_CHECK_EQ(modelShortName("/models/llama2c/stories260K.bin"), "stories260K");
    QS_CHECK_EQ(modelShortName("/m/llama-2-tiny-random.Q8_0.gguf"), "llama-2-tiny-random.Q8_0");
    QS_CHECK_EQ(modelShortName("/m/qs-tiny-llama/model.llama2c.bin"), "qs-tiny-llama/model.llama2c");
    QS_CHECK_EQ(sweepModelId("/models/./a/../b/"), "/models/b");
}
