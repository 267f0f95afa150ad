// The one error type every reader throws: it names the file and the problem.
#pragma once

#include <stdexcept>
#include <string>

namespace qs {

class FormatError : public std::runtime_error {
public:
    FormatError(const std::string& path, const std::string& problem)
        : std::runtime_error(path + ": " + problem), path_(path), problem_(problem) {}
    const std::string& path() const { return path_; }
    const std::string& problem() const { return problem_; }

private:
    std::string path_;
    std::string problem_;
};

}  // namespace qs
