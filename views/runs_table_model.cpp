#include "runs_table_model.h"

#include <optional>
#include <utility>

#include <QDateTime>
#include <QFileInfo>

#include "quant/quant_plan.h"

namespace qs::views {

namespace {

// A metric the run measured, when it is a number (kinds measure different things).
std::optional<double> metric(const RunRecord& run, const char* key) {
    const auto it = run.metrics.find(key);
    if (it == run.metrics.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
}

QString text(const std::string& s) { return QString::fromStdString(s); }

QString fileName(const std::string& path) { return QFileInfo(text(path)).fileName(); }

QString number(std::optional<double> v, int decimals) {
    return v ? QString::number(*v, 'f', decimals) : QString();
}

// The perplexity's standard error: "stderr" in a perplexity run, "ppl_stderr" in a KL run.
std::optional<double> pplStderr(const RunRecord& run) {
    if (auto v = metric(run, "stderr")) return v;
    return metric(run, "ppl_stderr");
}

// `run`'s metric minus `previous`'s, when both measured it.
std::optional<double> change(const RunRecord& run, const RunRecord* previous, const char* key) {
    const auto now = metric(run, key);
    const auto before = previous ? metric(*previous, key) : std::nullopt;
    if (!now || !before) return std::nullopt;
    return *now - *before;
}

// `previous`: the run a row is compared with (null: none).
std::optional<double> numericValue(const RunRecord& run, const RunRecord* previous, int column) {
    switch (column) {
    case RunsTableModel::Perplexity: return metric(run, "ppl");
    case RunsTableModel::Accuracy: return metric(run, "acc");
    case RunsTableModel::KlMean: return metric(run, "kl_mean");
    case RunsTableModel::KlP99: return metric(run, "kl_p99");
    case RunsTableModel::Top1: return metric(run, "top1_agreement");
    case RunsTableModel::DeltaPpl: return metric(run, "delta_ppl");
    case RunsTableModel::PplVsPrevious: return change(run, previous, "ppl");
    case RunsTableModel::KlVsPrevious: return change(run, previous, "kl_mean");
    case RunsTableModel::AccVsPrevious: return change(run, previous, "acc");
    case RunsTableModel::Seconds: return run.seconds;
    }
    return std::nullopt;
}

// "+0.412", "-0.003": a change reads as one.
QString signedNumber(std::optional<double> v, int decimals) {
    return v ? (*v >= 0 ? QStringLiteral("+") : QString()) + number(v, decimals) : QString();
}

bool isNumeric(int column) { return column >= RunsTableModel::Perplexity && column <= RunsTableModel::Seconds; }

QString datasetLabel(const RunRecord& run) {
    const QString name = fileName(run.dataset);
    const auto type = run.settings.find("task_type");
    return type != run.settings.end() && type->is_string() ? QStringLiteral("%1 (%2)").arg(name, text(*type)) : name;
}

QString displayValue(const RunRecord& run, const RunRecord* previous, int column) {
    switch (column) {
    case RunsTableModel::Id: return text(run.id);
    case RunsTableModel::Kind: return text(run.kind);
    case RunsTableModel::Model: return fileName(run.model);
    case RunsTableModel::Plan: return run.plan.empty() ? RunsTableModel::tr("unquantized") : text(run.plan);
    case RunsTableModel::Dataset: return datasetLabel(run);
    case RunsTableModel::Perplexity: {
        const auto ppl = metric(run, "ppl");
        const auto err = pplStderr(run);
        if (!ppl) return {};
        return err ? QStringLiteral("%1 \u00b1 %2").arg(number(ppl, 3), number(err, 3)) : number(ppl, 3);
    }
    case RunsTableModel::Accuracy: {
        const auto acc = metric(run, "acc");
        const auto norm = metric(run, "acc_norm");
        if (!acc) return {};
        return norm ? QStringLiteral("%1 / %2").arg(number(acc, 3), number(norm, 3)) : number(acc, 3);
    }
    case RunsTableModel::KlMean: return number(metric(run, "kl_mean"), 5);
    case RunsTableModel::KlP99: return number(metric(run, "kl_p99"), 4);
    case RunsTableModel::Top1: {
        const auto top1 = metric(run, "top1_agreement");
        return top1 ? QStringLiteral("%1 %").arg(*top1 * 100.0, 0, 'f', 1) : QString();
    }
    case RunsTableModel::DeltaPpl:
    case RunsTableModel::PplVsPrevious:
    case RunsTableModel::AccVsPrevious: return signedNumber(numericValue(run, previous, column), 3);
    case RunsTableModel::KlVsPrevious: return signedNumber(numericValue(run, previous, column), 5);
    case RunsTableModel::Seconds: return number(run.seconds, 1);
    case RunsTableModel::Created: {
        const QDateTime t = QDateTime::fromString(text(run.created), Qt::ISODate);
        return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd hh:mm")) : text(run.created);
    }
    }
    return {};
}

// The full paths and the run's settings (ctx, windows, task type, ...; the
// plan has its own column).
QString toolTip(const RunRecord& run, int column) {
    switch (column) {
    case RunsTableModel::Model: return text(run.model);
    case RunsTableModel::Plan: return displayValue(run, nullptr, column);  // whole when the cell elides it
    case RunsTableModel::Dataset: return text(run.dataset);
    case RunsTableModel::Created: return text(run.created);
    }
    nlohmann::json settings = run.settings;
    settings.erase("plan");
    return RunsTableModel::tr("%1 settings: %2").arg(text(run.id), text(settings.dump()));
}

// The plan a run was evaluated under, as far as its record says.
struct RecordedPlan {
    bool known = false;
    std::optional<QuantPlan> plan;  // nullopt: the unquantized model
};

RecordedPlan recordedPlan(const RunRecord& run) {
    if (const auto it = run.settings.find("plan"); it != run.settings.end()) {
        try {
            return {true, quantPlanFromJson(*it, run.id)};
        } catch (const std::exception&) {
            return {};  // a damaged record: no diff rather than a wrong one
        }
    }
    // Runs stored before plans were recorded (or by tools that do not) only say "unquantized" for sure.
    return {run.plan.empty(), std::nullopt};
}

// Runs compared with each other: the same measurement of the same model.
bool comparable(const RunRecord& a, const RunRecord& b) {
    return a.kind == b.kind && a.dataset == b.dataset && a.model == b.model &&
           a.settings.value("task_type", nlohmann::json()) == b.settings.value("task_type", nlohmann::json());
}

// A tooltip stays readable: the summary, then the first layers one per line.
QString changesToolTip(const RunRecord& previous, const std::vector<LayerSpecChange>& changes) {
    constexpr size_t kMaxListedLayers = 32;
    const QString plan = previous.plan.empty() ? RunsTableModel::tr("unquantized") : text(previous.plan);
    QStringList lines{
        RunsTableModel::tr("Against %1 (%2): %3").arg(text(previous.id), plan, text(planDiffSummary(changes)))};
    for (size_t i = 0; i < changes.size() && i < kMaxListedLayers; ++i)
        lines << QStringLiteral("%1: %2 \u2192 %3")
                     .arg(text(changes[i].layer), text(changes[i].before), text(changes[i].after));
    if (changes.size() > kMaxListedLayers)
        lines << RunsTableModel::tr("\u2026 and %1 more").arg(changes.size() - kMaxListedLayers);
    return lines.join(QLatin1Char('\n'));
}

}  // namespace

QString runSummary(const RunRecord& run) {
    // Names as in the CLI's output.
    static const std::pair<int, const char*> kMetrics[] = {
        {RunsTableModel::Perplexity, "ppl"}, {RunsTableModel::Accuracy, "acc / acc_norm"},
        {RunsTableModel::KlMean, "KL mean"}, {RunsTableModel::KlP99, "KL p99"},
        {RunsTableModel::Top1, "top-1"},     {RunsTableModel::DeltaPpl, "delta ppl"}};
    QStringList parts;
    for (const auto& [column, name] : kMetrics)
        if (const QString value = displayValue(run, nullptr, column); !value.isEmpty())
            parts << QLatin1String(name) + QLatin1Char(' ') + value;
    return parts.join(QStringLiteral(", "));
}

RunsTableModel::RunsTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunsTableModel::setNumLayers(int numLayers) {
    numLayers_ = numLayers;
    compareAll();
    if (!runs_.empty()) emit dataChanged(index(0, Changes), index(rowCount() - 1, Changes));
}

void RunsTableModel::setRuns(std::vector<RunRecord> runs) {
    beginResetModel();
    runs_ = std::move(runs);
    compareAll();
    endResetModel();
}

void RunsTableModel::addRun(const RunRecord& run) {
    const int row = int(runs_.size());
    beginInsertRows({}, row, row);
    runs_.push_back(run);
    comparisons_.push_back(compare(size_t(row)));
    endInsertRows();
}

void RunsTableModel::clear() { setRuns({}); }

int RunsTableModel::previousRow(int row) const {
    return row >= 0 && row < int(comparisons_.size()) ? comparisons_[size_t(row)].previous : -1;
}

const std::optional<std::vector<LayerSpecChange>>& RunsTableModel::planChanges(int row) const {
    static const std::optional<std::vector<LayerSpecChange>> kNone;
    return row >= 0 && row < int(comparisons_.size()) ? comparisons_[size_t(row)].changes : kNone;
}

RunsTableModel::Comparison RunsTableModel::compare(size_t row) const {
    Comparison c;
    for (size_t i = row; i-- > 0;)
        if (comparable(runs_[i], runs_[row])) {
            c.previous = int(i);
            break;
        }
    if (c.previous < 0 || numLayers_ <= 0) return c;
    const RecordedPlan before = recordedPlan(runs_[size_t(c.previous)]);
    const RecordedPlan after = recordedPlan(runs_[row]);
    if (before.known && after.known) c.changes = diffPlans(before.plan, after.plan, planLayerNames(numLayers_));
    return c;
}

void RunsTableModel::compareAll() {
    comparisons_.clear();
    for (size_t row = 0; row < runs_.size(); ++row) comparisons_.push_back(compare(row));
}

int RunsTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(runs_.size()); }

int RunsTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RunsTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    return index.column() == Changes ? changesData(index.row(), role) : cellData(index.row(), index.column(), role);
}

QVariant RunsTableModel::changesData(int row, int role) const {
    const Comparison& c = comparisons_[size_t(row)];
    if (role == Qt::ToolTipRole) {
        if (c.previous < 0) return tr("No earlier run of this kind on this dataset");
        if (numLayers_ <= 0) return tr("Plans are compared once the model is open");
        if (!c.changes)
            return tr("The plan of this run or of %1 was not recorded").arg(text(runs_[size_t(c.previous)].id));
        return changesToolTip(runs_[size_t(c.previous)], *c.changes);
    }
    if (role != Qt::DisplayRole && role != SortRole) return {};
    if (c.previous < 0 || numLayers_ <= 0) return {};
    return c.changes ? text(planDiffHeadline(*c.changes)) : tr("plan not recorded");
}

QVariant RunsTableModel::cellData(int row, int column, int role) const {
    const RunRecord& run = runs_[size_t(row)];
    const int previousRow = comparisons_[size_t(row)].previous;
    const RunRecord* previous = previousRow >= 0 ? &runs_[size_t(previousRow)] : nullptr;
    switch (role) {
    case Qt::DisplayRole: return displayValue(run, previous, column);
    case SortRole:
        if (isNumeric(column)) {
            const auto v = numericValue(run, previous, column);
            return v ? QVariant(*v) : QVariant();
        }
        // ISO 8601 and run-0001 ids sort as text.
        return column == Created ? text(run.created) : displayValue(run, previous, column);
    case Qt::ToolTipRole:
        if (previous && (column == PplVsPrevious || column == KlVsPrevious || column == AccVsPrevious))
            return tr("%1 minus %2").arg(text(run.id), text(previous->id));
        return toolTip(run, column);
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(isNumeric(column) ? Qt::AlignRight | Qt::AlignVCenter : Qt::AlignLeft | Qt::AlignVCenter);
    }
    return {};
}

QVariant RunsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Id: return tr("Run");
        case Kind: return tr("Kind");
        case Model: return tr("Model");
        case Plan: return tr("Plan");
        case Changes: return tr("Changes");
        case Dataset: return tr("Dataset");
        case Perplexity: return tr("PPL \u00b1 se");
        case Accuracy: return tr("acc / acc_norm");
        case KlMean: return tr("KL mean");
        case KlP99: return tr("KL p99");
        case Top1: return tr("Top-1");
        case DeltaPpl: return tr("\u0394 PPL base");
        case PplVsPrevious: return tr("\u0394 PPL prev");
        case KlVsPrevious: return tr("\u0394 KL prev");
        case AccVsPrevious: return tr("\u0394 acc prev");
        case Seconds: return tr("Seconds");
        case Created: return tr("Created");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Perplexity: return tr("Perplexity with its standard error (tokens taken as independent)");
        case Accuracy: return tr("Zero-shot accuracy and length-normalized accuracy (lm-evaluation-harness)");
        case KlMean: return tr("Mean KL divergence from the unquantized base, nats per token");
        case KlP99: return tr("99th percentile of the per-token KL divergence");
        case Top1: return tr("How often the top-1 token agrees with the base's");
        case DeltaPpl: return tr("Perplexity minus the base's perplexity");
        case Changes:
            return tr("Layers whose spec changed since the previous run of the same kind on the same dataset");
        case PplVsPrevious: return tr("Perplexity minus that of the previous run of the same kind on the same dataset");
        case KlVsPrevious: return tr("Mean KL minus that of the previous KL run on the same dataset");
        case AccVsPrevious: return tr("Accuracy minus that of the previous run on the same task file");
        }
    }
    return {};
}

}  // namespace qs::views
