#include <algorithm>

#include "cli_commands.h"

namespace qs::cli {

bool Args::flag(const std::string& name) {
    auto it = std::find(items_.begin(), items_.end(), name);
    if (it == items_.end()) return false;
    items_.erase(it);
    return true;
}

std::optional<std::string> Args::option(const std::string& name) {
    auto it = std::find(items_.begin(), items_.end(), name);
    if (it == items_.end()) return std::nullopt;
    if (it + 1 == items_.end()) throw UsageError(name + " needs a value");
    std::string value = *(it + 1);
    items_.erase(it, it + 2);
    return value;
}

long long Args::intOption(const std::string& name, long long fallback) {
    const auto v = option(name);
    if (!v) return fallback;
    try {
        size_t used = 0;
        const long long n = std::stoll(*v, &used);
        if (used != v->size()) throw std::invalid_argument(*v);
        return n;
    } catch (const std::exception&) {
        throw UsageError(name + " expects an integer, got '" + *v + "'");
    }
}

std::string Args::positional(const char* what) {
    auto it = std::find_if(items_.begin(), items_.end(), [](const std::string& s) { return !s.starts_with("--"); });
    if (it == items_.end()) throw UsageError(std::string("missing ") + what);
    std::string v = *it;
    items_.erase(it);
    return v;
}

std::vector<std::string> Args::positionals(const char* what) {
    std::vector<std::string> values{positional(what)};
    while (std::any_of(items_.begin(), items_.end(), [](const std::string& s) { return !s.starts_with("--"); }))
        values.push_back(positional(what));
    return values;
}

std::vector<std::string> Args::options(const std::string& name) {
    std::vector<std::string> values;
    while (auto v = option(name)) values.push_back(*v);
    return values;
}

void Args::finish() const {
    if (!items_.empty()) throw UsageError("unexpected argument '" + items_.front() + "'");
}

}  // namespace qs::cli
