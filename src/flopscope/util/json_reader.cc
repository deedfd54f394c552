#include "flopscope/util/json_reader.h"

#include <cmath>

#include "flopscope/util/text.h"

namespace flopscope {

namespace {

// Deepest nesting of [ and { outside strings; stops counting once past `max_depth`.
// Linear and allocation-free, so it runs before the (recursive) parser sees the text.
int json_depth(std::string_view text, int max_depth, size_t* at) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        *at = i;
        return depth;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return 0;
}

// A library message that may quote the input (a 400-digit number): one short line.
std::string clipped(const char* what) {
  constexpr size_t kMax = 120;
  std::string s(what);
  return s.size() > kMax ? printable(s.substr(0, kMax)) + "..." : printable(s);
}

}  // namespace

Result<nlohmann::json> parse_json(std::string_view text, std::string_view origin, int max_depth) {
  const std::string where(origin);
  size_t at = 0;
  if (json_depth(text, max_depth, &at) > max_depth) {
    return bad_input(where + ": expected JSON nested at most " + std::to_string(max_depth) +
                     " levels deep (docs/limits.md), got deeper at byte " + std::to_string(at));
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    return bad_input(where + ": expected valid JSON, parse error at byte " + std::to_string(e.byte));
  } catch (const nlohmann::json::out_of_range& e) {
    // 406: a number beyond a double's range ("hidden_size": 999...9 with 400 digits).
    return bad_input(where + ": expected numbers within a double's range, got " + clipped(e.what()));
  } catch (const nlohmann::json::exception& e) {
    return bad_input(where + ": expected valid JSON, got " + clipped(e.what()));
  }
}

bool JsonReader::has(std::string_view key) const {
  auto it = j_.find(key);
  return it != j_.end() && !it->is_null();
}

std::string JsonReader::describe(const nlohmann::json& v) {
  std::string dump = v.dump();
  if (dump.size() > 40) dump = dump.substr(0, 37) + "...";
  if (v.is_string()) return "string " + dump;
  if (v.is_boolean()) return "boolean " + dump;
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  if (v.is_null()) return "null";
  return dump;
}

void JsonReader::fail(std::string_view key, std::string_view expected, std::string_view got) {
  if (error_) return;
  error_ = bad_input(origin_ + ": " + std::string(key) + ": expected " + std::string(expected) + ", " + std::string(got));
}

int64_t JsonReader::limit(std::string_view key) const {
  if (limits_) {
    auto it = limits_->find(key);
    if (it != limits_->end()) return it->second;
  }
  return default_max_;
}

int64_t JsonReader::positive(std::string_view key, bool allow_zero) {
  const char* expected = allow_zero ? "a non-negative integer" : "a positive integer";
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) {
    fail(key, expected, "key is missing");
    return 0;
  }
  const int64_t max = limit(key);
  auto too_large = [&](const std::string& got) {
    fail(key, "at most " + std::to_string(max) + " (docs/limits.md)", "got " + got);
    return int64_t{0};
  };
  // Unsigned above INT64_MAX and floats beyond 2^63 must not be cast: that wraps or is UB.
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(max)) return too_large(it->dump());
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (!(d >= 0 && d == std::floor(d))) {
      fail(key, expected, "got " + describe(*it));
      return 0;
    }
    if (d > static_cast<double>(max) || d >= 9.2e18) return too_large(it->dump());
  } else if (!it->is_number_integer()) {
    fail(key, expected, "got " + describe(*it));
    return 0;
  }
  int64_t v = it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(it->get<double>());
  if (v < 0 || (v == 0 && !allow_zero)) {
    fail(key, expected, "got " + std::to_string(v));
    return 0;
  }
  if (v > max) return too_large(std::to_string(v));
  return v;
}

int64_t JsonReader::optional_int(std::string_view key, int64_t fallback) {
  if (!has(key)) return fallback;
  return positive(key, /*allow_zero=*/true);
}

bool JsonReader::optional_bool(std::string_view key, bool fallback) {
  if (!has(key)) return fallback;
  const auto& v = j_.at(std::string(key));
  if (!v.is_boolean()) {
    fail(key, "true or false", "got " + describe(v));
    return fallback;
  }
  return v.get<bool>();
}

double JsonReader::optional_double(std::string_view key, double fallback) {
  if (!has(key)) return fallback;
  const auto& v = j_.at(std::string(key));
  if (!v.is_number()) {
    fail(key, "a number", "got " + describe(v));
    return fallback;
  }
  return v.get<double>();
}

std::string JsonReader::optional_string(std::string_view key, std::string fallback) {
  if (!has(key)) return fallback;
  const auto& v = j_.at(std::string(key));
  if (!v.is_string()) {
    fail(key, "a string", "got " + describe(v));
    return fallback;
  }
  return v.get<std::string>();
}

std::optional<std::string> JsonReader::first_present(std::initializer_list<std::string_view> keys) const {
  for (auto k : keys) {
    if (has(k)) return std::string(k);
  }
  return std::nullopt;
}

}  // namespace flopscope
