// Every writer of a user's file replaces it by a rename (formats/staged_directory.h's
// writeFileAtomically), never by writing in place, so a crash or a full disk
// leaves the old file whole. A second hard link to the old file tells the two
// apart without timing: an in-place write changes what both names show, a
// rename gives the written name a new file and leaves the other link as it was.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analysis/sensitivity_scan.h"
#include "analysis/sweep_results.h"
#include "check.h"
#include "formats/staged_directory.h"
#include "quant/quant_plan.h"

using namespace qs;
namespace fs = std::filesystem;

namespace {

std::string readAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A fresh directory holding `name` with "old bytes" and a hard link "kept" to it.
fs::path withLinkedOldFile(const std::string& dirName, const std::string& name) {
    const fs::path dir = fs::path(qs::test::tempDir()) / dirName;
    fs::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary) << "old bytes";
    fs::create_hard_link(dir / name, dir / "kept");
    return dir;
}

// `write` replaced dir/name by a new file: the link still holds the old bytes,
// and nothing else (no temporary) is left in the directory.
void checkReplacedByRename(const fs::path& dir, const std::string& name) {
    QS_CHECK_EQ(readAll(dir / "kept"), std::string("old bytes"));
    QS_CHECK(readAll(dir / name) != "old bytes");
    QS_CHECK(!readAll(dir / name).empty());
    int entries = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        (void)e;
        ++entries;
    }
    QS_CHECK_EQ(entries, 2);
}

}  // namespace

QS_TEST(write_file_atomically_replaces_by_rename) {
    const fs::path dir = withLinkedOldFile("plain", "f.txt");
    writeFileAtomically((dir / "f.txt").string(), "new bytes", "the test file");
    QS_CHECK_EQ(readAll(dir / "f.txt"), std::string("new bytes"));
    checkReplacedByRename(dir, "f.txt");
}

QS_TEST(a_failed_write_names_the_file_and_leaves_nothing) {
    const fs::path missing = fs::path(qs::test::tempDir()) / "no-such-dir" / "f.txt";
    QS_CHECK_THROWS_WITH(writeFileAtomically(missing.string(), "x", "the test file"), missing.string());
    QS_CHECK(!fs::exists(missing.parent_path()));
    // The target is a non-empty directory: the rename fails, the directory and its file stay, no temporary is left.
    const fs::path dir = fs::path(qs::test::tempDir()) / "blocked";
    fs::create_directories(dir / "target");
    std::ofstream(dir / "target" / "inside", std::ios::binary) << "keep";
    QS_CHECK_THROWS_WITH(writeFileAtomically((dir / "target").string(), "x", "the test file"), "cannot replace");
    QS_CHECK_EQ(readAll(dir / "target" / "inside"), std::string("keep"));
    int entries = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        (void)e;
        ++entries;
    }
    QS_CHECK_EQ(entries, 1);
}

QS_TEST(plan_sensitivity_and_result_files_are_replaced_by_rename) {
    {
        const fs::path dir = withLinkedOldFile("plan", "plan.json");
        saveQuantPlan(QuantPlan{}, (dir / "plan.json").string());
        checkReplacedByRename(dir, "plan.json");
    }
    {
        const fs::path dir = withLinkedOldFile("scan", "scan.json");
        SensitivityResult r;
        r.model = "m";
        saveSensitivity(r, (dir / "scan.json").string());
        checkReplacedByRename(dir, "scan.json");
        QS_CHECK_EQ(loadSensitivity((dir / "scan.json").string()).model, std::string("m"));
    }
    {
        const fs::path dir = withLinkedOldFile("table", "table.tex");
        writeResultFile((dir / "table.tex").string(), "\\begin{tabular}{l}\\end{tabular}\n");
        checkReplacedByRename(dir, "table.tex");
    }
}
