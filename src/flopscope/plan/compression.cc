#include "flopscope/plan/compression.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "flopscope/cost/memory.h"
#include "flopscope/cost/workload.h"
#include "flopscope/data/embedded.h"
#include "flopscope/perf/predict.h"
#include "flopscope/perf/timing_engine.h"
#include "flopscope/plan/energy.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/util/spellcheck.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {
namespace {

enum class SchemeKind { kWorkload, kPruneLayers, kPruneMlp, kDistill, kAsIs };

struct SchemeDef {
  const char* name;
  const char* description;
  SchemeKind kind;
  DType weight;
  DType kv;
  bool weight_only;
  bool sparse;
};

// Display order; the first is the baseline every speedup is measured against.
constexpr SchemeDef kSchemes[] = {
    {"bf16", "bf16 weights, activations and KV cache", SchemeKind::kWorkload, DType::kBF16, DType::kBF16, false, false},
    {"w8a8-fp8", "fp8 weights and activations (W8A8)", SchemeKind::kWorkload, DType::kFP8, DType::kBF16, false, false},
    {"w8a8-int8", "int8 weights and activations (W8A8, SmoothQuant-style)", SchemeKind::kWorkload, DType::kINT8,
     DType::kBF16, false, false},
    {"w8a16-int8", "int8 weights dequantized in the kernel, bf16 math", SchemeKind::kWorkload, DType::kINT8,
     DType::kBF16, true, false},
    {"w4a16-int4", "int4 weights, group 128 (AWQ/GPTQ), bf16 math", SchemeKind::kWorkload, DType::kINT4,
     DType::kBF16, true, false},
    {"kv-fp8", "bf16 weights, fp8 KV cache", SchemeKind::kWorkload, DType::kBF16, DType::kFP8, false, false},
    {"kv-int8", "bf16 weights, int8 KV cache", SchemeKind::kWorkload, DType::kBF16, DType::kINT8, false, false},
    {"sparse-2:4", "2:4 structured sparse linear weights (bf16)", SchemeKind::kWorkload, DType::kBF16, DType::kBF16,
     false, true},
    {"prune-layers", "depth pruning: fewer layers", SchemeKind::kPruneLayers, DType::kBF16, DType::kBF16, false,
     false},
    {"prune-mlp", "width pruning: narrower MLP", SchemeKind::kPruneMlp, DType::kBF16, DType::kBF16, false, false},
    {"distill", "distilled into a smaller model", SchemeKind::kDistill, DType::kBF16, DType::kBF16, false, false},
    {"as-is", "the file's own quantization", SchemeKind::kAsIs, DType::kBF16, DType::kBF16, false, false},
};

const SchemeDef* find_scheme(std::string_view name) {
  for (const auto& s : kSchemes) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

// Elements of the linear layers' weights: the difference between 16-bit and 8-bit storage
// (memory.h quantizes exactly the linear layers, 2 bytes against 1 per element).
double linear_weight_elements(const TransformerSpec& spec) {
  return weight_bytes(spec, DType::kBF16) - weight_bytes(spec, DType::kFP8);
}

// 2:4 sparsity of 16-bit weights: half the values kept (2 bytes each) plus a 2-bit index per
// kept value: 1.125 bytes per dense element instead of 2.
constexpr double kSparse24BytesPerElement16 = 0.5 * 2.0 + 0.5 * 2.0 / 8.0;

struct Quality {
  std::string model_prefix;
  std::string scheme;
  QualityNote note;
};

Result<std::vector<Quality>> parse_quality(std::string_view text, std::string_view origin) {
  auto doc = parse_toml(text, origin);
  if (!doc) return doc.error();
  std::vector<Quality> out;
  const toml::array* arr = doc->get_as<toml::array>("quality");
  if (arr == nullptr) return out;
  for (size_t i = 0; i < arr->size(); ++i) {
    TomlReader r(origin, fmt::format("quality[{}]", i));
    const toml::table* t = arr->get(i)->as_table();
    if (t == nullptr) return r.at("", "expected a table");
    if (auto e = r.check_keys(*t, {"models", "scheme", "change", "metric", "measured_on", "source", "url", "date"})) {
      return *e;
    }
    Quality q;
    std::string date;
    for (const char* key : {"models", "scheme", "change", "source"}) {
      if (!t->contains(key)) return r.at(key, "missing, expected a string");
    }
    if (auto e = r.read(*t, "models", q.model_prefix)) return *e;
    if (auto e = r.read(*t, "scheme", q.scheme)) return *e;
    if (find_scheme(q.scheme) == nullptr) {
      std::vector<std::string> names = compression_scheme_names();
      return r.at("scheme", fmt::format("unknown scheme '{}'{}", q.scheme, did_you_mean(q.scheme, names)));
    }
    if (auto e = r.read(*t, "change", q.note.change)) return *e;
    if (auto e = r.read(*t, "metric", q.note.metric)) return *e;
    if (auto e = r.read(*t, "measured_on", q.note.measured_on)) return *e;
    if (auto e = r.read(*t, "source", q.note.source)) return *e;
    if (auto e = r.read(*t, "url", q.note.url)) return *e;
    if (auto e = r.read(*t, "date", date)) return *e;
    out.push_back(std::move(q));
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<QualityNote> find_quality(const std::vector<Quality>& data, const std::string& model,
                                        const std::string& scheme) {
  const std::string m = lower(model);
  for (const auto& q : data) {
    if (q.scheme == scheme && m.rfind(lower(q.model_prefix), 0) == 0) return q.note;
  }
  return std::nullopt;
}

// The largest batch whose inference memory at `context` fits the device (0: none does).
int64_t largest_batch(const TransformerSpec& spec, int64_t context, const MemoryOptions& o, double bytes_adjust,
                      double bytes_device) {
  auto fits = [&](int64_t b) {
    return inference_memory(spec, b, context, o).bytes_total + bytes_adjust <= bytes_device;
  };
  if (bytes_device <= 0 || !fits(1)) return 0;
  int64_t lo = 1, hi = 2;
  constexpr int64_t kMaxBatch = int64_t{1} << 24;
  while (hi < kMaxBatch && fits(hi)) {
    lo = hi;
    hi *= 2;
  }
  if (hi >= kMaxBatch && fits(hi)) return hi;
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

struct Variant {
  TransformerSpec spec;
  Workload base;             // dtypes and flags; phase, batch and lengths set per prediction
  double bytes_weights = 0;
  double bytes_adjust = 0;   // bytes_weights minus what inference_memory counts
  DType memory_weight = DType::kBF16;
};

// A step's busy seconds, scaled to its own seconds (plan/energy.h).
double seconds_busy_of(const Prediction& p) { return busy_fraction(p) * p.seconds; }

Result<SchemeResult> evaluate(const CompressionRequest& rq, const SchemeDef& def, const Variant& v,
                              const Hardware& hw, const PowerModel& power, const Pue& pue) {
  SchemeResult r;
  r.name = def.name;
  r.description = def.description;
  r.model_name = v.spec.name;
  const int64_t context = rq.prompt + rq.output;
  MemoryOptions mo;
  mo.weight_dtype = v.memory_weight;
  mo.kv_dtype = v.base.kv_dtype;
  r.bytes_weights = v.bytes_weights;
  r.bytes_kv_cache = kv_cache_bytes(v.spec, rq.batch, context, v.base.kv_dtype);
  r.batch_max = largest_batch(v.spec, context, mo, v.bytes_adjust, hw.bytes_memory);
  r.fits = hw.bytes_memory <= 0 || rq.batch <= r.batch_max;

  Workload prefill = v.base;
  prefill.phase = Phase::kPrefill;
  prefill.batch = rq.batch;
  prefill.seq = rq.prompt;
  prefill.modules = default_modules(Phase::kPrefill);
  TimingEngine eager(hw, nullptr, default_software(Phase::kPrefill));
  auto p = predict(v.spec, prefill, hw, eager);
  if (!p) return p.error();
  Workload decode = v.base;
  decode.phase = Phase::kDecode;
  decode.batch = rq.batch;
  decode.seq = 1;
  decode.context = rq.prompt + rq.output / 2;
  decode.modules = default_modules(Phase::kDecode);
  TimingEngine graphs(hw, nullptr, default_software(Phase::kDecode));
  auto d = predict(v.spec, decode, hw, graphs);
  if (!d) return d.error();
  r.seconds_ttft = p->seconds;
  r.seconds_tpot = d->seconds;
  r.seconds_request = r.seconds_ttft + static_cast<double>(rq.output) * r.seconds_tpot;
  const double tokens = static_cast<double>(rq.batch * rq.output);
  r.tokens_per_second = r.seconds_request > 0 ? tokens / r.seconds_request : 0;
  // One device over the request: busy while prefill and decode steps are compute- or
  // memory-bound (plan/energy.h).
  const double busy = seconds_busy_of(*p) + static_cast<double>(rq.output) * seconds_busy_of(*d);
  const EnergyEstimate e = estimate_energy(power, pue, 1, r.seconds_request, busy);
  r.utilization = e.utilization;
  r.watts = e.watts;
  r.joules_per_token = e.joules_per(tokens);
  r.kwh_per_million_tokens = e.kwh_per_million(tokens);
  return r;
}

}  // namespace

const std::vector<std::string>& compression_scheme_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& s : kSchemes) n.emplace_back(s.name);
    return n;
  }();
  return names;
}

Result<CompressionResult> compare_compression(const CompressionRequest& rq) {
  if (rq.hardware == nullptr) return bad_input("--hardware: expected a hardware id");
  const Hardware& hw = *rq.hardware;
  if (rq.prompt <= 0) return bad_input(fmt::format("--prompt: expected a positive integer, got {}", rq.prompt));
  if (rq.output <= 0) return bad_input(fmt::format("--output: expected a positive integer, got {}", rq.output));
  if (rq.batch <= 0) return bad_input(fmt::format("--batch: expected a positive integer, got {}", rq.batch));
  if (auto st = validate_pue(rq.pue, "--pue"); !st) return st.error();
  if (!rq.spec.causal) return bad_input(fmt::format("{}: expected a decoder (causal LM) to serve", rq.spec.name));

  std::vector<const SchemeDef*> chosen;
  if (rq.schemes.empty()) {
    for (const auto& s : kSchemes) {
      if (s.kind == SchemeKind::kPruneLayers && rq.prune_layers <= 0) continue;
      if (s.kind == SchemeKind::kPruneMlp && rq.prune_mlp <= 0) continue;
      if (s.kind == SchemeKind::kDistill && !rq.distill_to) continue;
      if (s.kind == SchemeKind::kAsIs && !rq.stored) continue;
      chosen.push_back(&s);
    }
  } else {
    for (const auto& name : rq.schemes) {
      const SchemeDef* s = find_scheme(name);
      if (s == nullptr) {
        return bad_input(fmt::format("--schemes: unknown scheme '{}'{}", name,
                                     did_you_mean(name, compression_scheme_names())));
      }
      if (std::find(chosen.begin(), chosen.end(), s) == chosen.end()) chosen.push_back(s);
    }
    // The baseline comes first: every speedup is against it.
    chosen.erase(std::remove(chosen.begin(), chosen.end(), &kSchemes[0]), chosen.end());
    chosen.insert(chosen.begin(), &kSchemes[0]);
  }
  if (rq.prune_layers < 0 || (rq.prune_layers > 0 && rq.prune_layers >= rq.spec.num_layers)) {
    return bad_input(fmt::format("--prune-layers: expected 1 to {} (the model has {} layers), got {}",
                                 rq.spec.num_layers - 1, rq.spec.num_layers, rq.prune_layers));
  }
  if (rq.prune_mlp < 0 || rq.prune_mlp >= 1) {
    return bad_input(fmt::format("--prune-mlp: expected a fraction of the MLP width to remove, above 0 and below 1, got {}",
                                 rq.prune_mlp));
  }

  std::vector<Quality> quality;
  {
    std::string_view text = rq.quality_toml;
    std::string origin = "quality file";
    if (text.empty()) {
      auto embedded = data::find_embedded("quality/compression.toml");
      if (embedded) text = *embedded;
      origin = "data/quality/compression.toml";
    }
    if (!text.empty()) {
      auto q = parse_quality(text, origin);
      if (!q) return q.error();
      quality = std::move(*q);
    }
  }

  CompressionResult out;
  out.model = rq.model.empty() ? rq.spec.name : rq.model;
  out.hardware = hw.id;
  out.prompt = rq.prompt;
  out.output = rq.output;
  out.batch = rq.batch;
  const InstancePrice* price = PriceCatalog::builtin().cheapest_on_demand(hw.id);
  out.price_note = price != nullptr ? fmt::format("{} {} {}, ${:.2f} per device-hour ({})", price->provider,
                                                  price->instance, price->pricing, price->usd_per_device_hour,
                                                  price->date)
                                    : "no price for " + hw.id + " in the price catalog";
  out.power = PowerCatalog::builtin().model_of(hw);
  out.pue = rq.pue > 0 ? Pue{rq.pue, "given"} : PowerCatalog::builtin().default_pue();
  out.power_note = describe_power(out.power, out.pue);

  const double linear_elements = linear_weight_elements(rq.spec);
  double tpot_baseline = 0;
  for (const SchemeDef* def : chosen) {
    SchemeResult r;
    r.name = def->name;
    r.description = def->description;
    r.model_name = rq.spec.name;
    Variant v;
    v.spec = rq.spec;
    v.base.dtype = DType::kBF16;
    v.base.weight_dtype = def->weight;
    v.base.kv_dtype = def->kv;
    v.base.weight_only = def->weight_only;
    v.base.sparse_24 = def->sparse;
    v.memory_weight = def->weight;
    std::string quality_model = out.model;
    auto na = [&](std::string why) {
      r.applies = false;
      r.reason = std::move(why);
    };
    switch (def->kind) {
      case SchemeKind::kWorkload: {
        const DType compute = def->weight_only || def->weight == DType::kINT4 ? v.base.dtype : def->weight;
        if (!hw.supports(compute)) na(fmt::format("{} has no {} tensor-core peak", hw.id, dtype_name(compute)));
        if (def->sparse && hw.flops_peak_sparse[static_cast<size_t>(v.base.dtype)] <= 0) {
          na(fmt::format("{} has no 2:4 sparse {} peak", hw.id, dtype_name(v.base.dtype)));
        }
        v.bytes_weights = weight_bytes(v.spec, def->weight);
        if (def->sparse) {
          double sparse = v.bytes_weights - linear_elements * (2.0 - kSparse24BytesPerElement16);
          v.bytes_adjust = sparse - v.bytes_weights;
          v.bytes_weights = sparse;
        }
        break;
      }
      case SchemeKind::kPruneLayers:
        if (rq.prune_layers <= 0) return bad_input("--schemes: prune-layers needs --prune-layers N");
        v.spec.num_layers -= rq.prune_layers;
        v.spec.layers.resize(static_cast<size_t>(v.spec.num_layers));
        v.spec.name = fmt::format("{} minus {} layers", rq.spec.name, rq.prune_layers);
        r.description = fmt::format("depth pruning: {} of {} layers kept", v.spec.num_layers, rq.spec.num_layers);
        v.bytes_weights = weight_bytes(v.spec, def->weight);
        break;
      case SchemeKind::kPruneMlp: {
        if (rq.prune_mlp <= 0) return bad_input("--schemes: prune-mlp needs --prune-mlp F");
        constexpr int64_t kAlign = 64;  // kernel-friendly widths, as pruned checkpoints keep them
        auto shrink = [&](int64_t width) {
          if (width <= 0) return width;
          int64_t kept = static_cast<int64_t>(std::llround(static_cast<double>(width) * (1.0 - rq.prune_mlp) / kAlign)) * kAlign;
          return std::max<int64_t>(kAlign, kept);
        };
        v.spec.intermediate_size = shrink(v.spec.intermediate_size);
        v.spec.moe.expert_intermediate_size = shrink(v.spec.moe.expert_intermediate_size);
        v.spec.moe.shared_intermediate_size = shrink(v.spec.moe.shared_intermediate_size);
        v.spec.name = fmt::format("{} with MLP {}", rq.spec.name, v.spec.intermediate_size);
        r.description = fmt::format("width pruning: MLP {} -> {}", rq.spec.intermediate_size, v.spec.intermediate_size);
        v.bytes_weights = weight_bytes(v.spec, def->weight);
        break;
      }
      case SchemeKind::kDistill:
        if (!rq.distill_to) return bad_input("--schemes: distill needs --distill-to MODEL");
        v.spec = *rq.distill_to;
        quality_model = rq.distill_name.empty() ? v.spec.name : rq.distill_name;
        r.description = "distilled into " + quality_model;
        v.bytes_weights = weight_bytes(v.spec, def->weight);
        break;
      case SchemeKind::kAsIs: {
        if (!rq.stored) {
          na("the model is not a quantized file (as-is applies to GGUF files)");
          break;
        }
        // Time it as the nearest dtype the lowering knows; memory from the file's exact bytes.
        const double bits = rq.stored->bits_per_weight;
        v.base.weight_dtype = bits <= 6 ? DType::kINT4 : bits <= 10 ? DType::kINT8 : DType::kBF16;
        v.base.weight_only = true;
        v.memory_weight = v.base.weight_dtype;
        v.bytes_weights = rq.stored->bytes_weights;
        v.bytes_adjust = v.bytes_weights - weight_bytes(v.spec, v.memory_weight);
        r.description = fmt::format("{} ({:.2f} bits per weight; timed as {} weights)", rq.stored->description, bits,
                                    dtype_name(v.base.weight_dtype));
        break;
      }
    }
    r.model_name = v.spec.name;
    if (r.applies) {
      auto e = evaluate(rq, *def, v, hw, out.power, out.pue);
      if (!e) return e.error();
      std::string description = r.description;
      r = std::move(*e);
      r.description = description;
      if (price != nullptr) {
        r.usd_per_million_tokens = price->usd_per_device_hour / 3600.0 * r.seconds_request /
                                   static_cast<double>(rq.batch * rq.output) * 1e6;
      }
      if (tpot_baseline <= 0) tpot_baseline = r.seconds_tpot;
      r.speedup_tpot = r.seconds_tpot > 0 ? tpot_baseline / r.seconds_tpot : 0;
    } else {
      r.bytes_weights = v.bytes_weights;
    }
    if (def->kind != SchemeKind::kWorkload || std::string_view(def->name) != "bf16") {
      r.quality = find_quality(quality, def->kind == SchemeKind::kDistill ? quality_model : out.model, def->name);
    }
    out.schemes.push_back(std::move(r));
  }
  return out;
}

nlohmann::json compression_json(const CompressionResult& c) {
  nlohmann::json schemes = nlohmann::json::array();
  for (const auto& s : c.schemes) {
    nlohmann::json j = {{"name", s.name}, {"description", s.description}, {"model", s.model_name},
                        {"applies", s.applies}, {"bytes_weights", s.bytes_weights}};
    if (!s.applies) {
      j["reason"] = s.reason;
    } else {
      j["bytes_kv_cache"] = s.bytes_kv_cache;
      j["batch_max"] = s.batch_max;
      j["fits"] = s.fits;
      j["seconds_ttft"] = s.seconds_ttft;
      j["seconds_tpot"] = s.seconds_tpot;
      j["seconds_request"] = s.seconds_request;
      j["tokens_per_second"] = s.tokens_per_second;
      j["speedup_tpot"] = s.speedup_tpot;
      j["usd_per_million_tokens"] = s.usd_per_million_tokens ? nlohmann::json(*s.usd_per_million_tokens) : nullptr;
      j["joules_per_token"] = s.joules_per_token ? nlohmann::json(*s.joules_per_token) : nullptr;
      j["kwh_per_million_tokens"] = s.kwh_per_million_tokens ? nlohmann::json(*s.kwh_per_million_tokens) : nullptr;
      j["utilization"] = s.utilization;
      j["watts_per_device"] = s.joules_per_token ? nlohmann::json(s.watts) : nullptr;
    }
    if (s.name == "bf16") {
      j["quality"] = "baseline";
    } else if (s.quality) {
      j["quality"] = {{"change", s.quality->change}, {"metric", s.quality->metric},
                      {"measured_on", s.quality->measured_on}, {"source", s.quality->source},
                      {"url", s.quality->url}};
    } else {
      j["quality"] = "not measured";
    }
    schemes.push_back(std::move(j));
  }
  return {{"model", c.model},
          {"hardware", c.hardware},
          {"prompt", c.prompt},
          {"output", c.output},
          {"batch", c.batch},
          {"price", c.price_note},
          {"power", power_json(c.power, c.pue)},
          {"conventions",
           {{"seconds_ttft", "prefill of batch prompts, PyTorch eager"},
            {"seconds_tpot", "one decode step at context prompt + output / 2, CUDA graphs"},
            {"tokens_per_second", "output tokens: batch x output / (ttft + output x tpot)"},
            {"usd_per_million_tokens", "output tokens, cheapest on-demand device-hour"},
            {"joules_per_token", "output tokens; one device at P(u) = idle + (board - idle) x u over the request, "
                                 "times PUE; u = compute- and memory-bound share of the time (docs/serving.md, Energy)"},
            {"batch_max", "largest batch whose weights, KV cache at prompt + output, prefill working set and "
                          "runtime allowance fit the device"}}},
          {"schemes", schemes}};
}

}  // namespace flopscope
