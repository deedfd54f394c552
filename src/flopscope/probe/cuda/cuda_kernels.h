// Device kernels of the CUDA probe (cuda_kernels.cu), callable from host C++ compiled by the
// C++ compiler. Every function returns a cudaError_t and launches on the default stream.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace flopscope::probe::cuda {

enum class FillType { kF32, kBF16, kF16, kE4M3 };

/// Fills `count` elements with uniform values in [-1, 1) from a hash of (seed, index).
cudaError_t fill_random(void* data, size_t count, FillType type, uint64_t seed);

/// dst[i] = src[i] for i < count (floats; count a multiple of 4, 16-byte aligned pointers).
cudaError_t launch_copy(float* dst, const float* src, size_t count, int blocks);
/// Reads every element; writes to `sink` only if an impossible sum occurs (keeps the loads).
cudaError_t launch_read(const float* src, size_t count, float* sink, int blocks);
/// dst[i] = value.
cudaError_t launch_write(float* dst, size_t count, float value, int blocks);

}  // namespace flopscope::probe::cuda
