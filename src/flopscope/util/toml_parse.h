// Parsing TOML text with errors as values: "FILE:LINE:COLUMN: invalid TOML: what went wrong".
#pragma once

#include <string>
#include <string_view>
#include <vector>
#include <toml++/toml.h>

#include "flopscope/util/result.h"

namespace flopscope {

Result<toml::table> parse_toml(std::string_view text, std::string_view origin);

/// The keys of `table` in the order the file wrote them (toml++ keeps them sorted by key;
/// catalogs keep related entries together and list a family's reference entry first).
std::vector<std::string> keys_in_file_order(const toml::table& table);

}  // namespace flopscope
