#include "check.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace qs::test {

namespace {
int g_failures = 0;
}

std::vector<Case>& registry() {
    static std::vector<Case> cases;
    return cases;
}

void fail(const char* file, int line, const std::string& what) {
    ++g_failures;
    std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what.c_str());
}

std::string sharedDir() { return QS_SHARED_DIR; }

std::string tempDir() {
    static const std::string dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("qs-test-" + std::to_string(::getpid()));
        std::filesystem::remove_all(d);
        std::filesystem::create_directories(d);
        return d.string();
    }();
    return dir;
}

}  // namespace qs::test

// Runs every case, or only the case named by argv[1]. A selection that runs
// nothing (a mistyped name, or a binary without cases) is a failure, so a
// filter can never turn into a silent pass.
int main(int argc, char** argv) {
    using namespace qs::test;
    const char* only = argc > 1 ? argv[1] : nullptr;
    int passed = 0, failed = 0;
    for (const Case& c : registry()) {
        if (only && std::string(only) != c.name) continue;
        const int before = g_failures;
        try {
            c.fn();
        } catch (const std::exception& e) {
            fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
        }
        const bool ok = g_failures == before;
        (ok ? passed : failed)++;
        std::printf("%s %s\n", ok ? "PASS" : "FAIL", c.name);
    }
    std::filesystem::remove_all(tempDir());
    if (passed + failed == 0) {
        if (only)
            std::fprintf(stderr, "no test case is named \"%s\"; the cases are:\n", only);
        else
            std::fprintf(stderr, "this binary registers no test case\n");
        for (const Case& c : registry()) std::fprintf(stderr, "  %s\n", c.name);
        return EXIT_FAILURE;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
