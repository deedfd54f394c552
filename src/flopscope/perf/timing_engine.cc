#include "flopscope/perf/timing_engine.h"

#include "flopscope/cost/attention.h"
#include "flopscope/util/statistics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

namespace flopscope {

namespace {

// Output tiles a GEMM kernel may use (M x N). 128x256 and 256x128 are the large tiles of
// cuBLAS / CUTLASS SM80 and SM90 kernels; the smaller ones serve small problems.
struct Tile {
  int64_t m, n;
};
constexpr Tile kTiles[] = {{128, 256}, {256, 128}, {128, 128}, {64, 128}, {128, 64}, {64, 64}};
// Skinny kernels for M <= 64 (decode and small-batch GEMMs): cuBLAS GEMV / split-K kernels,
// CUTLASS 32- and 64-row tiles and weight-only quantized kernels (Marlin, Frantar et al.
// 2024) pad M only to a multiple of the 16-row MMA shape (mma.m16n8k16) and are built to
// stream the weights: each weight element is reused M times from registers, and the weight
// read is what the memory side already counts, so no operand-reuse penalty applies.
constexpr Tile kSkinnyTiles[] = {{16, 128}, {16, 256}, {32, 128}, {32, 256}, {64, 256}};
constexpr int64_t kSkinnyMaxM = 64;

// Operand reuse of a tile: FLOPs per element loaded is 2 tm tn / (tm + tn); the largest
// tile is taken as the one that reaches the ceiling (docs/timing-engine.md, "Tiles").
constexpr double reuse(double tm, double tn) { return tm * tn / (tm + tn); }
constexpr double kReuseBest = reuse(128, 256);

// Split-K keeps at least this many K elements per slice (4 k-blocks of 64).
constexpr int64_t kMinKPerSplit = 256;

// Flash-attention blocks: 128 query rows x 128 keys (FlashAttention-2 on SM80 and -3 on SM90
// with head_dim 64..128); short queries use 16-row MMA blocks (mma.m16n8k16).
constexpr int64_t kAttentionBlockQ = 128;
constexpr int64_t kAttentionBlockKv = 128;
constexpr int64_t kAttentionBlockQDecode = 16;
// Query blocks visited one by one when costing a mask; longer sequences are sampled with a
// stride (bounded work for any sequence length).
constexpr int64_t kAttentionMaxBlocksVisited = 1 << 14;
// The backward's FLOPs per block relative to the forward's: 5 matmul products against 2
// (FlashAttention-2, Dao 2023, section 3.2).
constexpr double kAttentionBackwardMatmulFactor = 2.5;

// A calibration sample sets the GEMM ceiling only when launch cost is below 5% of it.
constexpr double kCeilingSampleOverheadRatio = 20;

// Hardware without an interconnect in the catalog talks over PCIe Gen4 x16 (32 GB/s per
// direction, PCI-SIG).
constexpr double kFallbackInterconnect = 32e9;

double ceil_div(double a, double b) { return std::ceil(a / b); }

bool is_pointwise(OpKind k) { return k == OpKind::kElementwise || k == OpKind::kNorm || k == OpKind::kSoftmax; }

bool uses_matrix_units(OpKind k) { return k == OpKind::kGemm || k == OpKind::kAttention || k == OpKind::kConv; }

}  // namespace

Result<Software> parse_software(std::string_view text, std::string_view field) {
  if (text == "eager") return Software::kEager;
  if (text == "graphs" || text == "cuda-graphs") return Software::kGraphs;
  if (text == "compiled" || text == "compile") return Software::kCompiled;
  return bad_input(fmt::format("{}: expected eager, graphs or compiled, got '{}'", field, text));
}

std::string_view software_name(Software s) {
  static constexpr std::array<std::string_view, 3> kNames = {"eager", "graphs", "compiled"};
  static_assert(kNames.size() == static_cast<size_t>(Software::kCount), "one name per Software");
  return kNames[static_cast<size_t>(s)];
}

std::string_view bound_name(Bound b) {
  static constexpr std::array<std::string_view, 4> kNames = {"compute", "memory", "overhead", "communication"};
  static_assert(kNames.size() == static_cast<size_t>(Bound::kCount), "one name per Bound");
  return kNames[static_cast<size_t>(b)];
}

TimingEngine::TimingEngine(const Hardware& hardware, const CalibrationProfile* profile, Software software)
    : TimingEngine(hardware, profile, software, default_efficiency(hardware.id)) {}

TimingEngine::TimingEngine(const Hardware& hardware, const CalibrationProfile* profile, Software software,
                           const Efficiency& efficiency)
    : eff_(efficiency), software_(software), hardware_id_(hardware.id) {
  peak_ = hardware.flops_peak;
  peak_sparse_ = hardware.flops_peak_sparse;
  units_ = hardware.compute_units;
  is_cpu_ = hardware.kind == "cpu";
  bytes_per_second_memory_ = hardware.bytes_per_second_memory * eff_.memory_fraction;
  for (size_t i = 0; i < stream_fraction_.size(); ++i) {
    stream_fraction_[i] = eff_.gemm_stream_fraction_for(static_cast<DType>(i));
  }
  bytes_per_second_interconnect_ =
      (hardware.bytes_per_second_interconnect > 0 ? hardware.bytes_per_second_interconnect : kFallbackInterconnect) *
      eff_.interconnect_fraction;
  seconds_launch_ = is_cpu_ ? 0.0 : eff_.seconds_launch;
  for (size_t i = 0; i < gemm_ceiling_.size(); ++i) gemm_ceiling_[i] = eff_.gemm_ceiling_for(static_cast<DType>(i));
  init(profile);
}

void TimingEngine::init(const CalibrationProfile* profile) {
  if (profile == nullptr) return;
  if (profile->compute_units > 0) units_ = profile->compute_units;
  if (profile->bytes_per_second_copy > 0) bytes_per_second_memory_ = profile->bytes_per_second_copy;
  // The probe times empty kernels launched back to back from the host: what one eager kernel
  // costs beyond its work (seconds_launch). A kernel replayed from a CUDA graph costs less
  // (seconds_launch_stream, fitted on graph-replayed decode steps) and keeps its value.
  if (profile->seconds_launch_overhead > 0) seconds_launch_ = profile->seconds_launch_overhead;
  // The framework's host cost per eager kernel, as the probe measured it through PyTorch.
  if (profile->seconds_host_eager > 0) eff_.seconds_host_eager = profile->seconds_host_eager;
  // Ceiling per dtype: the model inverted on each sample big enough that launch cost is
  // noise (samples then carry their own tile and wave losses instead of being mistaken for
  // the ceiling), and the median of those taken: a short kernel that ran at boost clock, or
  // one that hit a throttled GPU, does not set the ceiling alone (docs/timing-engine.md).
  std::array<std::vector<double>, static_cast<size_t>(DType::kCount)> fitted;
  for (const auto& s : profile->gemm) {
    size_t i = static_cast<size_t>(s.dtype);
    if (peak_[i] <= 0 || s.m <= 0 || s.n <= 0 || s.k <= 0) continue;
    double fixed = seconds_launch_ + eff_.seconds_gemm_fixed;
    if (s.seconds <= kCeilingSampleOverheadRatio * fixed) continue;
    double at_peak = gemm_compute_seconds({s.m, s.n, s.k, 1}, s.dtype, nullptr) * gemm_ceiling_[i];
    fitted[i].push_back(at_peak / (s.seconds - fixed));
  }
  for (size_t i = 0; i < fitted.size(); ++i) {
    if (!fitted[i].empty()) gemm_ceiling_[i] = std::min(median(std::move(fitted[i])), 1.0);
  }
  fit_attention(*profile);
}

// The profile's attention samples set the attention ceilings: attention_forward such that the
// median log error of the forward samples long enough to be compute-bound is zero, then attention_backward the same on the forward
// + backward samples (docs/calibration.md). Each ceiling moves every block of work (matmuls
// and the softmax's share stay in proportion), so the engine's tile, wave, mask and CTA
// costs still shape each call. A time is monotone in its ceiling: bisection on the log.
void TimingEngine::fit_attention(const CalibrationProfile& profile) {
  if (is_cpu_ || peak_[static_cast<size_t>(DType::kBF16)] <= 0) return;
  auto median_log_error = [&](bool backward) {
    std::vector<double> logs;
    for (const AttentionSample& a : profile.attention) {
      // As for the GEMM ceiling: a call short enough that launch and ramp are more than a
      // twentieth of it says little about the ceiling.
      if (a.backward != backward || a.seconds <= kCeilingSampleOverheadRatio * seconds_launch_) continue;
      AttentionShape shape;
      shape.batch = a.batch;
      shape.heads = shape.kv_heads = a.heads;
      shape.q_len = shape.kv_len = a.seq;
      shape.head_dim_qk = shape.head_dim_v = a.head_dim;
      shape.causal = a.causal;
      double t = time(make_attention("attention", shape, DType::kBF16, false)).seconds;
      if (backward) t += time(make_attention("attention", shape, DType::kBF16, true)).seconds;
      logs.push_back(std::log(t / a.seconds));
    }
    return logs.empty() ? std::optional<double>{} : std::optional<double>{median(std::move(logs))};
  };
  for (bool backward : {false, true}) {
    double& ceiling = backward ? eff_.attention_backward : eff_.attention_forward;
    if (!median_log_error(backward)) continue;
    // A faster ceiling lowers every time: find where the median log error crosses zero.
    double lo = 0.02, hi = 1.0;
    ceiling = hi;
    if (*median_log_error(backward) > 0) continue;  // slower than the peak allows: keep 1
    for (int i = 0; i < 40; ++i) {
      ceiling = std::sqrt(lo * hi);
      if (*median_log_error(backward) > 0) lo = ceiling; else hi = ceiling;
    }
    ceiling = std::sqrt(lo * hi);
  }
}

double TimingEngine::flops_per_second_gemm(DType dtype) const {
  size_t i = static_cast<size_t>(dtype);
  return peak_[i] * gemm_ceiling_[i];
}

double TimingEngine::seconds_launch() const {
  if (is_cpu_) return 0;
  return software_ == Software::kGraphs ? seconds_launch_stream() : seconds_launch_;
}

double TimingEngine::seconds_launch_stream() const {
  if (is_cpu_) return 0;
  return std::min(eff_.seconds_launch_stream, seconds_launch_);
}

Status TimingEngine::check(const Op& op) const {
  if (op.flops < 0 || op.bytes_read < 0 || op.bytes_written < 0 || op.count < 0) {
    return bad_input(fmt::format("op '{}': FLOPs, bytes and count must be >= 0", op.name));
  }
  if (op.kind == OpKind::kGemm && (op.gemm.m < 0 || op.gemm.n < 0 || op.gemm.k < 0 || op.gemm.batch < 0)) {
    return bad_input(fmt::format("op '{}': GEMM sizes must be >= 0, got M={} N={} K={} batch={}", op.name, op.gemm.m,
                                 op.gemm.n, op.gemm.k, op.gemm.batch));
  }
  if (uses_matrix_units(op.kind) && peak_[static_cast<size_t>(op.dtype)] <= 0) {
    bool any = std::any_of(peak_.begin(), peak_.end(), [](double p) { return p > 0; });
    return bad_input(missing_peak_message(hardware_id_, op.dtype, any));
  }
  return {};
}

double TimingEngine::gemm_compute_seconds(const GemmShape& s, DType dtype, GemmPlan* plan) const {
  size_t di = static_cast<size_t>(dtype);
  double rate = peak_[di] * gemm_ceiling_[di];
  if (rate <= 0) return std::numeric_limits<double>::infinity();
  double m = static_cast<double>(s.m), n = static_cast<double>(s.n), k = static_cast<double>(s.k);
  double batch = static_cast<double>(std::max<int64_t>(s.batch, 1));
  if (m <= 0 || n <= 0 || k <= 0) {
    if (plan) *plan = {};
    return 0;
  }
  double units = static_cast<double>(units_);
  double best = std::numeric_limits<double>::infinity();
  GemmPlan best_plan;
  auto consider = [&](const Tile& t, bool skinny) {
    double tm = static_cast<double>(t.m), tn = static_cast<double>(t.n);
    double tiles = ceil_div(m, tm) * ceil_div(n, tn) * batch;
    double split = 1;
    if (units > 0 && tiles < units) {
      split = std::max(1.0, std::min(std::floor(units / tiles), std::floor(k / kMinKPerSplit)));
    }
    double ctas = tiles * split;
    double k_per_cta = std::ceil(k / split) + eff_.k_pipeline_fill;
    double rate_tile = skinny ? rate : rate * std::min(1.0, reuse(tm, tn) / kReuseBest);
    double seconds;
    double waves;
    if (units > 0) {
      waves = std::ceil(ctas / units);
      seconds = waves * 2.0 * tm * tn * k_per_cta / (rate_tile / units);
    } else {
      // Unknown unit count: no wave quantization, the work spreads evenly.
      waves = 1;
      seconds = ctas * 2.0 * tm * tn * k_per_cta / rate_tile;
    }
    if (seconds < best) {
      best = seconds;
      best_plan = {t.m, t.n, static_cast<int64_t>(tiles), static_cast<int64_t>(split), static_cast<int64_t>(waves),
                   seconds, 0};
    }
  };
  for (const Tile& t : kTiles) consider(t, false);
  if (s.m <= kSkinnyMaxM) {
    for (const Tile& t : kSkinnyTiles) consider(t, true);
  }
  if (plan) {
    best_plan.efficiency_shape = (2.0 * m * n * k * batch / rate) / best;
    *plan = best_plan;
  }
  return best;
}

GemmPlan TimingEngine::plan_gemm(const GemmShape& shape, DType dtype) const {
  GemmPlan p;
  gemm_compute_seconds(shape, dtype, &p);
  return p;
}

double TimingEngine::attention_compute_seconds(const Op& op) const {
  const AttentionShape& s = op.attention;
  double peak = peak_[static_cast<size_t>(op.dtype)];
  if (peak <= 0) return std::numeric_limits<double>::infinity();
  if (op.flops <= 0 || s.q_len <= 0 || s.kv_len <= 0) return 0;
  const bool backward = op.pass == Pass::kBackward;
  const int64_t heads = std::max<int64_t>(s.heads, 1);
  const int64_t kv_heads = s.kv_heads > 0 ? s.kv_heads : heads;
  const int64_t group = std::max<int64_t>(1, heads / std::max<int64_t>(kv_heads, 1));
  // Short queries (decode, speculative verification) pack the query heads of one KV group
  // into the row block, as flash-decoding kernels do (not a per-head decode kernel:
  // AttentionShape::gqa_packed).
  const bool packed = s.gqa_packed && s.q_len < kAttentionBlockQ && group > 1;
  const int64_t rows = packed ? s.q_len * group : s.q_len;
  const int64_t block_q =
      rows >= kAttentionBlockQ ? kAttentionBlockQ
                               : kAttentionBlockQDecode * ((rows + kAttentionBlockQDecode - 1) / kAttentionBlockQDecode);
  const int64_t q_blocks = (rows + block_q - 1) / block_q;
  const int64_t kv_blocks_all = (s.kv_len + kAttentionBlockKv - 1) / kAttentionBlockKv;
  // Queries are the last q_len positions of kv_len (causal alignment of chunked prefill).
  const int64_t offset = s.kv_len - s.q_len;
  const double cta_overhead = backward ? eff_.attention_cta_overhead_backward : eff_.attention_cta_overhead;
  // Work of each query block in key blocks (partly masked ones cost extra).
  double sum_work = 0, max_work = 0, min_work = std::numeric_limits<double>::infinity();
  const int64_t stride = std::max<int64_t>(1, (q_blocks + kAttentionMaxBlocksVisited - 1) / kAttentionMaxBlocksVisited);
  double visited = 0;
  for (int64_t i = 0; i < q_blocks; i += stride) {
    double blocks = static_cast<double>(kv_blocks_all), masked = 0;
    if (!packed && (s.causal || s.window > 0)) {
      int64_t r0 = i * block_q, r1 = std::min(r0 + block_q, rows) - 1;
      int64_t hi = s.causal ? std::min(s.kv_len, r1 + offset + 1) : s.kv_len;
      int64_t lo = s.window > 0 ? std::max<int64_t>(0, r0 + offset - s.window + 1) : 0;
      int64_t full_hi = s.causal ? std::min(s.kv_len, r0 + offset + 1) : s.kv_len;
      int64_t full_lo = s.window > 0 ? std::max<int64_t>(0, r1 + offset - s.window + 1) : 0;
      int64_t b_lo = lo / kAttentionBlockKv, b_hi = (hi + kAttentionBlockKv - 1) / kAttentionBlockKv;
      int64_t f_lo = (full_lo + kAttentionBlockKv - 1) / kAttentionBlockKv, f_hi = full_hi / kAttentionBlockKv;
      blocks = static_cast<double>(std::max<int64_t>(0, b_hi - b_lo));
      masked = blocks - static_cast<double>(std::max<int64_t>(0, f_hi - f_lo));
    }
    double work = blocks + masked * eff_.attention_mask_overhead + cta_overhead;
    sum_work += work;
    max_work = std::max(max_work, work);
    min_work = std::min(min_work, work);
    visited += 1;
  }
  sum_work *= static_cast<double>(q_blocks) / visited;
  // One CTA per (batch, head, query block); the backward has one per key block and the same
  // block pairs in mirror image, so the same totals.
  double ctas_per_block = static_cast<double>(std::max<int64_t>(s.batch, 1) * (packed ? kv_heads : heads));
  const double units = units_ > 0 ? static_cast<double>(units_) : 1.0;
  if (!backward && rows < kAttentionBlockQ && units_ > 0 && ctas_per_block * static_cast<double>(q_blocks) < units) {
    // Split-KV (flash-decoding): too few CTAs for the units, so the keys are split across
    // more of them and a small kernel combines the partial results.
    double splits = std::min(std::floor(units / (ctas_per_block * static_cast<double>(q_blocks))),
                             static_cast<double>(kv_blocks_all));
    if (splits > 1) {
      double per_split = std::ceil((max_work - cta_overhead) / splits) + cta_overhead;
      ctas_per_block *= splits;
      sum_work = per_split * static_cast<double>(q_blocks);
      max_work = min_work = per_split;
    }
  }
  const double total = ctas_per_block * sum_work;
  double blocks_per_unit;
  if (units_ <= 0) {
    blocks_per_unit = total;
  } else if (max_work - min_work < 1e-9) {
    blocks_per_unit = std::ceil(ctas_per_block * static_cast<double>(q_blocks) / units) * max_work;
  } else {
    blocks_per_unit = std::max(total / units, max_work);  // longest first
  }
  // One block on one unit: matmuls or softmax, whichever is slower.
  const double d = static_cast<double>(s.head_dim_qk + s.head_dim_v);
  const double elems = static_cast<double>(block_q * kAttentionBlockKv);
  double matmul = 2.0 * elems * d * (backward ? kAttentionBackwardMatmulFactor : 1.0);
  double ceiling = backward ? eff_.attention_backward : eff_.attention_forward;
  double unit_rate = peak * ceiling / units;
  double softmax_rate = peak * eff_.exp_per_flop * eff_.attention_softmax_fraction / units;
  double block_seconds = std::max(matmul / unit_rate, softmax_rate > 0 ? elems / softmax_rate : 0.0);
  return blocks_per_unit * block_seconds;
}

double TimingEngine::attention_aux_bytes(const Op& op) const {
  if (op.pass != Pass::kBackward) return 0;
  // FlashAttention-2/3 backward around the main kernel: a preprocessing kernel reads O and
  // dO (already in the op's bytes) and writes the fp32 row sums; the fp32 dQ accumulator is
  // zeroed (4 B/element written), accumulated in L2 and converted (4 B read, 2 B written).
  const AttentionShape& s = op.attention;
  double q_elems = static_cast<double>(s.batch) * static_cast<double>(s.heads) * static_cast<double>(s.q_len) *
                   static_cast<double>(s.head_dim_qk);
  return q_elems * (4 + 4 + bytes_per_element(op.dtype));
}

double TimingEngine::collective_seconds(const CollectiveShape& c) const {
  if (c.group <= 1 || c.bytes <= 0) return 0;
  double n = static_cast<double>(c.group);
  if (has_network_) {
    double factor = c.kind == CollectiveKind::kAllReduce ? 2 * (n - 1) / n
                    : c.kind == CollectiveKind::kSendRecv ? 1.0
                                                          : (n - 1) / n;
    const Network& net = network_;
    if (!c.spans_nodes() || !net.multi_node()) {
      double bus = c.kind == CollectiveKind::kAllReduce ? net.bytes_per_second_intra_allreduce : net.bytes_per_second_intra;
      // A small message crosses the ring hop by hop (NCCL's cost model: base + steps x hop).
      double steps = c.kind == CollectiveKind::kAllReduce ? 2 * (n - 1) : c.kind == CollectiveKind::kSendRecv ? 1 : n - 1;
      return net.seconds_latency_intra + steps * net.seconds_latency_intra_hop + c.bytes * factor / bus;
    }
    double g = static_cast<double>(c.members_per_node);
    double per_gpu = net.bytes_per_second_inter / static_cast<double>(std::max<int64_t>(net.gpus_per_node, 1));
    double nodes = std::ceil(n / g);
    // Across nodes the latency grows with the tree depth over nodes (NCCL's tree and
    // PAT algorithms for small messages).
    double latency = net.seconds_latency_inter * std::max(1.0, std::log2(nodes));
    if (c.kind == CollectiveKind::kAllToAll) {
      // Each device sends (n - g)/n of its buffer over its share of the network and the
      // rest over the node's fabric, both at once.
      double out = c.bytes * (n - g) / n / per_gpu;
      double in = c.bytes * (g - 1) / n / net.bytes_per_second_intra;
      return latency + std::max(out, in);
    }
    if (c.kind == CollectiveKind::kSendRecv) return latency + c.bytes / per_gpu;
    double bus = std::min(net.bytes_per_second_intra, g * per_gpu);
    return latency + c.bytes * factor / bus;
  }
  double factor = 1, steps = 1;
  switch (c.kind) {
    case CollectiveKind::kAllReduce:
      factor = 2 * (n - 1) / n;
      steps = 2 * (n - 1);
      break;
    case CollectiveKind::kAllGather:
    case CollectiveKind::kReduceScatter:
    case CollectiveKind::kAllToAll:
      factor = (n - 1) / n;
      steps = n - 1;
      break;
    case CollectiveKind::kSendRecv:
      factor = 1;
      steps = 1;
      break;
  }
  return c.bytes * factor / bytes_per_second_interconnect_ + steps * eff_.seconds_collective_step;
}

int64_t TimingEngine::kernels(const Op& op) const {
  if (is_cpu_) return 0;
  if (op.kind == OpKind::kCollective && op.collective.group <= 1) return 0;
  // torch.compile fuses pointwise ops into their neighbours and emits one kernel per op
  // otherwise. Eager execution and a CUDA graph captured from it run the kernels the op's
  // lowering says (transformers' RMSNorm is 8, F.rms_norm 1; Workload::modules).
  if (software_ == Software::kCompiled) return is_pointwise(op.kind) ? 0 : 1;
  return std::max<int64_t>(1, op.kernels);
}

OpTiming TimingEngine::time(const Op& op) const {
  OpTiming t;
  double bytes = op.bytes_read + op.bytes_written;
  switch (op.kind) {
    case OpKind::kGemm:
    case OpKind::kConv:
      if (op.gemm.m > 0 && op.gemm.n > 0 && op.gemm.k > 0) {
        t.seconds_compute = gemm_compute_seconds(op.gemm, op.dtype, nullptr);
      } else {
        double rate = flops_per_second_gemm(op.dtype);
        t.seconds_compute = rate > 0 ? op.flops / rate : std::numeric_limits<double>::infinity();
      }
      t.seconds_memory = bytes / (bytes_per_second_memory_ * stream_fraction_[static_cast<size_t>(op.weight_dtype)]);
      // 2:4 sparse weights run on the sparse tensor cores at the vendor's sparse peak (2x the
      // dense one on Ampere and Hopper); hardware without a sparse peak runs them dense.
      if (op.sparse_24) {
        const size_t di = static_cast<size_t>(op.dtype);
        if (peak_[di] > 0 && peak_sparse_[di] > peak_[di]) t.seconds_compute *= peak_[di] / peak_sparse_[di];
      }
      break;
    case OpKind::kAttention:
      t.seconds_compute = attention_compute_seconds(op);
      t.seconds_memory = bytes / bytes_per_second_memory_;
      break;
    case OpKind::kCollective:
      t.seconds_memory = collective_seconds(op.collective);
      break;
    default: {
      // Pointwise, reductions, gathers, copies: vector units, bandwidth-bound in practice.
      double vector = peak_[static_cast<size_t>(DType::kFP32)];
      t.seconds_compute = vector > 0 ? op.flops / vector : 0;
      t.seconds_memory = bytes / bytes_per_second_memory_;
      if (op.strided && !is_cpu_) t.seconds_memory /= eff_.strided_elementwise_fraction;
      break;
    }
  }
  // A long steady load runs the tensor cores at the power-limited sustained clock.
  if (op.sustained && uses_matrix_units(op.kind) && eff_.sustained_clock_fraction > 0) {
    t.seconds_compute /= eff_.sustained_clock_fraction;
  }
  double work = std::max(t.seconds_compute, t.seconds_memory);
  // Serial pre/post-processing kernels of the attention backward: bandwidth-bound, after
  // (not overlapped with) the main kernel.
  if (op.kind == OpKind::kAttention) work += attention_aux_bytes(op) / bytes_per_second_memory_;
  double n_kernels = static_cast<double>(kernels(op));
  double kernel_fixed = (op.kind == OpKind::kGemm || op.kind == OpKind::kConv) && !is_cpu_ ? eff_.seconds_gemm_fixed : 0;
  double gpu = work + n_kernels * (seconds_launch() + kernel_fixed);
  t.seconds_stream = work + n_kernels * (seconds_launch_stream() + kernel_fixed);
  double host = 0;
  if (!is_cpu_) {
    // PyTorch eager dispatches each kernel from the host (one aten op per kernel).
    if (software_ == Software::kEager) host = n_kernels * eff_.seconds_host_eager;
    if (software_ == Software::kCompiled) host = n_kernels * eff_.seconds_host_compiled;
  }
  t.seconds = gpu;
  t.seconds_host = host;
  t.seconds_overhead = t.seconds - work;
  if (op.kind == OpKind::kCollective) {
    t.bound = Bound::kCommunication;
  } else if (t.seconds_overhead > work) {
    t.bound = Bound::kOverhead;
  } else {
    t.bound = t.seconds_compute >= t.seconds_memory ? Bound::kCompute : Bound::kMemory;
  }
  return t;
}

namespace {

// The host/GPU queue over a run of ops: the host issues each op after the previous one
// (host time), the GPU runs it once issued and once the previous op is done.
struct Queue {
  double host = 0, gpu = 0;
  void run(const OpTiming& t) {
    host += t.seconds_host;
    gpu = std::max(gpu, host) + t.seconds_stream;
  }
};

}  // namespace

OpListTiming time_ops(const TimingEngine& engine, const OpList& ops) {
  OpListTiming total;
  std::vector<OpTiming> times;
  times.reserve(ops.size());
  for (const Op& op : ops) {
    OpTiming t = engine.time(op);
    times.push_back(t);
    double c = static_cast<double>(op.count);
    // Inside a list, kernels run back to back: the stream launch cost applies.
    t.seconds_overhead -= t.seconds - t.seconds_stream;
    t.seconds = t.seconds_stream;
    total.seconds_gpu += t.seconds * c;
    total.seconds_host += t.seconds_host * c;
    total.seconds_compute += t.seconds_compute * c;
    total.seconds_memory += t.seconds_memory * c;
    total.seconds_overhead += t.seconds_overhead * c;
    total.flops += op.flops * c;
    total.bytes += (op.bytes_read + op.bytes_written) * c;
    total.kernels += engine.kernels(op) * op.count;
    total.seconds_by_kind[static_cast<size_t>(op.kind)] += t.seconds * c;
    total.seconds_by_bound[static_cast<size_t>(t.bound)] += t.seconds * c;
  }
  // Consecutive ops with the same count > 1 are one layer repeated `count` times: run two
  // repetitions through the queue, then extrapolate the steady-state second one.
  Queue q;
  for (size_t i = 0; i < ops.size();) {
    size_t j = i + 1;
    while (j < ops.size() && ops[j].count == ops[i].count) ++j;
    int64_t reps = std::max<int64_t>(ops[i].count, 0);
    if (reps <= 1) {
      for (size_t k = i; k < j; ++k) {
        if (ops[k].count == 1) q.run(times[k]);
      }
    } else {
      for (int64_t r = 0; r < std::min<int64_t>(reps, 2); ++r) {
        Queue before = q;
        for (size_t k = i; k < j; ++k) q.run(times[k]);
        if (r == 1 && reps > 2) {
          double more = static_cast<double>(reps - 2);
          q.host += (q.host - before.host) * more;
          q.gpu += (q.gpu - before.gpu) * more;
        }
      }
    }
    i = j;
  }
  total.seconds = q.gpu;
  // GPU idle time behind a slow host counts as overhead.
  double idle = std::max(0.0, total.seconds - total.seconds_gpu);
  total.seconds_overhead += idle;
  total.seconds_by_bound[static_cast<size_t>(Bound::kOverhead)] += idle;
  return total;
}

}  // namespace flopscope
