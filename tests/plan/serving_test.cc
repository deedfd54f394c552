// The serving simulator against queueing theory and against the timing engine it draws on:
// Little's law, the M/D/1 wait, low-load latencies equal to single predictions, saturation,
// the offline (--rate inf) batch, determinism, and its refusals.
#include "flopscope/plan/serving.h"

#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <string>

#include "flopscope/model/load.h"
#include "flopscope/perf/predict.h"
#include "flopscope/plan/serving_capacity.h"

namespace flopscope {
namespace {

struct Rig {
  TransformerSpec spec;
  const Hardware* hw = nullptr;
  TimingEngine prefill, decode;
  Rig()
      : spec(*load_model("llama-3.1-8b")),
        hw(*HardwareCatalog::builtin().find("h100-sxm")),
        prefill(*hw, nullptr, default_software(Phase::kPrefill)),
        decode(*hw, nullptr, default_software(Phase::kDecode)) {}

  ServingOptions options(int64_t prompt, int64_t output) const {
    ServingOptions o;
    o.workload.modules = Modules::kFused;
    o.load.prompt.value = prompt;
    o.load.output.value = output;
    return o;
  }
  /// The error simulate_serving gives for `o` ("" when it runs).
  std::string refusal(const ServingOptions& o) const {
    auto r = simulate_serving(spec, o, *hw, prefill, decode);
    return r.ok() ? std::string() : r.error().message;
  }
  /// Each value of `bad`, put into a copy of `o` by `set`, is refused with `message` in the error.
  template <class Set>
  void expect_refused(ServingOptions o, Set set, std::initializer_list<double> bad, const std::string& message) const {
    for (double v : bad) {
      set(o, v);
      EXPECT_NE(refusal(o).find(message), std::string::npos) << v << ": " << refusal(o);
    }
  }
  ServingResult run(const ServingOptions& o) const {
    auto r = simulate_serving(spec, o, *hw, prefill, decode);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : ServingResult{};
  }
  double predict_seconds(Phase phase, int64_t batch, int64_t seq_or_context) const {
    Workload w;
    w.modules = Modules::kFused;
    w.phase = phase;
    w.batch = batch;
    if (phase == Phase::kDecode) {
      w.seq = 1;
      w.context = seq_or_context;
    } else {
      w.seq = seq_or_context;
    }
    auto p = predict(spec, w, *hw, phase == Phase::kDecode ? decode : prefill);
    EXPECT_TRUE(p.ok());
    return p.ok() ? p->seconds : 0;
  }
};

const Rig& rig() {
  static const Rig r;
  return r;
}

TEST(ServingSimulator, LowRateTtftIsOnePrefillAndItlOneDecodeStep) {
  ServingOptions o = rig().options(512, 64);
  o.load.rate = 0.05;  // one request every 20 s on average: rarely two at once
  o.load.requests = 40;
  ServingResult r = rig().run(o);
  const double prefill = rig().predict_seconds(Phase::kPrefill, 1, 512);
  const double decode = rig().predict_seconds(Phase::kDecode, 1, 512 + 32);
  EXPECT_NEAR(r.ttft_seconds.mean, prefill, 0.02 * prefill);
  EXPECT_NEAR(r.ttft_seconds.p50, prefill, 0.02 * prefill);
  // A Poisson arrival lands while the previous request still decodes (~2% of them here): its
  // prefill shares an iteration with one decode, so the tail is at most a decode step more.
  EXPECT_GE(r.ttft_seconds.p99, prefill * 0.98);
  EXPECT_LE(r.ttft_seconds.p99, prefill + 1.05 * decode);
  EXPECT_NEAR(r.itl_seconds.mean, decode, 0.03 * decode);
  EXPECT_EQ(r.preemptions, 0);
  EXPECT_NEAR(r.mean_running, 0.0, 0.2);  // mostly idle
}

TEST(ServingSimulator, LittlesLawHoldsOnASteadyRun) {
  ServingOptions o = rig().options(1024, 128);
  o.load.rate = 8;
  o.load.requests = 3000;
  ServingResult r = rig().run(o);
  ASSERT_GT(r.littles_law_throughput_x_e2e, 0);
  EXPECT_NEAR(r.littles_law_in_system / r.littles_law_throughput_x_e2e, 1.0, 0.03);
  EXPECT_NEAR(r.requests_per_second, 8.0, 0.08 * 8.0);  // below saturation: throughput = arrival rate
}

TEST(ServingSimulator, ThroughputSaturatesAsRateGrows) {
  std::vector<double> rps;
  for (double rate : {1.0, 10.0, 100.0, 1000.0, 10000.0}) {
    ServingOptions o = rig().options(1024, 256);
    o.load.rate = rate;
    o.load.requests = 1500;
    rps.push_back(rig().run(o).requests_per_second);
  }
  EXPECT_NEAR(rps[0], 1.0, 0.1);
  for (size_t i = 1; i < rps.size(); ++i) EXPECT_GE(rps[i], rps[i - 1] * 0.98) << i;  // never falls
  // Past saturation a tenfold rate changes throughput by a few percent at most, far below
  // the offered rate.
  EXPECT_NEAR(rps[4] / rps[3], 1.0, 0.05);
  EXPECT_LT(rps[3], 0.2 * 1000.0);
}

TEST(ServingSimulator, RateInfAdmitsEveryRequestAsOneOfflineBatch) {
  // 64 prompts of 128 tokens fill the 8192-token budget exactly: one prefill of the whole
  // batch, then decode steps of 64 sequences, as an offline benchmark runs them.
  ServingOptions o = rig().options(128, 32);
  o.load.kind = LoadKind::kAllAtOnce;
  o.load.requests = 64;
  ServingResult r = rig().run(o);
  const double prefill = rig().predict_seconds(Phase::kPrefill, 64, 128);
  EXPECT_NEAR(r.ttft_seconds.p50, prefill, 1e-9 + 1e-6 * prefill);
  EXPECT_NEAR(r.ttft_seconds.p99, prefill, 1e-9 + 1e-6 * prefill);  // all admitted at once
  const double step = rig().predict_seconds(Phase::kDecode, 64, 128 + 16);
  EXPECT_NEAR(r.e2e_seconds.mean, prefill + 31 * step, 0.03 * (prefill + 31 * step));
  EXPECT_EQ(r.iterations, 32);
  EXPECT_NEAR(r.output_tokens_per_second, 64.0 * 32 / r.e2e_seconds.p50, 1e-6);
}

TEST(ServingSimulator, OneSequenceAtATimeWaitsAsMD1) {
  // max_running 1 and fixed lengths: a single server with a deterministic service time S.
  // Pollaczek-Khinchine for M/D/1: Wq = rho / (2 mu (1 - rho)) = rho S / (2 (1 - rho)).
  ServingOptions o = rig().options(256, 32);
  o.engine.max_running = 1;
  o.load.rate = 0.01;
  o.load.requests = 20;
  const double service = rig().run(o).e2e_seconds.mean;
  for (double rho : {0.3, 0.6}) {
    o.load.rate = rho / service;
    o.load.requests = 40000;
    ServingResult r = rig().run(o);
    const double wq = r.e2e_seconds.mean - service;
    const double expected = rho * service / (2 * (1 - rho));
    EXPECT_NEAR(wq, expected, 0.08 * expected) << "rho " << rho;
  }
}

TEST(ServingSimulator, SameSeedSameRunOtherSeedOtherRun) {
  ServingOptions o = rig().options(512, 128);
  o.load.prompt = *parse_length_distribution("uniform:128:1024", "--prompt");
  o.load.output = *parse_length_distribution("exp:128", "--output");
  o.load.rate = 20;
  o.load.requests = 500;
  o.load.seed = 42;
  ServingResult a = rig().run(o), b = rig().run(o);
  EXPECT_EQ(a.ttft_seconds.p99, b.ttft_seconds.p99);
  EXPECT_EQ(a.e2e_seconds.mean, b.e2e_seconds.mean);
  EXPECT_EQ(a.iterations, b.iterations);
  o.load.seed = 43;
  EXPECT_NE(rig().run(o).e2e_seconds.mean, a.e2e_seconds.mean);
}

TEST(ServingSimulator, PreemptsWhenTheKvCacheRunsOut) {
  ServingOptions o = rig().options(2048, 1024);
  o.engine.memory_fraction = 0.3;  // ~24 GiB: weights 16 GiB leave room for a few sequences
  o.load.kind = LoadKind::kAllAtOnce;
  o.load.requests = 64;
  ServingResult r = rig().run(o);
  EXPECT_GT(r.preemptions, 0);
  EXPECT_EQ(r.requests, 64);
  EXPECT_GT(r.kv_cache_utilization, 0.5);
}

// TensorRT-LLM's GUARANTEED_NO_EVICT: the same load runs without a preemption, with never
// more sequences at once than the KV of whole requests allows.
TEST(ServingSimulator, ReservingTheOutputNeverPreempts) {
  ServingOptions o = rig().options(2048, 1024);
  o.engine.memory_fraction = 0.3;
  o.engine.reserve_output = true;
  o.load.kind = LoadKind::kAllAtOnce;
  o.load.requests = 64;
  ServingResult r = rig().run(o);
  EXPECT_EQ(r.preemptions, 0);
  EXPECT_EQ(r.requests, 64);
  const int64_t fit = r.kv_blocks / ((2048 + 1024 + o.engine.block_size - 1) / o.engine.block_size);
  ASSERT_GT(fit, 0);
  EXPECT_LE(r.mean_running, static_cast<double>(fit));
  EXPECT_GT(r.mean_running, 0.8 * static_cast<double>(fit));
}

// A per-head decode kernel (TensorRT-LLM's masked MHA without XQA) reads Llama-3.1-8B's
// cache once per query head: four times the grouped kernel's bytes, so a long-context
// decode step slows by at least the extra bytes at peak bandwidth, and offline throughput falls.
TEST(ServingSimulator, PerHeadDecodeAttentionSlowsLongContextDecode) {
  Workload w;
  w.modules = Modules::kFused;
  w.phase = Phase::kDecode;
  w.batch = 64;
  w.context = 2048;
  auto grouped = predict(rig().spec, w, *rig().hw, rig().decode);
  w.decode_attention = DecodeAttention::kPerHead;
  auto per_head = predict(rig().spec, w, *rig().hw, rig().decode);
  ASSERT_TRUE(grouped.ok() && per_head.ok());
  // 32 layers x 64 sequences x 2049 positions x K and V of 128 bf16 x 24 more head reads.
  double extra = 32.0 * 64 * 2049 * 2 * 128 * 2 * 24;
  EXPECT_GT(per_head->seconds - grouped->seconds, extra / rig().hw->bytes_per_second_memory);

  ServingOptions o = rig().options(128, 1024);
  o.load.kind = LoadKind::kAllAtOnce;
  o.load.requests = 256;
  ServingResult g = rig().run(o);
  o.workload.decode_attention = DecodeAttention::kPerHead;
  ServingResult p = rig().run(o);
  EXPECT_LT(p.output_tokens_per_second, 0.9 * g.output_tokens_per_second);
  EXPECT_GT(p.itl_seconds.mean, g.itl_seconds.mean);
}

// Host time between steps: at concurrency 1 every output token is one iteration, so the
// inter-token latency grows by exactly the overhead, the first token by one overhead (its
// prompt is one iteration), and the GPU's busy seconds do not change.
TEST(ServingSimulator, StepOverheadAddsToEveryIteration) {
  ServingOptions o = rig().options(256, 32);
  o.load.kind = LoadKind::kClosedLoop;
  o.load.concurrency = 1;
  o.load.requests = 8;
  ServingResult base = rig().run(o);
  o.engine.seconds_step_overhead = 0.002;
  ServingResult slow = rig().run(o);
  EXPECT_NEAR(slow.itl_seconds.mean - base.itl_seconds.mean, 0.002, 1e-9);
  EXPECT_NEAR(slow.ttft_seconds.mean - base.ttft_seconds.mean, 0.002, 1e-9);
  EXPECT_EQ(slow.iterations, base.iterations);
  EXPECT_NEAR(slow.seconds_busy_per_replica, base.seconds_busy_per_replica, 1e-9);
  rig().expect_refused(o, [](ServingOptions& x, double v) { x.engine.seconds_step_overhead = v; },
                       {-0.001, 2.0, std::nan("")}, "--step-overhead: expected seconds from 0 to 1 per iteration");
}

// Host time per emitted token: four identical requests queued together run in lockstep, so
// every iteration (their joint prefill, then each decode step) emits four tokens and takes
// four overheads more; the GPU's busy time does not change.
TEST(ServingSimulator, TokenOverheadChargesEveryTokenAnIterationEmits) {
  ServingOptions o = rig().options(256, 32);
  o.load.kind = LoadKind::kAllAtOnce;
  o.load.requests = 4;
  ServingResult base = rig().run(o);
  o.engine.seconds_token_overhead = 50e-6;
  ServingResult slow = rig().run(o);
  EXPECT_NEAR(slow.itl_seconds.mean - base.itl_seconds.mean, 4 * 50e-6, 1e-9);
  EXPECT_NEAR(slow.ttft_seconds.mean - base.ttft_seconds.mean, 4 * 50e-6, 1e-9);
  EXPECT_EQ(slow.iterations, base.iterations);
  EXPECT_NEAR(slow.seconds_busy_per_replica, base.seconds_busy_per_replica, 1e-9);
  rig().expect_refused(o, [](ServingOptions& x, double v) { x.engine.seconds_token_overhead = v; },
                       {-1e-6, 0.02, std::nan("")}, "--token-overhead: expected seconds from 0 to 0.01 per token");
}

// TensorRT-LLM sizes its KV cache as a share of the memory left after the weights and the
// working set; vLLM as a share of the whole device that everything must fit in. The same
// 1.0 is the same cache, half of the free memory is half of it, and 0.9 of the free memory
// is more than 0.9 of the device minus the weights.
TEST(ServingSimulator, KvFreeFractionSharesTheMemoryTheWeightsLeave) {
  ServingOptions o = rig().options(256, 16);
  o.load.kind = LoadKind::kAllAtOnce;
  o.load.requests = 2;
  o.engine.memory_fraction = 1.0;
  const int64_t whole = rig().run(o).kv_blocks;
  o.engine.kv_free_fraction = 1.0;
  EXPECT_NEAR(static_cast<double>(rig().run(o).kv_blocks), static_cast<double>(whole), 1.0);
  o.engine.kv_free_fraction = 0.5;
  EXPECT_NEAR(static_cast<double>(rig().run(o).kv_blocks), 0.5 * static_cast<double>(whole), 1.0);
  o.engine.kv_free_fraction = 0.9;
  const int64_t trtllm = rig().run(o).kv_blocks;
  o.engine.kv_free_fraction = 0;
  o.engine.memory_fraction = 0.9;
  EXPECT_GT(trtllm, rig().run(o).kv_blocks);
  rig().expect_refused(o, [](ServingOptions& x, double v) { x.engine.kv_free_fraction = v; }, {-0.1, 1.5, std::nan("")},
                       "--kv-free-fraction: expected a fraction above 0 and at most 1");
}

// A warm-up leaves the first requests out of every statistic but runs them: the measured
// requests see the same engine state as without it, and in a closed loop the start-up burst
// (every client's first prompt at t = 0) no longer sets the mean time to first token.
TEST(ServingSimulator, WarmupLeavesTheStartOutOfTheStatistics) {
  ServingOptions o = rig().options(2048, 64);
  o.load.kind = LoadKind::kClosedLoop;
  o.load.concurrency = 32;
  o.load.requests = 160;
  ServingResult all = rig().run(o);
  o.load.warmup = 32;
  ServingResult steady = rig().run(o);
  EXPECT_EQ(all.requests, 160);
  EXPECT_EQ(steady.requests, 128);
  EXPECT_EQ(steady.requests_warmup, 32);
  EXPECT_EQ(steady.iterations, all.iterations);  // the same run
  EXPECT_DOUBLE_EQ(steady.output_tokens, all.output_tokens);
  EXPECT_LT(steady.ttft_seconds.mean, all.ttft_seconds.mean);
  // Little's law still holds over every request run.
  EXPECT_NEAR(steady.littles_law_in_system, steady.littles_law_throughput_x_e2e,
              0.01 * steady.littles_law_in_system);
  o.load.warmup = 160;
  EXPECT_EQ(rig().refusal(o), "--warmup: expected fewer requests than the 160 run, got 160");
  o.load.warmup = -1;
  EXPECT_NE(rig().refusal(o).find("--warmup: expected 0 to"), std::string::npos);
}

// Chunked prefill of a 20,000-token prompt in 8,192-token iterations: each chunk attends to
// the earlier chunks' keys, so the three chunks cost what the whole prompt costs in one
// prefill (the same GEMMs and the same causal pairs; only the per-chunk kernel costs repeat).
TEST(ServingSimulator, ChunksOfALongPromptAttendToTheEarlierChunks) {
  ServingOptions o = rig().options(20000, 2);
  o.load.kind = LoadKind::kPoisson;
  o.load.rate = 0.01;
  o.load.requests = 1;
  ServingResult r = rig().run(o);
  const double whole = rig().predict_seconds(Phase::kPrefill, 1, 20000);
  EXPECT_NEAR(r.ttft_seconds.mean, whole, 0.03 * whole);
}

// The three ways a prompt meets the decodes, on one decoding request A and a 2,000-token
// prompt B that arrives while A decodes, with a 1,024-token budget: chunked prefill splits B
// over two iterations beside A's decodes; whole prompts (TensorRT-LLM without chunked
// context) give B one iteration beside A's decode (B is longer than the whole budget, so it
// is that iteration's only prompt); prefill-first gives B an iteration of its own, A's decode
// waiting, so the run takes one iteration more.
TEST(ServingSimulator, PrefillPoliciesShareIterationsAsTheirEnginesDo) {
  ServingOptions o = rig().options(0, 0);
  o.load.kind = LoadKind::kTrace;
  o.load.trace = {{0.0, 64, 40}, {0.05, 2000, 1}};
  o.load.warmup = 1;  // the statistics are B's
  o.engine.max_batched_tokens = 1024;
  o.engine.prefill = PrefillPolicy::kChunked;
  ServingResult chunked = rig().run(o);
  o.engine.prefill = PrefillPolicy::kWhole;
  ServingResult whole = rig().run(o);
  o.engine.prefill = PrefillPolicy::kFirst;
  ServingResult first = rig().run(o);
  EXPECT_EQ(chunked.iterations, whole.iterations);
  EXPECT_EQ(first.iterations, whole.iterations + 1);
  // B's first token: one prefill of 2,000 tokens when whole; two chunk iterations (each with
  // its own per-iteration costs and A's decode) when chunked.
  const double prefill = rig().predict_seconds(Phase::kPrefill, 1, 2000);
  EXPECT_GT(whole.ttft_seconds.mean, prefill);
  EXPECT_LT(whole.ttft_seconds.mean, chunked.ttft_seconds.mean);
}

// Whole prompts are admitted in arrival order: with two decodes running and a 1,024-token
// budget, a 1,023-token prompt does not fit beside them and waits, and a 10-token prompt
// behind it waits too (head-of-line), where chunked prefill starts both at once.
TEST(ServingSimulator, AWholePromptThatDoesNotFitHoldsTheQueue) {
  ServingOptions o = rig().options(0, 0);
  o.load.kind = LoadKind::kTrace;
  o.load.trace = {{0.0, 32, 30}, {0.0, 32, 30}, {0.05, 1023, 1}, {0.05, 10, 1}};
  o.load.warmup = 3;  // the statistics are the 10-token prompt's
  o.engine.max_batched_tokens = 1024;
  o.engine.prefill = PrefillPolicy::kWhole;
  ServingResult whole = rig().run(o);
  o.engine.prefill = PrefillPolicy::kChunked;
  ServingResult chunked = rig().run(o);
  // Chunked: the short prompt's first token comes within two iterations of its arrival;
  // whole: only once the two decoding requests (about 30 steps) have finished.
  const double step = rig().predict_seconds(Phase::kDecode, 2, 64);
  EXPECT_LT(chunked.ttft_seconds.mean, 0.05);
  EXPECT_GT(whole.ttft_seconds.mean, 10 * step);
}

TEST(ServingSimulator, ClosedLoopKeepsConcurrencyRunning) {
  ServingOptions o = rig().options(512, 256);
  o.load.kind = LoadKind::kClosedLoop;
  o.load.concurrency = 16;
  o.load.requests = 320;
  ServingResult r = rig().run(o);
  EXPECT_EQ(r.requests, 320);
  EXPECT_NEAR(r.mean_running, 16, 1.5);
}

// A closed loop of equal requests stays in step when the engine admits its whole burst at
// once: eight clients' 4,000-token prompts prefilled in one 32,768-token iteration finish
// together and come back together, so every measured first token waits for all eight
// prompts; with room for one prompt per iteration the first burst is spread out, the clients
// drift apart and each prompt meets an idle engine (validation: the older NIM's TTFT).
TEST(ServingSimulator, ClosedLoopCohortStaysInStepWhenOneIterationHoldsIt) {
  ServingOptions o = rig().options(4000, 64);
  o.load.kind = LoadKind::kClosedLoop;
  o.load.concurrency = 8;
  o.load.requests = 40;
  o.load.warmup = 8;
  o.engine.prefill = PrefillPolicy::kWhole;
  const double one = rig().predict_seconds(Phase::kPrefill, 1, 4000);
  o.engine.max_batched_tokens = 32768;
  ServingResult cohort = rig().run(o);
  EXPECT_GT(cohort.ttft_seconds.mean, 6 * one);
  EXPECT_NEAR(cohort.ttft_seconds.p50, cohort.ttft_seconds.p99, 0.05 * cohort.ttft_seconds.p50);
  o.engine.max_batched_tokens = 4096;
  ServingResult apart = rig().run(o);
  EXPECT_LT(apart.ttft_seconds.mean, 1.5 * one);
}

TEST(ServingSimulator, RefusesARateOfZeroAndNegativeLengths) {
  ServingOptions o = rig().options(512, 64);
  o.load.rate = 0;
  o.load.requests = 10;
  auto r = simulate_serving(rig().spec, o, *rig().hw, rig().prefill, rig().decode);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "--rate: expected requests per second above 0 (or inf), got 0");
  auto d = parse_length_distribution("-5", "--prompt");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "--prompt: expected N, uniform:LO:HI or exp:MEAN (N from 1 to 16777216), got '-5'");
}

// Found by fuzz_serving_input (tests/fuzz/corpus/serving_input/crash-length-newline): the
// error echoed the text as it was, so a newline in it split the one-line diagnostic.
TEST(ServingSimulator, ALengthErrorIsOneLineWhateverTheText) {
  auto d = parse_length_distribution("uf0n\n24", "--prompt");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message,
            "--prompt: expected N, uniform:LO:HI or exp:MEAN (N from 1 to 16777216), got 'uf0n\\n24'");
  auto load = parse_load_curve("time_s,rps\n0,1\n\"1\n2\",3\n", "day.csv");
  ASSERT_FALSE(load.ok());
  EXPECT_EQ(load.error().message.find('\n'), std::string::npos) << load.error().message;
}

TEST(ServingTrace, ReadsCsvAndJsonlSortedByArrival) {
  auto csv = parse_serving_trace("arrival_s,prompt,output\n1.5,100,10\n0.5,200,20\n", "t.csv");
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  ASSERT_EQ(csv->size(), 2u);
  EXPECT_EQ((*csv)[0].prompt, 200);
  auto jl = parse_serving_trace("{\"arrival_s\": 0, \"prompt\": 5, \"output\": 7}\n\n{\"arrival_s\": 2, \"prompt\": 6, \"output\": 8}\n",
                                "t.jsonl");
  ASSERT_TRUE(jl.ok()) << jl.error().message;
  EXPECT_EQ((*jl)[1].output, 8);
}

TEST(ServingTrace, NamesTheRowAndFieldOfABadValue) {
  auto neg = parse_serving_trace("arrival_s,prompt,output\n0,100,10\n1,-3,10\n", "t.csv");
  ASSERT_FALSE(neg.ok());
  EXPECT_EQ(neg.error().message, "t.csv:3: prompt: expected an integer from 1 to 16777216, got '-3'");
  auto time = parse_serving_trace("arrival_s,prompt,output\nnan,100,10\n", "t.csv");
  ASSERT_FALSE(time.ok());
  EXPECT_EQ(time.error().message, "t.csv:2: arrival_s: expected seconds from 0 to 1e+09, got 'nan'");
  auto jl = parse_serving_trace("{\"arrival_s\": 0, \"prompt\": 5, \"output\": 7}\n{\"arrival_s\": 1, \"prompt\": 5}\n",
                                "t.jsonl");
  ASSERT_FALSE(jl.ok());
  EXPECT_EQ(jl.error().message, "t.jsonl:2: output: missing");
  auto header = parse_serving_trace("time,prompt,output\n0,1,1\n", "t.csv");
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.error().message, "t.csv: header: expected columns arrival_s, prompt, output");
}

// One case per defect: each fails cleanly with a message naming the row and the field.
TEST(ServingTrace, RefusesEveryKindOfBadRow) {
  struct Case {
    const char* name;
    std::string text;
    const char* error;
  };
  const std::string h = "arrival_s,prompt,output\n";
  const std::vector<Case> cases = {
      {"fractional length", h + "0,1.5,10\n", "t:2: prompt: expected an integer from 1 to 16777216, got '1.5'"},
      {"zero output", h + "0,10,0\n", "t:2: output: expected an integer from 1 to 16777216, got '0'"},
      {"length past the limit", h + "0,16777217,1\n", "t:2: prompt: expected an integer from 1 to 16777216, got '16777217'"},
      {"negative arrival", h + "-1,10,10\n", "t:2: arrival_s: expected seconds from 0 to 1e+09, got '-1'"},
      {"arrival past the limit", h + "1e10,10,10\n", "t:2: arrival_s: expected seconds from 0 to 1e+09, got '1e10'"},
      {"empty field", h + "0,,10\n", "t:2: prompt: expected an integer from 1 to 16777216, got ''"},
      {"missing field", h + "0,10\n", "t:2: expected 3 fields (as in the header), got 2"},
      {"header only", h, "t: expected at least one request, got none"},
      {"empty file", "", "t: empty file: expected a header row"},
      {"json not an object", "{\"arrival_s\": 0, \"prompt\": 1, \"output\": 1}\n[1, 2, 3]\n",
       "t:2: expected a JSON object with arrival_s, prompt, output"},
      {"json string value", "{\"arrival_s\": 0, \"prompt\": \"5\", \"output\": 1}\n", "t:1: prompt: expected a number, got \"5\""},
      {"json malformed", "{\"arrival_s\": 0, \"prompt\": 5,\n", "t:1: expected a JSON object with arrival_s, prompt, output"},
  };
  for (const Case& c : cases) {
    auto r = parse_serving_trace(c.text, "t");
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().message, c.error) << c.name;
  }
}

TEST(ServingTrace, CapsTheRowsAtTheDocumentedLimit) {
  std::string text = "arrival_s,prompt,output\n";
  for (int64_t i = 0; i <= kServingMaxTraceRows; ++i) text += "0,1,1\n";
  auto r = parse_serving_trace(text, "t");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expected at most 100000 rows"), std::string::npos) << r.error().message;
}

TEST(ServingCapacity, MaxRateMeetsTheTargetsAndAFasterRateDoesNot) {
  CapacityOptions c;
  c.serving = rig().options(1024, 128);
  c.seconds_slo_ttft_p95 = 0.5;
  c.seconds_slo_itl_p95 = 0.03;
  c.requests = 300;
  c.max_running_choices = {256};
  auto cap = find_capacity(rig().spec, c, *rig().hw, rig().prefill, rig().decode);
  ASSERT_TRUE(cap.ok()) << cap.error().message;
  ASSERT_TRUE(cap->met);
  EXPECT_LE(cap->at_max.ttft_seconds.p95, 0.5);
  EXPECT_LE(cap->at_max.itl_seconds.p95, 0.03);
  EXPECT_LE(cap->max_rate_per_replica, cap->saturation_rate);  // never above what it can serve
  EXPECT_GT(cap->max_rate_per_replica, 0.3 * cap->saturation_rate);
  c.seconds_slo_itl_p95 = 1e-4;  // faster than one decode step: nothing meets it
  auto none = find_capacity(rig().spec, c, *rig().hw, rig().prefill, rig().decode);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->met);
}

}  // namespace
}  // namespace flopscope
