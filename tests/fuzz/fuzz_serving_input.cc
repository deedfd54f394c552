// libFuzzer target: the text formats the serving simulator and the autoscaler read from
// users (plan/serving_input.h). The first byte picks the reader (0: a request trace, CSV or
// JSONL; 1: a load curve; 2: a length distribution); the rest is the text. Every input must
// end in a result or one clean Error naming the origin, with no crash, hang or sanitizer
// report, and a result must hold what the header promises: traces sorted by arrival with
// finite arrivals and lengths in [1, kServingMaxTokens], at most kServingMaxTraceRows rows;
// load curves of 2 or more rows with strictly increasing finite times and rates in range;
// distributions whose numbers are in range with lo <= hi.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "flopscope/plan/serving_input.h"
#include "require.h"

namespace flopscope {
namespace {

bool tokens_in_range(int64_t n) { return n >= 1 && n <= kServingMaxTokens; }

void check_error(const Error& e, std::string_view origin) {
  require(!e.message.empty());
  require(e.message.find('\n') == std::string::npos);  // one line
  require(e.message.rfind(origin, 0) == 0);            // names the file first
}

void trace(std::string_view text) {
  auto r = parse_serving_trace(text, "trace.csv");
  if (!r) return check_error(r.error(), "trace.csv");
  require(!r->empty() && static_cast<int64_t>(r->size()) <= kServingMaxTraceRows);
  double last = 0;
  for (const ServingRequest& q : *r) {
    require(std::isfinite(q.seconds_arrival) && q.seconds_arrival >= last &&
            q.seconds_arrival <= kServingMaxArrivalSeconds);
    require(tokens_in_range(q.prompt) && tokens_in_range(q.output));
    last = q.seconds_arrival;
  }
}

void load_curve(std::string_view text) {
  auto r = parse_load_curve(text, "load.csv");
  if (!r) return check_error(r.error(), "load.csv");
  require(r->size() >= 2 && static_cast<int64_t>(r->size()) <= kAutoscaleMaxLoadRows);
  for (size_t i = 0; i < r->size(); ++i) {
    const LoadPoint& p = (*r)[i];
    require(std::isfinite(p.seconds) && p.seconds >= 0 && p.seconds <= kAutoscaleMaxSeconds);
    require(std::isfinite(p.rps) && p.rps >= 0 && p.rps <= kAutoscaleMaxRps);
    if (i > 0) require(p.seconds > (*r)[i - 1].seconds);
  }
  // The curve's rate is one of its rows' (or 0) everywhere, and 0 past its end.
  const double end = load_end_seconds(*r);
  require(std::isfinite(end) && end > r->back().seconds);
  require(load_rate_at(*r, end) == 0 && load_rate_at(*r, r->front().seconds) == r->front().rps);
}

void length(std::string_view text) {
  auto r = parse_length_distribution(text, "--prompt");
  if (!r) return check_error(r.error(), "--prompt");
  switch (r->kind) {
    case LengthDistribution::Kind::kFixed:
    case LengthDistribution::Kind::kExponential:
      require(tokens_in_range(r->value));
      break;
    case LengthDistribution::Kind::kUniform:
      require(tokens_in_range(r->lo) && tokens_in_range(r->hi) && r->lo <= r->hi);
      require(r->value >= r->lo && r->value <= r->hi);
      break;
  }
}

}  // namespace
}  // namespace flopscope

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: flopscope::trace(text); break;
    case 1: flopscope::load_curve(text); break;
    default: flopscope::length(text); break;
  }
  return 0;
}
