// The system catalog: nodes of accelerators and the networks between them
// (data/hardware/systems.toml, every figure with its source; docs/parallelism.md).
//
// A system is a node type: `gpus_per_node` devices of one hardware id joined by an
// intra-node fabric (NVLink + NVSwitch, or PCIe) and `nics_per_node` network cards of
// `nic_gbps` each to the other nodes. Collectives are timed on it with the bus-bandwidth
// model of nccl-tests (docs/parallelism.md, "Collectives"):
//   seconds = latency + bytes x factor / bus bandwidth
//   factor: all-reduce 2(n-1)/n, all-gather / reduce-scatter / all-to-all (n-1)/n, send 1
//   bus bandwidth inside a node: the measured nccl-tests busbw on one node
//   across nodes, g members of the group per node: min(intra, g x busbw_inter / gpus_per_node)
//     (each GPU's share of the node's network, the rail-optimised placement NCCL uses;
//     concurrent groups on a node share the NICs evenly)
// Figures that were not measured fall back to the link rates (an upper bound, said in notes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/hw/hardware.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// What the timing engine needs to time a collective.
struct Network {
  int64_t gpus_per_node = 8;
  double bytes_per_second_intra = 0;     ///< achievable bus bandwidth inside a node, per GPU
  double bytes_per_second_intra_allreduce = 0;  ///< all-reduce inside a node (NVLS where it exists)
  double bytes_per_second_inter = 0;     ///< achievable bus bandwidth of a whole node's network (0 = none)
  double seconds_latency_intra = 0;      ///< one small collective inside a node: the base
  double seconds_latency_intra_hop = 0;  ///< plus this per ring step (all-reduce: 2 (n-1) steps)
  double seconds_latency_inter = 0;      ///< one small collective across two nodes
  bool multi_node() const { return bytes_per_second_inter > 0; }
};

struct System {
  std::string id;          ///< "dgx-h100"
  std::string name;        ///< "NVIDIA DGX H100"
  std::string hardware;    ///< hardware catalog id of its devices
  int64_t gpus_per_node = 8;
  std::string intra_node;  ///< "NVLink 4 + NVSwitch (NVLS)"
  double bytes_per_second_link = 0;       ///< intra-node link rate per GPU, one direction
  std::string inter_node;  ///< "8x ConnectX-7 400 Gb/s NDR InfiniBand"
  int64_t nics_per_node = 0;
  double bits_per_second_nic = 0;
  double bytes_per_second_busbw_intra = 0;  ///< measured all-reduce busbw, one node (0 = unmeasured)
  double bytes_per_second_busbw_intra_allreduce = 0;  ///< all-reduce with NVLink SHARP (0 = as intra)
  double bytes_per_second_busbw_inter = 0;  ///< measured all-reduce busbw, several nodes (0 = unmeasured)
  double seconds_latency_intra = 0;
  double seconds_latency_intra_hop = 0;
  double seconds_latency_inter = 0;
  std::vector<SourceRef> sources;
  std::string notes;

  /// The figures the timing engine uses (measured where there are, link rates otherwise).
  Network network() const;
};

class SystemCatalog {
 public:
  /// data/hardware/systems.toml.
  static const SystemCatalog& builtin();
  static Result<SystemCatalog> parse(std::string_view toml, std::string_view origin);
  /// By id (case-insensitive): "unknown system 'dgx-h10', did you mean 'dgx-h100'? (see flopscope hardware --systems)".
  Result<const System*> find(std::string_view id) const;
  /// The first system built of this hardware (the catalog lists the reference node of each
  /// GPU first), or nullptr.
  const System* for_hardware(std::string_view hardware_id) const;
  const std::vector<System>& all() const { return entries_; }

 private:
  std::vector<System> entries_;
};

/// A single node of `hardware` with no network (when the catalog has no system for it):
/// intra-node bandwidth from the hardware's interconnect (PCIe Gen4 x16 when none).
System standalone_system(const Hardware& hardware);

}  // namespace flopscope
