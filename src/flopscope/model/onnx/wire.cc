// ONNX bytes -> onnx::ModelProto without the weights, on libprotobuf's coded streams.
//
// The weights are dropped before parsing, at the wire level: a CodedInputStream walks the
// messages that can hold them (ModelProto.graph -> GraphProto.initializer, and Constant
// nodes' NodeProto.attribute -> AttributeProto.t) and skips every TensorProto data field
// longer than kOnnxKeptDataBytes by its length, so the pages holding them are never read;
// every other field is copied as it stands. What is left, the graph's structure, is parsed
// into a ModelProto under explicit limits (onnx_loader.h, docs/limits.md).
#include "flopscope/model/onnx/internal.h"
#include "flopscope/model/onnx_loader.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <cstdint>

namespace flopscope {

namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::internal::WireFormatLite;

// The messages the walk descends into, and the field numbers (onnx.proto) that lead there.
enum class Message { kModel, kGraph, kNode, kAttribute, kTensor };
constexpr int kModelGraph = 7;
constexpr int kGraphNode = 1;
constexpr int kGraphInitializer = 5;
constexpr int kNodeAttribute = 5;
constexpr int kAttributeTensor = 5;
constexpr int kTensorDataFields[] = {4, 5, 6, 7, 9, 10, 11};  // float..uint64 data, raw_data

const char* message_name(Message m) {
  switch (m) {
    case Message::kModel: return "model";
    case Message::kGraph: return "graph";
    case Message::kNode: return "node";
    case Message::kAttribute: return "attribute";
    case Message::kTensor: return "tensor";
  }
  return "message";
}

// What happens to a length-delimited field of `length` bytes.
enum class Action { kCopy, kDrop, kDescend };
struct Step {
  Action action = Action::kCopy;
  Message into = Message::kModel;
};

Step step_for(Message in, int field, uint64_t length) {
  const bool large = length > kOnnxKeptDataBytes;
  switch (in) {
    case Message::kModel:
      if (field == kModelGraph) return {Action::kDescend, Message::kGraph};
      break;
    case Message::kGraph:
      if (field == kGraphInitializer) return {Action::kDescend, Message::kTensor};
      if (field == kGraphNode && large) return {Action::kDescend, Message::kNode};  // a Constant's weights
      break;
    case Message::kNode:
      if (field == kNodeAttribute && large) return {Action::kDescend, Message::kAttribute};
      break;
    case Message::kAttribute:
      if (field == kAttributeTensor) return {Action::kDescend, Message::kTensor};
      break;
    case Message::kTensor:
      if (large && std::find(std::begin(kTensorDataFields), std::end(kTensorDataFields), field) !=
                       std::end(kTensorDataFields)) {
        return {Action::kDrop, Message::kTensor};
      }
      break;
  }
  return {};
}

// Walks one serialized ModelProto, writing it back without the large data fields. Each
// message is a view of the bytes, read by a CodedInputStream; nested messages the walk
// descends into are views of their own. One stream reads at most `window` bytes (protobuf's
// int positions: 2^31 - 1), so a message larger than that (a graph with more than 2 GiB of
// inline weights) is read by one stream after another, each starting where the last
// stopped. Errors give the byte offset within the message at fault.
class WeightStripper {
 public:
  WeightStripper(const std::string& origin, size_t window) : origin_(origin), window_(window) {}

  Status strip(std::string_view msg, Message m, std::string& out) const {
    size_t pos = 0;  // where the current stream starts in msg
    while (pos < msg.size()) {
      const size_t avail = msg.size() - pos;
      const bool last = avail <= window_;
      const int size = static_cast<int>(last ? avail : window_);
      CodedInputStream in(reinterpret_cast<const uint8_t*>(msg.data() + pos), size);
      in.SetTotalBytesLimit(size);
      // Short of the stream's end, a field head (tag and length: at most 20 bytes) could be
      // cut by it: the next stream starts there.
      const int stop = last ? size : size - 32;
      size_t next = 0;  // set when a field runs past this stream: where the next one starts
      while (in.CurrentPosition() < stop && next == 0) {
        auto s = field(msg, pos, pos + static_cast<size_t>(size), in, m, out, next);
        if (!s) return s;
      }
      pos = next ? next : pos + static_cast<size_t>(in.CurrentPosition());
    }
    return {};
  }

 private:
  // Reads one field of `msg` with the stream `in` over msg[base, stream_end), appending what
  // is kept; a field that runs past stream_end sets `next` to where it ends.
  Status field(std::string_view msg, size_t base, size_t stream_end, CodedInputStream& in, Message m,
               std::string& out, size_t& next) const {
    auto at = [&] { return base + static_cast<size_t>(in.CurrentPosition()); };
    const size_t start = at();
    uint64_t tag = 0;
    if (!in.ReadVarint64(&tag)) return varint_error(msg, m, start);
    const int number = static_cast<int>(tag >> 3);
    const auto wire_type = static_cast<WireFormatLite::WireType>(tag & 7);
    switch (wire_type) {
      case WireFormatLite::WIRETYPE_VARINT: {
        const size_t value_at = at();
        uint64_t ignored = 0;
        if (!in.ReadVarint64(&ignored)) return varint_error(msg, m, value_at);
        break;
      }
      case WireFormatLite::WIRETYPE_FIXED64:
        if (!in.Skip(8)) return error(m, "truncated field", msg.size());
        break;
      case WireFormatLite::WIRETYPE_FIXED32:
        if (!in.Skip(4)) return error(m, "truncated field", msg.size());
        break;
      case WireFormatLite::WIRETYPE_LENGTH_DELIMITED: {
        const size_t length_at = at();
        uint64_t length = 0;
        if (!in.ReadVarint64(&length)) return varint_error(msg, m, length_at);
        const size_t body = at();
        if (length > msg.size() - body) {
          return error(m, "length " + std::to_string(length) + " exceeds the " + std::to_string(msg.size() - body) +
                              " bytes left", body);
        }
        const size_t end = body + static_cast<size_t>(length);
        const Step step = step_for(m, number, length);
        if (step.action == Action::kDescend) {
          std::string inner;
          auto s = strip(msg.substr(body, static_cast<size_t>(length)), step.into, inner);
          if (!s) return s;
          append_field(number, inner, out);
        } else if (step.action == Action::kCopy) {
          out.append(msg.substr(start, end - start));
        }
        if (end > stream_end) {
          next = end;  // past this stream: the next one starts after the field
        } else {
          in.Skip(static_cast<int>(length));
        }
        return {};
      }
      default:  // groups (3, 4) are not in onnx.proto; 6 and 7 are not wire types
        return error(m, "unsupported wire type " + std::to_string(static_cast<int>(wire_type)), at());
    }
    out.append(msg.substr(start, at() - start));
    return {};
  }

  static void append_field(int number, const std::string& body, std::string& out) {
    uint8_t head[16];  // a tag (up to 5 bytes) and a length (up to 10)
    uint8_t* p = CodedOutputStream::WriteTagToArray(
        WireFormatLite::MakeTag(number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED), head);
    p = CodedOutputStream::WriteVarint64ToArray(body.size(), p);
    out.append(reinterpret_cast<const char*>(head), static_cast<size_t>(p - head));
    out += body;
  }

  // A varint at `at` that did not read: it runs past the end of its message, or past the
  // 10 bytes a varint may take.
  Error varint_error(std::string_view msg, Message m, size_t at) const {
    size_t p = at;
    while (p < msg.size() && p - at < 10 && (static_cast<uint8_t>(msg[p]) & 0x80)) ++p;
    if (p - at >= 10) return error(m, "varint longer than 10 bytes", at + 10);
    return error(m, "truncated varint", p);
  }

  Error error(Message m, const std::string& what, size_t byte) const {
    return bad_input(origin_ + ": " + message_name(m) + ": expected a protobuf message, got " + what + " at byte " +
                     std::to_string(byte));
  }

  const std::string& origin_;
  size_t window_;
};

std::string mib(size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

namespace onnx_detail {

Result<std::string> strip_weights(std::string_view bytes, const std::string& origin, size_t window) {
  std::string out;
  out.reserve(std::min<size_t>(bytes.size(), kOnnxMaxGraphBytes));
  auto s = WeightStripper(origin, std::max<size_t>(window, 64)).strip(bytes, Message::kModel, out);
  if (!s) return s.error();
  return out;
}

Status parse_model_proto(std::string_view bytes, const std::string& origin, onnx::ModelProto& model) {
  if (bytes.empty()) return bad_input(origin + ": model: expected an ONNX ModelProto, got an empty file");
  auto stripped = strip_weights(bytes, origin, kOnnxStreamBytes);
  if (!stripped) return stripped.error();
  if (stripped->size() > kOnnxMaxGraphBytes) {
    return bad_input(origin + ": graph: expected at most " + mib(kOnnxMaxGraphBytes) +
                     " of graph structure without weights (docs/limits.md), got " + mib(stripped->size()));
  }
  CodedInputStream in(reinterpret_cast<const uint8_t*>(stripped->data()), static_cast<int>(stripped->size()));
  in.SetTotalBytesLimit(static_cast<int>(kOnnxMaxGraphBytes));
  in.SetRecursionLimit(kOnnxMaxMessageDepth);
  if (!model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    return bad_input(origin + ": model: expected an ONNX ModelProto, got bytes that do not parse as one (or nest "
                     "messages deeper than " + std::to_string(kOnnxMaxMessageDepth) + ", docs/limits.md)");
  }
  return {};
}

}  // namespace onnx_detail
}  // namespace flopscope
