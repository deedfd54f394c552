// FinOps FOCUS billing exports (FOCUS 1.0, https://focus.finops.org), as AWS (CUR 2.0 FOCUS),
// Azure, Google Cloud and OCI write them: a CSV (RFC 4180) with a header row. Read:
//   BilledCost, EffectiveCost       decimal, US dollars (BillingCurrency must be USD if present)
//   ChargePeriodStart, ...End       ISO 8601 UTC; End >= Start
//   ResourceId, ServiceName, SkuId  text, optional
//   Tags                            JSON object of string values, optional; the key
//                                   ImportOptions::job_tag ("job") names the job
//   ChargeCategory                  optional; a negative cost is accepted only for Credit
//                                   and Adjustment rows
// Other columns are ignored. Costs lie in [-1e12, 1e12].
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <unordered_map>
#include <vector>

#include "flopscope/ledger/csv_reader.h"
#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/importers.h"
#include "flopscope/ledger/sha256.h"
#include "flopscope/util/text.h"

namespace flopscope {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

size_t find_column(const std::vector<std::string>& header, std::string_view name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (ascii_lower(trim(header[i])) == ascii_lower(name)) return i;
  }
  return kNone;
}

}  // namespace

Status import_focus(std::string_view text, const std::string& origin, const ImportOptions& o, RowSink& sink) {
  CsvReader reader(text, origin);
  CsvRecord rec;
  auto first = reader.next(rec);
  if (!first) return first.error();
  if (!*first) return bad_input(origin + ": empty file: expected a FOCUS header row");
  const std::vector<std::string> header = rec.fields;
  const size_t c_billed = find_column(header, "BilledCost");
  const size_t c_effective = find_column(header, "EffectiveCost");
  const size_t c_start = find_column(header, "ChargePeriodStart");
  const size_t c_end = find_column(header, "ChargePeriodEnd");
  for (auto [col, name] : {std::pair{c_billed, "BilledCost"}, {c_effective, "EffectiveCost"},
                           {c_start, "ChargePeriodStart"}, {c_end, "ChargePeriodEnd"}}) {
    if (col == kNone) {
      return bad_input(fmt::format("{}: line 1: missing column '{}' (FOCUS requires BilledCost, EffectiveCost, "
                                   "ChargePeriodStart and ChargePeriodEnd)",
                                   origin, name));
    }
  }
  const size_t c_resource = find_column(header, "ResourceId");
  const size_t c_service = find_column(header, "ServiceName");
  const size_t c_sku = find_column(header, "SkuId");
  const size_t c_tags = find_column(header, "Tags");
  const size_t c_category = find_column(header, "ChargeCategory");
  const size_t c_currency = find_column(header, "BillingCurrency");

  std::unordered_map<uint64_t, uint32_t> occurrences;
  occurrences.reserve(text.size() / 128);  // a FOCUS row is rarely shorter
  CostRecord r;
  for (;;) {
    auto more = reader.next(rec);
    if (!more) return more.error();
    if (!*more) break;
    if (rec.fields.size() == 1 && trim(rec.fields[0]).empty()) continue;  // blank line
    if (rec.fields.size() != header.size()) {
      return bad_input(fmt::format("{}: line {}: expected {} fields (as the header has), got {}", origin, rec.line,
                                   header.size(), rec.fields.size()));
    }
    auto where = [&](size_t col) {
      return fmt::format("{}: line {}, column {} ({}): ", origin, rec.line, col + 1, printable(trim(header[col])));
    };
    auto cost = [&](size_t col, double& out) -> Status {
      auto v = parse_bounded(rec.fields[col], -kLedgerMaxUsd, kLedgerMaxUsd);
      if (!v) return bad_input(where(col) + v.error().message);
      out = *v;
      return {};
    };
    if (auto st = cost(c_billed, r.usd_billed); !st) return st;
    if (auto st = cost(c_effective, r.usd_effective); !st) return st;
    if (r.usd_billed < 0 || r.usd_effective < 0) {
      std::string category = c_category == kNone ? "" : std::string(trim(rec.fields[c_category]));
      if (category != "Credit" && category != "Adjustment") {
        size_t col = r.usd_billed < 0 ? c_billed : c_effective;
        return bad_input(where(col) + "expected a cost >= 0 (negative only on ChargeCategory Credit or Adjustment "
                                      "rows), got '" + printable(trim(rec.fields[col])) + "'");
      }
    }
    if (c_currency != kNone) {
      std::string_view cur = trim(rec.fields[c_currency]);
      if (!cur.empty() && cur != "USD") {
        return bad_input(where(c_currency) + "expected USD (the ledger sums US dollars), got '" + printable(cur) + "'");
      }
    }
    auto start = parse_utc_time(rec.fields[c_start]);
    if (!start) return bad_input(where(c_start) + start.error().message);
    auto end = parse_utc_time(rec.fields[c_end]);
    if (!end) return bad_input(where(c_end) + end.error().message);
    if (*end < *start) {
      return bad_input(where(c_end) + "expected a time at or after ChargePeriodStart, got '" +
                       printable(trim(rec.fields[c_end])) + "'");
    }
    r.unix_seconds_start = *start;
    r.unix_seconds_end = *end;
    r.resource_id = c_resource == kNone ? "" : std::string(trim(rec.fields[c_resource]));
    r.service_name = c_service == kNone ? "" : std::string(trim(rec.fields[c_service]));
    r.sku_id = c_sku == kNone ? "" : std::string(trim(rec.fields[c_sku]));
    r.tags_json = "{}";
    r.job.clear();
    if (c_tags != kNone) {
      std::string_view tags = trim(rec.fields[c_tags]);
      if (!tags.empty() && tags != "{}") {
        nlohmann::json j = nlohmann::json::parse(tags, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
          return bad_input(where(c_tags) + "expected a JSON object of tags, got '" +
                           printable(tags.substr(0, 60)) + "'");
        }
        for (auto& [key, value] : j.items()) {
          if (value.is_string()) continue;
          if (value.is_number() || value.is_boolean()) {
            value = value.dump();
          } else {
            return bad_input(where(c_tags) + "tag '" + printable(key) + "': expected a string value, got " +
                             std::string(value.type_name()));
          }
        }
        r.tags_json = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        if (auto it = j.find(o.job_tag); it != j.end()) r.job = it->get<std::string>();
      }
    }
    // The same bytes twice in one file are two charges: the occurrence number keeps them apart,
    // while a later export that repeats this file's rows maps them onto the same keys.
    const uint64_t h = fnv1a64(rec.raw);
    const uint32_t occurrence = occurrences[h]++;
    r.row_key = static_cast<int64_t>(fnv1a64(rec.raw, 0xcbf29ce484222325ULL ^ (occurrence * 0x9E3779B97F4A7C15ULL)));
    if (auto st = sink.cost(r); !st) return st;
  }
  return {};
}

}  // namespace flopscope
