// flopscope: how big, how fast, how much, and where.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "command.h"
#include "flopscope/perf/efficiency.h"
#include "flag_checks.h"
#include "flopscope/report/table.h"
#include "flopscope/util/spellcheck.h"
#include "flopscope/util/text.h"

namespace flopscope::cli {

std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

int report_error(const Error& e) {
  std::string prefix = stderr_is_tty() ? "\x1b[1;31mflopscope:\x1b[0m " : "flopscope: ";
  // Messages quote names from files and flags: printable() keeps them on one line and
  // keeps escape sequences off the user's terminal.
  std::string message = flopscope::printable(e.message);
  constexpr size_t kMaxMessage = 600;  // a message quoting a hostile 10 MB value stays one readable line
  if (message.size() > kMaxMessage) message = flopscope::valid_utf8(message.substr(0, kMaxMessage)) + "...";
  std::cerr << prefix << message << "\n";
  return e.kind == ErrorKind::kFailure ? 1 : 2;
}

namespace {
bool no_color() { return std::getenv("NO_COLOR") != nullptr; }
}  // namespace

bool stdout_is_tty() { return isatty(STDOUT_FILENO) && !no_color(); }
bool stderr_is_tty() { return isatty(STDERR_FILENO) && !no_color(); }

std::string style(const std::string& text, const char* code) {
  if (!stdout_is_tty()) return text;
  return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
}

void set_examples(CLI::App& sub, const std::vector<std::string>& examples) {
  std::string footer = "\nExamples:\n";
  for (const auto& e : examples) footer += "  " + e + "\n";
  sub.footer(footer);
}

// Strings from files (GGUF names, ONNX node names, CSV cells, paths) may hold invalid UTF-8:
// replace it with U+FFFD rather than throw (nlohmann type_error.316).
void print_json(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

api::Render render_for(bool json) { return api::Render{json, !json && stdout_is_tty()}; }

int print_output(const Result<api::Output>& out, const api::Render& render) {
  if (!out) return report_error(out.error());
  if (render.json) print_json(out->json);
  else std::cout << out->text;
  return 0;
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::cout << render_table(header, rows);
}

}  // namespace flopscope::cli

int main(int argc, char** argv) {
  using namespace flopscope::cli;
  CLI::App app{"flopscope: how big, how fast, how much, and where.\n"
               "Counts parameters, FLOPs and memory of ML models, predicts time and cost on hardware,\n"
               "and plans compute.",
               "flopscope"};
  app.set_version_flag("--version", "flopscope 0.1.0");
  app.require_subcommand(1);
  app.fallthrough(false);
  set_examples(app, {"flopscope report meta-llama/Llama-3.1-8B",
                     "flopscope count path/to/config.json --batch 8 --seq 4096 --json",
                     "flopscope memory llama-3.1-70b --mode train --batch 1 --seq 8192",
                     "flopscope <command> --help"});

  auto& commands = registry();
  std::stable_sort(commands.begin(), commands.end(), [](const Command& a, const Command& b) {
    return a.order != b.order ? a.order < b.order : a.name < b.name;
  });
  int exit_code = 0;
  std::vector<std::string> names;
  // A run uses one command: only its options are built (building all of them cost about a
  // third of start-up, 7.5M of 19.7M instructions under callgrind for `--version`). The others
  // stay names and summaries, which is all `--help` and "did you mean" read.
  const std::string chosen = argc > 1 ? argv[1] : "";
  for (auto& c : commands) {
    names.push_back(c.name);
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    if (c.name != chosen) continue;
    auto action = std::make_shared<std::function<int()>>(c.setup(*sub));
    sub->callback([action, &exit_code] { exit_code = (*action)(); });
  }
  add_flag_checks(app);
  // A user efficiency file ($FLOPSCOPE_EFFICIENCY) that cannot be used is bad input, never a
  // silent fall-back to the embedded one.
  if (const flopscope::Status& st = flopscope::efficiency_override_status(); !st) {
    std::cerr << "flopscope: " << flopscope::printable(st.error().message) << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    // A mistyped subcommand gets a suggestion from the same spellchecker as hardware ids.
    if (argc > 1 && argv[1][0] != '-' &&
        std::find(names.begin(), names.end(), std::string(argv[1])) == names.end()) {
      msg = "unknown command '" + std::string(argv[1]) + "'" + flopscope::did_you_mean(argv[1], names) +
            " (see flopscope --help)";
    }
    std::cerr << "flopscope: " << flopscope::printable(msg) << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    // Limits (docs/limits.md) should stop any input before this; if one slips through, say so
    // in one line rather than abort.
    std::cerr << "flopscope: out of memory: the input asks for more than this machine has (see docs/limits.md)\n";
    return 1;
  } catch (const std::exception& e) {
    // Every expected failure is a Result; an exception reaching here is a bug that hostile
    // input found. Still one line, never an abort.
    std::cerr << "flopscope: internal error: " << flopscope::printable(e.what()) << "\n";
    return 1;
  }
  return exit_code;
}
