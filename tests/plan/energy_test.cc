// Energy of predicted work (plan/energy.h) through run_job and compress: the busy fraction
// comes from the engine, the power model from data/hardware/power.toml.
#include "flopscope/plan/energy.h"

#include <gtest/gtest.h>

#include "flopscope/model/load.h"
#include "flopscope/plan/compression.h"
#include "flopscope/plan/job.h"
#include "flopscope/plan/serving.h"

namespace flopscope {
namespace {

const TransformerSpec& llama8b() {
  static const TransformerSpec spec = *load_model("llama-3.1-8b");
  return spec;
}

Job serving(int64_t requests) {
  Job j;
  j.mode = JobMode::kInfer;
  j.requests = requests;
  j.batch = 16;
  j.prompt = 512;
  j.output = 128;
  return j;
}

Environment on(const char* hardware, int64_t devices = 1, double pue = 0) {
  Environment e = *catalog_environment(hardware);
  e.devices = devices;
  e.pue = pue;
  return e;
}

TEST(BusyFraction, PrefillIsMostlyBusyAndDecodeAtBatchOneLessSo) {
  const Hardware& hw = **HardwareCatalog::builtin().find("h100-sxm");
  Workload w;
  w.phase = Phase::kPrefill;
  w.batch = 8;
  w.seq = 2048;
  TimingEngine eager(hw, nullptr, default_software(Phase::kPrefill));
  auto p = predict(llama8b(), w, hw, eager);
  ASSERT_TRUE(p.ok());
  EXPECT_GT(busy_fraction(*p), 0.9);
  EXPECT_LE(busy_fraction(*p), 1.0);
  EXPECT_NEAR(seconds_busy(*p),
              p->timing.seconds_by_bound[static_cast<size_t>(Bound::kCompute)] +
                  p->timing.seconds_by_bound[static_cast<size_t>(Bound::kMemory)],
              1e-15);
}

TEST(EstimateEnergy, IdleFloorAndFullLoad) {
  const Hardware& hw = **HardwareCatalog::builtin().find("h100-sxm");
  const PowerModel m = PowerCatalog::builtin().model_of(hw);
  const Pue pue{1.0, "given"};
  EnergyEstimate idle = estimate_energy(m, pue, 1, 100, 0);
  EXPECT_DOUBLE_EQ(idle.utilization, 0);
  EXPECT_DOUBLE_EQ(*idle.joules, 142.5 * 100);  // nothing to do still costs idle power
  EnergyEstimate full = estimate_energy(m, pue, 1, 100, 100);
  EXPECT_DOUBLE_EQ(*full.joules, 700 * 100);
  EnergyEstimate over = estimate_energy(m, pue, 1, 100, 250);  // busy clamps to the wall time
  EXPECT_DOUBLE_EQ(over.utilization, 1);
  EXPECT_DOUBLE_EQ(*full.joules_per(1000), 70);
  EXPECT_DOUBLE_EQ(*full.kwh_per_million(1000), 70 * 1e6 / 3.6e6);
}

TEST(RunJob, JoulesAreDevicesTimesPowerAtUtilizationTimesTimeTimesPue) {
  JobRun r = *run_job(llama8b(), serving(64), on("h100-sxm"));
  ASSERT_TRUE(r.has_power());
  EXPECT_EQ(r.energy.knowledge, PowerKnowledge::kIdleToBoard);
  EXPECT_GT(r.energy.utilization, 0.3);
  EXPECT_LE(r.energy.utilization, 1.0);
  EXPECT_GT(r.watts, 142.5);
  EXPECT_LT(r.watts, 700);
  EXPECT_DOUBLE_EQ(r.energy.pue, 1.58);  // the default: Uptime Institute 2023
  EXPECT_NEAR(r.joules, 1 * (142.5 + 557.5 * r.energy.utilization) * r.seconds * 1.58, 1e-9 * r.joules);
}

TEST(RunJob, PueMultipliesEnergy) {
  JobRun a = *run_job(llama8b(), serving(64), on("h100-sxm", 1, 1.0));
  JobRun b = *run_job(llama8b(), serving(64), on("h100-sxm", 1, 2.0));
  EXPECT_NEAR(b.joules / a.joules, 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(a.seconds, b.seconds);
}

TEST(RunJob, EnergyScalesWithWorkAndDevices) {
  // Twice the requests on one device: twice the time, twice the energy.
  JobRun one = *run_job(llama8b(), serving(64), on("h100-sxm"));
  JobRun two = *run_job(llama8b(), serving(128), on("h100-sxm"));
  EXPECT_NEAR(two.seconds / one.seconds, 2, 1e-9);
  EXPECT_NEAR(two.joules / one.joules, 2, 1e-9);
  // The same requests over 4 replicas: a quarter of the time on four times the devices,
  // the same energy (every replica is as busy).
  JobRun four = *run_job(llama8b(), serving(64), on("h100-sxm", 4));
  EXPECT_NEAR(four.seconds / one.seconds, 0.25, 1e-9);
  EXPECT_NEAR(four.joules / one.joules, 1, 1e-9);
}

TEST(RunJob, HardwareWithoutBoardPowerHasNoEnergyRatherThanZero) {
  auto r = run_job(llama8b(), serving(16), on("tpu-v5e"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_power());
  EXPECT_FALSE(r->energy.joules.has_value());
  EXPECT_EQ(r->energy.knowledge, PowerKnowledge::kUnknown);
  nlohmann::json j = energy_json(r->energy, 1000);
  EXPECT_TRUE(j["joules"].is_null());
  EXPECT_TRUE(j["joules_per_token"].is_null());
  EXPECT_EQ(j["power_model"], "not known (no board power in the catalog)");
}

TEST(RunJob, BoardOnlyDeviceIsAnUpperBoundAtBoardPower) {
  JobRun r = *run_job(llama8b(), serving(16), on("a100-sxm-80gb", 1, 1.0));
  EXPECT_EQ(r.energy.knowledge, PowerKnowledge::kBoardOnly);
  EXPECT_NEAR(r.joules, 400 * r.seconds, 1e-9 * r.joules);
}

TEST(Compress, JoulesPerTokenComeFromThePowerModel) {
  CompressionRequest rq;
  rq.spec = llama8b();
  rq.model = "llama-3.1-8b";
  rq.hardware = *HardwareCatalog::builtin().find("h100-sxm");
  rq.schemes = {"bf16", "w8a8-fp8"};
  rq.pue = 1.0;
  auto c = compare_compression(rq);
  ASSERT_TRUE(c.ok()) << c.error().message;
  for (const SchemeResult& s : c->schemes) {
    ASSERT_TRUE(s.joules_per_token.has_value()) << s.name;
    const double tokens = static_cast<double>(rq.batch * rq.output);
    EXPECT_NEAR(*s.joules_per_token, (142.5 + 557.5 * s.utilization) * s.seconds_request / tokens,
                1e-9 * *s.joules_per_token);
    EXPECT_LT(*s.joules_per_token, 700 * s.seconds_request / tokens);  // below the TDP bound
    EXPECT_NEAR(*s.kwh_per_million_tokens, *s.joules_per_token / 3.6, 1e-9 * *s.kwh_per_million_tokens);
  }
  // fp8 weights: less time per token, so less energy per token.
  EXPECT_LT(*c->schemes[1].joules_per_token, *c->schemes[0].joules_per_token);
  rq.pue = 0.5;
  EXPECT_EQ(compare_compression(rq).error().message, "--pue: expected a number in [1, 10], got 0.5");
}

// The serving simulator: replicas provisioned over the span, busy for their iterations.
struct Sim {
  const Hardware* hw = *HardwareCatalog::builtin().find("h100-sxm");
  TimingEngine prefill{*hw, nullptr, default_software(Phase::kPrefill)};
  TimingEngine decode{*hw, nullptr, default_software(Phase::kDecode)};
  ServingResult run(double rate, int64_t replicas, double pue) const {
    ServingOptions o;
    o.workload.modules = Modules::kFused;
    o.load.prompt.value = 256;
    o.load.output.value = 32;
    o.load.kind = LoadKind::kPoisson;
    o.load.rate = rate;
    o.load.requests = 200;
    o.replicas = replicas;
    o.pue = pue;
    auto r = simulate_serving(llama8b(), o, *hw, prefill, decode);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : ServingResult{};
  }
};

TEST(ServingEnergy, JoulesAreReplicasOverTheSpanAtPowerOfTheirBusyFraction) {
  const ServingResult r = Sim().run(4, 2, 1.0);
  ASSERT_TRUE(r.energy.known());
  const double u = r.seconds_busy_per_replica / r.seconds_simulated;
  EXPECT_NEAR(r.energy.utilization, u, 1e-12);
  EXPECT_NEAR(*r.energy.joules, 2 * (142.5 + 557.5 * u) * r.seconds_simulated, 1e-9 * *r.energy.joules);
  EXPECT_NEAR(*r.energy.joules_per(r.output_tokens), *r.energy.joules / (200.0 * 32), 1e-12);
}

TEST(ServingEnergy, LightLoadPaysTheIdleFloorPerToken) {
  const Sim sim;
  const ServingResult light = sim.run(0.5, 1, 1.0);
  const ServingResult heavy = sim.run(20, 1, 1.0);
  EXPECT_LT(light.energy.utilization, heavy.energy.utilization);
  // The same tokens take longer under light load, mostly at idle power: more energy per token.
  EXPECT_GT(*light.energy.joules_per(light.output_tokens), 2 * *heavy.energy.joules_per(heavy.output_tokens));
  EXPECT_GE(light.energy.watts, 142.5);
}

TEST(ServingEnergy, PueMultipliesAndBadPueIsRefused) {
  const Sim sim;
  EXPECT_NEAR(*sim.run(4, 1, 1.5).energy.joules / *sim.run(4, 1, 1.0).energy.joules, 1.5, 1e-12);
  ServingOptions o;
  o.load.prompt.value = 16;
  o.load.output.value = 4;
  o.load.rate = 1;
  o.pue = 0.9;
  auto r = simulate_serving(llama8b(), o, *sim.hw, sim.prefill, sim.decode);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "--pue: expected a number in [1, 10], got 0.9");
}

}  // namespace
}  // namespace flopscope
