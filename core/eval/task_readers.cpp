#include "eval/task_readers.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "eval/csv_reader.h"
#include "formats/format_error.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace qs {

namespace {

struct TaskTypeName {
    TaskType type;
    std::string_view name;
};
constexpr TaskTypeName kTaskNames[] = {
    {TaskType::HellaSwag, "hellaswag"}, {TaskType::Arc, "arc"},     {TaskType::Piqa, "piqa"},
    {TaskType::WinoGrande, "winogrande"}, {TaskType::BoolQ, "boolq"}, {TaskType::Lambada, "lambada"},
    {TaskType::Mmlu, "mmlu"},           {TaskType::OpenBookQa, "openbookqa"},
};

std::string readWhole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path, "cannot read task file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A task row that lacks what its layout needs.
[[noreturn]] void badRow(const std::string& path, size_t line, const std::string& what) {
    throw FormatError(path, "line " + std::to_string(line) + ": " + what);
}

std::string str(const json& row, const char* key, const std::string& path, size_t line) {
    auto it = row.find(key);
    if (it == row.end() || !it->is_string()) badRow(path, line, std::string("no string field \"") + key + "\"");
    return it->get<std::string>();
}

// Calls fn(row, line) for each non-empty JSON line.
template <typename Fn>
void forEachJsonLine(const std::string& path, int limit, Fn&& fn) {
    std::ifstream in(path);
    if (!in) throw FormatError(path, "cannot read task file");
    std::string text;
    size_t line = 0;
    int taken = 0;
    while (std::getline(in, text)) {
        ++line;
        if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
        json row;
        try {
            row = json::parse(text);
        } catch (const json::exception& e) {
            badRow(path, line, std::string("not JSON: ") + e.what());
        }
        if (!row.is_object()) badRow(path, line, "not a JSON object");
        fn(row, line);
        if (limit > 0 && ++taken >= limit) break;
    }
}

// The harness' default multiple-choice request: context, then " " + choice.
TaskItem choiceItem(const std::string& context, std::vector<std::string> choices, int gold) {
    TaskItem item;
    for (const auto& c : choices) item.requests.push_back({context, " " + c});
    item.choices = std::move(choices);
    item.gold = gold;
    return item;
}

int checkedGold(int gold, size_t n, const std::string& path, size_t line) {
    if (gold < 0 || size_t(gold) >= n) badRow(path, line, "answer " + std::to_string(gold) + " is not one of the choices");
    return gold;
}

// AI2 layout (ARC, OpenBookQA originals) or Hugging Face layout; lm-eval arc_easy.yaml:
// "Question: {{question}}\nAnswer:"; openbookqa.yaml: "{{question_stem}}".
std::vector<TaskItem> readAi2(const std::string& path, int limit, bool arcPrompt) {
    std::vector<TaskItem> items;
    forEachJsonLine(path, limit, [&](const json& row, size_t line) {
        std::string stem;
        std::vector<std::string> texts, labels;
        const json* q = row.contains("question") ? &row["question"] : nullptr;
        if (q && q->is_object()) {
            stem = str(*q, "stem", path, line);
            if (!q->contains("choices") || !(*q)["choices"].is_array()) badRow(path, line, "question has no choices array");
            for (const auto& c : (*q)["choices"]) {
                texts.push_back(str(c, "text", path, line));
                labels.push_back(str(c, "label", path, line));
            }
        } else if (row.contains("choices") && row["choices"].is_object()) {
            stem = row.contains("question_stem") ? str(row, "question_stem", path, line) : str(row, "question", path, line);
            try {
                texts = row["choices"].at("text").get<std::vector<std::string>>();
                labels = row["choices"].at("label").get<std::vector<std::string>>();
            } catch (const json::exception&) {
                badRow(path, line, "choices needs text and label lists of strings");
            }
        } else {
            badRow(path, line, "neither the AI2 layout {question: {stem, choices}} nor the Hugging Face one {question, choices: {text, label}}");
        }
        std::string key = str(row, "answerKey", path, line);
        key.erase(0, key.find_first_not_of(' '));
        const auto it = std::find(labels.begin(), labels.end(), key);
        if (it == labels.end()) badRow(path, line, "answerKey " + key + " is not a choice label");
        const std::string context = arcPrompt ? "Question: " + stem + "\nAnswer:" : stem;
        items.push_back(choiceItem(context, texts, int(it - labels.begin())));
    });
    return items;
}

// lm-eval piqa.yaml: "Question: {{goal}}\nAnswer:", choices [sol1, sol2].
std::vector<TaskItem> readPiqa(const std::string& path, int limit) {
    std::vector<int> labels;
    fs::path labelPath = path;
    labelPath.replace_filename(fs::path(path).stem().string() + "-labels.lst");
    if (fs::exists(labelPath)) {
        std::ifstream in(labelPath);
        std::string l;
        size_t n = 0;
        while (std::getline(in, l)) {
            ++n;
            if (l != "0" && l != "1" && l != "0\r" && l != "1\r")
                throw FormatError(labelPath.string(), "line " + std::to_string(n) + ": label is not 0 or 1");
            labels.push_back(l[0] - '0');
        }
    }
    std::vector<TaskItem> items;
    forEachJsonLine(path, limit, [&](const json& row, size_t line) {
        int gold;
        if (row.contains("label") && row["label"].is_number_integer()) gold = row["label"].get<int>();
        else if (items.size() < labels.size()) gold = labels[items.size()];
        else badRow(path, line, "no label (neither a \"label\" field nor a line in " + labelPath.filename().string() + ")");
        std::vector<std::string> sols = {str(row, "sol1", path, line), str(row, "sol2", path, line)};
        items.push_back(choiceItem("Question: " + str(row, "goal", path, line) + "\nAnswer:", sols, checkedGold(gold, 2, path, line)));
    });
    return items;
}

// lm-eval hellaswag/utils.py preprocess(): strip, " [title]" -> ". ", drop
// [bracketed] tags, collapse double spaces.
std::string hellaswagPreprocess(std::string text) {
    const auto b = text.find_first_not_of(" \t\n\r"), e = text.find_last_not_of(" \t\n\r");
    text = b == std::string::npos ? std::string() : text.substr(b, e - b + 1);
    for (size_t p; (p = text.find(" [title]")) != std::string::npos;) text.replace(p, 8, ". ");
    text = std::regex_replace(text, std::regex("\\[.*?\\]"), "");
    // Python's str.replace: one left-to-right pass, so three spaces become two.
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        out += text[i];
        if (text[i] == ' ' && i + 1 < text.size() && text[i + 1] == ' ') ++i;
    }
    return out;
}

// Python's str.capitalize() on ASCII: first letter upper, the rest lower.
std::string pyCapitalize(std::string s) {
    for (size_t i = 0; i < s.size(); ++i)
        s[i] = char(i == 0 ? std::toupper((unsigned char)s[i]) : std::tolower((unsigned char)s[i]));
    return s;
}

std::vector<TaskItem> readHellaswag(const std::string& path, int limit) {
    std::vector<TaskItem> items;
    forEachJsonLine(path, limit, [&](const json& row, size_t line) {
        const std::string ctx = str(row, "ctx_a", path, line) + " " + pyCapitalize(str(row, "ctx_b", path, line));
        const std::string query = hellaswagPreprocess(str(row, "activity_label", path, line) + ": " + ctx);
        if (!row.contains("endings") || !row["endings"].is_array()) badRow(path, line, "no \"endings\" array");
        std::vector<std::string> endings;
        for (const auto& e : row["endings"]) {
            if (!e.is_string()) badRow(path, line, "an ending is not a string");
            endings.push_back(hellaswagPreprocess(e.get<std::string>()));
        }
        const json& l = row.contains("label") ? row["label"] : json();
        int gold = l.is_number_integer() ? l.get<int>() : l.is_string() ? std::atoi(l.get<std::string>().c_str()) : -1;
        items.push_back(choiceItem(query, endings, checkedGold(gold, endings.size(), path, line)));
    });
    return items;
}

// lm-eval winogrande/preprocess_winogrande.py: partial scoring; each option
// fills the blank to make a context, and the text after the blank is the
// shared continuation.
std::vector<TaskItem> readWinogrande(const std::string& path, int limit) {
    std::vector<TaskItem> items;
    forEachJsonLine(path, limit, [&](const json& row, size_t line) {
        const std::string sentence = str(row, "sentence", path, line);
        const size_t blank = sentence.find('_');
        if (blank == std::string::npos) badRow(path, line, "sentence has no \"_\" blank");
        std::string rest = sentence.substr(blank + 1);
        rest.erase(0, rest.find_first_not_of(" \t"));
        rest.erase(rest.find_last_not_of(" \t") + 1);
        const std::string answer = row.contains("answer") && row["answer"].is_string() ? row["answer"].get<std::string>() : "";
        if (answer != "1" && answer != "2") badRow(path, line, "answer is not \"1\" or \"2\"");
        TaskItem item;
        for (const char* key : {"option1", "option2"}) {
            const std::string context = sentence.substr(0, blank) + str(row, key, path, line);
            item.requests.push_back({context, " " + rest});
            item.choices.push_back(context);
        }
        item.gold = answer[0] - '1';
        items.push_back(std::move(item));
    });
    return items;
}

// lm-eval super_glue/boolq: "{{passage}}\nQuestion: {{question}}?\nAnswer:", choices [no, yes].
std::vector<TaskItem> readBoolq(const std::string& path, int limit) {
    std::vector<TaskItem> items;
    forEachJsonLine(path, limit, [&](const json& row, size_t line) {
        int gold;
        if (row.contains("answer") && row["answer"].is_boolean()) gold = row["answer"].get<bool>() ? 1 : 0;
        else if (row.contains("label") && row["label"].is_number_integer()) gold = row["label"].get<int>();
        else badRow(path, line, "no boolean \"answer\" (or 0/1 \"label\")");
        const std::string context =
            str(row, "passage", path, line) + "\nQuestion: " + str(row, "question", path, line) + "?\nAnswer:";
        items.push_back(choiceItem(context, {"no", "yes"}, checkedGold(gold, 2, path, line)));
    });
    return items;
}

// lm-eval lambada_openai: context = all but the last space-separated word,
// continuation = " " + last word; correct when it is the greedy completion.
std::vector<TaskItem> readLambada(const std::string& path, int limit) {
    std::vector<TaskItem> items;
    forEachJsonLine(path, limit, [&](const json& row, size_t line) {
        const std::string text = str(row, "text", path, line);
        const size_t space = text.rfind(' ');
        if (space == std::string::npos || space + 1 == text.size()) badRow(path, line, "text has no last word");
        TaskItem item;
        item.requests.push_back({text.substr(0, space), text.substr(space)});
        item.choices.push_back(text.substr(space + 1));
        item.greedyOnly = true;
        items.push_back(std::move(item));
    });
    return items;
}

// lm-eval mmlu/default: description "The following are multiple choice
// questions (with answers) about {subject}.\n\n", then
// "{{question.strip()}}\nA. ..\nB. ..\nC. ..\nD. ..\nAnswer:", choices A-D.
void readMmluCsv(const std::string& path, int limit, std::vector<TaskItem>& items) {
    std::string subject = fs::path(path).stem().string();
    for (const char* suffix : {"_test", "_dev", "_val"})
        if (subject.ends_with(suffix)) subject.resize(subject.size() - std::strlen(suffix));
    std::replace(subject.begin(), subject.end(), '_', ' ');
    std::vector<std::vector<std::string>> rows;
    try {
        rows = parseCsv(readWhole(path));
    } catch (const std::runtime_error& e) {
        throw FormatError(path, e.what());
    }
    const bool header = !rows.empty() && !rows[0].empty() && rows[0][0] == "question";
    const std::string description = "The following are multiple choice questions (with answers) about " + subject + ".\n\n";
    for (size_t r = header ? 1 : 0; r < rows.size(); ++r) {
        if (limit > 0 && int(items.size()) >= limit) return;
        const auto& row = rows[r];
        if (row.size() != 6) badRow(path, r + 1, "expected 6 columns (question, 4 choices, answer), found " + std::to_string(row.size()));
        const std::string& a = row[5];
        int gold = -1;
        if (a.size() == 1 && a[0] >= 'A' && a[0] <= 'D') gold = a[0] - 'A';
        else if (a.size() == 1 && a[0] >= '0' && a[0] <= '3') gold = a[0] - '0';
        else badRow(path, r + 1, "answer '" + a + "' is neither A-D nor 0-3");
        std::string q = row[0];
        q.erase(0, q.find_first_not_of(" \t\n\r"));
        q.erase(q.find_last_not_of(" \t\n\r") + 1);
        const std::string context = description + q + "\nA. " + row[1] + "\nB. " + row[2] + "\nC. " + row[3] +
                                    "\nD. " + row[4] + "\nAnswer:";
        items.push_back(choiceItem(context, {"A", "B", "C", "D"}, gold));
    }
}

std::vector<TaskItem> readMmlu(const std::string& path, int limit) {
    std::vector<TaskItem> items;
    if (fs::is_directory(path)) {
        std::vector<std::string> files;
        for (const auto& e : fs::directory_iterator(path))
            if (e.path().extension() == ".csv") files.push_back(e.path().string());
        std::sort(files.begin(), files.end());
        if (files.empty()) throw FormatError(path, "no .csv files in the MMLU directory");
        for (const auto& f : files) readMmluCsv(f, limit, items);
    } else {
        readMmluCsv(path, limit, items);
    }
    return items;
}

}  // namespace

std::optional<TaskType> taskTypeFromName(std::string_view name) {
    for (const auto& t : kTaskNames)
        if (t.name == name) return t.type;
    if (name == "arc_easy" || name == "arc_challenge") return TaskType::Arc;
    return std::nullopt;
}

std::string_view taskTypeName(TaskType type) {
    for (const auto& t : kTaskNames)
        if (t.type == type) return t.name;
    return "?";
}

std::vector<TaskItem> readTaskFile(const std::string& path, TaskType type, int limit) {
    if (!fs::exists(path)) throw FormatError(path, "no such task file");
    std::vector<TaskItem> items;
    switch (type) {
    case TaskType::Piqa: items = readPiqa(path, limit); break;
    case TaskType::Arc: items = readAi2(path, limit, true); break;
    case TaskType::OpenBookQa: items = readAi2(path, limit, false); break;
    case TaskType::HellaSwag: items = readHellaswag(path, limit); break;
    case TaskType::WinoGrande: items = readWinogrande(path, limit); break;
    case TaskType::BoolQ: items = readBoolq(path, limit); break;
    case TaskType::Lambada: items = readLambada(path, limit); break;
    case TaskType::Mmlu: items = readMmlu(path, limit); break;
    }
    if (items.empty()) throw FormatError(path, "no items in the task file");
    return items;
}

}  // namespace qs
