// optimal, transition, rank, frontier, overtrain and fit on the library's request/result API
// (api/*.h): the CLI prints exactly the library's documents and errors, and what they compute.
#include <gtest/gtest.h>

#include "api/cli_check.h"

#include <regex>
#include <sys/wait.h>

#include "flopscope/api/api.h"
#include "flopscope/api/optimal.h"
#include "flopscope/api/plan.h"
#include "flopscope/api/rank.h"
#include "flopscope/api/transition.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/scaling/scaling_law.h"
#include "flopscope/scaling/training_cost.h"
#include "flopscope/util/units.h"

namespace flopscope::api {
namespace {

using cli_check::CliCase;
using cli_check::expect_same_document;
using cli_check::expect_same_error;
using cli_check::run_cli;

const std::string kData = FLOPSCOPE_TEST_DATA;

const char* const kInferArgs = "--mode infer --requests 64 --batch 8 --prompt 256 --output 32";
Json infer_options(const char* model) {
  return {{"model", model}, {"mode", "infer"}, {"requests", 64}, {"batch", 8}, {"prompt", 256}, {"output", 32}};
}

TEST(PlanApi, CliJsonEqualsTheLibraryDocument) {
  const std::string scaling = kData + "/scaling/";
  std::vector<CliCase> cases = {
      {"optimal", "optimal --flops 5.76e23", {{"flops", 5.76e23}}},
      {"optimal", "optimal --budget-usd 2e6 --hardware h100-sxm --mfu 0.45 --law hoffmann-3 --inference-tokens 2e12",
       {{"budget_usd", 2e6}, {"hardware", "h100-sxm"}, {"mfu", 0.45}, {"law", "hoffmann-3"}, {"inference_tokens", 2e12}}},
      {"optimal", "optimal --flops 1e23 --law hoffmann-3 --model llama-3.1-8b",
       {{"flops", 1e23}, {"law", "hoffmann-3"}, {"model", "llama-3.1-8b"}}},
      {"transition", std::string("transition llama-3.2-1b ") + kInferArgs + " --from a100-sxm-80gb --to h100-sxm",
       [] { Json j = infer_options("llama-3.2-1b"); j["from"] = "a100-sxm-80gb"; j["to"] = "h100-sxm"; return j; }()},
      {"transition", "transition llama-3.2-1b --mode train --tokens 1e9 --envs " + kData + "/envs.toml --from a100-bf16 --to h100-fp8 --engineer-hours 10",
       {{"model", "llama-3.2-1b"}, {"mode", "train"}, {"tokens", 1e9}, {"envs", kData + "/envs.toml"},
        {"from", "a100-bf16"}, {"to", "h100-fp8"}, {"engineer_hours", 10}}},
      {"rank", "rank llama-3.2-1b --mode train --tokens 1e9 --devices 1 --objective cost",
       {{"model", "llama-3.2-1b"}, {"mode", "train"}, {"tokens", 1e9}, {"devices", 1}, {"objective", "cost"}}},
      {"overtrain", "overtrain llama-3.1-8b", {{"model", "llama-3.1-8b"}}},
      {"overtrain", "overtrain mistral-7b --tokens 8e12 --law besiroglu",
       {{"model", "mistral-7b"}, {"tokens", 8e12}, {"law", "besiroglu"}}},
      {"frontier", "frontier " + scaling + "models_quality.csv", {{"results", scaling + "models_quality.csv"}}},
      {"frontier", "frontier " + scaling + "classifier_counts.csv", {{"results", scaling + "classifier_counts.csv"}}},
      {"fit", "fit " + scaling + "runs_small.csv --quick --bootstrap 4",
       {{"runs", scaling + "runs_small.csv"}, {"quick", true}, {"bootstrap", 4}}},
      {"plan/train", "plan train llama-3.2-1b --hardware h100-sxm --gpus 8 --global-batch 64 --seq 2048 --top 3",
       {{"model", "llama-3.2-1b"}, {"hardware", "h100-sxm"}, {"gpus", 8}, {"global_batch", 64}, {"seq", 2048}, {"top", 3}}},
  };
  for (const CliCase& c : cases) expect_same_document(c);
}

TEST(PlanApi, CliErrorsEqualTheLibraryErrors) {
  const std::string scaling = kData + "/scaling/";
  std::vector<CliCase> cases = {
      {"optimal", "optimal", Json::object()},
      {"optimal", "optimal --gpu-hours 1e6", {{"gpu_hours", 1e6}}},
      {"optimal", "optimal --flops 1e22 --mfu 1.5", {{"flops", 1e22}, {"mfu", 1.5}}},
      {"transition", "transition llama-3.1-8b --mode train --tokens 1e9 --from a100-sxm-80gb --to h10",
       {{"model", "llama-3.1-8b"}, {"mode", "train"}, {"tokens", 1e9}, {"from", "a100-sxm-80gb"}, {"to", "h10"}}},
      {"transition", "transition llama-3.1-8b --mode train --tokens 1e9 --from a100-sxm-80gb --to h100-sxm --weight-time -1",
       {{"model", "llama-3.1-8b"}, {"mode", "train"}, {"tokens", 1e9}, {"from", "a100-sxm-80gb"}, {"to", "h100-sxm"},
        {"weight_time", -1}}},
      {"rank", std::string("rank llama-3.1-8b ") + kInferArgs + " --pue 0.5",
       [] { Json j = infer_options("llama-3.1-8b"); j["pue"] = 0.5; return j; }()},
      {"rank", "rank llama-3.1-8b --mode sing --tokens 1e9", {{"model", "llama-3.1-8b"}, {"mode", "sing"}, {"tokens", 1e9}}},
      {"overtrain", "overtrain " + kData + "/configs/Qwen__Qwen2.5-7B.json", {{"model", kData + "/configs/Qwen__Qwen2.5-7B.json"}}},
      {"frontier", "frontier " + scaling + "models_quality.csv --metric mmlu", {{"results", scaling + "models_quality.csv"}, {"metric", "mmlu"}}},
      {"fit", "fit " + scaling + "bad_runs.csv", {{"runs", scaling + "bad_runs.csv"}}},
      {"fit", "fit " + scaling + "runs_small.csv --id 'bad id'", {{"runs", scaling + "runs_small.csv"}, {"id", "bad id"}}},
      {"plan/train", "plan train llama-3.2-1b --hardware h100-sxm --gpus 0 --global-batch 64 --seq 2048",
       {{"model", "llama-3.2-1b"}, {"hardware", "h100-sxm"}, {"gpus", 0}, {"global_batch", 64}, {"seq", 2048}}},
      {"plan/train", "plan train llama-3.2-1b --hardware h100-sxm --gpus 8 --global-batch 64 --seq 2048 --recompute some",
       {{"model", "llama-3.2-1b"}, {"hardware", "h100-sxm"}, {"gpus", 8}, {"global_batch", 64}, {"seq", 2048},
        {"recompute", "some"}}},
  };
  for (const CliCase& c : cases) expect_same_error(c);
}

TEST(PlanApi, UnknownOptionsAreRefused) {
  auto j = call("optimal", {{"flop", 1e22}});
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().message, "optimal: unknown option 'flop', did you mean 'flops'?");
}

// The server and the page pass frontier's CSV as text (key csv): the same document as from
// the file; a model column names catalog models only, so the text reads nothing from disk.
TEST(PlanApi, FrontierTakesItsCsvAsText) {
  const std::string file = kData + "/scaling/models_quality.csv";
  auto from_file = call("frontier", {{"results", file}});
  auto from_text = call("frontier", {{"csv", "name,flops,accuracy\nsmall,1e21,0.50\nmedium,1e22,0.62\n"
                                             "wasteful,3e22,0.60\nlarge,1e23,0.70\n"}});
  ASSERT_TRUE(from_file) << from_file.error().message;
  ASSERT_TRUE(from_text) << from_text.error().message;
  EXPECT_EQ(*from_file, *from_text);
  auto catalog = call("frontier", {{"csv", "model,tokens,score\nllama-3.2-1b,9e12,0.49\nllama-3.1-8b,15e12,0.66\n"}});
  ASSERT_TRUE(catalog) << catalog.error().message;
  EXPECT_EQ((*catalog)["models"].size(), 2u);
  const std::string config = kData + "/configs/meta-llama__Llama-3.2-1B.json";
  auto path = call("frontier", {{"csv", "model,tokens,score\n" + config + ",9e12,0.49\n"}});
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(path.error().message.rfind("csv:2: column 'model': a CSV given as text names catalog models only", 0), 0u)
      << path.error().message;
  auto both = call("frontier", {{"csv", "name,flops,accuracy\na,1e21,0.5\n"}, {"results", file}});
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().message.find("not both"), std::string::npos) << both.error().message;
}

// Nothing fits: the document says why with best null (the CLI exits 1 after printing it);
// the text form is an error with the same reason.
TEST(PlanApi, PlanTrainSaysWhyNothingFits) {
  PlanTrainOptions o;
  o.model = "llama-3.1-405b";
  o.hardware.hardware = "h100-sxm";
  o.gpus = 8;
  o.global_batch = 64;
  o.seq = 4096;
  auto doc = plan_train(o, Render{});
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_TRUE(doc->json["best"].is_null());
  EXPECT_EQ(doc->json["layouts_fitting"], 0);
  EXPECT_GT(doc->json["layouts_searched"].get<int64_t>(), 0);
  auto text = plan_train(o, Render{false, false});
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().kind, ErrorKind::kFailure);
  EXPECT_EQ(text.error().message.rfind(doc->json["why"].get<std::string>(), 0), 0u) << text.error().message;
  int status = -1;
  std::string out = run_cli("plan train llama-3.1-405b --hardware h100-sxm --gpus 8 --global-batch 64 --seq 4096", &status);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_EQ(Json::parse(out), doc->json);
}

// The budget in GPU-hours buys FLOPs at an MFU that depends on the model size, which depends
// on the FLOPs: the answer must be a fixed point, not the first guess (1e9 parameters).
TEST(PlanApi, BudgetIsAFixedPointOfMfuAndModelSize) {
  auto laws = resolve_laws("hoffmann-3");
  ASSERT_TRUE(laws);
  const ScalingLaw& law = laws->front();
  auto hw = HardwareCatalog::builtin().find("h100-sxm");
  ASSERT_TRUE(hw);
  // A big model trains at a lower MFU than a small one.
  auto mfu = [](double params, double) { return params < 5e10 ? 0.5 : 0.3; };
  const double hours = 1e6;
  double flops = budget_flops_fixed_point(law, hours, **hw, mfu);
  double params = compute_optimal(law, flops).params;
  EXPECT_GT(params, 5e10);
  EXPECT_DOUBLE_EQ(flops, flops_from_device_hours(hours, **hw, mfu(params, flops)));
  EXPECT_DOUBLE_EQ(flops, flops_from_device_hours(hours, **hw, 0.3));
  // With the user's MFU, the budget is that MFU's FLOPs.
  auto doc = call("optimal", {{"gpu_hours", hours}, {"hardware", "h100-sxm"}, {"mfu", 0.45}, {"law", "hoffmann-3"}});
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_DOUBLE_EQ((*doc)["laws"][0]["flops"].get<double>(), flops_from_device_hours(hours, **hw, 0.45));
}

// Paper cut (issue 12): "$1.07 M" in one row and "$996,794.49" in the next.
TEST(PlanApi, OptimalPrintsOneMoneyFormat) {
  OptimalOptions o;
  o.budget_usd = 2e6;
  o.hardware = "h100-sxm";
  o.mfu = 0.45;
  auto out = optimal(o, Render{false, false});
  ASSERT_TRUE(out) << out.error().message;
  const std::string& t = out->text;
  EXPECT_FALSE(std::regex_search(t, std::regex(R"(\$[0-9.]+ [kMGT])"))) << t;
  EXPECT_NE(t.find("$2,000,000 = "), std::string::npos) << t;
  int costs = 0;
  const std::regex money(R"(\$[0-9][0-9,.]*[0-9])");
  for (auto it = std::sregex_iterator(t.begin(), t.end(), money); it != std::sregex_iterator(); ++it) {
    ++costs;
    EXPECT_TRUE(std::regex_match(it->str(), std::regex(R"(\$[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?)"))) << it->str();
  }
  EXPECT_GT(costs, 3);
}

// Paper cut (issue 12): a job of a few seconds cost "$0.00".
TEST(PlanApi, TransitionShowsTheCostOfAShortJob) {
  TransitionOptions o;
  o.model = "llama-3.2-1b";
  o.mode = "infer";
  o.requests = 8;
  o.batch = 8;
  o.prompt = 128;
  o.output = 16;
  o.from = "a100-sxm-80gb";
  o.to = "h100-sxm";
  auto out = transition(o, Render{false, false});
  ASSERT_TRUE(out) << out.error().message;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out->text, m, std::regex(R"(\n  cost +(\S+) +(\S+)\n)"))) << out->text;
  for (int i = 1; i <= 2; ++i) {
    EXPECT_NE(m[i].str(), "$0.00") << out->text;
    EXPECT_TRUE(std::regex_match(m[i].str(), std::regex(R"(\$0\.0*[1-9][0-9])"))) << m[i].str();
  }
  EXPECT_EQ(format_usd(0.0042), "$0.0042");
}

// Paper cut (issue 12): the A10G computes in bf16; the catalog has no sourced peak for it.
TEST(PlanApi, RankSaysWhenAPeakIsNotSourcedRatherThanMissing) {
  RankOptions o;
  o.model = "llama-3.2-1b";
  o.mode = "infer";
  o.requests = 64;
  o.batch = 8;
  o.prompt = 256;
  o.output = 32;
  auto doc = rank(o, Render{});
  ASSERT_TRUE(doc) << doc.error().message;
  bool seen = false;
  for (const Json& e : doc->json["environments"]) {
    if (e["env"] != "a10g") continue;
    seen = true;
    EXPECT_EQ(e["reason"], "cannot run: hardware 'a10g' has no sourced bf16 peak in the catalog (see flopscope hardware a10g)");
  }
  EXPECT_TRUE(seen);
  // A chip the catalog has peaks for, without the dtype: no support.
  EXPECT_EQ(missing_peak_message("v100-sxm", DType::kFP8, true),
            "hardware 'v100-sxm' has no fp8 support (see flopscope hardware v100-sxm)");
}

}  // namespace
}  // namespace flopscope::api
