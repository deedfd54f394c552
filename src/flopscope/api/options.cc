#include "flopscope/api/options.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "flopscope/model/load.h"
#include "flopscope/util/spellcheck.h"

namespace flopscope::api {

namespace {

std::string describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::string: {
      std::string s = v.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "string " + Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "number " + v.dump();
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "a list";
    default: return "a value of another type";
  }
}

bool as_int(const Json& v, int64_t& out) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    out = static_cast<int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    out = v.get<int64_t>();
    return true;
  }
  return false;
}

bool as_double(const Json& v, double& out) {
  if (!v.is_number()) return false;
  out = v.get<double>();
  return std::isfinite(out);
}

}  // namespace

OptionsReader::OptionsReader(const Json& options, std::string command) : command_(std::move(command)) {
  if (options.is_null()) {
    options_ = Json::object();
  } else if (!options.is_object()) {
    error_ = bad_input(fmt::format("{}: options: expected a JSON object, got {}", command_, describe(options)));
    options_ = Json::object();
  } else {
    options_ = options;
  }
}

const Json* OptionsReader::find(std::string_view key) {
  known_.emplace_back(key);
  auto it = options_.find(std::string(key));
  if (it == options_.end() || it->is_null()) return nullptr;
  return &*it;
}

void OptionsReader::fail(std::string_view key, std::string_view expected, const Json& got) {
  if (error_) return;
  error_ = bad_input(fmt::format("{}: {}: expected {}, got {}", command_, key, expected, describe(got)));
}

OptionsReader& OptionsReader::read(std::string_view key, std::string& out) {
  if (const Json* v = find(key)) {
    if (v->is_string()) out = v->get<std::string>(); else fail(key, "a string", *v);
  }
  return *this;
}

OptionsReader& OptionsReader::read(std::string_view key, int64_t& out) {
  if (const Json* v = find(key)) {
    if (!as_int(*v, out)) fail(key, "an integer", *v);
  }
  return *this;
}

OptionsReader& OptionsReader::read(std::string_view key, int& out) {
  if (const Json* v = find(key)) {
    int64_t i = 0;
    if (!as_int(*v, i) || i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max()) {
      fail(key, "an integer", *v);
    } else {
      out = static_cast<int>(i);
    }
  }
  return *this;
}

OptionsReader& OptionsReader::read(std::string_view key, double& out) {
  if (const Json* v = find(key)) {
    if (!as_double(*v, out)) fail(key, "a finite number", *v);
  }
  return *this;
}

OptionsReader& OptionsReader::read(std::string_view key, bool& out) {
  if (const Json* v = find(key)) {
    if (v->is_boolean()) out = v->get<bool>(); else fail(key, "true or false", *v);
  }
  return *this;
}

OptionsReader& OptionsReader::read(std::string_view key, std::vector<std::string>& out) {
  if (const Json* v = find(key)) {
    if (v->is_string()) {
      out = {v->get<std::string>()};
    } else if (v->is_array()) {
      std::vector<std::string> items;
      for (const Json& e : *v) {
        if (!e.is_string()) return fail(key, "a string or a list of strings", e), *this;
        items.push_back(e.get<std::string>());
      }
      out = std::move(items);
    } else {
      fail(key, "a string or a list of strings", *v);
    }
  }
  return *this;
}

OptionsReader& OptionsReader::read(std::string_view key, std::vector<int64_t>& out) {
  if (const Json* v = find(key)) {
    std::vector<int64_t> items;
    int64_t i = 0;
    if (as_int(*v, i)) {
      items.push_back(i);
    } else if (v->is_array()) {
      for (const Json& e : *v) {
        if (!as_int(e, i)) return fail(key, "an integer or a list of integers", e), *this;
        items.push_back(i);
      }
    } else {
      return fail(key, "an integer or a list of integers", *v), *this;
    }
    out = std::move(items);
  }
  return *this;
}

OptionsReader& OptionsReader::read(std::string_view key, std::vector<double>& out) {
  if (const Json* v = find(key)) {
    std::vector<double> items;
    double d = 0;
    if (as_double(*v, d)) {
      items.push_back(d);
    } else if (v->is_array()) {
      for (const Json& e : *v) {
        if (!as_double(e, d)) return fail(key, "a number or a list of numbers", e), *this;
        items.push_back(d);
      }
    } else {
      return fail(key, "a number or a list of numbers", *v), *this;
    }
    out = std::move(items);
  }
  return *this;
}

OptionsReader& OptionsReader::read(std::string_view key, std::optional<double>& out) {
  if (const Json* v = find(key)) {
    double d = 0;
    if (as_double(*v, d)) out = d; else fail(key, "a finite number", *v);
  }
  return *this;
}

OptionsReader& OptionsReader::read(std::string_view key, std::optional<int64_t>& out) {
  if (const Json* v = find(key)) {
    int64_t i = 0;
    if (as_int(*v, i)) out = i; else fail(key, "an integer", *v);
  }
  return *this;
}

OptionsReader& OptionsReader::read(std::string_view key, std::optional<std::string>& out) {
  if (const Json* v = find(key)) {
    if (v->is_string()) out = v->get<std::string>(); else fail(key, "a string", *v);
  }
  return *this;
}

OptionsReader& OptionsReader::model(std::string_view key, std::string& name, Json& config) {
  if (const Json* v = find(key)) {
    if (v->is_string()) {
      name = v->get<std::string>();
    } else if (v->is_object()) {
      config = *v;
    } else {
      fail(key, "a model name or path (string) or a config.json object", *v);
    }
  }
  return *this;
}

OptionsReader& OptionsReader::ignore(std::string_view key) {
  known_.emplace_back(key);
  return *this;
}

Status OptionsReader::done() {
  if (error_) return *error_;
  for (const auto& [key, value] : options_.items()) {
    bool found = false;
    for (const std::string& k : known_) found = found || k == key;
    if (!found) {
      return bad_input(fmt::format("{}: unknown option '{}'{}", command_, key, did_you_mean(key, known_)));
    }
  }
  return {};
}

Result<TransformerSpec> load_model_option(const std::string& name, const Json& config) {
  if (!config.is_null()) {
    if (!config.is_object()) return bad_input("model: expected a config.json object");
    return parse_hf_config(config.dump(-1, ' ', false, Json::error_handler_t::replace), "model (config object)");
  }
  if (name.empty()) return bad_input("model: expected a catalog name, HF id, config.json, snapshot folder or .gguf");
  return load_model(name);
}

}  // namespace flopscope::api
