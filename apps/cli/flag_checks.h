// Range checks on every numeric flag, attached to every subcommand in one place (main.cc)
// so that no command can forget one (issue 11).
//
// CLI11 parses integers with strtoll (base 0: "010" is 8, and values past INT64_MAX clamp
// silently) and floats with strtold ("nan", "inf" accepted). Before conversion each raw
// value is checked here: integers must be plain decimal and floats finite, and a flag that
// names a known quantity must lie in that quantity's range (docs/limits.md). An explicit
// value outside the range is refused in one line, never replaced by a default.
#pragma once

#include <CLI/CLI.hpp>

namespace flopscope::cli {

/// Adds the checks to every numeric option of `app` and of its subcommands, recursively.
void add_flag_checks(CLI::App& app);

}  // namespace flopscope::cli
