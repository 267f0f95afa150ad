#include "formats/staged_directory.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "formats/format_error.h"

namespace fs = std::filesystem;

namespace qs {

std::string stagingPathFor(const std::string& target) {
    const fs::path t = fs::path(target).lexically_normal();
    const fs::path name = t.has_filename() ? t.filename() : t.parent_path().filename();
    const fs::path parent = t.has_filename() ? t.parent_path() : t.parent_path().parent_path();
    std::string hidden = ".";
    hidden += name.string();
    hidden += ".partial-" + std::to_string(::getpid());
    return (parent / hidden).string();
}

StagedDirectory::StagedDirectory(const std::string& target, bool overwrite) : target_(target) {
    std::error_code ec;
    const fs::path t = fs::path(target).lexically_normal();
    fs::path parent = t.has_filename() ? t.parent_path() : t.parent_path().parent_path();
    if (parent.empty()) parent = ".";
    if (!fs::exists(parent, ec)) throw FormatError(target, "the parent directory " + parent.string() + " does not exist");
    if (!fs::is_directory(parent, ec))
        throw FormatError(target, parent.string() + " is a file, not a directory: cannot write inside it");
    if (fs::exists(t, ec)) {
        if (!fs::is_directory(t, ec)) throw FormatError(target, "exists and is a file, not a directory");
        if (!overwrite && !fs::is_empty(t, ec))
            throw FormatError(target, "directory exists and is not empty (choose another or allow overwriting)");
    }
    stage_ = stagingPathFor(target);
    fs::remove_all(stage_, ec);  // a leftover of an earlier crash of this very process id
    if (!fs::create_directory(stage_, ec))
        throw FormatError(stage_, "cannot create the staging directory: " + ec.message());
}

StagedDirectory::~StagedDirectory() {
    if (committed_) return;
    std::error_code ec;
    fs::remove_all(stage_, ec);
}

void StagedDirectory::commit() {
    std::error_code ec;
    // An existing target (empty, or allowed to be overwritten) is moved aside
    // first and removed only once the new one is in place.
    const std::string old = stage_ + ".old";
    const bool replacing = fs::exists(target_, ec);
    if (replacing) {
        fs::rename(target_, old, ec);
        if (ec) throw FormatError(target_, "cannot move the existing directory aside: " + ec.message());
    }
    fs::rename(stage_, target_, ec);
    if (ec) {
        std::error_code ignored;
        if (replacing) fs::rename(old, target_, ignored);
        throw FormatError(target_, "cannot rename " + stage_ + " into place: " + ec.message());
    }
    committed_ = true;
    if (replacing) fs::remove_all(old, ec);
}

void writeFileAtomically(const std::string& path, std::string_view bytes, const std::string& what) {
    // One temporary per process, so two programs writing the same file never share one.
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    std::error_code ec;
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), std::streamsize(bytes.size()));
        out.flush();
        if (!out) {
            out.close();
            std::filesystem::remove(tmp, ec);
            throw FormatError(path, "cannot write " + what + " (to " + tmp + ")");
        }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        throw FormatError(path, "cannot replace " + what + ": " + ec.message());
    }
}

}  // namespace qs
