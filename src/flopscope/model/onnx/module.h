// The boundary between flopscope and its ONNX reader module, libflopscope_onnx.so.
//
// Why a module: libonnx, libonnx_proto and libprotobuf cost every command 9.1M instructions
// of dynamic linking and static initialisation at start-up (callgrind: an empty program
// linked against them runs 9.2M, against nothing 0.13M; `flopscope --version` ran 19.7M),
// for a reader that only ONNX files need (issue 12). The module is built beside the binary
// (model/CMakeLists.txt); onnx_loader.cc opens it with util/module.h on the first ONNX file.
//
// The module exports three C symbols (the names below):
//   flopscope_onnx_abi    uint64_t (): kOnnxModuleAbi as the module saw it
//   flopscope_onnx_parse  void (const std::string_view* bytes, const std::string* origin,
//                               const OnnxLoadOptions*, Result<Graph>*)
//   flopscope_onnx_strip  void (const std::string_view* bytes, const std::string* origin,
//                               Result<std::string>*)
// C++ types cross the boundary: loader and module come from the same build, and the ABI
// stamp (a version plus the sizes of the types that cross) refuses a module from another.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "flopscope/model/graph.h"
#include "flopscope/model/onnx_loader.h"
#include "flopscope/util/result.h"

namespace flopscope::onnx_detail {

/// Bump when a type that crosses the boundary changes without changing its size.
inline constexpr uint64_t kOnnxModuleVersion = 1;
inline constexpr uint64_t kOnnxModuleAbi = (kOnnxModuleVersion << 48) | (uint64_t{sizeof(Graph)} << 32) |
                                           (uint64_t{sizeof(OnnxLoadOptions)} << 16) |
                                           uint64_t{sizeof(Result<Graph>)};

inline constexpr const char* kOnnxModuleAbiSymbol = "flopscope_onnx_abi";
inline constexpr const char* kOnnxModuleParseSymbol = "flopscope_onnx_parse";
inline constexpr const char* kOnnxModuleStripSymbol = "flopscope_onnx_strip";
using OnnxModuleAbiFn = uint64_t (*)();
using OnnxModuleParseFn = void (*)(const std::string_view*, const std::string*, const OnnxLoadOptions*,
                                   Result<Graph>*);
using OnnxModuleStripFn = void (*)(const std::string_view*, const std::string*, Result<std::string>*);

}  // namespace flopscope::onnx_detail
