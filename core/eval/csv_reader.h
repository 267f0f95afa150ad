// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qs {

// Throws std::runtime_error (line number) on an unterminated quote.
std::vector<std::vector<std::string>> parseCsv(std::string_view text);

}  // namespace qs
