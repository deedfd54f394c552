#include "flopscope/perf/predict.h"

#include <algorithm>
#include <cmath>

#include "flopscope/cost/lower_transformer.h"
#include "flopscope/cost/parallel.h"
#include "flopscope/cost/params.h"

namespace flopscope {

Software default_software(Phase phase) { return phase == Phase::kDecode ? Software::kGraphs : Software::kEager; }

Result<Prediction> predict(const TransformerSpec& spec, const Workload& w, const Hardware& hw,
                           const TimingEngine& engine) {
  if (auto st = validate(w); !st) return st.error();
  if (w.phase == Phase::kDecode && !spec.causal) {
    return bad_input(spec.name + ": decode expected a decoder (causal LM), got the encoder '" + spec.model_type +
                     "'; use predict prefill for one forward pass");
  }
  if (auto st = validate(w.parallel, spec); !st) return st.error();
  const Parallel& par = w.parallel;
  if (!par.single_device() && (w.phase == Phase::kTrainStep || w.phase == Phase::kForward)) {
    return bad_input("a training step over several devices is predicted by predict_training (perf/parallel.h)");
  }
  if (par.dp > 1 || par.cp > 1 || par.ep > 1 || par.virtual_stages > 1 || par.zero != 0) {
    return bad_input("inference across devices takes --tp and --pp only (replicas are separate predictions)");
  }
  if (!hw.supports(w.dtype)) {
    return bad_input(missing_peak_message(hw, w.dtype));
  }
  Prediction p;
  p.workload = w;
  p.workload.device_units = hw.compute_units;  // kernel choices that depend on the SMs
  p.ops = lower_transformer(spec, p.workload);
  for (const Op& op : p.ops) {
    if (auto st = engine.check(op); !st) return st.error();
  }
  p.flops = flop_report(p.ops, w);
  p.timing = time_ops(engine, p.ops);
  p.rows.reserve(p.ops.size());
  for (const Op& op : p.ops) {
    OpTiming t = engine.time(op);
    p.rows.push_back({&op, t.seconds_stream * static_cast<double>(op.count), t.bound});
  }
  // Pipeline stages: one request crosses all of them (the op list is the last stage's, with
  // its send); a full pipeline finishes a micro-batch every stage time.
  const double stages = static_cast<double>(std::max<int64_t>(1, par.pp));
  double send = 0, tp_comm = 0;
  for (const OpRow& r : p.rows) {
    if (r.op->component == "comm.pp") {
      send += r.seconds;
    } else if (r.op->component.rfind("comm.", 0) == 0) {
      tp_comm += r.seconds;
    }
  }
  p.seconds_stage = p.timing.seconds;
  p.seconds = stages * (p.seconds_stage - send) + (stages - 1) * send;
  p.seconds_communication = stages * tp_comm + (stages - 1) * send;
  double tokens = static_cast<double>(w.tokens());
  p.tokens_per_second = p.seconds_stage > 0 ? tokens / p.seconds_stage : 0;
  double peak = hw.peak(w.dtype);
  if (p.seconds_stage > 0 && peak > 0) {  // one device's FLOPs over its (stage) time
    p.mfu = p.flops.model_flops / (p.seconds_stage * peak);
    p.hfu = p.flops.hardware_flops / (p.seconds_stage * peak);
  }
  MemoryOptions mo;
  apply_workload(w, mo);
  mo.weight_dtype = w.weight_dtype;
  mo.kv_dtype = w.kv_dtype;
  mo.tensor_parallel = std::max<int64_t>(1, par.tp);
  if (w.phase == Phase::kTrainStep) {
    mo.dropout = spec.trains_with_dropout();
    p.memory = training_memory(spec, w.batch, w.seq, mo);
  } else {
    int64_t context = w.phase == Phase::kDecode ? w.context + 1 : w.context + w.seq;
    p.memory = inference_memory_per_device(spec, w.batch, context, mo, par);
  }
  p.fits = hw.bytes_memory <= 0 || p.memory.bytes_total <= hw.bytes_memory;
  return p;
}

MemoryReport inference_memory_per_device(const TransformerSpec& spec, int64_t batch, int64_t context,
                                         const MemoryOptions& options, const Parallel& par) {
  MemoryOptions mo = options;
  mo.tensor_parallel = std::max<int64_t>(1, par.tp);
  MemoryReport m = inference_memory(spec, batch, context, mo);
  // KV heads fewer than tp are replicated (each rank keeps one), not split further.
  if (par.tp > 1 && spec.num_kv_heads > 0 && spec.num_kv_heads < par.tp) {
    m.bytes_kv_cache *= static_cast<double>(par.tp) / static_cast<double>(spec.num_kv_heads);
  }
  if (par.pp > 1 && spec.num_layers > 0) {
    // The fullest stage: ceil(layers / pp) layers plus the embedding (first stage) or the
    // head (last; the tied embedding's copy). Embedding and head stay 16-bit (memory.h).
    const ParamCounts c = count_params(spec);
    const double layers = static_cast<double>(spec.num_layers);
    const double here = std::ceil(layers / static_cast<double>(par.pp));
    const double t = static_cast<double>(mo.tensor_parallel);
    const double embedding = static_cast<double>(c.embedding) * 2;
    const double head = static_cast<double>(c.lm_head > 0 ? c.lm_head : c.embedding) * 2;
    const double in_layers = std::max(0.0, weight_bytes(spec, mo.weight_dtype, mo.int4_group_size) - embedding -
                                               static_cast<double>(c.lm_head) * 2);
    m.bytes_weights = (in_layers * here / layers + std::max(embedding, head)) / t;
    m.bytes_kv_cache *= here / layers;
  }
  m.bytes_peak_allocated = m.bytes_weights + m.bytes_kv_cache + m.bytes_activations + m.bytes_logits;
  m.bytes_total = m.bytes_peak_allocated + m.bytes_runtime_overhead;
  return m;
}

std::vector<OpRow> top_ops(const Prediction& p, size_t n) {
  std::vector<OpRow> rows = p.rows;
  std::sort(rows.begin(), rows.end(), [](const OpRow& a, const OpRow& b) { return a.seconds > b.seconds; });
  if (rows.size() > n) rows.resize(n);
  return rows;
}

}  // namespace flopscope
