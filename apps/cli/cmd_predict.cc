// `flopscope predict`: time on hardware. `gemm` and `attention` time one op with the timing
// engine; `prefill`, `decode` and `train` (predict_model.h) time a model. The library computes
// and renders (api/predict.h); this file only reads the flags.
#include <memory>
#include <string>

#include "command.h"
#include "flopscope/api/predict.h"
#include "predict_common.h"
#include "predict_model.h"

namespace flopscope::cli {
namespace {

// ---------------------------------------------------------------------------- gemm

std::function<void()> setup_gemm(CLI::App& sub, int& exit_code) {
  auto o = std::make_shared<api::GemmOptions>();
  auto common = std::make_shared<Common>();
  sub.add_option("--m", o->m, "Rows of A and C (tokens)")->required();
  sub.add_option("--n", o->n, "Columns of B and C (output features)")->required();
  sub.add_option("--k", o->k, "Columns of A, rows of B (input features)")->required();
  sub.add_option("--batch", o->batch, "Independent GEMMs of this shape (batched GEMM)")->capture_default_str();
  add_common(sub, *common);
  set_examples(sub, {"flopscope predict gemm --m 4096 --n 4096 --k 4096 --hardware h100-sxm",
                     "flopscope predict gemm --m 1 --n 8192 --k 8192 --dtype bf16 --hardware h100-sxm --json",
                     "flopscope predict gemm --m 8192 --n 8192 --k 8192 --dtype fp8 --hardware h100-sxm "
                     "--profile my-h100.profile.toml"});
  return [o, common, &exit_code] {
    o->hw = hardware_options(*common);
    api::Render r = render_for(common->json);
    exit_code = print_output(api::predict_gemm(*o, r), r);
  };
}

// ---------------------------------------------------------------------------- attention

std::function<void()> setup_attention(CLI::App& sub, int& exit_code) {
  auto o = std::make_shared<api::AttentionOptions>();
  auto common = std::make_shared<Common>();
  sub.add_option("--batch", o->batch, "Sequences")->capture_default_str();
  sub.add_option("--heads", o->heads, "Query heads")->required();
  sub.add_option("--kv-heads", o->kv_heads, "Key/value heads (GQA/MQA; default: --heads)");
  sub.add_option("--seq", o->seq, "Query length (1 for one decode step)")->required();
  sub.add_option("--kv-len", o->kv_len, "Key/value length (default: --seq; the KV cache length in decode)");
  sub.add_option("--head-dim", o->head_dim, "Head dimension")->required();
  sub.add_flag("--causal", o->causal, "Causal mask (fully masked blocks are skipped)");
  sub.add_flag("--backward", o->backward, "Forward plus backward, as in a training step");
  sub.add_flag("--accumulate-grad", o->accumulate_grad,
               "With --backward: add dQ, dK, dV into existing gradients (out.backward() on leaf inputs that "
               "already hold .grad, as a benchmark loop without zeroing does)");
  add_common(sub, *common);
  set_examples(sub, {"flopscope predict attention --batch 1 --heads 32 --kv-heads 8 --seq 8192 --head-dim 128 "
                     "--causal --hardware h100-sxm",
                     "flopscope predict attention --batch 8 --heads 32 --kv-heads 8 --seq 1 --kv-len 32768 "
                     "--head-dim 128 --hardware h100-sxm --json",
                     "flopscope predict attention --batch 4 --heads 16 --seq 4096 --head-dim 128 --causal "
                     "--backward --hardware a100-sxm-80gb"});
  return [o, common, &exit_code] {
    o->hw = hardware_options(*common);
    api::Render r = render_for(common->json);
    exit_code = print_output(api::predict_attention(*o, r), r);
  };
}

// ---------------------------------------------------------------------------- predict

std::function<int()> setup_predict(CLI::App& sub) {
  auto exit_code = std::make_shared<int>(0);
  sub.require_subcommand(1);
  CLI::App* gemm = sub.add_subcommand("gemm", "Time one GEMM: tiles, waves, roofline");
  gemm->callback(setup_gemm(*gemm, *exit_code));
  CLI::App* attention = sub.add_subcommand("attention", "Time one flash-attention call (forward, or with backward)");
  attention->callback(setup_attention(*attention, *exit_code));
  register_predict_model_commands(sub, *exit_code);
  set_examples(sub, {"flopscope predict gemm --m 4096 --n 4096 --k 4096 --hardware h100-sxm",
                     "flopscope predict attention --heads 32 --seq 8192 --head-dim 128 --causal --hardware h100-sxm",
                     "flopscope predict <what> --help"});
  return [exit_code]() -> int { return *exit_code; };
}

FLOPSCOPE_COMMAND({"predict", "Predict time on hardware: one GEMM, one attention call, or a model", setup_predict, 30});

}  // namespace
}  // namespace flopscope::cli
