#include "flopscope/perf/predict.h"

#include <algorithm>

#include "flopscope/cost/lower_transformer.h"

namespace flopscope {

Software default_software(Phase phase) { return phase == Phase::kDecode ? Software::kGraphs : Software::kEager; }

Result<Prediction> predict(const TransformerSpec& spec, const Workload& w, const Hardware& hw,
                           const TimingEngine& engine) {
  if (auto st = validate(w); !st) return st.error();
  if (w.phase == Phase::kDecode && !spec.causal) {
    return bad_input(spec.name + ": decode expected a decoder (causal LM), got the encoder '" + spec.model_type +
                     "'; use predict prefill for one forward pass");
  }
  if (!hw.supports(w.dtype)) {
    return bad_input("hardware '" + hw.id + "' has no " + std::string(dtype_name(w.dtype)) +
                     " support (see flopscope hardware " + hw.id + ")");
  }
  Prediction p;
  p.workload = w;
  p.ops = lower_transformer(spec, w);
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
  p.seconds = p.timing.seconds;
  double tokens = static_cast<double>(w.tokens());
  p.tokens_per_second = p.seconds > 0 ? tokens / p.seconds : 0;
  double peak = hw.peak(w.dtype);
  if (p.seconds > 0 && peak > 0) {
    p.mfu = p.flops.model_flops / (p.seconds * peak);
    p.hfu = p.flops.hardware_flops / (p.seconds * peak);
  }
  MemoryOptions mo;
  mo.recompute = w.recompute;
  mo.mixed_precision = w.mixed_precision;
  mo.flash_attention = w.flash_attention;
  mo.weight_dtype = w.weight_dtype;
  mo.kv_dtype = w.kv_dtype;
  mo.modules = w.modules;
  if (w.phase == Phase::kTrainStep) {
    p.memory = training_memory(spec, w.batch, w.seq, mo);
  } else {
    int64_t context = w.phase == Phase::kDecode ? w.context + 1 : w.seq;
    p.memory = inference_memory(spec, w.batch, context, mo);
  }
  p.fits = hw.bytes_memory <= 0 || p.memory.bytes_total <= hw.bytes_memory;
  return p;
}

std::vector<OpRow> top_ops(const Prediction& p, size_t n) {
  std::vector<OpRow> rows = p.rows;
  std::sort(rows.begin(), rows.end(), [](const OpRow& a, const OpRow& b) { return a.seconds > b.seconds; });
  if (rows.size() > n) rows.resize(n);
  return rows;
}

}  // namespace flopscope
