#include "flopscope/util/module.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace flopscope {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> candidates(const ModuleSpec& spec) {
  if (const char* env = std::getenv(spec.env); env && *env) return {env};
  std::vector<std::string> out;
  auto add = [&](const fs::path& dir) {
    std::string path = (dir / spec.file).string();
    for (const auto& p : out) {
      if (p == path) return;
    }
    out.push_back(std::move(path));
  };
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&open_module), &info) && info.dli_fname &&
      fs::path(info.dli_fname).is_absolute()) {
    add(fs::path(info.dli_fname).parent_path());
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    add(exe.parent_path());
    add(exe.parent_path().parent_path() / "lib" / "flopscope");
  }
  if (spec.build_path && *spec.build_path) add(fs::path(spec.build_path).parent_path());
  return out;
}

}  // namespace

Result<void*> open_module(const ModuleSpec& spec) {
  std::vector<std::string> tried;
  for (const std::string& path : candidates(spec)) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      tried.push_back(path);
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      return failure(fmt::format("cannot load {} module {}: {}", spec.what, path, why ? why : "unknown error"));
    }
    auto abi = module_symbol(handle, spec, spec.abi_symbol);
    if (!abi) return abi.error();
    uint64_t stamp = reinterpret_cast<uint64_t (*)()>(*abi)();
    if (stamp != spec.abi) {
      return failure(fmt::format("{}: built from another flopscope version (ABI {:#x}, expected {:#x}); rebuild it",
                                 path, stamp, spec.abi));
    }
    return handle;
  }
  return failure(fmt::format("{} module {} is missing; looked in {}", spec.what, spec.file, fmt::join(tried, ", ")));
}

Result<void*> module_symbol(void* handle, const ModuleSpec& spec, const char* symbol) {
  void* address = dlsym(handle, symbol);
  if (!address) return failure(fmt::format("{} module {}: not a flopscope module (no {})", spec.what, spec.file, symbol));
  return address;
}

}  // namespace flopscope
