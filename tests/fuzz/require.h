// A fuzz target's promise: `require(cond)` aborts (a finding libFuzzer keeps) naming the
// file and line of the promise that broke.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace flopscope::fuzz {

inline void require_at(bool ok, const char* file, int line) {
  if (ok) return;
  std::fprintf(stderr, "%s:%d: a promise broke\n", file, line);
  std::abort();
}

}  // namespace flopscope::fuzz

#define require(ok) ::flopscope::fuzz::require_at((ok), __FILE__, __LINE__)
