#include "flopscope/api/compress.h"

#include <fmt/format.h>

#include <functional>
#include <optional>

#include "flopscope/api/options.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/plan/compression.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

#if __has_include("flopscope/model/gguf_loader.h")
#include "flopscope/model/gguf_loader.h"
#include "flopscope/model/gguf_reader.h"
#define FLOPSCOPE_COMPRESS_GGUF 1
#endif

namespace flopscope::api {

namespace {

// A GGUF file's own quantization: exact bytes per ggml type, the largest first.
std::optional<StoredWeights> stored_weights(const std::string& path) {
#ifdef FLOPSCOPE_COMPRESS_GGUF
  if (path.size() < 5 || path.substr(path.size() - 5) != ".gguf") return std::nullopt;
  auto file = read_gguf(path);
  if (!file) return std::nullopt;
  GgufStorage st = gguf_storage(*file);
  if (st.bytes == 0) return std::nullopt;
  std::string parts;
  for (size_t i = 0; i < st.by_type.size() && i < 3; ++i) {
    parts += fmt::format("{}{} {:.0f}%", i == 0 ? "" : ", ", st.by_type[i].type,
                         100.0 * static_cast<double>(st.by_type[i].bytes) / static_cast<double>(st.bytes));
  }
  return StoredWeights{"GGUF " + parts, static_cast<double>(st.bytes), st.bits_per_weight};
#else
  (void)path;
  return std::nullopt;
#endif
}

std::string cell(const std::optional<double>& v, const std::function<std::string(double)>& f, const char* none) {
  return v ? f(*v) : std::string(none);
}

std::string text_report(const CompressionResult& r, const Render& rd) {
  std::string out = style(rd, r.model, "1") +
                    fmt::format(" on {}: prompt {}, output {}, batch {}\n\n", r.hardware, r.prompt, r.output, r.batch);
  Table t({"scheme", "weights", "KV cache", "max batch", "TTFT", "TPOT", "speedup", "tok/s", "$/M tok", "J/tok",
           "quality"},
          {false, true, true, true, true, true, true, true, true, true, false});
  for (const auto& s : r.schemes) {
    std::string quality = s.name == "bf16" ? "baseline" : s.quality ? s.quality->change : "not measured";
    if (!s.applies) {
      t.add({s.name, format_bytes(s.bytes_weights), "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a",
             "n/a: " + s.reason});
      continue;
    }
    t.add({s.name, format_bytes(s.bytes_weights), format_bytes(s.bytes_kv_cache),
           s.batch_max > 0 ? format_count(s.batch_max) : "none", format_seconds(s.seconds_ttft) + (s.fits ? "" : "*"),
           format_seconds(s.seconds_tpot), fmt::format("{:.2f}x", s.speedup_tpot), format_si(s.tokens_per_second),
           cell(s.usd_per_million_tokens, [](double v) { return format_usd(v); }, "no price"),
           cell(s.joules_per_token, [](double v) { return fmt::format("{:.3g}", v); }, "not known"), quality});
  }
  out += t.render(2) + "\n";
  for (const auto& s : r.schemes) {
    if (s.description.empty()) continue;
    out += style(rd, fmt::format("  {}: {}", s.name, s.description), "2") + "\n";
  }
  out += style(rd,
               "  TTFT: prefill of the batch (eager); TPOT: one decode step at the mean context (CUDA graphs); "
               "speedup: bf16 TPOT / TPOT; tok/s: output tokens; J/tok: device power by utilization x time x PUE",
               "2") +
         "\n" + style(rd, "  price: " + r.price_note, "2") + "\n" + style(rd, "  power: " + r.power_note, "2") + "\n";
  bool any_fit_miss = false;
  for (const auto& s : r.schemes) any_fit_miss = any_fit_miss || (s.applies && !s.fits);
  if (any_fit_miss) out += style(rd, "  * the batch does not fit the device at this context", "2") + "\n";
  for (const auto& s : r.schemes) {
    if (s.quality) out += style(rd, fmt::format("  {} quality: {} ({})", s.name, s.quality->source, s.quality->url), "2") + "\n";
  }
  return out;
}

}  // namespace

Result<Output> compress(const CompressOptions& o, const Render& render) {
  if (const Status& st = HardwareCatalog::builtin_status(); !st) return st.error();
  auto hw = HardwareCatalog::builtin().find(o.hardware);
  if (!hw) return hw.error();
  auto spec = load_model_option(o.model, o.model_config);
  if (!spec) return spec.error();
  CompressionRequest rq;
  rq.spec = *spec;
  rq.model = o.model.empty() ? spec->name : o.model;
  rq.hardware = *hw;
  rq.schemes = o.schemes;
  rq.prompt = o.prompt;
  rq.output = o.output;
  rq.batch = o.batch;
  rq.prune_layers = o.prune_layers;
  rq.prune_mlp = o.prune_mlp;
  if (o.model_config.is_null()) rq.stored = stored_weights(o.model);
  rq.pue = o.pue;
  if (!o.distill_to.empty()) {
    auto small = load_model_option(o.distill_to, nullptr);
    if (!small) return small.error();
    rq.distill_to = *small;
    rq.distill_name = o.distill_to;
  }
  auto r = compare_compression(rq);
  if (!r) return r.error();
  Output out;
  if (render.json) {
    out.json = compression_json(*r);
  } else {
    out.text = text_report(*r, render);
  }
  return out;
}

Result<CompressOptions> compress_options(const Json& j) {
  CompressOptions o;
  OptionsReader r(j, "compress");
  r.model("model", o.model, o.model_config)
      .read("hardware", o.hardware)
      .read("schemes", o.schemes)
      .read("prompt", o.prompt)
      .read("output", o.output)
      .read("batch", o.batch)
      .read("pue", o.pue)
      .read("prune_layers", o.prune_layers)
      .read("prune_mlp", o.prune_mlp)
      .read("distill_to", o.distill_to);
  if (auto st = r.done(); !st) return st.error();
  // "bf16,w8a8-fp8" as the CLI's --schemes takes it, or a list.
  std::vector<std::string> schemes;
  for (const std::string& s : o.schemes) {
    size_t start = 0;
    while (true) {
      size_t comma = s.find(',', start);
      schemes.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  o.schemes = std::move(schemes);
  return o;
}

}  // namespace flopscope::api
