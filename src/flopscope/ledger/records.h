// The rows the ledger holds, one struct per table (docs/ledger.md, "Schema"). Importers
// produce them; a LedgerStore writes them. Quantities are SI (seconds since the Unix epoch
// in UTC, US dollars, watts, bytes) and the field names carry the unit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace flopscope {

/// One FOCUS billing row (FinOps FOCUS 1.0: BilledCost, EffectiveCost, ChargePeriodStart,
/// ChargePeriodEnd, ResourceId, ServiceName, SkuId, Tags).
struct CostRecord {
  int64_t row_key = 0;            ///< hash of the row's bytes and its occurrence in the file (idempotence)
  double unix_seconds_start = 0;  ///< ChargePeriodStart
  double unix_seconds_end = 0;    ///< ChargePeriodEnd
  double usd_billed = 0;          ///< BilledCost (the invoice)
  double usd_effective = 0;       ///< EffectiveCost (amortized, after discounts): what reports sum
  std::string resource_id;
  std::string service_name;
  std::string sku_id;
  std::string tags_json = "{}";   ///< Tags, as a JSON object with string values
  std::string job;                ///< the value of the job tag ("" when untagged)
};

/// One GPU at one instant: nvidia-smi rows and DCGM scrapes.
struct GpuSample {
  std::string host;               ///< "" when the source does not say
  std::string gpu;                ///< index or UUID as the source gives it
  double unix_seconds = 0;
  std::optional<double> percent_utilization;  ///< utilization.gpu, DCGM_FI_DEV_GPU_UTIL (0..100)
  std::optional<double> watts_power;          ///< power.draw, DCGM_FI_DEV_POWER_USAGE
  std::optional<double> bytes_memory_used;    ///< memory.used, DCGM_FI_DEV_FB_USED
  std::string job;                ///< from `ledger import --job` ("" when not given)
};

/// Training progress over one interval: a JSONL record or a Trainer run's summary.
struct ProgressRecord {
  std::string job;
  int64_t step = 0;               ///< the step the interval ends at (unique per job)
  double tokens = 0;              ///< tokens processed in the interval
  double seconds = 0;             ///< wall-clock seconds of the interval
  std::optional<double> flops_model;   ///< model FLOPs of the interval when the source counts them (HF total_flos)
  std::optional<double> unix_seconds;  ///< when the interval ended, when given
};

/// What a job ran: the facts a predicted MFU needs (a JSONL header or a jobs TOML entry).
struct JobMeta {
  std::string job;
  std::string model;              ///< catalog name, HF id or config path (model/load.h)
  std::string hardware;           ///< hardware catalog id
  int64_t gpus = 0;               ///< 0 = unknown
  int64_t micro_batch = 0;        ///< sequences per device per step; 0 = unknown (1 assumed)
  int64_t seq = 0;                ///< tokens per sequence; 0 = unknown (2048 assumed)
  std::string dtype;              ///< compute dtype; "" = bf16
  std::optional<double> usd_plan; ///< planned spend (jobs TOML only; `ledger check` compares)
};

}  // namespace flopscope
