// quantscope-cli plot: one metric of a sweep against the weight bits, as a
// paper figure (PDF or SVG vector, PNG at a dpi) at a column's or a page's
// width. Beside the figure go FIG.csv (the plotted numbers) and
// FIG.runs.json (the runs behind them), so the figure can be checked and
// redrawn elsewhere.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <QApplication>
#include <QString>
#include <nlohmann/json.hpp>

#include "analysis/sweep_grid.h"
#include "analysis/sweep_results.h"
#include "cli_commands.h"
#include "project/project_file.h"
#include "sweep_chart.h"

namespace qs::cli {

namespace {

// The metrics --chart may draw, preferred first (lm-evaluation-harness
// imports have word_perplexity, no ppl), unless --metric names one.
std::vector<std::string> chartMetrics(const std::optional<std::string>& chart) {
    if (!chart) throw UsageError("plot needs --chart acc-vs-bits or --chart ppl-vs-bits");
    if (*chart == "acc-vs-bits") return {"acc", "acc_norm"};
    if (*chart == "ppl-vs-bits") return {"ppl", "word_perplexity"};
    throw UsageError("unknown chart '" + *chart + "' (acc-vs-bits, ppl-vs-bits)");
}

// The first of `candidates` the sweep measured, else the first.
std::string measuredMetric(const std::vector<std::string>& candidates, const std::vector<std::string>& measured) {
    for (const std::string& m : candidates)
        if (std::find(measured.begin(), measured.end(), m) != measured.end()) return m;
    return candidates.front();
}

std::optional<int> groupFromArg(const std::optional<std::string>& group) {
    if (!group) return std::nullopt;
    if (*group == "pc") return 0;
    size_t used = 0;
    int g = -1;
    try {
        g = std::stoi(*group, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != group->size() || g < 0) throw UsageError("--group expects a group size, 0 or pc, got '" + *group + "'");
    return g;
}

// The one column of `metric` (on `dataset` when given) the figure draws.
size_t chosenColumn(const SweepTable& table, const std::string& project, const std::string& metric,
                    const std::optional<std::string>& dataset) {
    std::vector<size_t> matches;
    std::string names;
    for (size_t c = 0; c < table.columns.size(); ++c) {
        if (dataset && table.columns[c].dataset != *dataset) continue;
        matches.push_back(c);
        names += (names.empty() ? "" : ", ") + table.columns[c].dataset;
    }
    if (matches.empty())
        throw std::runtime_error(project + ": no sweep runs with " + metric +
                                 (dataset ? " on " + *dataset : std::string()));
    if (matches.size() > 1)
        throw UsageError("several datasets have " + metric + " (" + names + "): choose one with --dataset");
    return matches.front();
}

// Qt needs a platform; a terminal without a display gets the offscreen one.
void ensureQtPlatform() {
    if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY") && !std::getenv("QT_QPA_PLATFORM"))
        ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
}

}  // namespace

static int runPlot(Args& args) {
    const bool json = args.flag("--json");
    const std::vector<std::string> candidates = chartMetrics(args.option("--chart"));  // checked even with --metric
    const auto metricOption = args.option("--metric");
    const auto dataset = args.option("--dataset");
    const auto groupOption = args.option("--group");
    const std::string sweep = args.option("--sweep").value_or("");
    const std::string model = args.option("--model").value_or("");
    const auto out = args.option("--out");
    const std::string sizeName = args.option("--size").value_or("column");
    const long long dpi = args.intOption("--dpi", 300);
    const std::string project = args.positional("PROJECT");
    args.finish();

    const std::optional<int> group = groupFromArg(groupOption);
    const auto size = views::printSizeFromName(QString::fromStdString(sizeName));
    if (!size) throw UsageError("--size must be column or page, got '" + sizeName + "'");
    if (dpi < 30 || dpi > 2400) throw UsageError("--dpi must be between 30 and 2400");
    if (!out) throw UsageError("plot needs --out FILE (.pdf, .svg or .png)");
    const std::string ext = std::filesystem::path(*out).extension().string();
    if (ext != ".pdf" && ext != ".svg" && ext != ".png")
        throw UsageError("--out " + *out + ": the figure must be .pdf, .svg or .png");

    if (!std::filesystem::exists(project)) throw std::runtime_error(project + ": no such project file");
    const std::vector<RunRecord> runs = listRuns(project);
    const std::string metric = metricOption ? *metricOption : measuredMetric(candidates, sweepMetrics(runs, sweep));
    const SweepTable table = buildSweepTable(runs, {sweep, {metric}, model});
    const auto modelNames = [](const std::vector<std::string>& models) {
        std::string names;
        for (const std::string& m : models) names += (names.empty() ? "" : ", ") + modelShortName(m);
        return names;
    };
    if (const std::vector<std::string> models = table.models(); models.size() > 1)
        throw UsageError("the sweep covers " + std::to_string(models.size()) + " models (" + modelNames(models) +
                         "): choose one with --model");
    if (table.rows.empty() && !model.empty())
        throw UsageError("no sweep runs of model '" + model + "' with " + metric + " (the sweep's models: " +
                         modelNames(sweepModels(runs, sweep)) + ")");
    const SweepChartData data = sweepChart(table, chosenColumn(table, project, metric, dataset), group);
    if (data.series.empty())
        throw std::runtime_error(project + ": no quantized sweep runs with " + metric +
                                 (group ? " in group " + groupLabel(*group) : std::string()));

    ensureQtPlatform();
    static int qtArgc = 1;
    static char qtName[] = "quantscope-cli";
    static char* qtArgv[] = {qtName, nullptr};
    QApplication app(qtArgc, qtArgv);
    views::SweepChart view;
    view.setData(data);
    const QString figure = QString::fromStdString(*out);
    const QString error = views::exportFigureWithData(view, runs, figure, *size, int(dpi));
    if (!error.isEmpty()) throw std::runtime_error(error.toStdString());
    const std::string csvPath = views::figureSidecar(figure, QStringLiteral(".csv")).toStdString();
    const std::string runsPath = views::figureSidecar(figure, QStringLiteral(".runs.json")).toStdString();

    if (json) {
        nlohmann::json result = sweepChartJson(data);
        result["figure"] = *out;
        result["csv"] = csvPath;
        result["runs"] = runsPath;
        result["size"] = sizeName;
        std::printf("%s\n", result.dump(2).c_str());
    } else {
        std::printf("%s: %s against weight bits, %zu series%s (%s width)\n", out->c_str(), data.column.label().c_str(),
                    data.series.size(), data.baseline ? " and the baseline" : "", sizeName.c_str());
        std::printf("plotted data in %s, runs behind it in %s\n", csvPath.c_str(), runsPath.c_str());
    }
    return 0;
}

static const CommandRegistration runPlotRegistration(
    "plot", runPlot,
    "  plot PROJECT --chart acc-vs-bits|ppl-vs-bits [--metric M] [--dataset NAME] [--group G|pc] [--sweep NAME]\n"
    "       [--model NAME]   (one model of a sweep over several)\n"
    "       --out FIG.pdf|svg|png [--size column|page] [--dpi N] [--json]   (also writes FIG.csv, FIG.runs.json)\n");

}  // namespace qs::cli
