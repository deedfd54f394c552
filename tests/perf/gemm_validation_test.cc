// Predicted vs measured GEMM time on one H100 SXM (tests/data/h100-probe-sample.json, a
// copy of the probe sample behind validation/gemm/README.md). Two ways:
//  (a) catalog defaults only: data/hardware/efficiency.toml, no profile (the MAMF ceiling
//      is an independent published figure, so nothing is fitted to this sample);
//  (b) leave-one-out: a profile built from every OTHER sample predicts each one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "flopscope/perf/timing_engine.h"
#include "flopscope/util/statistics.h"
#include "perf_test_hardware.h"

namespace flopscope {
namespace {

std::vector<GemmSample> load_samples(CalibrationProfile* base) {
  std::ifstream in(std::string(FLOPSCOPE_TEST_DATA) + "/h100-probe-sample.json");
  EXPECT_TRUE(in.good());
  nlohmann::json j = nlohmann::json::parse(in);
  std::vector<GemmSample> out;
  for (const auto& g : j.at("gemm_square")) {
    GemmSample s;
    s.dtype = *parse_dtype(g.at("dtype").get<std::string>());
    s.m = g.at("M");
    s.n = g.at("N");
    s.k = g.at("K");
    s.seconds = g.at("ms").get<double>() * 1e-3;
    s.flops_per_second = 2.0 * s.m * s.n * s.k / s.seconds;
    out.push_back(s);
  }
  // Copy bandwidth of the largest buffer: what `flopscope probe` reports.
  double copy = 0;
  for (const auto& b : j.at("bandwidth")) copy = std::max(copy, b.at("copy_GBps_rw").get<double>() * 1e9);
  base->bytes_per_second_copy = copy;
  base->compute_units = j.at("env").at("sms");
  return out;
}

struct Errors {
  std::map<DType, std::vector<double>> by_dtype;
  std::vector<double> all;
};

Errors validate(bool leave_one_out) {
  CalibrationProfile base;
  std::vector<GemmSample> samples = load_samples(&base);
  Hardware hw = testing::h100_sxm();
  Efficiency eff = default_efficiency("h100-sxm");
  Errors e;
  for (size_t i = 0; i < samples.size(); ++i) {
    const GemmSample& s = samples[i];
    CalibrationProfile p = base;
    for (size_t j = 0; j < samples.size(); ++j) {
      if (j != i) p.gemm.push_back(samples[j]);
    }
    TimingEngine engine(hw, leave_one_out ? &p : nullptr, Software::kEager, eff);
    // do_bench times one kernel between CUDA events: what `predict gemm` prints as seconds
    // (GPU work, launch and the GEMM's fixed cost; the eager host cost is reported apart).
    OpTiming t = engine.time(make_gemm("sample", s.m, s.n, s.k, s.dtype));
    double predicted = t.seconds;
    double err = (predicted - s.seconds) / s.seconds;
    std::printf("%s %-5s %6lld  measured %10.2f us  predicted %10.2f us  error %+6.1f%%\n",
                leave_one_out ? "loo     " : "defaults", std::string(dtype_name(s.dtype)).c_str(),
                static_cast<long long>(s.m), s.seconds * 1e6, predicted * 1e6, err * 100);
    e.by_dtype[s.dtype].push_back(std::abs(err));
    e.all.push_back(std::abs(err));
  }
  for (const auto& [dt, v] : e.by_dtype) {
    std::printf("%s %-5s median |error| %5.1f%%  max %5.1f%%\n", leave_one_out ? "loo     " : "defaults",
                std::string(dtype_name(dt)).c_str(), median(v) * 100, *std::max_element(v.begin(), v.end()) * 100);
  }
  std::printf("%s all   median |error| %5.1f%%\n", leave_one_out ? "loo     " : "defaults", median(e.all) * 100);
  return e;
}

// These square shapes are out of sample: the Hopper constants are fitted on the LLM-shaped
// GEMMs of validation/h100/h100-calibration.json (validation/h100/fit.py). Where launch and
// fixed costs are noise (M >= 2048) the tile-and-wave model holds within 8 % median; the
// small squares (512, 1024) are slower to predict because skinny GEMMs, which the fixed cost
// is fitted on, pay more per kernel than tiny square ones (validation/gemm/README.md).
Errors validate_large(bool leave_one_out, std::vector<double>* large) {
  Errors e = validate(leave_one_out);
  CalibrationProfile base;
  std::vector<GemmSample> samples = load_samples(&base);
  for (size_t i = 0; i < samples.size(); ++i) {
    if (samples[i].m >= 2048) large->push_back(e.all[i]);
  }
  return e;
}

TEST(GemmValidation, CatalogDefaultsPredictH100SquareGemms) {
  std::vector<double> large;
  Errors e = validate_large(false, &large);
  ASSERT_EQ(e.all.size(), 29u);
  EXPECT_LE(median(large), 0.08);
  EXPECT_LE(median(e.all), 0.11);
}

TEST(GemmValidation, LeaveOneOutProfilePredictsH100SquareGemms) {
  std::vector<double> large;
  Errors e = validate_large(true, &large);
  ASSERT_EQ(e.all.size(), 29u);
  EXPECT_LE(median(large), 0.08);
  EXPECT_LE(median(e.all), 0.11);
}

}  // namespace
}  // namespace flopscope
