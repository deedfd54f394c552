#include "layout_flags.h"

#include <fmt/format.h>

#include <iostream>

#include "flopscope/report/table.h"
#include "flopscope/util/units.h"
#include "command.h"

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

Parallel to_parallel(const LayoutFlags& f) {
  Parallel p;
  p.tp = f.tp;
  p.pp = f.pp;
  p.ep = f.ep;
  p.cp = f.cp;
  p.virtual_stages = f.virtual_stages;
  p.sequence_parallel = f.sp;
  p.zero = f.zero;
  return p;
}

Result<System> resolve_system(const std::string& flag, const Hardware& hw, int64_t gpus) {
  System s;
  if (!flag.empty()) {
    auto found = SystemCatalog::builtin().find(flag);
    if (!found) return found.error();
    s = **found;
    if (s.hardware != hw.id) {
      return bad_input(fmt::format("--system: '{}' is built of '{}', not --hardware '{}'", s.id, s.hardware, hw.id));
    }
  } else if (const System* ref = SystemCatalog::builtin().for_hardware(hw.id)) {
    s = *ref;
  } else {
    s = standalone_system(hw);
  }
  if (gpus > s.gpus_per_node && !s.network().multi_node()) {
    return bad_input(fmt::format("--system: '{}' has no network to other nodes in the catalog; {} GPUs need more than "
                                 "its {} per node (give --system)",
                                 s.id, gpus, s.gpus_per_node));
  }
  return s;
}

namespace {

nlohmann::json layout_json(const Parallel& p) {
  return {{"tp", p.tp},       {"sp", p.sequence_parallel}, {"pp", p.pp},
          {"virtual_stages", p.virtual_stages}, {"dp", p.dp}, {"cp", p.cp},
          {"ep", p.ep},       {"zero", p.zero},             {"micro_batches", p.micro_batches}};
}

}  // namespace

nlohmann::json parallel_train_json(const ParallelPrediction& p, const std::string& model, const Hardware& hw,
                                   const System& system) {
  const Workload& w = p.workload;
  nlohmann::json parts = nlohmann::json::object();
  for (size_t i = 0; i < p.seconds_by_part.size(); ++i) {
    parts[step_part_name(static_cast<StepPart>(i))] = p.seconds_by_part[i];
  }
  nlohmann::json mem = {{"bytes_weights", p.memory.bytes_weights},
                        {"bytes_gradients", p.memory.bytes_gradients},
                        {"bytes_optimizer", p.memory.bytes_optimizer},
                        {"bytes_activations", p.memory.bytes_activations},
                        {"bytes_logits", p.memory.bytes_logits},
                        {"bytes_runtime_overhead", p.memory.bytes_runtime_overhead},
                        {"bytes_activations_first_stage", p.bytes_activations_first_stage},
                        {"bytes_activations_last_stage", p.bytes_activations_last_stage}};
  return {{"model", model},
          {"phase", "train"},
          {"hardware", hw.id},
          {"system", system.id},
          {"gpus", w.parallel.devices()},
          {"dtype", std::string(dtype_name(w.dtype))},
          {"modules", modules_name(w.modules)},
          {"layout", layout_json(w.parallel)},
          {"micro_batch", w.batch},
          {"global_batch", p.global_batch},
          {"seq", w.seq},
          {"recompute", recompute_name(w.recompute)},
          {"seconds_per_step", p.seconds_per_step},
          {"tokens_per_second", p.tokens_per_second},
          {"tokens_per_second_per_gpu", p.tokens_per_second / static_cast<double>(w.parallel.devices())},
          {"mfu", p.mfu},
          {"hfu", p.hfu},
          {"flops_model_per_step", p.flops_model_per_step},
          {"flops_hardware_per_step", p.flops_hardware_per_step},
          {"seconds_micro_batch", p.seconds_micro_batch},
          {"bubble_fraction", p.bubble_fraction},
          {"seconds_communication", p.seconds_communication},
          {"seconds_communication_exposed", p.seconds_communication_exposed},
          {"seconds_by_part", parts},
          {"bytes_peak_memory", p.memory.bytes_peak_allocated},
          {"bytes_peak_memory_with_runtime", p.memory.bytes_total},
          {"bytes_device_memory", hw.bytes_memory},
          {"memory", mem},
          {"fits", p.fits}};
}

void print_parallel_train(const ParallelPrediction& p, const std::string& model, const Hardware& hw,
                          const System& system) {
  const Workload& w = p.workload;
  const Parallel& par = w.parallel;
  std::cout << style(model, "1") << " training on " << par.devices() << " x " << hw.name << " (" << system.name << ", "
            << dtype_name(w.dtype) << ")\n\n";
  std::vector<std::pair<std::string, std::string>> f;
  f.push_back({"layout", describe(par) + fmt::format(", micro batch {} x {} micro-batches", w.batch, par.micro_batches)});
  f.push_back({"global batch", fmt::format("{} sequences of {} tokens", p.global_batch, w.seq)});
  f.push_back({"time per step", format_seconds(p.seconds_per_step)});
  f.push_back({"tokens/s", format_si(p.tokens_per_second) + " (" +
                               format_si(p.tokens_per_second / static_cast<double>(par.devices())) + " per GPU)"});
  f.push_back({"MFU", format_percent(p.mfu) + " (HFU " + format_percent(p.hfu) + ")"});
  f.push_back({"pipeline bubble", format_percent(p.bubble_fraction)});
  f.push_back({"communication", format_seconds(p.seconds_communication_exposed) + " exposed of " +
                                    format_seconds(p.seconds_communication)});
  f.push_back({"memory", format_bytes(p.memory.bytes_total) + " of " + format_bytes(hw.bytes_memory) + " on the fullest device" +
                             (p.fits ? " (fits)" : " (DOES NOT FIT)")});
  std::cout << render_fields(f, 2) << "\n";
  Table t({"where the step goes", "time", "share"}, {false, true, true});
  for (size_t i = 0; i < p.seconds_by_part.size(); ++i) {
    if (p.seconds_by_part[i] <= 0) continue;
    t.add({step_part_name(static_cast<StepPart>(i)), format_seconds(p.seconds_by_part[i]),
           format_percent(p.seconds_by_part[i] / p.seconds_per_step)});
  }
  std::cout << t.render(2);
}

}  // namespace flopscope::cli
