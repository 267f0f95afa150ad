#include "runs_table_model.h"

#include <optional>

#include <QDateTime>
#include <QFileInfo>

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

std::optional<double> numericValue(const RunRecord& run, int column) {
    switch (column) {
    case RunsTableModel::Perplexity: return metric(run, "ppl");
    case RunsTableModel::Accuracy: return metric(run, "acc");
    case RunsTableModel::KlMean: return metric(run, "kl_mean");
    case RunsTableModel::KlP99: return metric(run, "kl_p99");
    case RunsTableModel::Top1: return metric(run, "top1_agreement");
    case RunsTableModel::DeltaPpl: return metric(run, "delta_ppl");
    case RunsTableModel::Seconds: return run.seconds;
    }
    return std::nullopt;
}

bool isNumeric(int column) { return column >= RunsTableModel::Perplexity && column <= RunsTableModel::Seconds; }

QString datasetLabel(const RunRecord& run) {
    const QString name = fileName(run.dataset);
    const auto type = run.settings.find("task_type");
    return type != run.settings.end() && type->is_string() ? QStringLiteral("%1 (%2)").arg(name, text(*type)) : name;
}

QString displayValue(const RunRecord& run, int column) {
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
    case RunsTableModel::DeltaPpl: {
        const auto delta = metric(run, "delta_ppl");
        return delta ? QStringLiteral("%1%2").arg(*delta >= 0 ? QStringLiteral("+") : QString(), number(delta, 3))
                     : QString();
    }
    case RunsTableModel::Seconds: return number(run.seconds, 1);
    case RunsTableModel::Created: {
        const QDateTime t = QDateTime::fromString(text(run.created), Qt::ISODate);
        return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd hh:mm")) : text(run.created);
    }
    }
    return {};
}

// The full paths and the run's settings (ctx, windows, task type, ...).
QString toolTip(const RunRecord& run, int column) {
    switch (column) {
    case RunsTableModel::Model: return text(run.model);
    case RunsTableModel::Dataset: return text(run.dataset);
    case RunsTableModel::Created: return text(run.created);
    }
    return RunsTableModel::tr("%1 settings: %2").arg(text(run.id), text(run.settings.dump()));
}

}  // namespace

QString runSummary(const RunRecord& run) {
    // Names as in the CLI's output, for the metric columns Perplexity..DeltaPpl.
    static const char* const kNames[] = {"ppl", "acc / acc_norm", "KL mean", "KL p99", "top-1", "delta ppl"};
    QStringList parts;
    for (int column = RunsTableModel::Perplexity; column <= RunsTableModel::DeltaPpl; ++column)
        if (const QString value = displayValue(run, column); !value.isEmpty())
            parts << QLatin1String(kNames[column - RunsTableModel::Perplexity]) + QLatin1Char(' ') + value;
    return parts.join(QStringLiteral(", "));
}

RunsTableModel::RunsTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunsTableModel::setRuns(std::vector<RunRecord> runs) {
    beginResetModel();
    runs_ = std::move(runs);
    endResetModel();
}

void RunsTableModel::addRun(const RunRecord& run) {
    const int row = int(runs_.size());
    beginInsertRows({}, row, row);
    runs_.push_back(run);
    endInsertRows();
}

void RunsTableModel::clear() { setRuns({}); }

int RunsTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(runs_.size()); }

int RunsTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RunsTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const RunRecord& run = runs_[size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: return displayValue(run, column);
    case SortRole:
        if (isNumeric(column)) {
            const auto v = numericValue(run, column);
            return v ? QVariant(*v) : QVariant();
        }
        // ISO 8601 and run-0001 ids sort as text.
        return column == Created ? text(run.created) : displayValue(run, column);
    case Qt::ToolTipRole: return toolTip(run, column);
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
        case Dataset: return tr("Dataset");
        case Perplexity: return tr("PPL \u00b1 se");
        case Accuracy: return tr("acc / acc_norm");
        case KlMean: return tr("KL mean");
        case KlP99: return tr("KL p99");
        case Top1: return tr("Top-1");
        case DeltaPpl: return tr("\u0394 PPL");
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
        }
    }
    return {};
}

}  // namespace qs::views
