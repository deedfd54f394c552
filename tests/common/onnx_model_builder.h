// Builds ONNX models message by message for tests (onnx.proto from Debian's libonnx-dev).
#pragma once

#include "flopscope/model/onnx/proto.h"

#include <string>
#include <vector>

#include "flopscope/model/onnx_loader.h"

namespace flopscope::testing {

// Builds a model message by message; dims are numbers or symbolic names.
class ModelBuilder {
 public:
  explicit ModelBuilder(int opset = 17) {
    m_.set_ir_version(8);
    m_.set_producer_name("flopscope-test");
    auto* op = m_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
  }
  ModelBuilder& input(const std::string& name, const std::vector<std::string>& dims, int type = 1) {
    fill(m_.mutable_graph()->add_input(), name, dims, type);
    return *this;
  }
  ModelBuilder& output(const std::string& name) {
    m_.mutable_graph()->add_output()->set_name(name);
    return *this;
  }
  ModelBuilder& init(const std::string& name, const std::vector<int64_t>& dims, int type = 1) {
    auto* t = m_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (auto d : dims) t->add_dims(d);
    return *this;
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out,
                        const std::string& name = "") {
    auto* n = m_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op + std::to_string(m_.graph().node_size()) : name);
    for (const auto& i : in) n->add_input(i);
    for (const auto& o : out) n->add_output(o);
    return n;
  }
  static void ints(onnx::NodeProto* n, const std::string& key, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void i(onnx::NodeProto* n, const std::string& key, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void s(onnx::NodeProto* n, const std::string& key, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  onnx::ModelProto& model() { return m_; }
  std::string bytes() const { return m_.SerializeAsString(); }
  Result<Graph> load(const std::vector<DimBinding>& dims = {}) const {
    OnnxLoadOptions o;
    o.dims = dims;
    return parse_onnx(bytes(), "t.onnx", o);
  }

 private:
  static void fill(onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::string>& dims, int type) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(type);
    auto* shape = tt->mutable_shape();
    for (const auto& d : dims) {
      auto* dim = shape->add_dim();
      if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0]))) dim->set_dim_value(std::stoll(d));
      else dim->set_dim_param(d);
    }
  }
  onnx::ModelProto m_;
};

}  // namespace flopscope::testing
