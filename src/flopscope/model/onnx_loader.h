// Reading an ONNX model (onnx.proto, IR versions 3..10) into a Graph without its weights.
//
// The file is memory-mapped and walked at the protobuf wire level first, with libprotobuf's
// CodedInputStream: every initializer's data field (raw_data, float_data, ...) longer than
// kOnnxKeptDataBytes is skipped by its length, so the pages holding weights are never
// touched and memory stays proportional to the graph. Small integer tensors (shape vectors
// for Reshape) keep their data for shape inference. External data files are never opened:
// shapes come from initializer dims. What is left is parsed into onnx::ModelProto.
//
// Shapes: the graph's value_info where present; ONNX's own shape inference (libonnx, opsets
// up to 17 in Debian's 1.12) fills the rest; a small propagation of our own covers nodes
// ONNX leaves unshaped (newer opsets, custom domains): elementwise, broadcast, MatMul.
// Symbolic dimensions of the graph inputs are bound with --dim NAME=VALUE.
//
// Limits (hostile files, docs/limits.md): at most 64 MiB of graph structure once weights
// are dropped (files over protobuf's 2 GiB load when the excess is inline weights),
// messages nested at most 100 deep, each dim <= 2^40, each tensor <= 2^50 elements,
// rank <= 32, at most 1,000,000 nodes. Every length is checked against the bytes left in
// its message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flopscope/model/graph.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// Data fields of initializers up to this size are kept (shape vectors); larger ones skipped.
inline constexpr size_t kOnnxKeptDataBytes = 4096;
inline constexpr int64_t kOnnxMaxDim = int64_t{1} << 40;
inline constexpr int64_t kOnnxMaxElements = int64_t{1} << 50;
inline constexpr int kOnnxMaxRank = 32;
/// Nodes of the top-level graph (docs/limits.md): real exports hold up to a few 100k.
inline constexpr size_t kOnnxMaxNodes = 1'000'000;
/// Bytes of graph structure once weights are dropped (docs/limits.md): nodes, attributes
/// and subgraphs. Bounds parse time and memory (130 MB of nested If subgraphs took 3.4 GB).
inline constexpr size_t kOnnxMaxGraphBytes = size_t{64} << 20;

/// Nesting of messages (If/Loop subgraphs nest three a level): libprotobuf's recursion limit.
inline constexpr int kOnnxMaxMessageDepth = 100;

/// A symbolic dimension bound by the user: --dim batch=8.
struct DimBinding {
  std::string name;
  int64_t value = 0;
};

struct OnnxLoadOptions {
  std::vector<DimBinding> dims;
  bool infer_shapes = true;  ///< run ONNX shape inference (off: value_info + own propagation)
};

/// Parses "NAME=VALUE" strings (from --dim). Errors: "--dim batch: expected NAME=VALUE with
/// VALUE a positive integer, got 'batch'".
Result<std::vector<DimBinding>> parse_dim_bindings(const std::vector<std::string>& args);

/// Loads `path`. Errors name the file and the field: "m.onnx: graph: node 'Conv_3': input
/// 'x' is not produced by any node, graph input or initializer".
Result<Graph> load_onnx(const std::string& path, const OnnxLoadOptions& options = {});

/// The same from bytes in memory (`origin` names them in errors); for tests and fuzzing.
Result<Graph> parse_onnx(std::string_view bytes, const std::string& origin, const OnnxLoadOptions& options = {});

/// Strips initializer data from a serialized ModelProto at the wire level (see above).
/// Exposed for tests: the result parses as the same model minus large data fields.
Result<std::string> strip_onnx_weights(std::string_view bytes, const std::string& origin);

}  // namespace flopscope
