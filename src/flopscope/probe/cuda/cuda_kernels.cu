#include "flopscope/probe/cuda/cuda_kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

namespace flopscope::probe::cuda {

namespace {

constexpr int kThreads = 256;

__device__ float hash_unit(uint64_t seed, uint64_t i) {
  uint64_t z = seed * 0x9e3779b97f4a7c15ULL + i + 1;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (1.0f / 8388608.0f) - 1.0f;  // 24 bits -> [-1, 1)
}

template <typename T>
__global__ void fill_kernel(T* data, size_t count, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    data[i] = T(hash_unit(seed, i));
  }
}

__global__ void copy_kernel(float4* dst, const float4* src, size_t count4) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count4;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    dst[i] = src[i];
  }
}

__global__ void read_kernel(const float4* src, size_t count4, float* sink) {
  float s = 0;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count4;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    float4 v = src[i];
    s += v.x + v.y + v.z + v.w;
  }
  if (s == -1.2345e30f) *sink = s;
}

__global__ void write_kernel(float4* dst, size_t count4, float value) {
  float4 v = make_float4(value, value, value, value);
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count4;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    dst[i] = v;
  }
}


int fill_blocks(size_t count) {
  size_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

}  // namespace

cudaError_t fill_random(void* data, size_t count, FillType type, uint64_t seed) {
  int blocks = fill_blocks(count);
  switch (type) {
    case FillType::kF32:
      fill_kernel<float><<<blocks, kThreads>>>(static_cast<float*>(data), count, seed);
      break;
    case FillType::kBF16:
      fill_kernel<__nv_bfloat16><<<blocks, kThreads>>>(static_cast<__nv_bfloat16*>(data), count, seed);
      break;
    case FillType::kF16:
      fill_kernel<__half><<<blocks, kThreads>>>(static_cast<__half*>(data), count, seed);
      break;
    case FillType::kE4M3:
      fill_kernel<__nv_fp8_e4m3><<<blocks, kThreads>>>(static_cast<__nv_fp8_e4m3*>(data), count, seed);
      break;
  }
  return cudaGetLastError();
}

cudaError_t launch_copy(float* dst, const float* src, size_t count, int blocks) {
  copy_kernel<<<blocks, kThreads>>>(reinterpret_cast<float4*>(dst), reinterpret_cast<const float4*>(src), count / 4);
  return cudaGetLastError();
}

cudaError_t launch_read(const float* src, size_t count, float* sink, int blocks) {
  read_kernel<<<blocks, kThreads>>>(reinterpret_cast<const float4*>(src), count / 4, sink);
  return cudaGetLastError();
}

cudaError_t launch_write(float* dst, size_t count, float value, int blocks) {
  write_kernel<<<blocks, kThreads>>>(reinterpret_cast<float4*>(dst), count / 4, value);
  return cudaGetLastError();
}


}  // namespace flopscope::probe::cuda
