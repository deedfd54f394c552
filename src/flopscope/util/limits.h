// Limits on every size flopscope reads from a file or a flag (docs/limits.md).
//
// Each limit sits far above anything real (the largest published models have ~200 layers,
// hidden sizes near 25k, 256k vocabularies and 10M-token contexts) and far below where a
// product of sizes could wrap an int64 or lose a double's integer precision: with widths
// <= 2^20 and tokens per step <= 1e12, tokens x width stays under 2^60. A value past its
// limit is refused with one line naming the field, the limit and the value, never clamped.
#pragma once

#include <cstddef>
#include <cstdint>

namespace flopscope::limits {

// Architecture (config.json, GGUF metadata, safetensors shapes).
inline constexpr int64_t kLayers = int64_t{1} << 16;       ///< num_hidden_layers, block_count
inline constexpr int64_t kWidth = int64_t{1} << 20;        ///< hidden, intermediate, LoRA ranks, norms
inline constexpr int64_t kHeads = int64_t{1} << 16;        ///< query and key/value heads
inline constexpr int64_t kHeadDim = int64_t{1} << 16;      ///< per-head dimensions
inline constexpr int64_t kExperts = int64_t{1} << 16;      ///< routed, shared and per-token experts
inline constexpr int64_t kVocab = int64_t{1} << 24;        ///< vocabulary and token-type rows
inline constexpr int64_t kPositions = int64_t{1} << 30;    ///< max positions, windows, sequence, context
inline constexpr double kParams = 1e15;                    ///< parameters of one model (estimated before counting)

// Workload (flags).
inline constexpr int64_t kBatch = int64_t{1} << 24;        ///< sequences or requests served together
inline constexpr int64_t kDevices = int64_t{1} << 20;      ///< GPUs / devices / tensor-parallel degree
inline constexpr double kTokensPerStep = 1e12;             ///< batch x sequence in one step
inline constexpr double kTokensTrained = 1e16;             ///< tokens of a training run
inline constexpr int64_t kRequests = int64_t{1} << 40;     ///< requests served in all
inline constexpr int64_t kGemmDim = int64_t{1} << 32;      ///< M, N, K and batch of one GEMM / attention call

// Parsing.
inline constexpr int kJsonDepth = 128;                      ///< nesting of [ and { in any JSON input
inline constexpr size_t kConfigBytes = size_t{4} << 20;     ///< a config.json (real ones are < 100 kB)
inline constexpr size_t kCsvBytes = size_t{64} << 20;       ///< a CSV table
inline constexpr size_t kCsvRows = 100'000;                 ///< rows of a CSV table
inline constexpr int64_t kBootstrap = 10'000;               ///< fit --bootstrap resamples
inline constexpr double kFitWork = 1e7;                     ///< fit: CSV runs x (resamples + 1)

}  // namespace flopscope::limits
