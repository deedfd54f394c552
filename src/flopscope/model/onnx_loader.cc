#include "flopscope/model/onnx_loader.h"

// The file, mapped (onnx/wire.cc skips the weights' pages), and --dim parsing. The steps
// from bytes to Graph are in the ONNX reader module (onnx/module.h says why a module),
// opened here on the first ONNX file.
#include "flopscope/model/onnx/module.h"
#include "flopscope/util/file.h"
#include "flopscope/util/module.h"

#include <charconv>

namespace flopscope {

Result<std::vector<DimBinding>> parse_dim_bindings(const std::vector<std::string>& args) {
  std::vector<DimBinding> out;
  for (const auto& a : args) {
    auto eq = a.find('=');
    std::string name = a.substr(0, eq);
    int64_t v = 0;
    bool ok = eq != std::string::npos && eq > 0;
    if (ok) {
      const char* b = a.data() + eq + 1;
      const char* e = a.data() + a.size();
      auto [ptr, ec] = std::from_chars(b, e, v);
      ok = ec == std::errc() && ptr == e && b != e && v > 0 && v <= kOnnxMaxDim;
    }
    if (!ok) {
      return bad_input("--dim " + name + ": expected NAME=VALUE with VALUE an integer in 1..2^40, got '" + a + "'");
    }
    for (const auto& d : out) {
      if (d.name == name) return bad_input("--dim " + name + ": bound twice");
    }
    out.push_back({name, v});
  }
  return out;
}

namespace {

struct Module {
  onnx_detail::OnnxModuleParseFn parse = nullptr;
  onnx_detail::OnnxModuleStripFn strip = nullptr;
  std::string error;  // why it could not be opened
};

// Opened once, on the first ONNX file, and never closed.
const Module& module() {
  static const Module m = [] {
    static constexpr ModuleSpec kSpec{"the ONNX reader", "libflopscope_onnx.so", "FLOPSCOPE_ONNX_MODULE",
                                      FLOPSCOPE_ONNX_MODULE_PATH, onnx_detail::kOnnxModuleAbiSymbol,
                                      onnx_detail::kOnnxModuleAbi};
    Module out;
    auto handle = open_module(kSpec);
    if (!handle) {
      out.error = handle.error().message;
      return out;
    }
    auto parse = module_symbol(*handle, kSpec, onnx_detail::kOnnxModuleParseSymbol);
    auto strip = module_symbol(*handle, kSpec, onnx_detail::kOnnxModuleStripSymbol);
    if (!parse || !strip) {
      out.error = (!parse ? parse : strip).error().message;
      return out;
    }
    out.parse = reinterpret_cast<onnx_detail::OnnxModuleParseFn>(*parse);
    out.strip = reinterpret_cast<onnx_detail::OnnxModuleStripFn>(*strip);
    return out;
  }();
  return m;
}

}  // namespace

Result<Graph> parse_onnx(std::string_view bytes, const std::string& origin, const OnnxLoadOptions& options) {
  const Module& m = module();
  if (!m.parse) return failure(origin + ": cannot read ONNX: " + m.error);
  Result<Graph> out = failure(origin + ": the ONNX reader module returned no result");
  m.parse(&bytes, &origin, &options, &out);
  return out;
}

Result<std::string> strip_onnx_weights(std::string_view bytes, const std::string& origin) {
  const Module& m = module();
  if (!m.strip) return failure(origin + ": cannot read ONNX: " + m.error);
  Result<std::string> out = failure(origin + ": the ONNX reader module returned no result");
  m.strip(&bytes, &origin, &out);
  return out;
}

Result<Graph> load_onnx(const std::string& path, const OnnxLoadOptions& options) {
  auto file = MappedFile::open(path);
  if (!file) return file.error();
  return parse_onnx(file->bytes(), path, options);
}

}  // namespace flopscope
