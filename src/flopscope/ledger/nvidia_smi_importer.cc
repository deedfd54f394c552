// nvidia-smi logs: `nvidia-smi --query-gpu=timestamp,index,utilization.gpu,power.draw,memory.used
// --format=csv -l 10`, which prints a header row
//   timestamp, index, utilization.gpu [%], power.draw [W], memory.used [MiB]
// then one row per GPU per interval: "2024/09/01 12:00:00.123, 0, 87 %, 612.35 W, 70001 MiB".
// `--format=csv,nounits` drops the units; a header is required (noheader cannot be told
// apart). A log that repeats its header (several runs appended) is accepted.
//   timestamp           required; nvidia-smi writes local time without a zone: it is read
//                       as UTC (log with TZ=UTC)
//   index | uuid | pci.bus_id   the GPU (the first present, in that order)
//   utilization.gpu     percent, [0, 100]
//   power.draw          watts, [0, 100000]
//   memory.used         MiB, [0, 1e9]
// At least one of the last three. "[N/A]", "N/A", "[Not Supported]" and "[Unknown Error]"
// leave that value empty.
#include <fmt/format.h>

#include <vector>

#include "flopscope/ledger/csv_reader.h"
#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/importers.h"
#include "flopscope/util/text.h"

namespace flopscope {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

// "utilization.gpu [%]" -> "utilization.gpu"
std::string base_name(std::string_view h) {
  std::string_view t = trim(h);
  if (size_t b = t.find(" ["); b != std::string_view::npos) t = t.substr(0, b);
  return ascii_lower(t);
}

bool not_available(std::string_view v) {
  return v == "[N/A]" || v == "N/A" || v == "[Not Supported]" || v == "[Unknown Error]" || v.empty();
}

}  // namespace

Status import_nvidia_smi(std::string_view text, const std::string& origin, const ImportOptions& o, RowSink& sink) {
  CsvReader reader(text, origin);
  CsvRecord rec;
  auto first = reader.next(rec);
  if (!first) return first.error();
  if (!*first) return bad_input(origin + ": empty file: expected an nvidia-smi CSV header row");
  std::vector<std::string> header;
  for (const auto& f : rec.fields) header.push_back(base_name(f));
  auto col = [&](std::string_view name) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    return kNone;
  };
  const size_t c_time = col("timestamp");
  size_t c_gpu = col("index");
  if (c_gpu == kNone) c_gpu = col("uuid");
  if (c_gpu == kNone) c_gpu = col("pci.bus_id");
  const size_t c_util = col("utilization.gpu");
  const size_t c_power = col("power.draw");
  const size_t c_memory = col("memory.used");
  if (c_time == kNone || c_gpu == kNone) {
    return bad_input(origin + ": line 1: expected the columns timestamp and index (or uuid, pci.bus_id) in the header "
                              "(nvidia-smi --query-gpu=timestamp,index,... --format=csv)");
  }
  if (c_util == kNone && c_power == kNone && c_memory == kNone) {
    return bad_input(origin + ": line 1: expected at least one of utilization.gpu, power.draw, memory.used");
  }
  struct Metric {
    size_t col;
    const char* unit;
    double hi;
    double scale;
    std::optional<double> GpuSample::*field;
  };
  const Metric metrics[] = {{c_util, "%", 100, 1, &GpuSample::percent_utilization},
                            {c_power, "W", 1e5, 1, &GpuSample::watts_power},
                            {c_memory, "MiB", 1e9, 1048576.0, &GpuSample::bytes_memory_used}};
  GpuSample s;
  s.host = o.host;
  s.job = o.job;
  for (;;) {
    auto more = reader.next(rec);
    if (!more) return more.error();
    if (!*more) break;
    if (rec.fields.size() == 1 && trim(rec.fields[0]).empty()) continue;
    if (base_name(rec.fields[0]) == header[0] && rec.fields.size() == header.size()) continue;  // repeated header
    if (rec.fields.size() != header.size()) {
      return bad_input(fmt::format("{}: line {}: expected {} fields (as the header has), got {}", origin, rec.line,
                                   header.size(), rec.fields.size()));
    }
    auto where = [&](size_t c) { return fmt::format("{}: line {}, column {} ({}): ", origin, rec.line, c + 1, header[c]); };
    auto t = parse_utc_time(rec.fields[c_time]);
    if (!t) return bad_input(where(c_time) + t.error().message);
    s.unix_seconds = *t;
    s.gpu = std::string(trim(rec.fields[c_gpu]));
    if (s.gpu.empty()) return bad_input(where(c_gpu) + "expected a GPU index or id, got ''");
    for (const Metric& m : metrics) {
      s.*m.field = std::nullopt;
      if (m.col == kNone) continue;
      std::string_view v = trim(rec.fields[m.col]);
      if (not_available(v)) continue;
      if (size_t sp = v.rfind(' '); sp != std::string_view::npos) {
        if (trim(v.substr(sp + 1)) != m.unit) {
          return bad_input(where(m.col) + fmt::format("expected a value in {}, got '{}'", m.unit, printable(v)));
        }
        v = trim(v.substr(0, sp));
      }
      auto x = parse_bounded(v, 0, m.hi);
      if (!x) return bad_input(where(m.col) + x.error().message);
      s.*m.field = *x * m.scale;
    }
    if (auto st = sink.gpu_sample(s); !st) return st;
  }
  return {};
}

}  // namespace flopscope
