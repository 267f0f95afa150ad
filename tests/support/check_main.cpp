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

int main(int argc, char** argv) {
    using namespace qs::test;
    int passed = 0, failed = 0;
    for (const Case& c : registry()) {
        if (argc > 1 && std::string(argv[1]) != c.name) continue;
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
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
