// The ONNX reader module's entry points (module.h describes the boundary). Every exception
// is caught here: none crosses into the loader.
#include "flopscope/model/onnx/module.h"

#include <new>

#include "flopscope/model/onnx/internal.h"

namespace {

template <typename T, typename Fn>
void guarded(flopscope::Result<T>* out, const std::string& origin, Fn fn) {
  try {
    *out = fn();
  } catch (const std::bad_alloc&) {
    *out = flopscope::failure(origin + ": out of memory reading the model (see docs/limits.md)");
  } catch (const std::exception& e) {
    *out = flopscope::failure(origin + ": internal error in the ONNX reader: " + e.what());
  }
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) uint64_t flopscope_onnx_abi() { return flopscope::onnx_detail::kOnnxModuleAbi; }

__attribute__((visibility("default"))) void flopscope_onnx_parse(const std::string_view* bytes, const std::string* origin,
                                                                 const flopscope::OnnxLoadOptions* options,
                                                                 flopscope::Result<flopscope::Graph>* out) {
  guarded(out, *origin, [&] { return flopscope::onnx_detail::parse(*bytes, *origin, *options); });
}

__attribute__((visibility("default"))) void flopscope_onnx_strip(const std::string_view* bytes, const std::string* origin,
                                                                 flopscope::Result<std::string>* out) {
  guarded(out, *origin, [&] {
    return flopscope::onnx_detail::strip_weights(*bytes, *origin, flopscope::onnx_detail::kOnnxStreamBytes);
  });
}

}  // extern "C"
