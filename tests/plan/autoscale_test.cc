// Autoscaling over a load curve (plan/autoscale.h): the policies' behaviour on steps,
// oscillations and a diurnal day, the bookkeeping (GPU-hours is the integral of billed
// replicas; every request is served, dropped or still queued), the end-to-end path from the
// capacity search, and the load-curve parser's refusals with their exact messages.
#include "flopscope/plan/autoscale.h"

#include <gtest/gtest.h>

#include <cmath>

#include "flopscope/hw/power.h"
#include "flopscope/model/load.h"
#include "flopscope/perf/predict.h"

namespace flopscope {
namespace {

// A replica that serves 5 requests/s within the targets, p95 TTFT 0.2 s at that rate,
// 10 requests in flight there, 2 devices at $3 per device-hour, 120 s cold start.
ReplicaModel replica() {
  ReplicaModel m;
  m.rps_capacity = 5;
  m.seconds_ttft_p95_at_capacity = 0.2;
  m.requests_in_flight_at_capacity = 10;
  m.devices = 2;
  m.usd_per_device_hour = 3;
  m.seconds_cold_start = 120;
  return m;
}

AutoscaleKnobs knobs() {
  AutoscaleKnobs k;
  k.seconds_slo_ttft = 1;
  return k;
}

PolicyResult run(const std::vector<LoadPoint>& load, AutoscalePolicy p, const AutoscaleKnobs& k = knobs(),
                 const ReplicaModel& m = replica()) {
  auto r = simulate_autoscale(load, m, k, p);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : PolicyResult{};
}

// 24 hours at 5-minute rows: 3 req/s at night to 30 at the afternoon peak.
std::vector<LoadPoint> diurnal_day() {
  std::vector<LoadPoint> load;
  for (int i = 0; i < 288; ++i) {
    const double t = i * 300.0;
    load.push_back({t, 3 + 27 * 0.5 * (1 - std::cos(2 * M_PI * t / 86400))});
  }
  return load;
}

const AutoscaleStep& at(const PolicyResult& r, double seconds) {
  for (const auto& s : r.timeline) {
    if (s.seconds >= seconds - 1e-9) return s;
  }
  return r.timeline.back();
}

TEST(Autoscale, StaticPeakNeverDropsOrLateButCostsMost) {
  const auto day = diurnal_day();
  const PolicyResult peak = run(day, AutoscalePolicy::kStaticPeak);
  EXPECT_EQ(peak.replicas_peak, 6);  // ceil(30 / 5)
  EXPECT_DOUBLE_EQ(peak.requests_dropped, 0);
  EXPECT_DOUBLE_EQ(peak.requests_late, 0);
  EXPECT_NEAR(peak.gpu_hours, 6 * 2 * 24, 1e-6);
  for (AutoscalePolicy p : {AutoscalePolicy::kTargetUtilization, AutoscalePolicy::kQueueDepth, AutoscalePolicy::kSchedule}) {
    const PolicyResult r = run(day, p);
    EXPECT_LT(r.gpu_hours, peak.gpu_hours) << policy_name(p);
    EXPECT_LT(r.usd, peak.usd) << policy_name(p);
  }
}

TEST(Autoscale, TargetUtilizationTracksAStepAfterTheColdStart) {
  // 2 req/s for an hour, then 20 req/s for an hour.
  const std::vector<LoadPoint> load = {{0, 2}, {3600, 20}, {7200, 20}};
  const PolicyResult r = run(load, AutoscalePolicy::kTargetUtilization);
  EXPECT_EQ(at(r, 3000).replicas_ready, 1);  // ceil(2 / (0.7 x 5))
  // The step is seen at 3600, replicas are asked for at once and serve 120 s later.
  EXPECT_EQ(at(r, 3650).replicas_ready, 1);
  EXPECT_GE(at(r, 3650).replicas_starting, 5);
  EXPECT_GE(at(r, 3600 + 10 + 120).replicas_ready, 6);  // ceil(20 / 3.5)
  EXPECT_GT(at(r, 3700).queue, 100);                   // the backlog of the cold start ...
  EXPECT_NEAR(at(r, 5400).queue, 0, 1e-6);             // ... is drained
  EXPECT_GT(r.requests_late, 0);
  // It holds ceil(20 / 3.5) = 6: the backlog drains through the 30 % headroom.
  EXPECT_EQ(at(r, 7100).replicas_ready, 6);
  EXPECT_EQ(at(r, 7100).replicas_starting, 0);
}

TEST(Autoscale, CooldownPreventsFlapping) {
  // 60 s at 12 req/s, 60 s at 2 req/s, for two hours; a 10 s cold start.
  std::vector<LoadPoint> load;
  for (int i = 0; i < 120; ++i) load.push_back({i * 60.0, i % 2 == 0 ? 12.0 : 2.0});
  ReplicaModel m = replica();
  m.seconds_cold_start = 10;
  AutoscaleKnobs k = knobs();
  k.seconds_cooldown = 300;
  const PolicyResult calm = run(load, AutoscalePolicy::kTargetUtilization, k, m);
  k.seconds_cooldown = 0;
  const PolicyResult flappy = run(load, AutoscalePolicy::kTargetUtilization, k, m);
  EXPECT_LE(calm.scale_downs, 1);
  EXPECT_GE(flappy.scale_downs, 50);  // once per dip
  EXPECT_LE(calm.requests_late, flappy.requests_late);
}

TEST(Autoscale, GpuHoursIsTheIntegralOfBilledReplicas) {
  const auto day = diurnal_day();
  for (int i = 0; i < kAutoscalePolicyCount; ++i) {
    const PolicyResult r = run(day, static_cast<AutoscalePolicy>(i));
    double replica_seconds = 0;
    for (const auto& s : r.timeline) replica_seconds += static_cast<double>(s.replicas_ready + s.replicas_starting) * 10;
    EXPECT_NEAR(r.gpu_hours, replica_seconds * 2 / 3600, 1e-9) << policy_name(r.policy);
    EXPECT_NEAR(r.usd, r.gpu_hours * 3, 1e-9);
    EXPECT_NEAR(r.replicas_mean, replica_seconds / 86400, 1e-9);
    // Every request is served, dropped, or still queued at the end (counted late).
    EXPECT_NEAR(r.requests_total, r.requests_served + r.requests_dropped + r.timeline.back().queue, 1e-6 * r.requests_total);
  }
}

TEST(Autoscale, RequestsPastTheQueueLimitAreDropped) {
  const std::vector<LoadPoint> load = {{0, 20}, {600, 20}};  // 20 min
  AutoscaleKnobs k = knobs();
  k.max_replicas = 1;
  k.max_queue = 100;
  const PolicyResult r = run(load, AutoscalePolicy::kTargetUtilization, k);
  EXPECT_NEAR(r.requests_total, 20 * 1200, 1e-6);
  EXPECT_NEAR(r.requests_served, 5 * 1200, 1);          // one replica at capacity
  EXPECT_NEAR(r.requests_dropped, 15 * 1200 - 100, 1);  // all but what the queue holds
  EXPECT_NEAR(r.timeline.back().queue, 100, 1e-6);
}

TEST(Autoscale, ScheduleFollowsItsEntriesAndDefaultsToHourlyPeaks) {
  const std::vector<LoadPoint> load = {{0, 2}, {3600, 20}, {7200, 2}, {10800, 2}};
  AutoscaleKnobs k = knobs();
  k.schedule = {{0, 1}, {1800, 4}};
  const PolicyResult given = run(load, AutoscalePolicy::kSchedule, k);
  EXPECT_EQ(at(given, 1000).replicas_ready, 1);
  EXPECT_EQ(at(given, 1800 + 10 + 120).replicas_ready, 4);
  // The default: each hour's peak, asked for one cold start (120 s) before the hour.
  const PolicyResult hourly = run(load, AutoscalePolicy::kSchedule);
  EXPECT_EQ(at(hourly, 3600).replicas_ready, 4);  // ready when the step arrives
  EXPECT_DOUBLE_EQ(hourly.requests_late, 0);
  EXPECT_EQ(at(hourly, 7200 + 60).replicas_ready + at(hourly, 7200 + 60).replicas_starting, 1);
}

// The whole path: the capacity search on Llama-3.1-8B / H100 gives the replica.
TEST(Autoscale, FlatLoadUnderOneReplicasCapacityNeedsOneReplica) {
  auto spec = load_model("llama-3.1-8b");
  ASSERT_TRUE(spec.ok());
  const Hardware* hw = *HardwareCatalog::builtin().find("h100-sxm");
  TimingEngine prefill(*hw, nullptr, default_software(Phase::kPrefill));
  TimingEngine decode(*hw, nullptr, default_software(Phase::kDecode));
  AutoscaleOptions o;
  o.capacity.serving.workload.modules = Modules::kFused;
  o.capacity.serving.load.prompt.value = 512;
  o.capacity.serving.load.output.value = 64;
  o.capacity.seconds_slo_ttft_p95 = 0.5;
  o.capacity.seconds_slo_itl_p95 = 0.03;
  o.capacity.requests = 200;
  o.capacity.max_running_choices = {256};
  o.load = {{0, 0.5}, {1800, 0.5}, {3600, 0.5}};
  o.policies = {AutoscalePolicy::kStaticPeak, AutoscalePolicy::kTargetUtilization, AutoscalePolicy::kQueueDepth,
                AutoscalePolicy::kSchedule};
  auto cold = cold_start_defaults("disk");
  ASSERT_TRUE(cold.ok()) << cold.error().message;
  o.cold_start = *cold;
  auto r = run_autoscale(*spec, o, *hw, prefill, decode);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GT(r->replica.rps_capacity, 0.5);
  // 8.03 G parameters in bf16 read at 1,000 MiB/s, plus the image and the engine start.
  EXPECT_NEAR(r->cold_start.bytes_weights, 2 * 8.03e9, 0.02e9);
  EXPECT_NEAR(r->replica.seconds_cold_start, 10e9 / 2e8 + r->cold_start.bytes_weights / 1048576000 + 60, 1e-6);
  ASSERT_EQ(r->policies.size(), 4u);
  for (const PolicyResult& p : r->policies) {
    EXPECT_EQ(p.replicas_peak, 1) << policy_name(p.policy);
    EXPECT_DOUBLE_EQ(p.requests_dropped, 0);
    EXPECT_DOUBLE_EQ(p.requests_late, 0);
    EXPECT_NEAR(p.gpu_hours, 1.5, 1e-9);  // 1.5 h of load (the last row holds 30 min)
  }
  // Energy: one replica billed 1.5 h, busy u_mu x 0.5 / mu of it; the power model's line.
  const double u_mu = r->replica.busy_fraction_at_capacity;
  EXPECT_GT(u_mu, 0);
  EXPECT_LE(u_mu, 1);
  const PowerModel power = PowerCatalog::builtin().model_of(*hw);
  ASSERT_TRUE(power.known());
  const double pue = PowerCatalog::builtin().default_pue().value;
  const double busy = 0.5 * 5400 / r->replica.rps_capacity * u_mu;
  const double joules = (power.watts_idle * 5400 + (power.watts_board - power.watts_idle) * busy) * pue;
  for (const PolicyResult& p : r->policies) {
    EXPECT_NEAR(p.replica_seconds_busy, busy, 1e-6 * busy) << policy_name(p.policy);
    ASSERT_TRUE(p.energy.known());
    EXPECT_NEAR(*p.energy.joules, joules, 1e-6 * joules) << policy_name(p.policy);
  }
}

// More replicas for the same requests: the same busy time, more idle time, more energy.
TEST(Autoscale, IdleReplicasCostEnergyAtIdlePower) {
  ReplicaModel m = replica();
  m.busy_fraction_at_capacity = 0.8;
  AutoscaleKnobs k = knobs();
  k.min_replicas = 1;
  PolicyResult lean = run({{0, 4}, {3600, 4}}, AutoscalePolicy::kStaticPeak, k, m);
  k.min_replicas = 3;
  PolicyResult wide = run({{0, 4}, {3600, 4}}, AutoscalePolicy::kStaticPeak, k, m);
  EXPECT_NEAR(lean.replica_seconds_busy, wide.replica_seconds_busy, 1e-9);
  EXPECT_NEAR(lean.replica_seconds_busy, 4 * 7200 / 5.0 * 0.8, 1e-6);
  EXPECT_NEAR(wide.replica_seconds_billed, 3 * lean.replica_seconds_billed, 1e-9);
}

TEST(LoadCurve, ParsesRowsAndHoldsEachRateToTheNext) {
  auto load = parse_load_curve("time_s,rps\n0,1\n# night\n600,2.5\n\n1200,0\n", "day.csv");
  ASSERT_TRUE(load.ok()) << load.error().message;
  ASSERT_EQ(load->size(), 3u);
  EXPECT_DOUBLE_EQ(load_rate_at(*load, 599), 1);
  EXPECT_DOUBLE_EQ(load_rate_at(*load, 600), 2.5);
  EXPECT_DOUBLE_EQ(load_end_seconds(*load), 1800);
  EXPECT_DOUBLE_EQ(load_rate_at(*load, 1800), 0);
}

TEST(LoadCurve, RefusesBadRowsNamingFileLineAndColumn) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"time_s,rps\n0,1\n60,-3\n", "day.csv:3: column 2 'rps': expected a rate from 0 to 1e+07 requests per second, got '-3'"},
      {"time_s,rps\n0,1\n60,abc\n", "day.csv:3: column 2 'rps': expected a rate from 0 to 1e+07 requests per second, got 'abc'"},
      {"time_s,rps\n0,1\n60,1e300\n", "day.csv:3: column 2 'rps': expected a rate from 0 to 1e+07 requests per second, got '1e300'"},
      {"time_s,rps\n0,1\n60,nan\n", "day.csv:3: column 2 'rps': expected a rate from 0 to 1e+07 requests per second, got 'nan'"},
      {"time_s,rps\n0,1\n60,2\n30,2\n", "day.csv:4: column 1 'time_s': expected a time after the previous row's 60, got '30'"},
      {"time_s,rps\n0,1\n0,2\n", "day.csv:3: column 1 'time_s': expected a time after the previous row's 0, got '0'"},
      {"time_s,rps\n-5,1\n0,2\n", "day.csv:2: column 1 'time_s': expected seconds from 0 to 1e+08, got '-5'"},
      {"time_s,rps\n0,1\n60\n", "day.csv:3: expected 2 fields (as in the header), got 1"},
      {"t,rate\n0,1\n60,2\n", "day.csv:1: expected a header with columns time_s,rps, got 't,rate'"},
      {"time_s,rps\n0,1\n", "day.csv: expected at least 2 rows (the last row's rate holds for the interval before it), got 1"},
  };
  for (const Case& c : cases) {
    auto r = parse_load_curve(c.text, "day.csv");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().message, c.error);
    EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  }
}

TEST(AutoscaleFlags, PoliciesAndSchedulesParseOrSaySo) {
  auto all = parse_policies("all");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);
  auto two = parse_policies("queue-depth,static-peak,queue-depth");
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0], AutoscalePolicy::kQueueDepth);
  auto typo = parse_policies("target-utilisation");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().message,
            "--policy: unknown policy 'target-utilisation', did you mean 'target-utilization'?");
  auto none = parse_policies("fastest");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message,
            "--policy: unknown policy 'fastest': expected static-peak, target-utilization, queue-depth, schedule or all");
  auto sched = parse_schedule("0:2,28800:6");
  ASSERT_TRUE(sched.ok());
  EXPECT_EQ((*sched)[1].replicas, 6);
  auto back = parse_schedule("100:2,50:3");
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().message, "--schedule: expected times in increasing order, got '50:3' after 100");
  EXPECT_FALSE(parse_schedule("0:2.5").ok());
  EXPECT_FALSE(parse_schedule("0:-1").ok());
}

TEST(AutoscaleFlags, KnobsOutOfRangeAreRefused) {
  const std::vector<LoadPoint> load = {{0, 1}, {60, 1}};
  AutoscaleKnobs k = knobs();
  k.seconds_step = 0;
  auto r = simulate_autoscale(load, replica(), k, AutoscalePolicy::kStaticPeak);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "--step: expected seconds from 0.001 to 86400, got 0");
  k = knobs();
  k.target_utilization = 1.5;
  r = simulate_autoscale(load, replica(), k, AutoscalePolicy::kTargetUtilization);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "--target-utilization: expected a fraction above 0 and at most 1, got 1.5");
  k = knobs();
  k.min_replicas = 5;
  k.max_replicas = 2;
  EXPECT_FALSE(simulate_autoscale(load, replica(), k, AutoscalePolicy::kStaticPeak).ok());
  // A day at a millisecond step is too many steps.
  k = knobs();
  k.seconds_step = 0.001;
  const std::vector<LoadPoint> day = {{0, 1}, {86400, 1}};
  EXPECT_FALSE(simulate_autoscale(day, replica(), k, AutoscalePolicy::kStaticPeak).ok());
}

}  // namespace
}  // namespace flopscope
