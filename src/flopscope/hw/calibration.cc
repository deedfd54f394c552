#include "flopscope/hw/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <tuple>
#include <toml++/toml.h>

#include "flopscope/util/file.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {

double CalibrationProfile::best_gemm_flops_per_second(DType t) const {
  double best = 0;
  for (const auto& s : gemm) {
    if (s.dtype == t) best = std::max(best, s.flops_per_second);
  }
  return best;
}

namespace {

// A profile's fields, checked one by one so that each error names its file and field.
class ProfileReader {
 public:
  explicit ProfileReader(std::string_view origin) : root_(origin) {}

  Result<CalibrationProfile> read(const toml::table& root) const {
    CalibrationProfile p;
    if (auto e = root_.check_keys(root, {"version", "date", "tool", "device", "memory", "launch", "gemm", "attention"})) return *e;
    if (const toml::node* n = root.get("version")) {
      auto v = n->as_integer();
      if (!v || v->get() < 1) return root_.expected("version", "1 or 2", *n);
      if (v->get() > kCalibrationProfileVersion) {
        return root_.at("version", fmt::format("expected {}, got {} (written by a newer flopscope; upgrade to read it)",
                                               kCalibrationProfileVersion, v->get()));
      }
    }
    if (auto e = root_.read(root, "date", p.date)) return *e;
    if (auto e = root_.read(root, "tool", p.tool)) return *e;

    const toml::table* device = nullptr;
    if (auto e = root_.sub_table(root, "device", device)) return *e;
    if (device) {
      TomlReader r = root_.nested("device");
      if (auto e = r.check_keys(*device, {"name", "hardware_id", "compute_units", "bytes_l2"})) return *e;
      if (auto e = r.read(*device, "name", p.device_name)) return *e;
      if (auto e = r.read(*device, "hardware_id", p.hardware_id)) return *e;
      if (auto e = r.read(*device, "compute_units", Sign::kNonNegative, p.compute_units)) return *e;
      if (auto e = r.read(*device, "bytes_l2", Sign::kNonNegative, p.bytes_l2)) return *e;
    }

    const toml::table* memory = nullptr;
    if (auto e = root_.sub_table(root, "memory", memory)) return *e;
    if (memory) {
      TomlReader r = root_.nested("memory");
      struct Field {
        const char* key;
        double CalibrationProfile::*member;
      };
      static const Field kFields[] = {
          {"bytes_per_second_copy", &CalibrationProfile::bytes_per_second_copy},
          {"bytes_per_second_triad", &CalibrationProfile::bytes_per_second_triad},
          {"bytes_per_second_read", &CalibrationProfile::bytes_per_second_read},
          {"bytes_per_second_write", &CalibrationProfile::bytes_per_second_write},
      };
      std::vector<std::string> known;
      for (const Field& f : kFields) known.emplace_back(f.key);
      if (auto e = r.check_keys(*memory, known)) return *e;
      for (const Field& f : kFields) {
        if (auto e = r.read(*memory, f.key, Sign::kNonNegative, p.*(f.member))) return *e;
        const double v = p.*(f.member);
        if (v != 0 && !(v >= 1e3 && v <= 1e16)) {  // 0: not measured
          return r.at(f.key, fmt::format("expected 0 or a rate in [1e3, 1e16] B/s (docs/limits.md), got {:g}", v));
        }
      }
    }

    const toml::table* launch = nullptr;
    if (auto e = root_.sub_table(root, "launch", launch)) return *e;
    if (launch) {
      TomlReader r = root_.nested("launch");
      if (auto e = r.check_keys(*launch, {"seconds_overhead", "seconds_host_eager"})) return *e;
      if (auto e = r.read(*launch, "seconds_overhead", Sign::kNonNegative, p.seconds_launch_overhead)) return *e;
      if (auto e = r.read(*launch, "seconds_host_eager", Sign::kNonNegative, p.seconds_host_eager)) return *e;
      for (auto [key, v] : {std::pair{"seconds_overhead", p.seconds_launch_overhead}, {"seconds_host_eager", p.seconds_host_eager}}) {
        if (v > 1) return r.at(key, fmt::format("expected at most 1 second per launch (docs/limits.md), got {:g}", v));
      }
    }

    if (const toml::node* n = root.get("gemm")) {
      const toml::array* samples = n->as_array();
      if (!samples) return root_.expected("gemm", "an array of tables ([[gemm]])", *n);
      for (size_t i = 0; i < samples->size(); ++i) {
        TomlReader r = root_.nested(fmt::format("gemm[{}]", i));
        const toml::table* t = (*samples)[i].as_table();
        if (!t) return r.expected("", "a table", (*samples)[i]);
        auto sample = read_gemm(*t, r);
        if (!sample) return sample.error();
        p.gemm.push_back(*sample);
      }
    }
    if (const toml::node* n = root.get("attention")) {
      const toml::array* samples = n->as_array();
      if (!samples) return root_.expected("attention", "an array of tables ([[attention]])", *n);
      for (size_t i = 0; i < samples->size(); ++i) {
        TomlReader r = root_.nested(fmt::format("attention[{}]", i));
        const toml::table* t = (*samples)[i].as_table();
        if (!t) return r.expected("", "a table", (*samples)[i]);
        auto sample = read_attention(*t, r);
        if (!sample) return sample.error();
        p.attention.push_back(*sample);
      }
    }
    return p;
  }

 private:
  static Result<AttentionSample> read_attention(const toml::table& t, const TomlReader& r) {
    AttentionSample s;
    if (auto e = r.check_keys(t, {"batch", "heads", "seq", "head_dim", "causal", "backward", "seconds"})) return *e;
    if (auto e = r.require(t, "batch", Sign::kPositive, s.batch)) return *e;
    if (auto e = r.require(t, "heads", Sign::kPositive, s.heads)) return *e;
    if (auto e = r.require(t, "seq", Sign::kPositive, s.seq)) return *e;
    if (auto e = r.require(t, "head_dim", Sign::kPositive, s.head_dim)) return *e;
    // Sizes a GPU can hold: the product stays far inside a double's exact range.
    for (auto [key, v, most] : {std::tuple{"batch", s.batch, kAttentionSampleMaxBatch},
                                {"heads", s.heads, kAttentionSampleMaxHeads}, {"seq", s.seq, kAttentionSampleMaxSeq},
                                {"head_dim", s.head_dim, kAttentionSampleMaxHeadDim}}) {
      if (v > most) return r.at(key, fmt::format("expected at most {} (docs/limits.md), got {}", most, v));
    }
    if (auto e = r.read(t, "causal", s.causal)) return *e;
    if (auto e = r.read(t, "backward", s.backward)) return *e;
    std::optional<double> seconds;
    if (auto e = r.read(t, "seconds", Sign::kPositive, seconds)) return *e;
    if (!seconds) return r.at("seconds", "missing, expected the measured seconds of one call");
    if (!(*seconds >= kAttentionSampleMinSeconds && *seconds <= kAttentionSampleMaxSeconds)) {
      // The bounds as docs/limits.md writes them (kAttentionSampleMin/MaxSeconds).
      return r.at("seconds", fmt::format("expected a time in [1e-9, 1e4] s (docs/limits.md), got {:g}", *seconds));
    }
    s.seconds = *seconds;
    return s;
  }

  static Result<GemmSample> read_gemm(const toml::table& t, const TomlReader& r) {
    GemmSample s;
    if (auto e = r.check_keys(t, {"dtype", "m", "n", "k", "seconds", "flops_per_second"})) return *e;
    const toml::node* dtype = t.get("dtype");
    if (!dtype) return r.at("dtype", "missing, expected a dtype such as 'bf16'");
    if (!dtype->is_string()) return r.expected("dtype", "a dtype such as 'bf16'", *dtype);
    auto d = parse_dtype(dtype->as_string()->get(), r.prefix("dtype"));
    if (!d) return d.error();
    s.dtype = *d;
    if (auto e = r.require(t, "m", Sign::kPositive, s.m)) return *e;
    if (auto e = r.require(t, "n", Sign::kPositive, s.n)) return *e;
    if (auto e = r.require(t, "k", Sign::kPositive, s.k)) return *e;
    std::optional<double> seconds, flops;
    if (auto e = r.read(t, "seconds", Sign::kPositive, seconds)) return *e;
    if (auto e = r.read(t, "flops_per_second", Sign::kPositive, flops)) return *e;
    // Either figure determines the other; a sample with neither measured nothing.
    double flop = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
    if (!seconds && !flops) return r.at("", "expected 'seconds' or 'flops_per_second', got neither");
    s.seconds = seconds ? *seconds : flop / *flops;
    s.flops_per_second = flops ? *flops : flop / *seconds;
    // A measured rate outside [1 kFLOP/s, 1e18 FLOP/s] is not a measurement (5e-324 gave
    // "-nan years"); docs/limits.md.
    if (!(s.flops_per_second >= 1e3 && s.flops_per_second <= 1e18)) {
      return r.at(flops ? "flops_per_second" : "seconds",
                  fmt::format("expected a rate in [1e3, 1e18] FLOP/s (docs/limits.md), got {:g} FLOP/s", s.flops_per_second));
    }
    return s;
  }

  TomlReader root_;
};

// TOML basic string with the escapes the spec requires.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04X}", static_cast<unsigned>(u));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Shortest text that reads back as the same double, always a TOML float ("512.0", "1.5e+15").
std::string number(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

Result<CalibrationProfile> parse_calibration_profile(std::string_view toml_text, std::string_view origin) {
  auto parsed = parse_toml(toml_text, origin);
  if (!parsed) return parsed.error();
  toml::table& root = *parsed;
  return ProfileReader(origin).read(root);
}

Result<CalibrationProfile> load_calibration_profile(const std::string& path) {
  auto text = read_file(path, size_t{64} << 20);
  if (!text) return text.error();
  return parse_calibration_profile(*text, path);
}

std::string to_toml(const CalibrationProfile& p) {
  std::string out;
  out += "# flopscope calibration profile: what this machine measured (docs/calibration.md).\n";
  out += "# Quantities in SI base units: bytes, seconds, FLOP/s. 0 = not measured.\n";
  out += fmt::format("version = {}\n", kCalibrationProfileVersion);
  out += "date = " + quote(p.date) + "\n";
  out += "tool = " + quote(p.tool) + "\n";
  out += "\n[device]\n";
  out += "name = " + quote(p.device_name) + "\n";
  out += "hardware_id = " + quote(p.hardware_id) + "\n";
  out += fmt::format("compute_units = {}\n", p.compute_units);
  out += "bytes_l2 = " + number(p.bytes_l2) + "\n";
  out += "\n[memory]\n";
  out += "bytes_per_second_copy = " + number(p.bytes_per_second_copy) + "  # (read + write bytes) / s\n";
  out += "bytes_per_second_triad = " + number(p.bytes_per_second_triad) + "  # (2 reads + 1 write) / s\n";
  out += "bytes_per_second_read = " + number(p.bytes_per_second_read) + "\n";
  out += "bytes_per_second_write = " + number(p.bytes_per_second_write) + "\n";
  out += "\n[launch]\n";
  out += "seconds_overhead = " + number(p.seconds_launch_overhead) + "\n";
  out += "seconds_host_eager = " + number(p.seconds_host_eager) + "\n";
  for (const auto& s : p.gemm) {
    out += "\n[[gemm]]\n";
    out += "dtype = " + quote(dtype_name(s.dtype)) + "\n";
    out += fmt::format("m = {}\nn = {}\nk = {}\n", s.m, s.n, s.k);
    out += "seconds = " + number(s.seconds) + "\n";
    out += "flops_per_second = " + number(s.flops_per_second) + "\n";
  }
  for (const auto& s : p.attention) {
    out += "\n[[attention]]\n";
    out += fmt::format("batch = {}\nheads = {}\nseq = {}\nhead_dim = {}\n", s.batch, s.heads, s.seq, s.head_dim);
    out += fmt::format("causal = {}\nbackward = {}\n", s.causal, s.backward);
    out += "seconds = " + number(s.seconds) + "\n";
  }
  return out;
}

}  // namespace flopscope
