#include "flopscope/cost/op.h"

#include <array>

namespace flopscope {

const char* op_kind_name(OpKind k) {
  static constexpr std::array<const char*, 13> kNames = {
      "gemm", "attention", "norm", "elementwise", "softmax", "reduction", "embedding",
      "conv", "data_movement", "collective", "optimizer", "other", "?"};
  static_assert(kNames.size() == static_cast<size_t>(OpKind::kCount) + 1, "one name per OpKind");
  return kNames[static_cast<size_t>(k)];
}

Op make_gemm(std::string name, int64_t m, int64_t n, int64_t k, DType dtype, int64_t batch, int64_t count) {
  Op op;
  op.kind = OpKind::kGemm;
  op.name = std::move(name);
  op.type = "gemm";
  op.dtype = dtype;
  op.weight_dtype = dtype;
  op.gemm = {m, n, k, batch};
  double b = bytes_per_element(dtype);
  double dm = static_cast<double>(m), dn = static_cast<double>(n), dk = static_cast<double>(k);
  double db = static_cast<double>(batch);
  op.flops = 2.0 * dm * dn * dk * db;
  op.bytes_read = (dm * dk + dk * dn) * b * db;
  // fp8 GEMMs write a 16-bit result, as cuBLASLt and serving engines do.
  double out_b = dtype == DType::kFP8 || dtype == DType::kINT8 ? 2.0 : b;
  op.bytes_written = dm * dn * out_b * db;
  op.count = count;
  return op;
}

Op make_elementwise(OpKind kind, std::string name, std::string type, double elements, double flops_per_element,
                    int inputs, int outputs, DType dtype, int64_t count) {
  Op op;
  op.kind = kind;
  op.name = std::move(name);
  op.type = std::move(type);
  op.dtype = dtype;
  double b = bytes_per_element(dtype);
  op.flops = elements * flops_per_element;
  op.bytes_read = elements * b * inputs;
  op.bytes_written = elements * b * outputs;
  op.count = count;
  return op;
}

OpTotals totals(const OpList& ops) {
  OpTotals t;
  for (const auto& op : ops) {
    t.flops += op.total_flops();
    t.bytes += op.total_bytes();
  }
  return t;
}

}  // namespace flopscope

namespace flopscope {

const char* collective_kind_name(CollectiveKind k) {
  switch (k) {
    case CollectiveKind::kAllReduce: return "all_reduce";
    case CollectiveKind::kAllGather: return "all_gather";
    case CollectiveKind::kReduceScatter: return "reduce_scatter";
    case CollectiveKind::kAllToAll: return "all_to_all";
    case CollectiveKind::kSendRecv: return "send_recv";
  }
  return "?";
}

Op make_collective(std::string name, CollectiveKind kind, double bytes, int64_t group, int64_t members_per_node,
                   Pass pass, Overlap overlap, int64_t count) {
  Op op;
  op.kind = OpKind::kCollective;
  op.name = std::move(name);
  op.type = collective_kind_name(kind);
  op.pass = pass;
  op.collective = {kind, bytes, group, members_per_node};
  op.overlap = overlap;
  op.count = count;
  // The bytes each device sends and receives, for byte totals.
  op.bytes_read = bytes;
  op.bytes_written = 0;
  return op;
}

}  // namespace flopscope
