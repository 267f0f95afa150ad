// Task readers (real PIQA, OpenBookQA, MMLU files and small files in the
// documented layouts of the others) and lm-eval scoring on hand-checked items.
#include <cmath>
#include <filesystem>

#include "check.h"
#include "eval/task_readers.h"
#include "eval/task_scoring.h"
#include "safetensors_fixture.h"

using namespace qs;
using namespace qs::test;
namespace fs = std::filesystem;

namespace {
std::string tasks() { return sharedDir() + "/data/tasks"; }

std::string fixture(const std::string& name, const std::string& text) {
    const fs::path p = fs::path(tempDir()) / name;
    writeFile(p, text);
    return p.string();
}
}  // namespace

QS_TEST(piqa_real_file_with_sibling_labels) {
    const auto items = readTaskFile(tasks() + "/piqa/valid.jsonl", TaskType::Piqa);
    QS_CHECK_EQ(items.size(), size_t(1838));
    const auto& first = items[0];
    QS_CHECK_EQ(first.requests[0].context, std::string("Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:"));
    QS_CHECK(first.requests[0].continuation.starts_with(" Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips"));
    QS_CHECK_EQ(first.gold, 0);
    QS_CHECK_EQ(items[1].gold, 1);
    QS_CHECK_EQ(readTaskFile(tasks() + "/piqa/valid.jsonl", TaskType::Piqa, 10).size(), size_t(10));
}

QS_TEST(openbookqa_real_file) {
    const auto items = readTaskFile(tasks() + "/openbookqa/test.jsonl", TaskType::OpenBookQa);
    QS_CHECK_EQ(items.size(), size_t(500));
    QS_CHECK(items[0].requests[0].context.starts_with("A person wants to start saving money"));
    QS_CHECK_EQ(items[0].requests.size(), size_t(4));
    QS_CHECK_EQ(items[0].requests[1].continuation, std::string(" quit eating lunch out"));
    QS_CHECK_EQ(items[0].gold, 1);  // answerKey B
}

QS_TEST(mmlu_real_csv_and_directory) {
    const auto items = readTaskFile(tasks() + "/mmlu/test/anatomy_test.csv", TaskType::Mmlu);
    QS_CHECK_EQ(items.size(), size_t(135));
    const std::string expected =
        "The following are multiple choice questions (with answers) about anatomy.\n\n"
        "A lesion causing compression of the facial nerve at the stylomastoid foramen will cause ipsilateral\n"
        "A. paralysis of the facial muscles.\nB. paralysis of the facial muscles and loss of taste.\n"
        "C. paralysis of the facial muscles, loss of taste and lacrimation.\n"
        "D. paralysis of the facial muscles, loss of taste, lacrimation and decreased salivation.\nAnswer:";
    QS_CHECK_EQ(items[0].requests[0].context, expected);
    QS_CHECK_EQ(items[0].requests[3].continuation, std::string(" D"));
    QS_CHECK_EQ(items[0].gold, 0);
    QS_CHECK(items[1].requests[0].context.find("A \"dished face\" profile") != std::string::npos);
    const auto all = readTaskFile(tasks() + "/mmlu/test", TaskType::Mmlu);
    QS_CHECK(all.size() > 10000);  // 57 subjects, 14042 questions
}

QS_TEST(hellaswag_preprocessing_as_the_harness) {
    const auto path = fixture("hs.jsonl",
        R"({"ind": 4, "activity_label": "Removing ice from car", "ctx_a": "Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles.", "ctx_b": "then", "ctx": "", "split": "val", "split_type": "indomain", "label": 3, "endings": [", the man adds wax to the windshield and cuts it.", ", a person board a ski lift, while two men supporting the head of the person wearing winter clothes snow as the we girls sled.", ", the man puts on a christmas coat, knitted with netting.", ", the man continues removing the snow on his car."]})" "\n"
        R"({"activity_label": "Home [title] How", "ctx_a": "[header] Step one  here.", "ctx_b": "YOU do", "endings": [" [step] a   b ", "c"], "label": "0"})" "\n");
    const auto items = readTaskFile(path, TaskType::HellaSwag);
    QS_CHECK_EQ(items.size(), size_t(2));
    QS_CHECK_EQ(items[0].requests[0].context,
                std::string("Removing ice from car: Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles. Then"));
    QS_CHECK_EQ(items[0].requests[3].continuation, std::string(" , the man continues removing the snow on his car."));
    QS_CHECK_EQ(items[0].gold, 3);
    // " [title]" -> ". ", tags dropped, double spaces collapsed, ctx_b capitalised.
    QS_CHECK_EQ(items[1].requests[0].context, std::string("Home. How: Step one here. You do"));
    // strip first, then the tag goes and leaves its space; one pass turns three spaces into two.
    QS_CHECK_EQ(items[1].choices[0], std::string(" a  b"));
    QS_CHECK_EQ(items[1].gold, 0);
}

QS_TEST(arc_both_layouts) {
    const auto ai2 = fixture("arc-ai2.jsonl",
        R"({"id": "x", "question": {"stem": "Which is a gas?", "choices": [{"text": "ice", "label": "1"}, {"text": "steam", "label": "2"}]}, "answerKey": "2"})" "\n");
    const auto hf = fixture("arc-hf.jsonl",
        R"({"id": "y", "question": "Which is a gas?", "choices": {"text": ["ice", "steam", "rock"], "label": ["A", "B", "C"]}, "answerKey": "B"})" "\n");
    for (const auto& p : {ai2, hf}) {
        const auto items = readTaskFile(p, TaskType::Arc);
        QS_CHECK_EQ(items[0].requests[0].context, std::string("Question: Which is a gas?\nAnswer:"));
        QS_CHECK_EQ(items[0].requests[1].continuation, std::string(" steam"));
        QS_CHECK_EQ(items[0].gold, 1);
    }
}

QS_TEST(winogrande_partial_scoring) {
    const auto path = fixture("wg.jsonl",
        R"({"qID": "1", "sentence": "Sarah was a much better surgeon than Maria so _ always got the harder cases.", "option1": "Sarah", "option2": "Maria", "answer": "1"})" "\n");
    const auto items = readTaskFile(path, TaskType::WinoGrande);
    QS_CHECK_EQ(items[0].requests[0].context, std::string("Sarah was a much better surgeon than Maria so Sarah"));
    QS_CHECK_EQ(items[0].requests[1].context, std::string("Sarah was a much better surgeon than Maria so Maria"));
    QS_CHECK_EQ(items[0].requests[0].continuation, std::string(" always got the harder cases."));
    QS_CHECK_EQ(items[0].requests[1].continuation, items[0].requests[0].continuation);
    QS_CHECK_EQ(items[0].gold, 0);
}

QS_TEST(boolq_and_lambada) {
    const auto bq = fixture("boolq.jsonl",
        R"({"question": "is the sky blue", "title": "Sky", "answer": true, "passage": "The sky is blue."})" "\n");
    const auto b = readTaskFile(bq, TaskType::BoolQ);
    QS_CHECK_EQ(b[0].requests[0].context, std::string("The sky is blue.\nQuestion: is the sky blue?\nAnswer:"));
    QS_CHECK_EQ(b[0].requests[1].continuation, std::string(" yes"));
    QS_CHECK_EQ(b[0].gold, 1);
    const auto lb = fixture("lambada.jsonl", R"({"text": "He opened the door and saw his old friend"})" "\n");
    const auto l = readTaskFile(lb, TaskType::Lambada);
    QS_CHECK_EQ(l[0].requests[0].context, std::string("He opened the door and saw his old"));
    QS_CHECK_EQ(l[0].requests[0].continuation, std::string(" friend"));
    QS_CHECK(l[0].greedyOnly);
}

QS_TEST(bad_layouts_name_file_and_line) {
    QS_CHECK_THROWS_WITH(readTaskFile(fixture("bad1.jsonl", "{\"goal\": \"x\", \"sol1\": \"a\", \"label\": 0}\n"), TaskType::Piqa, 0),
                         "line 1: no string field \"sol2\"");
    QS_CHECK_THROWS_WITH(readTaskFile(fixture("bad2.jsonl", "{\"x\": 1}\n{oops\n"), TaskType::Lambada, 0), "line 1: no string field \"text\"");
    QS_CHECK_THROWS_WITH(readTaskFile(fixture("bad3.jsonl", "\n{oops\n"), TaskType::Lambada, 0), "line 2: not JSON");
    QS_CHECK_THROWS_WITH(readTaskFile(fixture("bad4.jsonl", R"({"question": {"stem": "q", "choices": []}, "answerKey": "Z"})" "\n"), TaskType::Arc, 0),
                         "answerKey Z is not a choice label");
    QS_CHECK_THROWS_WITH(readTaskFile(fixture("bad5.csv", "question,choice0,choice1,choice2,choice3,answer\nq,a,b,c\n"), TaskType::Mmlu, 0),
                         "bad5.csv: line 2: expected 6 columns");
    QS_CHECK_THROWS_WITH(readTaskFile(fixture("bad6.csv", "q,\"a,b,c,d,0\n"), TaskType::Mmlu, 0), "unterminated quote");
    QS_CHECK_THROWS_WITH(readTaskFile(fixture("empty.jsonl", "\n"), TaskType::BoolQ, 0), "no items");
    QS_CHECK_THROWS_WITH(readTaskFile(tempDir() + "/missing.jsonl", TaskType::BoolQ, 0), "no such task file");
    QS_CHECK_THROWS_WITH(readTaskFile(fixture("wg-bad.jsonl", R"({"sentence": "no blank", "option1": "a", "option2": "b", "answer": "1"})" "\n"), TaskType::WinoGrande, 0),
                         "no \"_\" blank");
}

// Hand-checked. Item 0: raw winner choice 0 (-2 > -4, wrong), per character
// choice 1 (-4/4 = -1 > -2/1, right). Item 1: a tie, the first wins like
// numpy.argmax (right both ways). Item 2: raw winner choice 0 (right); per
// character -1.5/1 < -2/2 so choice 1 (wrong); by bytes "é" would be 2 and
// choice 0 would win, which is why characters, as the harness counts, matter.
QS_TEST(scoring_matches_the_harness_by_hand) {
    std::vector<TaskItem> items(3);
    items[0].choices = {"a", "bbbb"};
    items[0].requests.resize(2);
    items[0].gold = 1;
    items[1].choices = {"x", "y"};
    items[1].requests.resize(2);
    items[1].gold = 0;
    items[2].choices = {"é", "ab"};  // one character, two bytes
    items[2].requests.resize(2);
    items[2].gold = 0;
    const std::vector<std::vector<RequestScore>> scores = {
        {{-2.0, false}, {-4.0, false}}, {{-1.0, false}, {-1.0, false}}, {{-1.5, false}, {-2.0, false}}};
    const auto s = scoreTask(items, scores);
    QS_CHECK_EQ(s.n, 3);
    QS_CHECK_NEAR(s.acc, 2.0 / 3.0, 1e-15);      // items 1 and 2
    QS_CHECK_NEAR(s.accNorm, 2.0 / 3.0, 1e-15);  // items 0 and 1
    QS_CHECK_NEAR(s.accStderr, std::sqrt((2.0 / 3.0) * (1.0 / 3.0) / 2.0), 1e-15);
}

QS_TEST(utf8_length_counts_code_points) {
    QS_CHECK_EQ(utf8Length("abc"), 3);
    QS_CHECK_EQ(utf8Length("é"), 1);
    QS_CHECK_EQ(utf8Length("日本"), 2);
}
