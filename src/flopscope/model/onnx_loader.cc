#include "flopscope/model/onnx_loader.h"

// The file, mapped (onnx_wire.cc skips the weights' pages), and --dim parsing. The steps
// from bytes to Graph are in onnx_wire.cc, onnx_graph.cc and onnx_shapes.cc.
#include "flopscope/util/file.h"

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

Result<Graph> load_onnx(const std::string& path, const OnnxLoadOptions& options) {
  auto file = MappedFile::open(path);
  if (!file) return file.error();
  return parse_onnx(file->bytes(), path, options);
}

}  // namespace flopscope
