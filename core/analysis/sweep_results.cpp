#include "analysis/sweep_results.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "analysis/sweep_grid.h"  // modelShortName
#include "formats/format_error.h"
#include "formats/staged_directory.h"

namespace qs {

namespace {

using json = nlohmann::json;

// Metrics this module ranks, in the order tables and menus list them.
struct KnownMetric {
    const char* name;
    const char* title;
};
constexpr KnownMetric kKnownMetrics[] = {
    {"ppl", "Perplexity"},
    {"acc", "Accuracy"},
    {"acc_norm", "Accuracy (length-normalized)"},
    {"kl_mean", "Mean KL (nats/token)"},
    {"kl_p99", "KL p99 (nats/token)"},
    {"top1_agreement", "Top-1 agreement"},
    {"delta_ppl", "\u0394 perplexity"},
    {"nll", "NLL (nats/token)"},
    {"word_perplexity", "Word perplexity"},
    {"byte_perplexity", "Byte perplexity"},
    {"bits_per_byte", "Bits per byte"},
};

bool endsWith(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::optional<double> numberAt(const json& j, const std::string& key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
}

// The run's cell, when it is a well-formed sweep run of `sweepName` (any when empty).
std::optional<SweepRow> sweepRowOf(const RunRecord& run, const std::string& sweepName) {
    const auto sweep = run.settings.find("sweep");
    if (sweep == run.settings.end() || !sweep->is_object()) return std::nullopt;
    const json& s = *sweep;
    const auto text = [&](const char* key) { return s.contains(key) && s[key].is_string(); };
    const auto integer = [&](const char* key) { return s.contains(key) && s[key].is_number_integer(); };
    if (!text("cell") || !text("method") || !integer("bits") || !integer("group")) return std::nullopt;
    if (!sweepName.empty() && (!text("name") || s["name"] != sweepName)) return std::nullopt;
    return SweepRow{text("model") ? s["model"].get<std::string>() : std::string(), s["cell"].get<std::string>(),
                    s["method"].get<std::string>(), s["bits"].get<int>(), s["group"].get<int>()};
}

bool sameRow(const SweepRow& a, const SweepRow& b) { return a.model == b.model && a.cell == b.cell; }

// A row of the table `options` asks for: the sweep's, and the model's when one is named.
std::optional<SweepRow> tableRowOf(const RunRecord& run, const SweepTableOptions& options) {
    auto row = sweepRowOf(run, options.sweepName);
    if (row && !options.model.empty() && row->model != options.model && modelShortName(row->model) != options.model)
        return std::nullopt;
    return row;
}

size_t rank(const std::vector<std::string>& order, const std::string& item) {
    return size_t(std::find(order.begin(), order.end(), item) - order.begin());
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string latexEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '_':
            case '%':
            case '&':
            case '#':
            case '$':
            case '{':
            case '}': out += '\\', out += c; break;
            case '\\': out += "\\textbackslash{}"; break;
            case '~': out += "\\textasciitilde{}"; break;
            case '^': out += "\\textasciicircum{}"; break;
            default: out += c;
        }
    }
    return out;
}

// Model in first-seen order, then baseline first, method in first-seen order,
// bits descending, group ascending.
bool rowBefore(const SweepRow& a, const SweepRow& b, const std::vector<std::string>& modelOrder,
               const std::vector<std::string>& methodOrder) {
    if (a.model != b.model) return rank(modelOrder, a.model) < rank(modelOrder, b.model);
    if (a.baseline() != b.baseline()) return a.baseline();
    if (a.method != b.method) return rank(methodOrder, a.method) < rank(methodOrder, b.method);
    if (a.bits != b.bits) return a.bits > b.bits;
    return a.group < b.group;
}

// Marks the best value of `column` among the quantized rows of each model
// that compete (BestScope): by default the methods at the same bits and
// group, what a paper's table bolds, the winner at an equal bit budget. A row
// alone in its competition wins nothing.
void markBest(SweepTable& table, size_t column, BestScope scope) {
    const bool lower = metricInfo(table.columns[column].metric).lowerIsBetter;
    std::map<std::tuple<std::string, int, int>, std::vector<SweepEntry*>> competitions;
    for (size_t r = 0; r < table.rows.size(); ++r) {
        const SweepRow& row = table.rows[r];
        if (auto& e = table.entries[r][column]; e && !row.baseline())
            competitions[scope == BestScope::BitWidth ? std::tuple(row.model, row.bits, row.group)
                                                      : std::tuple(row.model, 0, 0)]
                .push_back(&*e);
    }
    for (auto& [competition, entries] : competitions) {
        if (entries.size() < 2) continue;
        const auto better = [&](const SweepEntry* a, const SweepEntry* b) {
            return lower ? a->value < b->value : a->value > b->value;
        };
        const double best = (*std::min_element(entries.begin(), entries.end(), better))->value;
        for (SweepEntry* e : entries) e->best = e->value == best;
    }
}

json runsWithIds(const std::vector<RunRecord>& runs, const std::set<std::string>& ids) {
    json out = json::array();
    for (const RunRecord& r : runs)
        if (ids.count(r.id)) out.push_back(runRecordJson(r));
    return out;
}

}  // namespace

MetricInfo metricInfo(const std::string& metric) {
    const bool perplexity = metric == "ppl" || endsWith(metric, "perplexity");
    const bool kl = metric.rfind("kl_", 0) == 0;
    MetricInfo info{metric, perplexity || kl || metric == "nll" || metric == "bits_per_byte" || metric == "delta_ppl",
                    perplexity || kl};
    for (const KnownMetric& k : kKnownMetrics)
        if (metric == k.name) info.title = k.title;
    return info;
}

std::string defaultMetric(const RunRecord& run) {
    if (run.kind == "perplexity") return numberAt(run.metrics, "ppl") ? "ppl" : "word_perplexity";
    if (run.kind == "task") return "acc";
    if (run.kind == "kl") return "kl_mean";
    return {};
}

std::string datasetShortName(const std::string& dataset) {
    namespace fs = std::filesystem;
    const fs::path path(dataset);
    std::string name = path.filename().string();
    name = name.substr(0, name.find('.'));
    static const std::set<std::string> kSplits = {"test", "valid", "validation", "dev", "train"};
    if (kSplits.count(name) && path.has_parent_path()) name = path.parent_path().filename().string();
    return name.empty() ? dataset : name;
}

std::vector<std::string> SweepTable::models() const {
    std::vector<std::string> out;
    for (const SweepRow& r : rows)
        if (out.empty() || out.back() != r.model) out.push_back(r.model);
    return out;
}

SweepTable buildSweepTable(const std::vector<RunRecord>& runs, const SweepTableOptions& options) {
    std::vector<std::string> metrics = options.metrics;
    if (metrics.empty())
        for (const char* kind : {"perplexity", "task", "kl"})
            for (const RunRecord& r : runs)
                if (r.kind == kind && tableRowOf(r, options) &&
                    std::find(metrics.begin(), metrics.end(), defaultMetric(r)) == metrics.end())
                    metrics.push_back(defaultMetric(r));

    SweepTable table;
    std::vector<std::string> modelOrder, methodOrder;
    for (const std::string& metric : metrics)
        for (const RunRecord& r : runs) {
            const auto row = tableRowOf(r, options);
            if (!row || !numberAt(r.metrics, metric)) continue;
            const SweepColumn column{datasetShortName(r.dataset), metric};
            if (std::none_of(table.columns.begin(), table.columns.end(),
                             [&](const SweepColumn& c) { return c.label() == column.label(); }))
                table.columns.push_back(column);
            if (std::none_of(table.rows.begin(), table.rows.end(), [&](const SweepRow& x) { return sameRow(x, *row); }))
                table.rows.push_back(*row);
            if (rank(modelOrder, row->model) == modelOrder.size()) modelOrder.push_back(row->model);
            if (rank(methodOrder, row->method) == methodOrder.size()) methodOrder.push_back(row->method);
        }
    std::stable_sort(table.rows.begin(), table.rows.end(), [&](const SweepRow& a, const SweepRow& b) {
        return rowBefore(a, b, modelOrder, methodOrder);
    });

    table.entries.assign(table.rows.size(), std::vector<std::optional<SweepEntry>>(table.columns.size()));
    std::vector<std::vector<std::string>> created(table.rows.size(), std::vector<std::string>(table.columns.size()));
    for (const RunRecord& r : runs) {
        const auto row = tableRowOf(r, options);
        if (!row) continue;
        const size_t ri = size_t(
            std::find_if(table.rows.begin(), table.rows.end(), [&](const SweepRow& x) { return sameRow(x, *row); }) -
            table.rows.begin());
        if (ri == table.rows.size()) continue;  // none of the asked metrics
        for (size_t ci = 0; ci < table.columns.size(); ++ci) {
            const SweepColumn& c = table.columns[ci];
            const auto value = numberAt(r.metrics, c.metric);
            if (!value || datasetShortName(r.dataset) != c.dataset) continue;
            // Runs come in the order they were added: a later one of the same time is the newer.
            if (table.entries[ri][ci] && r.created < created[ri][ci]) continue;
            table.entries[ri][ci] = SweepEntry{*value, numberAt(r.metrics, c.metric + "_stderr"), r.id, false};
            created[ri][ci] = r.created;
        }
    }
    for (size_t ci = 0; ci < table.columns.size(); ++ci) markBest(table, ci, options.best);
    return table;
}

std::vector<std::string> sweepMetrics(const std::vector<RunRecord>& runs, const std::string& sweepName) {
    std::vector<std::string> out;
    for (const KnownMetric& k : kKnownMetrics)
        if (std::any_of(runs.begin(), runs.end(),
                        [&](const RunRecord& r) { return sweepRowOf(r, sweepName) && numberAt(r.metrics, k.name); }))
            out.push_back(k.name);
    return out;
}

std::vector<std::string> sweepNames(const std::vector<RunRecord>& runs) {
    std::vector<std::string> names;
    for (const RunRecord& r : runs) {
        if (!sweepRowOf(r, {})) continue;
        const json& sweep = r.settings.at("sweep");
        const auto name = sweep.find("name");
        if (name != sweep.end() && name->is_string() && std::find(names.begin(), names.end(), *name) == names.end())
            names.push_back(*name);
    }
    return names;
}

std::vector<std::string> sweepModels(const std::vector<RunRecord>& runs, const std::string& sweepName) {
    std::vector<std::string> models;
    for (const RunRecord& r : runs)
        if (const auto row = sweepRowOf(r, sweepName); row && rank(models, row->model) == models.size())
            models.push_back(row->model);
    return models;
}

SweepChartData sweepChart(const SweepTable& table, size_t column, std::optional<int> group) {
    SweepChartData chart;
    if (column >= table.columns.size()) return chart;
    chart.column = table.columns[column];
    std::set<int> groups;
    for (size_t r = 0; r < table.rows.size(); ++r) {
        const SweepRow& row = table.rows[r];
        const auto& e = table.entries[r][column];
        if (!e || row.model != table.rows.front().model) continue;
        if (row.baseline()) {
            chart.baseline = e;
            continue;
        }
        if (group && row.group != *group) continue;
        auto s = std::find_if(chart.series.begin(), chart.series.end(),
                              [&](const SweepSeries& x) { return x.method == row.method && x.group == row.group; });
        if (s == chart.series.end())
            s = chart.series.insert(chart.series.end(), SweepSeries{row.method, row.group, {}, {}});
        s->points.push_back({row.bits, *e});
        groups.insert(row.group);
    }
    for (SweepSeries& s : chart.series) {
        s.label = methodTitle(s.method) + (groups.size() > 1 ? " " + groupLabel(s.group) : "");
        std::sort(s.points.begin(), s.points.end(),
                  [](const SweepPoint& a, const SweepPoint& b) { return a.bits < b.bits; });
    }
    return chart;
}

std::string methodTitle(const std::string& method) {
    static const std::map<std::string, std::string> kTitles = {
        {"base", "Baseline"},        {"rtn", "RTN"}, {"gptq", "GPTQ"}, {"awq", "AWQ"}, {"smoothquant", "SmoothQuant"},
        {"bismooth", "Bi-smoothing"}};
    const auto it = kTitles.find(method);
    return it == kTitles.end() ? method : it->second;
}

std::string groupLabel(int group) { return group ? "g" + std::to_string(group) : "pc"; }

std::string sweepTableCsv(const SweepTable& table, const SweepTextOptions& options) {
    const bool models = table.models().size() > 1;
    std::string out = models ? "model,cell,method,bits,group" : "cell,method,bits,group";
    for (const SweepColumn& c : table.columns) {
        out += ',' + csvField(c.label());
        if (options.standardErrors) out += ',' + csvField(c.label() + " stderr");
    }
    out += "\n";
    for (size_t r = 0; r < table.rows.size(); ++r) {
        const SweepRow& row = table.rows[r];
        if (models) out += csvField(modelShortName(row.model)) + ",";
        out += csvField(row.cell) + "," + csvField(row.method) + "," + std::to_string(row.bits) + "," +
               std::to_string(row.group);
        for (const auto& e : table.entries[r]) {
            out += ',';
            if (e) out += fixed(e->value, options.decimals);
            if (!options.standardErrors) continue;
            out += ',';
            if (e && e->standardError) out += fixed(*e->standardError, options.decimals);
        }
        out += "\n";
    }
    return out;
}

std::string sweepTableLatex(const SweepTable& table, const SweepTextOptions& options) {
    const bool models = table.models().size() > 1;
    std::string out = "\\begin{tabular}{" + std::string(models ? "l" : "") + "llr" +
                      std::string(table.columns.size(), 'r') + "}\n\\toprule\n" + (models ? "Model & " : "") +
                      "Method & Group & Bits";
    for (const SweepColumn& c : table.columns)
        out +=
            " & " + latexEscape(c.label()) + (metricInfo(c.metric).lowerIsBetter ? " $\\downarrow$" : " $\\uparrow$");
    out += " \\\\\n\\midrule\n";
    for (size_t r = 0; r < table.rows.size(); ++r) {
        const SweepRow& row = table.rows[r];
        const bool firstOfModel = r == 0 || table.rows[r - 1].model != row.model;
        if (models && firstOfModel && r > 0) out += "\\midrule\n";
        if (models) out += (firstOfModel ? latexEscape(modelShortName(row.model)) : std::string()) + " & ";
        out += latexEscape(methodTitle(row.method)) + " & " +
               (row.baseline() ? "--" : latexEscape(groupLabel(row.group))) + " & " + std::to_string(row.bits);
        for (const auto& e : table.entries[r]) {
            out += " & ";
            if (!e) continue;
            const std::string value = fixed(e->value, options.decimals);
            out += e->best ? "\\textbf{" + value + "}" : value;
            if (options.standardErrors && e->standardError)
                out += " $\\pm$ " + fixed(*e->standardError, options.decimals);
        }
        out += " \\\\\n";
        if (row.baseline() && r + 1 < table.rows.size() && table.rows[r + 1].model == row.model)
            out += "\\midrule\n";
    }
    return out + "\\bottomrule\n\\end{tabular}\n";
}

std::string sweepChartCsv(const SweepChartData& chart, int decimals) {
    std::string out = "series,method,group,bits,value,stderr,run\n";
    const auto line = [&](const std::string& series, const std::string& method, int group, int bits,
                          const SweepEntry& e) {
        out += csvField(series) + "," + csvField(method) + "," + std::to_string(group) + "," + std::to_string(bits) +
               "," + fixed(e.value, decimals) + "," +
               (e.standardError ? fixed(*e.standardError, decimals) : std::string()) + "," + csvField(e.runId) + "\n";
    };
    if (chart.baseline) line("baseline", "base", 0, 16, *chart.baseline);
    for (const SweepSeries& s : chart.series)
        for (const SweepPoint& p : s.points) line(s.label, s.method, s.group, p.bits, p.entry);
    return out;
}

nlohmann::json sweepChartJson(const SweepChartData& chart) {
    const auto entryJson = [](const SweepEntry& e) {
        return json{
            {"value", e.value}, {"stderr", e.standardError ? json(*e.standardError) : json()}, {"run", e.runId}};
    };
    json series = json::array();
    for (const SweepSeries& s : chart.series) {
        json points = json::array();
        for (const SweepPoint& p : s.points) {
            json point = entryJson(p.entry);
            point["bits"] = p.bits;
            points.push_back(point);
        }
        series.push_back({{"label", s.label}, {"method", s.method}, {"group", s.group}, {"points", points}});
    }
    return {{"column", {{"dataset", chart.column.dataset}, {"metric", chart.column.metric}}},
            {"baseline", chart.baseline ? entryJson(*chart.baseline) : json()},
            {"series", series}};
}

nlohmann::json runsBehind(const std::vector<RunRecord>& runs, const SweepTable& table) {
    std::set<std::string> ids;
    for (const auto& row : table.entries)
        for (const auto& e : row)
            if (e) ids.insert(e->runId);
    return runsWithIds(runs, ids);
}

nlohmann::json runsBehind(const std::vector<RunRecord>& runs, const SweepChartData& chart) {
    std::set<std::string> ids;
    if (chart.baseline) ids.insert(chart.baseline->runId);
    for (const SweepSeries& s : chart.series)
        for (const SweepPoint& p : s.points) ids.insert(p.entry.runId);
    return runsWithIds(runs, ids);
}

nlohmann::json runRecordJson(const RunRecord& run) {
    return {{"id", run.id},           {"kind", run.kind},         {"model", run.model},
            {"plan", run.plan},       {"dataset", run.dataset},   {"created", run.created},
            {"seconds", run.seconds}, {"settings", run.settings}, {"metrics", run.metrics}};
}

void writeResultFile(const std::string& path, const std::string& text) {
    writeFileAtomically(path, text, "the file");
}

}  // namespace qs
