#include "flopscope/plan/serving.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <unordered_map>

#include "flopscope/plan/energy.h"

#include "flopscope/perf/predict.h"
#include "flopscope/util/csv_table.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/statistics.h"
#include "flopscope/util/text.h"

namespace flopscope {
namespace {

// Uniform in [0, 1) from the top 53 bits: the same on every standard library (the std::
// distributions are not specified bit for bit).
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Exponential with this mean, by inversion.
double exponential(std::mt19937_64& rng, double mean) { return -mean * std::log1p(-uniform01(rng)); }

int64_t draw_length(const LengthDistribution& d, std::mt19937_64& rng) {
  switch (d.kind) {
    case LengthDistribution::Kind::kFixed:
      return d.value;
    case LengthDistribution::Kind::kUniform: {
      const double span = static_cast<double>(d.hi - d.lo + 1);
      return std::min(d.hi, d.lo + static_cast<int64_t>(uniform01(rng) * span));
    }
    case LengthDistribution::Kind::kExponential: {
      const double v = std::round(exponential(rng, static_cast<double>(d.value)));
      return std::clamp<int64_t>(static_cast<int64_t>(std::min(v, 1e15)), 1, kServingMaxTokens);
    }
  }
  return d.value;
}

double mean_length(const LengthDistribution& d) {
  if (d.kind == LengthDistribution::Kind::kUniform) return 0.5 * static_cast<double>(d.lo + d.hi);
  return static_cast<double>(d.value);
}

Status check_length(const LengthDistribution& d, std::string_view field) {
  auto in_range = [](int64_t v) { return v >= 1 && v <= kServingMaxTokens; };
  const bool ok = d.kind == LengthDistribution::Kind::kUniform ? in_range(d.lo) && in_range(d.hi) && d.lo <= d.hi
                                                               : in_range(d.value);
  if (!ok) return bad_input(fmt::format("{}: expected lengths from 1 to {} tokens", field, kServingMaxTokens));
  return {};
}

// ---- step times on a grid ----

// Grid points: round(2^(k / steps_per_octave)), k >= 0.
int64_t grid_value(int k, int steps_per_octave) {
  return std::max<int64_t>(1, std::llround(std::exp2(static_cast<double>(k) / steps_per_octave)));
}
int grid_index(double x, int steps_per_octave) {
  return std::max(0, static_cast<int>(std::floor(std::log2(std::max(1.0, x)) * steps_per_octave)));
}

constexpr int kTokenSteps = 4;    // tokens and sequences: 2^(1/4) apart
constexpr int kContextSteps = 2;  // context: 2^(1/2) apart
constexpr int kGridMax = 4 * 26;  // covers 2^26

// A step's predicted seconds and the busy part of them (compute- and memory-bound ops).
struct StepTime {
  double seconds = 0;
  double busy = 0;
};

class StepTimer {
 public:
  StepTimer(const TransformerSpec& spec, const Workload& base, const Hardware& hw, const TimingEngine& prefill,
            const TimingEngine& decode)
      : spec_(spec), base_(base), hw_(hw), prefill_engine_(prefill), decode_engine_(decode),
        prefill_(static_cast<size_t>((kGridMax + 1) * (kGridMax + 1)), StepTime{-1.0, 0.0}),
        decode_(static_cast<size_t>((kGridMax + 1) * (kGridMax + 1)), StepTime{-1.0, 0.0}) {}

  const std::optional<Error>& error() const { return error_; }
  int64_t predictions() const { return predictions_; }

  /// One prefill pass over `tokens` prompt tokens of `seqs` sequences that continue after
  /// `prior` cached tokens each (chunks of longer prompts; 0: whole prompts).
  StepTime prefill(double tokens, double seqs, double prior = 0) {
    const int kn = std::clamp(static_cast<int>(std::lround(std::log2(std::max(1.0, seqs)) * kTokenSteps)), 0, kGridMax);
    const int kp = std::min(grid_index(tokens, kTokenSteps), kGridMax - 1);
    const double x0 = static_cast<double>(grid_value(kp, kTokenSteps));
    const double x1 = static_cast<double>(grid_value(kp + 1, kTokenSteps));
    const double f = x1 > x0 ? (tokens - x0) / (x1 - x0) : 0.0;
    auto at_prior = [&](int kc) {  // kc < 0: no prior context
      const StepTime y0 = prefill_at(kp, kn, kc);
      if (f == 0.0) return y0;
      const StepTime y1 = prefill_at(kp + 1, kn, kc);
      return StepTime{y0.seconds + (y1.seconds - y0.seconds) * f, y0.busy + (y1.busy - y0.busy) * f};
    };
    if (prior < 1) return at_prior(-1);
    const int kc = std::min(grid_index(prior, kContextSteps), kGridMax - 1);
    const double c0 = static_cast<double>(grid_value(kc, kContextSteps));
    const double c1 = static_cast<double>(grid_value(kc + 1, kContextSteps));
    const double fc = c1 > c0 ? std::clamp((prior - c0) / (c1 - c0), 0.0, 1.0) : 0.0;
    const StepTime z0 = at_prior(kc);
    if (fc == 0.0) return z0;
    const StepTime z1 = at_prior(kc + 1);
    return {z0.seconds + (z1.seconds - z0.seconds) * fc, z0.busy + (z1.busy - z0.busy) * fc};
  }

  /// One decode step of `batch` sequences at mean context `context`.
  StepTime decode(double batch, double context) {
    const int kb = std::min(grid_index(batch, kTokenSteps), kGridMax - 1);
    const int kc = std::min(grid_index(context, kContextSteps), kGridMax - 1);
    const double b0 = static_cast<double>(grid_value(kb, kTokenSteps));
    const double b1 = static_cast<double>(grid_value(kb + 1, kTokenSteps));
    const double c0 = static_cast<double>(grid_value(kc, kContextSteps));
    const double c1 = static_cast<double>(grid_value(kc + 1, kContextSteps));
    const double fb = b1 > b0 ? std::clamp((batch - b0) / (b1 - b0), 0.0, 1.0) : 0.0;
    const double fc = c1 > c0 ? std::clamp((context - c0) / (c1 - c0), 0.0, 1.0) : 0.0;
    const StepTime y00 = decode_at(kb, kc);
    const StepTime y10 = fb > 0 ? decode_at(kb + 1, kc) : y00;
    const StepTime y01 = fc > 0 ? decode_at(kb, kc + 1) : y00;
    const StepTime y11 = fb > 0 && fc > 0 ? decode_at(kb + 1, kc + 1) : (fb > 0 ? y10 : y01);
    auto mix = [&](double StepTime::*f) {
      return (1 - fb) * (1 - fc) * y00.*f + fb * (1 - fc) * y10.*f + (1 - fb) * fc * y01.*f + fb * fc * y11.*f;
    };
    return {mix(&StepTime::seconds), mix(&StepTime::busy)};
  }

  /// predict() directly (no grid): one prefill of batch x seq, one decode step.
  double predict_prefill(int64_t batch, int64_t seq) {
    Workload w = base_;
    w.phase = Phase::kPrefill;
    w.batch = batch;
    w.seq = seq;
    w.context = 0;
    return run(w, prefill_engine_).seconds;
  }
  double predict_decode(int64_t batch, int64_t context) {
    Workload w = base_;
    w.phase = Phase::kDecode;
    w.batch = batch;
    w.seq = 1;
    w.context = context;
    return run(w, decode_engine_).seconds;
  }

 private:
  // A grid prefill; kc >= 0: after grid_value(kc) cached tokens per sequence (kept in a map:
  // only chunked long prompts reach it).
  StepTime prefill_at(int kp, int kn, int kc) {
    const size_t cell = static_cast<size_t>(kp * (kGridMax + 1) + kn);
    StepTime& slot = kc < 0 ? prefill_[cell]
                            : prefill_after_.try_emplace(cell * (kGridMax + 1) + static_cast<size_t>(kc), StepTime{-1.0, 0.0})
                                  .first->second;
    if (slot.seconds < 0) {
      const int64_t tokens = grid_value(kp, kTokenSteps);
      const int64_t seqs = std::min(tokens, grid_value(kn, kTokenSteps));
      Workload w = base_;
      w.phase = Phase::kPrefill;
      w.batch = seqs;
      w.seq = std::max<int64_t>(1, tokens / seqs);
      w.context = kc < 0 ? 0 : grid_value(kc, kContextSteps);
      slot = run(w, prefill_engine_);
    }
    return slot;
  }
  StepTime decode_at(int kb, int kc) {
    StepTime& slot = decode_[static_cast<size_t>(kb * (kGridMax + 1) + kc)];
    if (slot.seconds < 0) {
      Workload w = base_;
      w.phase = Phase::kDecode;
      w.batch = grid_value(kb, kTokenSteps);
      w.seq = 1;
      w.context = grid_value(kc, kContextSteps);
      slot = run(w, decode_engine_);
    }
    return slot;
  }
  // The step's time and its busy seconds (plan/energy.h).
  StepTime run(const Workload& w, const TimingEngine& engine) {
    ++predictions_;
    auto p = predict(spec_, w, hw_, engine);
    if (!p) {
      if (!error_) error_ = p.error();
      return {0, 0};
    }
    return {p->seconds, busy_fraction(*p) * p->seconds};
  }

  const TransformerSpec& spec_;
  Workload base_;
  const Hardware& hw_;
  const TimingEngine& prefill_engine_;
  const TimingEngine& decode_engine_;
  std::vector<StepTime> prefill_, decode_;
  std::unordered_map<size_t, StepTime> prefill_after_;
  std::optional<Error> error_;
  int64_t predictions_ = 0;
};

// ---- one replica ----

struct RequestState {
  ServingRequest r;
  double seconds_first = -1;
  double seconds_done = -1;
};

struct Seq {
  size_t request = 0;
  int64_t prompt_eff = 0;  // tokens to prefill (the prompt, plus what was generated before a preemption)
  int64_t done = 0;        // tokens whose KV is cached
  int64_t generated = 0;
  int64_t blocks = 0;
};

// Where a replica's requests come from: a fixed list, or closed-loop clients.
struct Source {
  std::vector<ServingRequest> fixed;  // sorted by arrival
  bool closed = false;
  int64_t clients = 0;
  int64_t max_requests = 0;       // closed loop: 0 = until duration
  double seconds_duration = 0;    // closed loop: clients stop sending after this
  LengthDistribution prompt, output;
  std::mt19937_64 rng;
};

struct ReplicaResult {
  std::vector<RequestState> requests;
  double seconds_kv_used = 0;   // integral of used / total blocks over time
  double seconds_running = 0;   // integral of running sequences
  double seconds_in_system = 0; // integral of requests in the system
  double seconds_busy = 0;      // compute- and memory-bound seconds of the iterations (plan/energy.h)
  double seconds_first = 0, seconds_last = 0;
  int64_t preemptions = 0;
  int64_t iterations = 0;
};

struct Scheduled {
  size_t seq = 0;
  int64_t tokens = 0;
  bool prefill = false;
};

class Replica {
 public:
  Replica(const EngineSettings& e, int64_t blocks_total, StepTimer& timer, Source source)
      : e_(e), blocks_total_(blocks_total), free_blocks_(blocks_total), timer_(timer), src_(std::move(source)) {}

  Result<ReplicaResult> run() {
    ReplicaResult out;
    if (src_.closed) {
      for (int64_t c = 0; c < src_.clients; ++c) {
        if (!spawn(0)) break;
      }
    }
    double t = 0;
    size_t next_fixed = 0;
    int64_t finished = 0;
    out.seconds_first = src_.closed ? 0 : (src_.fixed.empty() ? 0 : src_.fixed.front().seconds_arrival);
    std::vector<Scheduled> batch;
    batch.reserve(static_cast<size_t>(e_.max_running) + 1);
    std::vector<size_t> still;
    still.reserve(static_cast<size_t>(e_.max_running) + 1);
    for (;;) {
      // Arrivals up to now join the queue.
      while (next_fixed < src_.fixed.size() && src_.fixed[next_fixed].seconds_arrival <= t) {
        enqueue(src_.fixed[next_fixed++]);
      }
      if (running_.empty() && waiting_.empty()) {
        if (next_fixed >= src_.fixed.size()) break;  // closed loop: no client has anything left
        t = src_.fixed[next_fixed].seconds_arrival;
        continue;
      }
      schedule(batch, out.preemptions);
      if (batch.empty()) return failure("serving simulator: the scheduler could not place any work (KV blocks too few)");
      // Iteration time from the cached step times.
      double tokens_prefill = 0, seqs_prefill = 0, decodes = 0, context = 0, prior = 0;
      for (const Scheduled& s : batch) {
        if (s.prefill) {
          tokens_prefill += static_cast<double>(s.tokens);
          seqs_prefill += 1;
          // Tokens of its prompt already cached: this chunk attends to them (token-weighted).
          prior += static_cast<double>(s.tokens) * static_cast<double>(seqs_[s.seq].done);
        } else {
          decodes += 1;
          context += static_cast<double>(seqs_[s.seq].done + 1);
        }
      }
      double dt = 0, busy = 0;
      auto add = [&](const StepTime& st, double sign) {
        dt += sign * st.seconds;
        busy += sign * st.busy;
      };
      if (tokens_prefill > 0) add(timer_.prefill(tokens_prefill, seqs_prefill, prior / tokens_prefill), 1);
      if (decodes > 0) add(timer_.decode(decodes, context / decodes), 1);
      if (tokens_prefill > 0 && decodes > 0) add(timer_.decode(1, 1), -1);
      if (timer_.error()) return *timer_.error();
      dt = std::max(dt, 1e-9);
      out.seconds_busy += std::clamp(busy, 0.0, dt);
      double emitted = decodes;  // tokens this iteration streams out: decodes and completed prompts
      for (const Scheduled& s : batch) {
        if (s.prefill && seqs_[s.seq].done + s.tokens >= seqs_[s.seq].prompt_eff) emitted += 1;
      }
      // Host time the GPU waits for: idle.
      dt += e_.seconds_step_overhead + e_.seconds_token_overhead * emitted;
      // Integrals over the iteration; arrivals inside it count from their arrival.
      const double in_system = static_cast<double>(in_system_);
      out.seconds_in_system += in_system * dt;
      out.seconds_running += static_cast<double>(running_.size()) * dt;
      out.seconds_kv_used += static_cast<double>(blocks_total_ - free_blocks_) / static_cast<double>(blocks_total_) * dt;
      const double t_end = t + dt;
      for (size_t i = next_fixed; i < src_.fixed.size() && src_.fixed[i].seconds_arrival < t_end; ++i) {
        out.seconds_in_system += t_end - std::max(t, src_.fixed[i].seconds_arrival);
      }
      t = t_end;
      ++out.iterations;
      // Apply the iteration.
      for (const Scheduled& s : batch) {
        Seq& q = seqs_[s.seq];
        q.done += s.tokens;
        if (s.prefill && q.done < q.prompt_eff) continue;
        ++q.generated;
        RequestState& rs = requests_[q.request];
        if (rs.seconds_first < 0) rs.seconds_first = t;
        if (q.generated >= rs.r.output) {
          rs.seconds_done = t;
          free_blocks_ += q.blocks;
          q.blocks = 0;
          q.done = -1;  // finished: dropped from running below
          --in_system_;
          ++finished;
          out.seconds_last = t;
          if (src_.closed) spawn(t);
        }
      }
      still.clear();
      for (size_t id : running_) {
        if (seqs_[id].done >= 0) still.push_back(id);
      }
      running_.swap(still);
    }
    out.requests = std::move(requests_);
    return out;
  }

 private:
  // Closed loop: a client sends its next request at time t (false when it has stopped).
  bool spawn(double t) {
    if (src_.max_requests > 0 && sent_ >= src_.max_requests) return false;
    if (src_.max_requests == 0 && t >= src_.seconds_duration) return false;
    ++sent_;
    ServingRequest r;
    r.seconds_arrival = t;
    r.prompt = draw_length(src_.prompt, src_.rng);
    r.output = draw_length(src_.output, src_.rng);
    enqueue(r);
    return true;
  }

  void enqueue(const ServingRequest& r) {
    requests_.push_back({r, -1, -1});
    Seq s;
    s.request = requests_.size() - 1;
    s.prompt_eff = r.prompt;
    seqs_.push_back(s);
    waiting_.push_back(seqs_.size() - 1);
    ++in_system_;
  }

  int64_t blocks_for(int64_t tokens) const { return (tokens + e_.block_size - 1) / e_.block_size; }

  // Preempts the most recently admitted running sequence (recompute).
  size_t preempt_last(int64_t& preemptions) {
    const size_t id = running_.back();
    running_.pop_back();
    Seq& q = seqs_[id];
    free_blocks_ += q.blocks;
    q.blocks = 0;
    q.prompt_eff = requests_[q.request].r.prompt + q.generated;
    q.done = 0;
    waiting_.push_front(id);
    ++preemptions;
    return id;
  }

  // Builds one iteration's batch (header comment: decodes, running prefills, admissions).
  void schedule(std::vector<Scheduled>& batch, int64_t& preemptions) {
    batch.clear();
    int64_t budget = e_.max_batched_tokens;
    const bool chunked = e_.prefill == PrefillPolicy::kChunked;
    const bool prefill_only = e_.prefill == PrefillPolicy::kFirst && can_admit();
    if (!prefill_only) {
      for (size_t i = 0; i < running_.size() && budget > 0; ++i) {
        const size_t id = running_[i];
        Seq& q = seqs_[id];
        if (q.done < q.prompt_eff) continue;  // still in its prompt
        const int64_t need = std::max<int64_t>(0, blocks_for(q.done + 1) - q.blocks);
        bool self_preempted = false;
        while (need > free_blocks_) {
          if (preempt_last(preemptions) == id) {
            self_preempted = true;
            break;
          }
        }
        if (self_preempted) break;
        free_blocks_ -= need;
        q.blocks += need;
        batch.push_back({id, 1, false});
        --budget;
      }
      // Partly prefilled prompts continue (chunked prefill only leaves them).
      for (size_t id : running_) {
        if (budget <= 0) break;
        Seq& q = seqs_[id];
        if (q.done >= q.prompt_eff) continue;
        int64_t k = std::min(q.prompt_eff - q.done, budget);
        k = std::min(k, (q.blocks + free_blocks_) * e_.block_size - q.done);
        if (k <= 0) continue;
        const int64_t need = std::max<int64_t>(0, blocks_for(q.done + k) - q.blocks);
        free_blocks_ -= need;
        q.blocks += need;
        batch.push_back({id, k, true});
        budget -= k;
      }
      if (e_.prefill == PrefillPolicy::kFirst) return;  // decodes only: nothing fits
    }
    // Admissions in arrival order (preempted sequences first).
    bool admitted = false;
    while (!waiting_.empty() && static_cast<int64_t>(running_.size()) < e_.max_running &&
           (budget > 0 || !chunked)) {
      const size_t id = waiting_.front();
      Seq& q = seqs_[id];
      int64_t k = q.prompt_eff;
      if (chunked) {
        k = std::min(k, budget);
      } else if (k > budget && (admitted || k <= e_.max_batched_tokens)) {
        // Whole prompts in arrival order: the first that does not fit waits, and those behind
        // it too. One longer than the whole budget (an engine would refuse it) is the
        // iteration's only prompt.
        break;
      }
      const int64_t need = admission_blocks(q, k);
      if (need > free_blocks_) break;
      waiting_.pop_front();
      free_blocks_ -= need;
      q.blocks = need;
      q.done = 0;
      running_.push_back(id);
      batch.push_back({id, k, true});
      budget -= k;
      admitted = true;
    }
  }

  bool can_admit() const {
    if (waiting_.empty() || static_cast<int64_t>(running_.size()) >= e_.max_running) return false;
    const Seq& q = seqs_[waiting_.front()];
    return admission_blocks(q, q.prompt_eff) <= free_blocks_;
  }

  // Blocks a waiting sequence takes when admitted with `k` prompt tokens in this iteration:
  // those tokens' (vLLM), or its whole prompt's and remaining output's (reserve_output).
  int64_t admission_blocks(const Seq& q, int64_t k) const {
    if (!e_.reserve_output) return blocks_for(k);
    return blocks_for(q.prompt_eff + requests_[q.request].r.output - q.generated);
  }

  const EngineSettings& e_;
  int64_t blocks_total_;
  int64_t free_blocks_;
  StepTimer& timer_;
  Source src_;
  std::vector<RequestState> requests_;
  std::vector<Seq> seqs_;
  std::vector<size_t> running_;  // admission order
  std::deque<size_t> waiting_;
  int64_t in_system_ = 0;
  int64_t sent_ = 0;
};

LatencySummary summarize(const std::vector<double>& v) {
  LatencySummary s;
  if (v.empty()) return s;
  s.p50 = percentile(v, 50);
  s.p90 = percentile(v, 90);
  s.p95 = percentile(v, 95);
  s.p99 = percentile(v, 99);
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  return s;
}

// SplitMix64: decorrelated seeds for the replicas' closed-loop clients.
uint64_t mix_seed(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}


}  // namespace

Result<PrefillPolicy> parse_prefill_policy(std::string_view text, std::string_view field) {
  if (text == "chunked") return PrefillPolicy::kChunked;
  if (text == "whole") return PrefillPolicy::kWhole;
  if (text == "first") return PrefillPolicy::kFirst;
  return bad_input(fmt::format("{}: expected chunked, whole or first, got '{}'", field, printable(text)));
}

const char* prefill_policy_name(PrefillPolicy p) {
  switch (p) {
    case PrefillPolicy::kChunked: return "chunked";
    case PrefillPolicy::kWhole: return "whole";
    case PrefillPolicy::kFirst: return "first";
  }
  return "chunked";
}

Result<ServingResult> simulate_serving(const TransformerSpec& spec, const ServingOptions& o, const Hardware& hw,
                                       const TimingEngine& prefill_engine, const TimingEngine& decode_engine) {
  const EngineSettings& e = o.engine;
  const ServingLoad& load = o.load;
  if (e.block_size < 1 || e.block_size > 1024) return bad_input("--block-size: expected 1 to 1024 tokens");
  if (e.max_running < 1 || e.max_running > limits::kBatch) {
    return bad_input(fmt::format("--max-running: expected 1 to {} sequences", limits::kBatch));
  }
  if (e.max_batched_tokens < 1 || e.max_batched_tokens > kServingMaxTokens) {
    return bad_input(fmt::format("--max-batched-tokens: expected 1 to {} tokens", kServingMaxTokens));
  }
  if (!(e.memory_fraction > 0 && e.memory_fraction <= 1)) {
    return bad_input(fmt::format("--memory-fraction: expected a fraction above 0 and at most 1, got {}", e.memory_fraction));
  }
  if (!(e.kv_free_fraction >= 0 && e.kv_free_fraction <= 1)) {
    return bad_input(fmt::format("--kv-free-fraction: expected a fraction above 0 and at most 1, got {}", e.kv_free_fraction));
  }
  if (!(e.seconds_token_overhead >= 0 && e.seconds_token_overhead <= 0.01)) {
    return bad_input(fmt::format("--token-overhead: expected seconds from 0 to 0.01 per token, got {}",
                                 e.seconds_token_overhead));
  }
  if (!(e.seconds_step_overhead >= 0 && e.seconds_step_overhead <= 1)) {
    return bad_input(
        fmt::format("--step-overhead: expected seconds from 0 to 1 per iteration, got {}", e.seconds_step_overhead));
  }
  if (auto st = validate_pue(o.pue, "--pue"); !st) return st.error();
  if (o.replicas < 1 || o.replicas > limits::kDevices) {
    return bad_input(fmt::format("--replicas: expected 1 to {}, got {}", limits::kDevices, o.replicas));
  }
  if (load.kind != LoadKind::kTrace) {
    if (auto st = check_length(load.prompt, "--prompt"); !st) return st.error();
    if (auto st = check_length(load.output, "--output"); !st) return st.error();
  }
  if (load.kind == LoadKind::kPoisson && !(load.rate > 0 && std::isfinite(load.rate) && load.rate <= 1e9)) {
    return bad_input(fmt::format("--rate: expected requests per second above 0 (or inf), got {}", load.rate));
  }
  if (load.kind == LoadKind::kClosedLoop && (load.concurrency < 1 || load.concurrency > limits::kBatch)) {
    return bad_input(fmt::format("--concurrency: expected 1 to {} clients, got {}", limits::kBatch, load.concurrency));
  }
  if (load.requests < 0 || load.requests > kServingMaxRequests) {
    return bad_input(fmt::format("--requests: expected 1 to {}, got {}", kServingMaxRequests, load.requests));
  }
  if (!(load.seconds_duration >= 0 && std::isfinite(load.seconds_duration) && load.seconds_duration <= 1e9)) {
    return bad_input(fmt::format("--duration: expected seconds above 0, got {}", load.seconds_duration));
  }
  if (load.warmup < 0 || load.warmup > kServingMaxRequests) {
    return bad_input(fmt::format("--warmup: expected 0 to {} requests, got {}", kServingMaxRequests, load.warmup));
  }
  if (load.kind != LoadKind::kTrace && load.requests == 0 && load.seconds_duration <= 0) {
    return bad_input("serving simulator: expected --requests or --duration");
  }
  if (load.kind == LoadKind::kAllAtOnce && load.requests == 0) {
    return bad_input("--rate inf: expected --requests (every request is queued at t = 0)");
  }
  if (hw.bytes_memory <= 0) {
    return bad_input(fmt::format("hardware '{}': device memory not in the catalog; the simulator needs it", hw.id));
  }

  // KV capacity per replica (per device, all devices alike).
  MemoryOptions mo;
  mo.weight_dtype = o.workload.weight_dtype;
  mo.kv_dtype = o.workload.kv_dtype;
  mo.activation_dtype = o.workload.dtype;
  mo.flash_attention = o.workload.flash_attention;
  mo.modules = o.workload.modules;
  const MemoryReport m = inference_memory_per_device(spec, 1, e.max_batched_tokens, mo, o.workload.parallel);
  const double kv_per_token = inference_memory_per_device(spec, 1, 1, mo, o.workload.parallel).bytes_kv_cache;
  const double bytes_fixed = m.bytes_weights + m.bytes_activations + m.bytes_logits + m.bytes_runtime_overhead;
  const double bytes_free = e.kv_free_fraction > 0 ? e.kv_free_fraction * (hw.bytes_memory - bytes_fixed)
                                                   : e.memory_fraction * hw.bytes_memory - bytes_fixed;
  if (!(kv_per_token > 0)) return failure(fmt::format("model '{}': no KV cache per token to page", spec.name));
  const double blocks_d = std::floor(bytes_free / (kv_per_token * static_cast<double>(e.block_size)));
  if (!(blocks_d >= 1)) {
    return failure(fmt::format("{} on {}: weights and working set ({:.1f} GiB) leave no room for a KV cache in {:.0f}% of "
                               "{:.1f} GiB",
                               spec.name, hw.id, bytes_fixed / (1u << 30),
                               (e.kv_free_fraction > 0 ? 1.0 : e.memory_fraction) * 100, hw.bytes_memory / (1u << 30)));
  }
  const int64_t blocks = static_cast<int64_t>(std::min(blocks_d, 1e15));

  // Requests (open loop: generated here, then dealt round-robin to the replicas).
  std::mt19937_64 rng(load.seed);
  std::vector<ServingRequest> all;
  int64_t longest = 0;
  if (load.kind == LoadKind::kTrace) {
    if (load.trace.empty()) return bad_input("--trace: expected at least one request");
    all = load.trace;
  } else if (load.kind == LoadKind::kPoisson || load.kind == LoadKind::kAllAtOnce) {
    double t = 0;
    for (int64_t i = 0;; ++i) {
      if (load.requests > 0 && i >= load.requests) break;
      if (load.kind == LoadKind::kPoisson) t += exponential(rng, 1.0 / load.rate);
      if (load.requests == 0 && t >= load.seconds_duration) break;
      if (i >= kServingMaxRequests) {
        return bad_input(fmt::format("--rate x --duration: expected at most {} requests", kServingMaxRequests));
      }
      ServingRequest r;
      r.seconds_arrival = t;
      r.prompt = draw_length(load.prompt, rng);
      r.output = draw_length(load.output, rng);
      all.push_back(r);
    }
    if (all.empty()) return bad_input("--duration: no request arrives within it at this rate");
  }
  for (const auto& r : all) longest = std::max(longest, r.prompt + r.output);
  if (load.kind == LoadKind::kClosedLoop) {
    const auto longest_of = [](const LengthDistribution& d) {
      return d.kind == LengthDistribution::Kind::kUniform ? d.hi : d.value;
    };
    longest = longest_of(load.prompt) + longest_of(load.output);
  }
  if (longest > blocks * e.block_size) {
    return failure(fmt::format("{} on {}: a request of {} tokens does not fit the KV cache ({} tokens)", spec.name, hw.id,
                               longest, blocks * e.block_size));
  }

  Workload base = o.workload;
  base.phase = Phase::kDecode;
  StepTimer timer(spec, base, hw, prefill_engine, decode_engine);
  ServingResult res;
  res.kv_blocks = blocks;
  res.bytes_kv_per_token = kv_per_token;
  // Reference step times (also surfaces predict()'s errors before the run).
  const double mean_prompt = load.kind == LoadKind::kTrace ? static_cast<double>(all.front().prompt) : mean_length(load.prompt);
  const double mean_output = load.kind == LoadKind::kTrace ? static_cast<double>(all.front().output) : mean_length(load.output);
  res.seconds_prefill_one_prompt = timer.predict_prefill(1, std::max<int64_t>(1, std::llround(mean_prompt)));
  res.seconds_decode_batch1 = timer.predict_decode(1, std::max<int64_t>(1, std::llround(mean_prompt + mean_output / 2)));
  if (timer.error()) return *timer.error();

  std::vector<double> ttft, itl, e2e;
  double kv_used = 0, running = 0, in_system = 0, first = std::numeric_limits<double>::infinity(), last = 0;
  // The measured requests (after the warm-up): their span, tokens and end-to-end sum.
  double measured_first = std::numeric_limits<double>::infinity(), measured_last = 0, measured_tokens = 0;
  double e2e_all = 0;
  double busy = 0;  // busy seconds summed over replicas
  double output_tokens = 0;
  int64_t completed = 0;
  for (int64_t rep = 0; rep < o.replicas; ++rep) {
    Source src;
    if (load.kind == LoadKind::kClosedLoop) {
      src.closed = true;
      src.clients = load.concurrency / o.replicas + (rep < load.concurrency % o.replicas ? 1 : 0);
      src.max_requests = load.requests > 0 ? load.requests / o.replicas + (rep < load.requests % o.replicas ? 1 : 0) : 0;
      src.seconds_duration = load.seconds_duration;
      src.prompt = load.prompt;
      src.output = load.output;
      src.rng.seed(rep == 0 ? load.seed : mix_seed(load.seed + static_cast<uint64_t>(rep)));
      if (src.clients == 0 || (load.requests > 0 && src.max_requests == 0)) continue;
    } else {
      for (size_t i = static_cast<size_t>(rep); i < all.size(); i += static_cast<size_t>(o.replicas)) {
        src.fixed.push_back(all[i]);
      }
      if (src.fixed.empty()) continue;
    }
    Replica replica(e, blocks, timer, std::move(src));
    auto r = replica.run();
    if (!r) return r.error();
    const double span = r->seconds_last - r->seconds_first;
    kv_used += span > 0 ? r->seconds_kv_used / span : 0;
    running += span > 0 ? r->seconds_running / span : 0;
    in_system += r->seconds_in_system;
    first = std::min(first, r->seconds_first);
    last = std::max(last, r->seconds_last);
    res.preemptions += r->preemptions;
    res.iterations += r->iterations;
    busy += r->seconds_busy;
    const int64_t warm = load.warmup / o.replicas + (rep < load.warmup % o.replicas ? 1 : 0);
    for (size_t k = 0; k < r->requests.size(); ++k) {
      const RequestState& q = r->requests[k];
      ++completed;
      output_tokens += static_cast<double>(q.r.output);
      e2e_all += q.seconds_done - q.r.seconds_arrival;
      if (static_cast<int64_t>(k) < warm) {
        ++res.requests_warmup;
        continue;
      }
      measured_first = std::min(measured_first, q.r.seconds_arrival);
      measured_last = std::max(measured_last, q.seconds_done);
      measured_tokens += static_cast<double>(q.r.output);
      ttft.push_back(q.seconds_first - q.r.seconds_arrival);
      e2e.push_back(q.seconds_done - q.r.seconds_arrival);
      if (q.r.output > 1) itl.push_back((q.seconds_done - q.seconds_first) / static_cast<double>(q.r.output - 1));
    }
  }
  if (completed == 0) return bad_input("serving simulator: no request to run");
  if (e2e.empty()) {
    return bad_input(fmt::format("--warmup: expected fewer requests than the {} run, got {}", completed, load.warmup));
  }
  const double used_replicas = std::min<double>(static_cast<double>(o.replicas), static_cast<double>(completed));
  res.requests = completed - res.requests_warmup;
  res.ttft_seconds = summarize(ttft);
  res.itl_seconds = summarize(itl);
  res.e2e_seconds = summarize(e2e);
  res.seconds_simulated = last - first;
  const double span = std::max(res.seconds_simulated, 1e-12);
  const double measured_span = std::max(measured_last - measured_first, 1e-12);
  res.output_tokens_per_second = measured_tokens / measured_span;
  res.requests_per_second = static_cast<double>(res.requests) / measured_span;
  res.kv_cache_utilization = kv_used / used_replicas;
  res.mean_running = running / used_replicas;
  // Little's law over every request run, warm-up included: the bookkeeping check.
  res.littles_law_in_system = in_system / span;
  res.littles_law_throughput_x_e2e = static_cast<double>(completed) / span * (e2e_all / static_cast<double>(completed));
  res.predictions = timer.predictions();
  // Energy (plan/energy.h): every replica is provisioned over the whole span and busy for
  // its iterations' compute- and memory-bound seconds; with a power linear in u, the mean
  // busy time over the replicas gives the exact total.
  const double devices_per_replica = static_cast<double>(std::max<int64_t>(1, o.workload.parallel.tp) *
                                                         std::max<int64_t>(1, o.workload.parallel.pp));
  const double replicas = static_cast<double>(o.replicas);
  res.seconds_busy_per_replica = busy / replicas;
  const Pue pue = o.pue > 0 ? Pue{o.pue, "given"} : PowerCatalog::builtin().default_pue();
  res.energy = estimate_energy(PowerCatalog::builtin().model_of(hw), pue, devices_per_replica * replicas,
                               res.seconds_simulated, res.seconds_busy_per_replica);
  res.output_tokens = output_tokens;
  return res;
}

}  // namespace flopscope
