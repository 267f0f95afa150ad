// Oversized inputs are refused up front, by size, with a message naming the
// file and the limit, and without reading them into memory: the files are
// sparse, so only a reader that reads them would use memory (or time).
#include <filesystem>
#include <fstream>

#include <sys/resource.h>

#include "check.h"
#include "eval/text_windows.h"
#include "quant/quant_plan.h"

namespace fs = std::filesystem;

namespace {

constexpr uintmax_t kTwoGiB = uintmax_t(2) << 30;
constexpr uintmax_t kHundredMiB = uintmax_t(100) << 20;
// Growth of the peak RSS a refusal may cause: far below either file.
constexpr long kMaxRssGrowthKb = 64 * 1024;

long peakRssKb() {
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

std::string sparseFile(const std::string& name, const std::string& start, uintmax_t bytes) {
    const std::string path = qs::test::tempDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << start;
    fs::resize_file(path, bytes);
    return path;
}

}  // namespace

QS_TEST(a_2_gb_text_file_is_refused_naming_the_file_and_limit) {
    const std::string path = sparseFile("huge.txt", "= Valkyria Chronicles =\n", kTwoGiB);
    const long before = peakRssKb();
    const std::string msg = qs::test::thrownMessage([&] { qs::readTextFile(path); });
    QS_CHECK(msg.find(path) != std::string::npos);
    QS_CHECK(msg.find("1024 MiB") != std::string::npos);
    QS_CHECK(msg.find(std::to_string(kTwoGiB)) != std::string::npos);
    QS_CHECK(peakRssKb() - before < kMaxRssGrowthKb);
}

QS_TEST(a_text_file_at_the_limit_still_opens) {
    // WikiText-103 (~540 MB) must keep working: only the size decides.
    const std::string path = sparseFile("small.txt", "hello", 5);
    QS_CHECK_EQ(qs::readTextFile(path), std::string("hello"));
    QS_CHECK(qs::kMaxTextFileBytes >= uintmax_t(540) << 20);
}

QS_TEST(a_100_mb_plan_is_refused_naming_the_file_and_limit) {
    const std::string path = sparseFile("huge-plan.json", R"({"default": {"weight": {"bits": 4}}, "overrides": [)", kHundredMiB);
    const long before = peakRssKb();
    const std::string msg = qs::test::thrownMessage([&] { qs::loadQuantPlan(path); });
    QS_CHECK(msg.find(path) != std::string::npos);
    QS_CHECK(msg.find("16 MiB") != std::string::npos);
    QS_CHECK(msg.find(std::to_string(kHundredMiB)) != std::string::npos);
    QS_CHECK(peakRssKb() - before < kMaxRssGrowthKb);
}

QS_TEST(a_plan_under_the_limit_still_loads) {
    const std::string path = qs::test::tempDir() + "/plan.json";
    std::ofstream(path) << R"({"default": {"weight": {"bits": 3, "granularity": "per_channel"}}})";
    QS_CHECK_EQ(qs::loadQuantPlan(path).defaultSpec.bits, 3);
}

QS_TEST(json_numbers_too_large_for_any_type_are_format_errors) {
    // Found by fuzz_model_config: nlohmann throws out_of_range (not
    // parse_error) for 1e400, which escaped the readers' catch.
    const std::string path = qs::test::tempDir() + "/overflow-plan.json";
    std::ofstream(path) << R"({"default": {"weight": {"bits": 4}}, "x": 1311e308})";
    const std::string msg = qs::test::thrownMessage([&] { qs::loadQuantPlan(path); });
    QS_CHECK(msg.find(path) != std::string::npos);
    QS_CHECK(msg.find("out of range") != std::string::npos);
}
