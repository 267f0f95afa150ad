// Writing a directory so that it appears complete or not at all: files go
// into a hidden staging directory beside the target, which is renamed into
// place by commit(); destroying an uncommitted stage removes it, so an error
// or a crash midway never leaves a half-written export under the target name.
#pragma once

#include <string>
#include <string_view>

namespace qs {

// The same for one file: `bytes` go to "<path>.tmp-<pid>", which is renamed
// over `path`, so `path` holds the old bytes or the new, never a part. Throws
// FormatError naming the file ("cannot write <what>" / "cannot replace <what>:
// <reason>"); a failed write or rename removes the temporary.
void writeFileAtomically(const std::string& path, std::string_view bytes, const std::string& what);

// "<parent>/.<name>.partial-<pid>": a sibling on the same file system, so the
// final rename is atomic.
std::string stagingPathFor(const std::string& target);

class StagedDirectory {
public:
    // Checks the target first and throws FormatError naming it: its parent
    // must be an existing directory; an existing file is refused; an existing
    // non-empty directory is refused unless `overwrite`.
    StagedDirectory(const std::string& target, bool overwrite);
    ~StagedDirectory();
    StagedDirectory(const StagedDirectory&) = delete;
    StagedDirectory& operator=(const StagedDirectory&) = delete;

    const std::string& path() const { return stage_; }  // where to write
    // Renames the stage to the target, replacing an existing one (overwrite).
    void commit();

private:
    std::string target_, stage_;
    bool committed_ = false;
};

}  // namespace qs
