// The library's request/result API (src/flopscope/README.md, "api"): one entry point per
// analysis. Each takes a plain options struct (what a front end's flags or request fill in)
// and returns the result: the JSON document `flopscope <command> --json` prints, or the same
// result as the text report the CLI prints on a terminal. The CLI, the HTTP server and the
// Python module only translate their input into the options struct and print what comes
// back, so they cannot disagree.
//
// Every command also has a JSON form for front ends that speak JSON: call("count",
// {"model": "llama-3.1-8b", "batch": 8}) reads the options object (keys are the CLI's long
// flags with '-' as '_'; MODEL is "model") and returns the document. registry.cc lists them.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "flopscope/util/result.h"

namespace flopscope::api {

using Json = nlohmann::json;

/// How a command renders its result.
struct Render {
  bool json = true;    ///< the JSON document; false: the text report
  bool color = false;  ///< ANSI styles in the text report (a terminal, NO_COLOR unset)
};

/// A command's result: `json` when Render::json, else `text` (ends with a newline).
struct Output {
  Json json;
  std::string text;
};

/// Wraps `text` in an ANSI style ("1" bold, "2" dim, "31" red, "32" green) when r.color.
std::string style(const Render& r, std::string_view text, const char* code);

/// One command of the JSON form.
struct Endpoint {
  std::string_view name;     ///< the CLI's command path: "count", "predict/decode"
  std::string_view summary;  ///< one line
  Result<Json> (*call)(const Json& options);
};

/// Every command the JSON form serves, sorted by name.
std::span<const Endpoint> endpoints();

/// Runs command `name` on a JSON options object and returns its document. An unknown name
/// is kNotFound ("unknown command 'cuont' (did you mean 'count'?)"); bad options are
/// kBadInput with the same one-line message the CLI prints for the same mistake.
Result<Json> call(std::string_view name, const Json& options);

}  // namespace flopscope::api
