// The compiled part of the Python module (import flopscope): the library's JSON form
// (api/api.h) and nothing else. flopscope/__init__.py turns it into one Python function per
// command and typed exceptions; results are the documents `flopscope <command> --json`
// prints, so Python and the CLI cannot disagree.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/util/json_reader.h"

namespace py = pybind11;

namespace {

// Outcome codes __init__.py maps to results and exceptions.
enum Outcome : int { kOk = 0, kFailure = 1, kBadInput = 2, kNotFound = 3 };

int outcome(const flopscope::Error& e) {
  switch (e.kind) {
    case flopscope::ErrorKind::kBadInput: return kBadInput;
    case flopscope::ErrorKind::kNotFound: return kNotFound;
    default: return kFailure;
  }
}

// call(command, options_json) -> (outcome, text): the document as JSON text, or the one-line
// error message the CLI prints after "flopscope: ". The GIL is released while the library
// works, so other Python threads run; nothing here raises into Python but pybind11's own
// argument conversion.
std::tuple<int, std::string> call(const std::string& command, const std::string& options_json) {
  py::gil_scoped_release unlocked;
  auto options = flopscope::parse_json(options_json, "options");
  if (!options) return {outcome(options.error()), options.error().message};
  auto doc = flopscope::api::call(command, *options);
  if (!doc) return {outcome(doc.error()), doc.error().message};
  return {kOk, doc->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

std::vector<std::pair<std::string, std::string>> endpoints() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : flopscope::api::endpoints()) out.emplace_back(std::string(e.name), std::string(e.summary));
  return out;
}

}  // namespace

PYBIND11_MODULE(_flopscope, m) {
  m.doc() = "flopscope's library (the JSON form of every command); use the flopscope package";
  m.def("call", &call, py::arg("command"), py::arg("options_json"));
  m.def("endpoints", &endpoints);
  m.attr("OK") = static_cast<int>(kOk);
  m.attr("FAILURE") = static_cast<int>(kFailure);
  m.attr("BAD_INPUT") = static_cast<int>(kBadInput);
  m.attr("NOT_FOUND") = static_cast<int>(kNotFound);
  m.attr("__version__") = "0.1.0";
}
