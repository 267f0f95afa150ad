// quantscope-cli table: a sweep's results as the papers' tables, methods x
// bits against datasets x metrics, the best quantized value of each column
// marked: LaTeX booktabs (best in bold) or CSV (with standard errors).
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include "analysis/sweep_results.h"
#include "cli_commands.h"
#include "project/project_file.h"

namespace qs::cli {

namespace {

std::vector<std::string> metricList(const std::string& list) {
    std::vector<std::string> metrics;
    std::stringstream in(list);
    for (std::string m; std::getline(in, m, ',');) {
        if (m.empty()) throw UsageError("--metric: empty item in '" + list + "'");
        metrics.push_back(m);
    }
    return metrics;
}

}  // namespace

static int runTable(Args& args) {
    const std::string format = args.option("--format").value_or("latex");
    const auto metrics = args.option("--metric");
    const std::string sweep = args.option("--sweep").value_or("");
    const std::string model = args.option("--model").value_or("");
    const std::string best = args.option("--best").value_or("bits");
    const auto out = args.option("--out");
    const bool standardErrors = args.flag("--stderr");
    const long long decimals = args.intOption("--decimals", format == "csv" ? 4 : 2);
    const std::string project = args.positional("PROJECT");
    args.finish();
    if (format != "latex" && format != "csv") throw UsageError("--format must be latex or csv, got '" + format + "'");
    if (decimals < 0 || decimals > 12) throw UsageError("--decimals must be between 0 and 12");
    if (best != "bits" && best != "column") throw UsageError("--best must be bits or column, got '" + best + "'");

    if (!std::filesystem::exists(project)) throw std::runtime_error(project + ": no such project file");
    const SweepTable table = buildSweepTable(
        listRuns(project), {sweep, metrics ? metricList(*metrics) : std::vector<std::string>{}, model,
                            best == "column" ? BestScope::Column : BestScope::BitWidth});
    if (table.rows.empty())
        throw std::runtime_error(project + ": no sweep runs" +
                                 (sweep.empty() ? std::string() : " of sweep '" + sweep + "'") +
                                 (model.empty() ? std::string() : " of model '" + model + "'") +
                                 (metrics ? " with " + *metrics : std::string()));
    const std::string text = format == "csv" ? sweepTableCsv(table, {int(decimals), true})
                                             : sweepTableLatex(table, {int(decimals), standardErrors});
    if (out) {
        writeResultFile(*out, text);
        std::printf("%s: %zu rows x %zu columns\n", out->c_str(), table.rows.size(), table.columns.size());
    } else {
        std::fputs(text.c_str(), stdout);
    }
    return 0;
}

static const CommandRegistration runTableRegistration(
    "table", runTable,
    "  table PROJECT [--format latex|csv] [--metric M,...] [--sweep NAME] [--model NAME] [--best bits|column]\n"
    "        [--out FILE] [--decimals N] [--stderr]\n"
    "        (CSV always carries standard errors; --stderr adds them to LaTeX as value $\\pm$ stderr;\n"
    "         the best quantized value is marked among equal bit widths, or in the whole column)\n");

}  // namespace qs::cli
