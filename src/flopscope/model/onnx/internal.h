// Internal to the ONNX reader module (model/onnx/, module.h), not installed: the steps of
// parse_onnx, one file a concern. Only the module and the tests link these.
//   onnx/wire.cc    bytes -> onnx::ModelProto: weights stripped at the wire level, then
//                   parsed with libprotobuf under explicit limits (onnx_loader.h)
//   onnx/graph.cc   ModelProto -> Graph: checks, --dim bindings, tensors, nodes
//   onnx/shapes.cc  shapes: ONNX's inference guarded against inputs that crash it, and
//                   our own propagation for what it leaves unshaped
//   onnx/module.cc  the module's entry points
//   onnx_loader.cc  (in the model stage) the file, mapped; --dim parsing; opens the module
#pragma once

#include "flopscope/model/onnx/proto.h"

#include <cstddef>
#include <string>
#include <string_view>

#include "flopscope/model/graph.h"
#include "flopscope/model/onnx_loader.h"
#include "flopscope/util/result.h"

namespace flopscope::onnx_detail {

/// parse_onnx's work, in the module: bytes -> Graph with shapes.
Result<Graph> parse(std::string_view bytes, const std::string& origin, const OnnxLoadOptions& options);

/// Bytes one CodedInputStream reads at most (its positions are ints); a larger message is
/// read by consecutive streams.
inline constexpr size_t kOnnxStreamBytes = 2147483647;

/// strip_onnx_weights with streams of at most `window` bytes (at least 64): tests use a
/// small window to exercise what a message over 2 GiB takes.
Result<std::string> strip_weights(std::string_view bytes, const std::string& origin, size_t window);

/// Strips the weights from `bytes` (strip_onnx_weights) and parses what is left into
/// `model` with libprotobuf's limits set: at most kOnnxMaxGraphBytes, nesting at most
/// kOnnxMaxMessageDepth.
Status parse_model_proto(std::string_view bytes, const std::string& origin, onnx::ModelProto& model);

/// "[batch,3,224,224]": dims by value or name, "?" where neither.
std::string dims_text(const onnx::TensorShapeProto& shape);

/// Reads a value_info's type into `t`; a dim without a value leaves `t` unshaped.
Status read_value_info(const onnx::ValueInfoProto& vi, GraphTensor& t, const std::string& origin);

/// Refuses integer attributes that ONNX's shape inference divides by or sizes with (zero
/// strides, negative pads), before it runs. `node` is the node's printable name.
Status check_attribute(const onnx::AttributeProto& a, const onnx::NodeProto& n, const std::string& node,
                       const std::string& origin);

/// Shapes every tensor it can: our own propagation, then (options.infer_shapes, and only
/// when tensors are left unshaped) ONNX's inference over `model`, read back, then our
/// propagation again. Adds a warning for tensors still unshaped.
Status infer_shapes(onnx::ModelProto& model, Graph& g, bool run_onnx_inference);

}  // namespace flopscope::onnx_detail
