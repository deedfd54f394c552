// Helpers shared by the ledger tests: fixture paths and fresh database paths.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace flopscope::testing_ledger {

inline std::string fixture(const std::string& name) { return std::string(FLOPSCOPE_TEST_DATA) + "/ledger/" + name; }

/// A path in a fresh folder of the temp directory, removed with its WAL and SHM files first.
inline std::string fresh_db(const std::string& name) {
  static std::atomic<int> counter{0};
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("flopscope-ledger-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spill(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// A FOCUS export of `rows` rows (one job tag, one cent apart so every row differs).
inline std::string generated_focus(int64_t rows, const std::string& job = "big-job") {
  std::string s = "BilledCost,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,ResourceId,ServiceName,SkuId,Tags\n";
  s.reserve(static_cast<size_t>(rows) * 160);
  for (int64_t i = 0; i < rows; ++i) {
    int day = 1 + static_cast<int>(i % 28);
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "%lld.%02lld,%lld.%02lld,2024-09-%02dT00:00:00Z,2024-09-%02dT01:00:00Z,i-%012lld,"
                  "\"Compute, GPU\",p5.48xlarge,\"{\"\"job\"\":\"\"%s\"\"}\"\n",
                  static_cast<long long>(i / 100), static_cast<long long>(i % 100), static_cast<long long>(i / 100),
                  static_cast<long long>(i % 100), day, day, static_cast<long long>(i), job.c_str());
    s += buf;
  }
  return s;
}

}  // namespace flopscope::testing_ledger
