// Progress on stderr for a person watching a terminal: one line, rewritten in place, and
// nothing at all when stderr is not a terminal (pipes, CI, --json consumers).
#pragma once

#include <iostream>
#include <string>

#include "command.h"

namespace flopscope::cli {

class ProgressLine {
 public:
  /// `prefix` starts every line ("probe", "plan").
  explicit ProgressLine(std::string prefix) : prefix_(std::move(prefix)), on_(stderr_is_tty()) {}
  ~ProgressLine() { done(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool on() const { return on_; }
  /// Rewrites the line: "PREFIX: TEXT...".
  void show(const std::string& text) {
    if (!on_) return;
    std::cerr << "\r\x1b[K" << prefix_ << ": " << text << "..." << std::flush;
    shown_ = true;
  }
  /// Clears the line (before results or errors are printed).
  void done() {
    if (shown_) std::cerr << "\r\x1b[K" << std::flush;
    shown_ = false;
  }

 private:
  std::string prefix_;
  bool on_;
  bool shown_ = false;
};

}  // namespace flopscope::cli
