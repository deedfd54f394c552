// Opening a flopscope module: a shared object built beside the binary and loaded with dlopen
// only by the command that needs it, so that the libraries it links cost nothing at start-up
// for every other command (issue 12). Two exist: the CUDA probe (probe/cuda, cuBLASLt and the
// CUDA runtime) and the ONNX reader (model/onnx, libonnx and libprotobuf).
//
// Where a module may be, in order: the path in the spec's environment variable (only there,
// when it is set); beside the binary holding this code (the flopscope executable, or the
// Python extension in its package folder); beside the running executable; ../lib/flopscope/
// from it (an installed tree); where this build wrote it (test binaries live elsewhere in the
// build tree). Each module exports `uint64_t <abi_symbol>()`, a stamp of the version and the
// sizes of the C++ types that cross the boundary: a module left over from another build is
// refused rather than called.
#pragma once

#include <cstdint>

#include "flopscope/util/result.h"

namespace flopscope {

struct ModuleSpec {
  const char* what;        ///< "the ONNX reader", for messages
  const char* file;        ///< "libflopscope_onnx.so"
  const char* env;         ///< "FLOPSCOPE_ONNX_MODULE"
  const char* build_path;  ///< where this build wrote it
  const char* abi_symbol;  ///< "flopscope_onnx_abi"
  uint64_t abi;            ///< the stamp the module must return
};

/// Opens the module (RTLD_NOW | RTLD_LOCAL; never closed) and checks its ABI stamp. A missing
/// module is a failure naming the places looked in.
Result<void*> open_module(const ModuleSpec& spec);

/// The address of `symbol` in an opened module, or a failure naming the module.
Result<void*> module_symbol(void* handle, const ModuleSpec& spec, const char* symbol);

}  // namespace flopscope
