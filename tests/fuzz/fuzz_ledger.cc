// libFuzzer target: the ledger's importers (FOCUS CSV, nvidia-smi CSV, DCGM Prometheus
// text, progress JSONL, trainer_state.json) over any bytes. The first byte picks the
// format (0: detected, as `ledger import` does without --format, 1..5: LedgerFormat) and
// whether the telemetry options are given; the rest is the file. Every input must end in
// rows or one clean Error naming the file, with no crash, hang or sanitizer report, and the
// rows must hold what the importers promise (ledger/records.h, fields.h): finite numbers in
// their ranges, tags a JSON object, keys that make a second import add nothing.
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/import.h"
#include "require.h"

namespace flopscope {
namespace {

bool within(double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; }
bool within(const std::optional<double>& v, double lo, double hi) { return !v || within(*v, lo, hi); }

// A ledger in memory with the SQL back ends' semantics: a row whose key is there is skipped,
// a file whose hash is there is not imported again, a rollback forgets the open import.
class MemoryLedger final : public LedgerStore {
 public:
  Result<bool> begin_import(const ImportHeader& h) override {
    require(!open_);
    if (hashes_.count(h.sha256)) return false;
    open_ = true;
    pending_hash_ = h.sha256;
    added_ = 0;
    return true;
  }
  Status add_cost(const CostRecord& r) override {
    require(open_);
    require(within(r.usd_billed, -kLedgerMaxUsd, kLedgerMaxUsd) && within(r.usd_effective, -kLedgerMaxUsd, kLedgerMaxUsd));
    require(within(r.unix_seconds_start, kLedgerMinUnixSeconds, kLedgerMaxUnixSeconds));
    require(within(r.unix_seconds_end, r.unix_seconds_start, kLedgerMaxUnixSeconds));
    auto tags = nlohmann::json::parse(r.tags_json, nullptr, false);
    require(!tags.is_discarded() && tags.is_object());
    for (const auto& [key, value] : tags.items()) require(value.is_string());
    text(r.resource_id), text(r.service_name), text(r.sku_id), text(r.job);
    return add(cost_keys_, r.row_key);
  }
  Status add_gpu_sample(const GpuSample& s) override {
    require(open_);
    require(within(s.unix_seconds, kLedgerMinUnixSeconds, kLedgerMaxUnixSeconds));
    require(within(s.percent_utilization, 0, 100));
    require(within(s.watts_power, 0, 1e9) && within(s.bytes_memory_used, 0, 1e18));
    text(s.host), text(s.gpu), text(s.job);
    return add(sample_keys_, std::make_tuple(s.host, s.gpu, s.unix_seconds));
  }
  Status add_progress(const ProgressRecord& p) override {
    require(open_);
    require(within(p.tokens, 0, kLedgerMaxTokens) && within(p.seconds, 0, kLedgerMaxSeconds));
    require(within(p.flops_model, 0, 1e30) && within(p.unix_seconds, kLedgerMinUnixSeconds, kLedgerMaxUnixSeconds));
    text(p.job);
    return add(progress_keys_, std::make_tuple(p.job, p.step));
  }
  Status put_job(const JobMeta& j) override {
    require(open_ && j.gpus >= 0 && j.micro_batch >= 0 && j.seq >= 0);
    text(j.job), text(j.model), text(j.hardware), text(j.dtype);
    return {};
  }
  Result<int64_t> commit_import() override {
    require(open_);
    open_ = false;
    hashes_.insert(pending_hash_);
    for (auto& k : pending_costs_) cost_keys_.insert(k);
    for (auto& k : pending_samples_) sample_keys_.insert(k);
    for (auto& k : pending_progress_) progress_keys_.insert(k);
    clear_pending();
    return added_;
  }
  void rollback_import() override {
    open_ = false;
    clear_pending();
  }
  Result<int> schema_version() override { return 2; }
  Result<LedgerCounts> counts() override {
    return LedgerCounts{static_cast<int64_t>(hashes_.size()), static_cast<int64_t>(cost_keys_.size()),
                        static_cast<int64_t>(sample_keys_.size()), static_cast<int64_t>(progress_keys_.size()), 0};
  }
  Result<std::vector<DailySpend>> daily_spend() override { return std::vector<DailySpend>{}; }
  Result<std::vector<TagSpend>> tag_spend() override { return std::vector<TagSpend>{}; }
  Result<std::vector<GpuSample>> gpu_samples() override { return std::vector<GpuSample>{}; }
  Result<std::vector<ProgressTotal>> progress_totals() override { return std::vector<ProgressTotal>{}; }
  Result<std::vector<JobMeta>> jobs() override { return std::vector<JobMeta>{}; }

 private:
  using SampleKey = std::tuple<std::string, std::string, double>;
  using ProgressKey = std::tuple<std::string, int64_t>;
  // Text a row carries must be text both back ends hold (import_text refuses the rest,
  // except what a JSON escape such as \u0000 decodes to).
  static void text(const std::string& s) { require(first_non_text_byte(s) == std::string_view::npos); }
  template <typename K>
  Status add(const std::set<K>& committed, const K& key) {
    std::set<K>& pending = pending_of(key);
    if (!committed.count(key) && pending.insert(key).second) ++added_;
    return {};
  }
  std::set<int64_t>& pending_of(const int64_t&) { return pending_costs_; }
  std::set<SampleKey>& pending_of(const SampleKey&) { return pending_samples_; }
  std::set<ProgressKey>& pending_of(const ProgressKey&) { return pending_progress_; }
  void clear_pending() {
    pending_costs_.clear();
    pending_samples_.clear();
    pending_progress_.clear();
  }
  bool open_ = false;
  int64_t added_ = 0;
  std::string pending_hash_;
  std::set<std::string> hashes_;
  std::set<int64_t> cost_keys_, pending_costs_;
  std::set<SampleKey> sample_keys_, pending_samples_;
  std::set<ProgressKey> progress_keys_, pending_progress_;
};

}  // namespace
}  // namespace flopscope

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flopscope;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  ImportOptions o;
  const int format = (selector & 0x7F) % (static_cast<int>(LedgerFormat::kCount) + 1);
  if (format > 0) o.format = static_cast<LedgerFormat>(format - 1);
  if (selector & 0x80) {
    o.job = "fuzz-job";
    o.host = "node-1";
    o.unix_seconds_scrape = 1725148800;
  }
  const std::string origin = "run-1/checkpoint-5/trainer_state.json";
  MemoryLedger ledger;
  auto first = import_text(ledger, text, origin, o);
  if (!first) {
    // One line naming the file; the ledger untouched.
    require(first.error().message.rfind(origin + ": ", 0) == 0);
    // import_text turns an exception into this line: a bug (the file's text may quote the words).
    const bool exception = first.error().message.rfind(origin + ": internal error while importing (", 0) == 0;
    if (exception) std::fprintf(stderr, "%s\n", first.error().message.c_str());
    require(!exception);
    require(ledger.counts()->imports == 0);
    return 0;
  }
  require(first->rows_added <= first->rows_read && first->rows_added >= 0);
  // The same file again adds nothing.
  const LedgerCounts before = *ledger.counts();
  auto again = import_text(ledger, text, origin, o);
  require(again && again->already_imported && again->rows_added == 0);
  require(ledger.counts()->costs == before.costs && ledger.counts()->imports == before.imports);
  return 0;
}
