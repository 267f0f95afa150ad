#include "fuzz_target.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <typeinfo>

#include <unistd.h>

namespace qs::fuzz {

namespace fs = std::filesystem;

namespace {
// Removed when the process exits normally (a crash leaves it for inspection).
struct PrivateDir {
    std::string path;
    PrivateDir() : path((fs::temp_directory_path() / ("qs-fuzz-" + std::to_string(::getpid()))).string()) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~PrivateDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};
}  // namespace

const std::string& inputDir() {
    static const PrivateDir dir;
    return dir.path;
}

std::string writeInput(const uint8_t* data, size_t size, std::string_view fileName) {
    const std::string path = inputDir() + "/" + std::string(fileName);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
    out.close();
    if (!out) {
        std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
        std::abort();
    }
    return path;
}

void unexpectedException(const std::exception& e) {
    std::fprintf(stderr, "fuzz: a reader let an unexpected exception escape: %s: %s\n", typeid(e).name(), e.what());
    std::abort();
}

unsigned touch(const TensorView& t) {
    if (t.nbytes <= 0 || !t.data) return 0;
    return std::to_integer<unsigned>(t.data[0]) + std::to_integer<unsigned>(t.data[t.nbytes - 1]);
}

}  // namespace qs::fuzz
