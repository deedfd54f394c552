// DCGM exporter scrapes (dcgm-exporter, Prometheus text exposition format 0.0.4):
//   # HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
//   # TYPE DCGM_FI_DEV_GPU_UTIL gauge
//   DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-...",device="nvidia0",Hostname="node-1"} 87 1725192000000
// Read: DCGM_FI_DEV_GPU_UTIL (percent, [0, 100]), DCGM_FI_DEV_POWER_USAGE (watts, [0, 1e5]),
// DCGM_FI_DEV_FB_USED (MiB, [0, 1e9]); the GPU is the `gpu` label (else UUID), the host the
// `Hostname` label. The optional timestamp is in milliseconds; samples without one take
// ImportOptions::unix_seconds_scrape (`--time`), and with neither the file is refused.
// Several scrapes may be concatenated. Other metrics are checked for syntax and skipped.
#include <fmt/format.h>

#include <map>
#include <tuple>

#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/importers.h"
#include "flopscope/util/text.h"

namespace flopscope {
namespace {

struct Parsed {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string_view value;
  std::string_view timestamp;
};

// One sample line; `col` receives the 1-based column of an error.
Result<Parsed> parse_line(std::string_view line, size_t& col) {
  Parsed p;
  size_t i = 0;
  auto is_name = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
  };
  while (i < line.size() && is_name(line[i], i == 0)) ++i;
  if (i == 0) {
    col = 1;
    return bad_input("expected a metric name");
  }
  p.name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    for (;;) {
      while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      size_t k = i;
      while (i < line.size() && is_name(line[i], i == k)) ++i;
      if (i == k || i >= line.size() || line[i] != '=' || i + 1 >= line.size() || line[i + 1] != '"') {
        col = i + 1;
        return bad_input("expected label=\"value\"");
      }
      std::string key(line.substr(k, i - k));
      i += 2;
      std::string value;
      for (;;) {
        if (i >= line.size()) {
          col = i + 1;
          return bad_input("label value is never closed");
        }
        char c = line[i++];
        if (c == '"') break;
        if (c == '\\' && i < line.size()) {
          char e = line[i++];
          value.push_back(e == 'n' ? '\n' : e);
        } else {
          value.push_back(c);
        }
      }
      p.labels[key] = value;
    }
  }
  size_t vs = i;
  while (vs < line.size() && line[vs] == ' ') ++vs;
  size_t ve = vs;
  while (ve < line.size() && line[ve] != ' ') ++ve;
  if (vs == i || ve == vs) {
    col = vs + 1;
    return bad_input("expected a space and a value after the metric");
  }
  p.value = line.substr(vs, ve - vs);
  p.timestamp = trim(line.substr(ve));
  col = vs + 1;
  return p;
}

}  // namespace

Status import_dcgm(std::string_view text, const std::string& origin, const ImportOptions& o, RowSink& sink) {
  struct Metric {
    const char* name;
    double hi;
    double scale;
    std::optional<double> GpuSample::*field;
  };
  static const Metric kMetrics[] = {{"DCGM_FI_DEV_GPU_UTIL", 100, 1, &GpuSample::percent_utilization},
                                    {"DCGM_FI_DEV_POWER_USAGE", 1e5, 1, &GpuSample::watts_power},
                                    {"DCGM_FI_DEV_FB_USED", 1e9, 1048576.0, &GpuSample::bytes_memory_used}};
  // (host, gpu, time) -> sample; ordered so rows go in deterministically.
  std::map<std::tuple<std::string, std::string, double>, GpuSample> samples;
  size_t pos = 0;
  int64_t line_no = 0;
  bool any_metric = false;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty() || line.front() == '#') continue;
    auto where = [&](size_t col) { return fmt::format("{}: line {}, column {}: ", origin, line_no, col); };
    size_t col = 1;
    auto p = parse_line(line, col);
    if (!p) return bad_input(where(col) + p.error().message);
    const Metric* m = nullptr;
    for (const Metric& k : kMetrics) {
      if (p->name == k.name) m = &k;
    }
    if (!m) continue;
    any_metric = true;
    auto v = parse_bounded(p->value, 0, m->hi);
    if (!v) return bad_input(where(col) + p->name + ": " + v.error().message);
    double t = 0;
    if (!p->timestamp.empty()) {
      auto ms = parse_bounded(p->timestamp, kLedgerMinUnixSeconds * 1000, kLedgerMaxUnixSeconds * 1000);
      if (!ms) return bad_input(where(col + p->value.size() + 1) + "timestamp (ms): " + ms.error().message);
      t = *ms / 1000.0;
    } else if (o.unix_seconds_scrape) {
      t = *o.unix_seconds_scrape;
    } else {
      return bad_input(where(col) + p->name + ": the sample has no timestamp; pass --time with the scrape's time");
    }
    std::string gpu = p->labels.count("gpu") ? p->labels["gpu"] : p->labels["UUID"];
    if (gpu.empty()) return bad_input(where(1) + p->name + ": expected a gpu or UUID label");
    std::string host = p->labels.count("Hostname") ? p->labels["Hostname"] : o.host;
    GpuSample& s = samples[{host, gpu, t}];
    s.host = host;
    s.gpu = gpu;
    s.unix_seconds = t;
    s.job = o.job;
    s.*m->field = *v * m->scale;
  }
  if (!any_metric) {
    return bad_input(origin + ": no DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_POWER_USAGE or DCGM_FI_DEV_FB_USED samples");
  }
  for (const auto& [key, s] : samples) {
    if (auto st = sink.gpu_sample(s); !st) return st;
  }
  return {};
}

}  // namespace flopscope
