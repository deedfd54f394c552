// The hardware catalog: accelerators and server CPUs with their datasheet figures (cloud
// prices are plan/price_catalog.h).
// Data: data/hardware/*.toml (each value with its source), embedded at build time;
// a user file given with --catalog or $FLOPSCOPE_HARDWARE overrides or adds entries.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

#include "flopscope/util/dtype.h"
#include "flopscope/util/result.h"

namespace flopscope {

struct SourceRef {
  std::string what;  ///< "NVIDIA H100 datasheet"
  std::string url;
  std::string date;  ///< when it was read or published
};

struct Hardware {
  std::string id;      ///< kebab-case catalog id: "h100-sxm", "a100-sxm-80gb", "tpu-v5e"
  std::string name;    ///< "NVIDIA H100 SXM5 80GB"
  std::string vendor;  ///< "NVIDIA", "AMD", "Google", "Intel"
  std::string kind;    ///< "gpu", "tpu", "accelerator", "cpu"
  /// Dense peak FLOP/s per compute dtype (never the with-sparsity figure); 0 = not supported.
  /// int8/int4 hold OP/s.
  std::array<double, static_cast<size_t>(DType::kCount)> flops_peak{};
  /// The vendor's "with 2:4 structured sparsity" figure where it prints one (0 = none);
  /// for reference only: planning uses `flops_peak`, which is half of it.
  std::array<double, static_cast<size_t>(DType::kCount)> flops_peak_sparse{};
  double bytes_memory = 0;             ///< device memory capacity (bytes; 0 = unknown, e.g. CPUs)
  std::string memory_type;             ///< "HBM3", "GDDR6", "DDR5-4800, 12 channels"
  double bytes_per_second_memory = 0;  ///< peak memory bandwidth (bytes/s)
  double watts_tdp = 0;
  std::string interconnect;                  ///< "NVLink 4"
  double bytes_per_second_interconnect = 0;  ///< per device, one direction (bytes/s)
  int64_t compute_units = 0;  ///< SMs / CUs / cores (0 = unknown): wave quantization
  double bytes_l2 = 0;        ///< last-level on-chip cache (0 = unknown)
  int64_t release_year = 0;
  std::vector<SourceRef> sources;
  std::string notes;
  std::vector<std::string> aliases;  ///< other names find() accepts: "h100" for "h100-sxm"

  double peak(DType t) const { return flops_peak[static_cast<size_t>(t)]; }
  bool supports(DType t) const { return peak(t) > 0; }
};

/// Why hardware `id` cannot compute in `t`: "hardware 'v100-sxm' has no fp8 support (see
/// flopscope hardware v100-sxm)" when the catalog lists other peaks for it, or "hardware
/// 'a10g' has no sourced bf16 peak in the catalog (see ...)" when it lists none at all (the
/// chip computes in it, but no primary source gives the figure: not the same as no support).
std::string missing_peak_message(const std::string& id, DType t, bool any_peak_sourced);
std::string missing_peak_message(const Hardware& hw, DType t);

/// Reads a `[[...sources]]` array of {what, url, date} tables at `field` of a TOML document
/// read from `origin` (every catalog entry of data/ carries one).
Status read_sources(const toml::node& n, std::string_view origin, const std::string& field,
                    std::vector<SourceRef>& out);

class HardwareCatalog {
 public:
  /// The embedded catalog (data/hardware/*.toml), plus $FLOPSCOPE_HARDWARE when set.
  /// When the user file cannot be read or parsed, this is the embedded catalog alone and
  /// builtin_status() holds the error (the CLI reports it).
  static const HardwareCatalog& builtin();
  static const Status& builtin_status();
  /// Loads the embedded catalog and merges `user_file` when it is non-empty.
  static Result<HardwareCatalog> load(const std::string& user_file);
  /// Parses a catalog from TOML text; `origin` names it in errors. Every entry needs a
  /// name and at least one source.
  static Result<HardwareCatalog> parse(std::string_view toml, std::string_view origin);
  /// Adds or replaces entries from a user file (same schema). A table for an existing id
  /// overrides only the keys it sets; a new id needs a name (sources are optional there).
  Status merge_file(const std::string& path);
  /// merge_file() on text already in memory; `origin` names it in errors.
  Status merge_toml(std::string_view toml, std::string_view origin);

  /// The entry with this id or one of its aliases (case-insensitive); an unknown id gives
  /// "unknown hardware 'h10', did you mean 'h100-sxm'? (see flopscope hardware)".
  Result<const Hardware*> find(std::string_view id) const;
  const std::vector<Hardware>& all() const { return entries_; }
  std::vector<std::string> ids() const;

 private:
  std::vector<Hardware> entries_;
};

}  // namespace flopscope
