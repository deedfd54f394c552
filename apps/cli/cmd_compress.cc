// flopscope compress MODEL --hardware ID: compression schemes side by side (plan/compression.h).
#include <fmt/format.h>

#include <iostream>

#include "command.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/plan/compression.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"
#include "model_options.h"

#if __has_include("flopscope/model/gguf_loader.h")
#include "flopscope/model/gguf_loader.h"
#include "flopscope/model/gguf_reader.h"
#define FLOPSCOPE_COMPRESS_GGUF 1
#endif

namespace flopscope::cli {
namespace {

struct CompressOptions {
  std::string model;
  std::string hardware;
  std::vector<std::string> schemes;
  int64_t prompt = 512;
  int64_t output = 256;
  int64_t batch = 1;
  int64_t prune_layers = 0;
  double prune_mlp = 0;
  double pue = 0;
  std::string distill_to;
  bool json = false;
};

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

void print_human(const CompressionResult& r) {
  std::cout << style(r.model, "1") << " on " << r.hardware << ": prompt " << r.prompt << ", output " << r.output
            << ", batch " << r.batch << "\n\n";
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
  std::cout << t.render(2) << "\n";
  for (const auto& s : r.schemes) {
    if (s.description.empty()) continue;
    std::cout << style(fmt::format("  {}: {}", s.name, s.description), "2") << "\n";
  }
  std::cout << style("  TTFT: prefill of the batch (eager); TPOT: one decode step at the mean context (CUDA graphs); "
                     "speedup: bf16 TPOT / TPOT; tok/s: output tokens; J/tok: device power by utilization x time x PUE",
                     "2")
            << "\n"
            << style("  price: " + r.price_note, "2") << "\n"
            << style("  power: " + r.power_note, "2") << "\n";
  bool any_fit_miss = false;
  for (const auto& s : r.schemes) any_fit_miss = any_fit_miss || (s.applies && !s.fits);
  if (any_fit_miss) std::cout << style("  * the batch does not fit the device at this context", "2") << "\n";
  for (const auto& s : r.schemes) {
    if (s.quality) std::cout << style(fmt::format("  {} quality: {} ({})", s.name, s.quality->source, s.quality->url), "2") << "\n";
  }
}

int run(const CompressOptions& o) {
  auto hw = HardwareCatalog::builtin().find(o.hardware);
  if (!hw) return report_error(hw.error());
  auto spec = load_model_arg(o.model);
  if (!spec) return report_error(spec.error());
  CompressionRequest rq;
  rq.spec = *spec;
  rq.model = o.model;
  rq.hardware = *hw;
  rq.schemes = o.schemes;
  rq.prompt = o.prompt;
  rq.output = o.output;
  rq.batch = o.batch;
  rq.prune_layers = o.prune_layers;
  rq.prune_mlp = o.prune_mlp;
  rq.stored = stored_weights(o.model);
  rq.pue = o.pue;
  if (!o.distill_to.empty()) {
    auto small = load_model_arg(o.distill_to);
    if (!small) return report_error(small.error());
    rq.distill_to = *small;
    rq.distill_name = o.distill_to;
  }
  auto r = compare_compression(rq);
  if (!r) return report_error(r.error());
  if (o.json) {
    print_json(compression_json(*r));
  } else {
    print_human(*r);
  }
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<CompressOptions>();
  std::string names;
  for (const auto& n : compression_scheme_names()) names += (names.empty() ? "" : ", ") + n;
  sub.add_option("MODEL", o->model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  sub.add_option("--hardware", o->hardware, "Hardware id (flopscope hardware)")->required();
  sub.add_option("--schemes", o->schemes, "Comma-separated schemes (default: all that apply): " + names)
      ->delimiter(',');
  sub.add_option("--prompt", o->prompt, "Prompt tokens")->capture_default_str();
  sub.add_option("--output", o->output, "Output tokens")->capture_default_str();
  sub.add_option("--batch", o->batch, "Sequences served together")->capture_default_str();
  sub.add_option("--pue", o->pue, "Data-centre PUE, >= 1 (default: data/hardware/power.toml, Uptime Institute 2023 average)");
  sub.add_option("--prune-layers", o->prune_layers, "Depth pruning: drop this many layers (adds prune-layers)");
  sub.add_option("--prune-mlp", o->prune_mlp, "Width pruning: remove this fraction of the MLP width (adds prune-mlp)");
  sub.add_option("--distill-to", o->distill_to, "Distillation: the smaller model (adds distill)");
  sub.add_flag("--json", o->json, "One JSON document");
  set_examples(sub, {"flopscope compress llama-3.1-8b --hardware h100-sxm --prompt 512 --output 256",
                     "flopscope compress llama-3.1-8b --hardware h100-sxm --schemes bf16,w8a8-fp8,w4a16-int4 --batch 32 --json",
                     "flopscope compress llama-3.1-70b --hardware h100-sxm --prune-layers 16 --distill-to llama-3.1-8b",
                     "flopscope compress model.Q4_K_M.gguf --hardware l4 --schemes bf16,as-is"});
  return [o] { return run(*o); };
}

FLOPSCOPE_COMMAND({"compress", "Quantization, sparsity, pruning and distillation side by side for serving", setup, 45});

}  // namespace
}  // namespace flopscope::cli
