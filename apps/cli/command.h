// Subcommand registration. Each cmd_*.cc defines one subcommand and registers it with
// FLOPSCOPE_COMMAND; main.cc builds the CLI11 app from the registry (sorted by name),
// which also feeds "did you mean" for a mistyped subcommand.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/util/result.h"

namespace flopscope::cli {

/// Adds the subcommand's options to `sub`; returns the action run when it is chosen.
/// The action returns the process exit code (0 ok, 1 failure, 2 bad input).
using SetupFn = std::function<std::function<int()>(CLI::App& sub)>;

struct Command {
  std::string name;
  std::string summary;
  SetupFn setup;
  int order = 50;  ///< position in --help (lower first)
};

std::vector<Command>& registry();

struct Registration {
  Registration(Command c) { registry().push_back(std::move(c)); }  // NOLINT
};

#define FLOPSCOPE_CONCAT_INNER(a, b) a##b
#define FLOPSCOPE_CONCAT(a, b) FLOPSCOPE_CONCAT_INNER(a, b)
/// FLOPSCOPE_COMMAND({"count", "Count parameters and FLOPs", setup_fn, 10});
#define FLOPSCOPE_COMMAND(...) \
  static ::flopscope::cli::Registration FLOPSCOPE_CONCAT(flopscope_registration_, __LINE__)(__VA_ARGS__)

/// Prints "flopscope: <message>" on stderr and returns the exit code for the error kind
/// (bad input and not-found -> 2, failure -> 1).
int report_error(const Error& e);

/// True when stdout is a terminal and NO_COLOR is unset: colour and progress only then.
bool stdout_is_tty();
bool stderr_is_tty();

/// Wraps text in an ANSI style when colour is on ("1" bold, "2" dim, "31" red, "32" green).
std::string style(const std::string& text, const char* code);

/// Adds the footer "Examples:\n  ..." to a subcommand's --help.
void set_examples(CLI::App& sub, const std::vector<std::string>& examples);

/// Prints an aligned table on stdout: first column left-aligned, the others right-aligned
/// (numbers), with a rule under the header.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

/// Prints a JSON document on stdout (2-space indent).
void print_json(const nlohmann::json& j);

/// How a command asks the library for its result: the document with --json, else the text
/// report, styled when stdout is a terminal.
api::Render render_for(bool json);

/// Prints what a library call returned (the document or the text) and returns the exit code;
/// an error goes through report_error.
int print_output(const Result<api::Output>& out, const api::Render& render);

}  // namespace flopscope::cli
