#include "flopscope/probe/figures.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace flopscope::probe {

namespace {

// Lower-case words separated by single spaces: "NVIDIA A100-SXM4-80GB" -> "nvidia a100 sxm4 80gb".
std::string normalize(std::string_view s) {
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) {
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool contains_words(const std::string& haystack, const std::string& needle) {
  if (needle.empty()) return false;
  std::string h = " " + haystack + " ";
  return h.find(" " + needle + " ") != std::string::npos;
}

// Driver names do not say "SXM" or "PCIe" the way catalogs do; the memory type does.
// Checked in order: the first whose every word is in the device name wins.
struct KnownName {
  const char* words;
  const char* id;
};
constexpr KnownName kKnownNames[] = {
    {"gh200", "gh200"},
    {"h200 nvl", "h200-nvl"},
    {"h200", "h200"},
    {"h100 nvl", "h100-nvl"},
    {"h100 pcie", "h100-pcie"},
    {"h100 hbm3", "h100-sxm"},
    {"h100 sxm", "h100-sxm"},
    {"h800", "h800"},
    {"b200", "b200"},
    {"a100 sxm4 80gb", "a100-sxm-80gb"},
    {"a100 sxm4 40gb", "a100-sxm-40gb"},
    {"a100 80gb pcie", "a100-pcie-80gb"},
    {"a100 pcie 40gb", "a100-pcie-40gb"},
    {"l40s", "l40s"},
    {"l4", "l4"},
    {"a10g", "a10g"},
    {"v100", "v100"},
    {"mi300x", "mi300x"},
};

bool has_all_words(const std::string& name, const std::string& words) {
  size_t start = 0;
  while (start < words.size()) {
    size_t end = words.find(' ', start);
    if (end == std::string::npos) end = words.size();
    if (!contains_words(name, words.substr(start, end - start))) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::vector<ProbeFigure> probe_figures(const CalibrationProfile& p, const Hardware* hw) {
  std::vector<ProbeFigure> out;
  for (size_t i = 0; i < static_cast<size_t>(DType::kCount); ++i) {
    DType t = static_cast<DType>(i);
    double best = p.best_gemm_flops_per_second(t);
    if (best <= 0) continue;
    out.push_back({fmt::format("gemm_{}", dtype_name(t)), fmt::format("GEMM {} (best shape)", dtype_name(t)),
                   "FLOP/s", best, hw ? hw->peak(t) : 0});
  }
  double bw_peak = hw ? hw->bytes_per_second_memory : 0;
  struct Bw {
    const char* name;
    const char* label;
    double value;
  };
  const Bw bws[] = {{"memory_copy", "memory copy (read+write)", p.bytes_per_second_copy},
                    {"memory_triad", "memory triad", p.bytes_per_second_triad},
                    {"memory_read", "memory read", p.bytes_per_second_read},
                    {"memory_write", "memory write", p.bytes_per_second_write}};
  for (const auto& b : bws) {
    if (b.value > 0) out.push_back({b.name, b.label, "B/s", b.value, bw_peak});
  }
  if (p.seconds_launch_overhead > 0) {
    out.push_back({"launch_overhead", "per-kernel fixed cost (copy intercept)", "s", p.seconds_launch_overhead, 0});
  }
  // Attention: matmul FLOPs of the visible pairs (4 b h s s d, half when causal) over the time.
  double best_fwd = 0, best_bwd = 0;
  for (const auto& a : p.attention) {
    double flops = 4.0 * static_cast<double>(a.batch) * static_cast<double>(a.heads) * static_cast<double>(a.seq) *
                   static_cast<double>(a.seq) * static_cast<double>(a.head_dim) * (a.causal ? 0.5 : 1.0);
    if (a.backward) {
      best_bwd = std::max(best_bwd, 3.5 * flops / a.seconds);  // forward + 2.5x for the backward
    } else {
      best_fwd = std::max(best_fwd, flops / a.seconds);
    }
  }
  double bf16 = hw ? hw->peak(DType::kBF16) : 0;
  if (best_fwd > 0) out.push_back({"attention_forward", "attention forward (best shape)", "FLOP/s", best_fwd, bf16});
  if (best_bwd > 0) {
    out.push_back({"attention_forward_backward", "attention forward+backward (best shape)", "FLOP/s", best_bwd, bf16});
  }
  if (p.seconds_host_eager > 0) {
    out.push_back({"host_eager", "eager host cost per kernel (PyTorch)", "s", p.seconds_host_eager, 0});
  }
  return out;
}

std::string guess_hardware_id(std::string_view device_name, const HardwareCatalog& catalog) {
  std::string name = normalize(device_name);
  if (name.empty()) return "";
  // "Intel(R) Xeon(R) Platinum 8480+" -> "intel xeon platinum 8480".
  {
    std::istringstream words(name);
    std::string kept;
    for (std::string w; words >> w;) {
      if (w != "r" && w != "tm") kept += (kept.empty() ? "" : " ") + w;
    }
    name = kept;
  }
  for (const auto& known : kKnownNames) {
    if (!has_all_words(name, known.words)) continue;
    if (auto hw = catalog.find(known.id)) return (*hw)->id;
  }
  for (const auto& hw : catalog.all()) {
    // Catalog names carry a parenthesised gloss: "AMD EPYC 9654 (Genoa, 96 cores)".
    std::string n = normalize(hw.name.substr(0, hw.name.find('(')));
    if (n == name || contains_words(name, n) || contains_words(name, normalize(hw.id))) return hw.id;
  }
  return "";
}

}  // namespace flopscope::probe
