#include "layout_flags.h"


namespace flopscope::cli {

bool LayoutFlags::given(const CLI::App& sub) const {
  for (const char* f : {"--gpus", "--tp", "--pp", "--ep", "--cp", "--virtual-stages", "--sp", "--zero", "--global-batch",
                        "--system"}) {
    if (sub.count(f) > 0) return true;
  }
  return false;
}

void add_layout_flags(CLI::App& sub, LayoutFlags& f, bool with_layout) {
  sub.add_option("--gpus", f.gpus, "Devices in all (data-parallel size = gpus / (tp x pp x cp))");
  sub.add_option("--global-batch", f.global_batch, "Sequences per optimizer step (micro batch x accumulation x dp)");
  sub.add_option("--system", f.system,
                 "Node type and network from the system catalog (default: the reference node of --hardware, e.g. "
                 "dgx-h100 for h100-sxm)");
  if (!with_layout) return;
  sub.add_option("--tp", f.tp, "Tensor-parallel degree")->capture_default_str();
  sub.add_flag("--sp", f.sp, "Sequence parallelism (with --tp)");
  sub.add_option("--pp", f.pp, "Pipeline stages (1F1B)")->capture_default_str();
  sub.add_option("--virtual-stages", f.virtual_stages, "Model chunks per pipeline stage (interleaved 1F1B)")
      ->capture_default_str();
  sub.add_option("--ep", f.ep, "Expert-parallel degree (MoE; divides the data-parallel size)")->capture_default_str();
  sub.add_option("--cp", f.cp, "Context-parallel degree (ring attention over the sequence)")->capture_default_str();
  sub.add_option("--zero", f.zero, "ZeRO stage: 0 replicated, 1 optimizer states sharded (distributed optimizer), "
                                   "2 + gradients, 3 + weights (FSDP full shard)")
      ->capture_default_str();
}

}  // namespace flopscope::cli
