#include "project/model_side_path.h"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

namespace qs {
namespace fs = std::filesystem;

namespace {
// access() alone says yes to root everywhere; a directory whose mode grants no
// write bit (a read-only shared model folder) is left alone even then.
bool writableDirectory(const fs::path& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    return (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) != 0 && ::access(dir.c_str(), W_OK) == 0;
}

fs::path userCacheDir() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "quantscope";
    if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "quantscope";
    return fs::temp_directory_path() / "quantscope";
}
}  // namespace

std::string modelSidePath(const std::string& modelPath, const std::string& inDirectoryName,
                          const std::string& besideSuffix) {
    const fs::path model = fs::absolute(modelPath);
    const bool directory = fs::is_directory(model);
    const fs::path beside = directory ? model / inDirectoryName : fs::path(model.string() + besideSuffix);
    if (writableDirectory(beside.parent_path())) return beside.string();
    const size_t key = std::hash<std::string>{}(model.string());
    return (userCacheDir() / (model.filename().string() + "-" + std::to_string(key) + besideSuffix)).string();
}

}  // namespace qs
