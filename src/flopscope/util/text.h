// Making text from files safe to print: names in GGUF metadata, ONNX nodes, CSV cells and
// paths can hold any bytes, and flopscope echoes them in tables, JSON and error lines.
#pragma once

#include <string>
#include <string_view>

namespace flopscope {

/// `text` with every byte sequence that is not valid UTF-8 replaced by U+FFFD, so that it
/// can go into JSON output (nlohmann::json::dump throws on invalid UTF-8).
///
/// **Example**: `valid_utf8("a\xff" "b") == "a\xEF\xBF\xBD" "b"`.
std::string valid_utf8(std::string_view text);

/// valid_utf8(text) with ASCII control characters (including ESC and newlines) written as
/// escapes ("\n", "\x1b"), for terminal output and one-line error messages: a hostile name
/// can neither clear the screen nor split a diagnostic over several lines.
std::string printable(std::string_view text);

/// ASCII letters lowered, other bytes kept: catalog ids and aliases compare this way.
std::string ascii_lower(std::string_view text);

/// A whole field read as a finite number within [lo, hi] (strtod's syntax, nothing left
/// over): true and `*out` set, or false and `*out` untouched.
bool parse_number_in_range(const std::string& text, double lo, double hi, double* out);

}  // namespace flopscope
