// onnx.proto's generated messages (Debian's libonnx-dev), with the two macros its headers
// want: ONNX's CMake targets define them, a target that only includes the headers does not.
// For the reader's steps (internal.h) and for tests and benchmarks that build ONNX models.
#pragma once

#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#include <onnx/onnx_pb.h>
