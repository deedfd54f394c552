#include "flopscope/model/gguf_reader.h"

#include "flopscope/util/file.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

namespace flopscope {

namespace {
// ggml.c type_traits: block size and bytes per block.
constexpr std::array<GgmlTypeInfo, kGgmlTypeCount> kGgmlTypes = {{
    {"F32", 1, 4},       {"F16", 1, 2},        {"Q4_0", 32, 18},    {"Q4_1", 32, 20},
    {nullptr, 0, 0},     {nullptr, 0, 0},      {"Q5_0", 32, 22},    {"Q5_1", 32, 24},
    {"Q8_0", 32, 34},    {"Q8_1", 32, 36},     {"Q2_K", 256, 84},   {"Q3_K", 256, 110},
    {"Q4_K", 256, 144},  {"Q5_K", 256, 176},   {"Q6_K", 256, 210},  {"Q8_K", 256, 292},
    {"IQ2_XXS", 256, 66}, {"IQ2_XS", 256, 74}, {"IQ3_XXS", 256, 98}, {"IQ1_S", 256, 50},
    {"IQ4_NL", 32, 18},  {"IQ3_S", 256, 110},  {"IQ2_S", 256, 82},  {"IQ4_XS", 256, 136},
    {"I8", 1, 1},        {"I16", 1, 2},        {"I32", 1, 4},       {"I64", 1, 8},
    {"F64", 1, 8},       {"IQ1_M", 256, 56},   {"BF16", 1, 2},      {nullptr, 0, 0},
    {nullptr, 0, 0},     {nullptr, 0, 0},      {"TQ1_0", 256, 54},  {"TQ2_0", 256, 66},
    {nullptr, 0, 0},     {nullptr, 0, 0},      {nullptr, 0, 0},     {"MXFP4", 32, 17},
}};
static_assert(kGgmlTypes.size() == kGgmlTypeCount, "one entry per ggml type code");
static_assert(static_cast<uint32_t>(GgmlType::kMXFP4) + 1 == kGgmlTypeCount, "MXFP4 is the last code");

// Size of a scalar GGUF value type in bytes (0 for string and array).
constexpr std::array<uint64_t, static_cast<size_t>(GgufType::kCount)> kGgufScalarBytes = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
constexpr std::array<const char*, static_cast<size_t>(GgufType::kCount)> kGgufTypeNames = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"};
static_assert(kGgufScalarBytes.size() == 13 && kGgufTypeNames.size() == 13, "GGUF_TYPE_COUNT == 13");

class Cursor {
 public:
  Cursor(std::string_view b, uint64_t file_size, const std::string& origin)
      : b_(b), file_size_(file_size), origin_(origin) {}
  uint64_t pos() const { return pos_; }
  uint64_t left_in_file() const { return file_size_ > pos_ ? file_size_ - pos_ : 0; }
  Error err(const std::string& field, const std::string& msg) const {
    return bad_input(origin_ + ": " + field + ": " + msg);
  }
  template <typename T>
  Result<T> read(const std::string& field) {
    if (b_.size() - std::min<uint64_t>(pos_, b_.size()) < sizeof(T)) {
      return err(field, "expected " + std::to_string(sizeof(T)) + " more bytes, got the end of the file at byte " + std::to_string(pos_));
    }
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  Result<std::string> string(const std::string& field, bool keep = true) {
    auto n = read<uint64_t>(field);
    if (!n) return n.error();
    uint64_t left = b_.size() - pos_;
    if (*n > left) {
      return err(field, "string length " + std::to_string(*n) + " exceeds the " + std::to_string(left) + " bytes left");
    }
    if (*n > kGgufMaxStringBytes) {
      return err(field, "string length " + std::to_string(*n) + " exceeds the limit of " + std::to_string(kGgufMaxStringBytes));
    }
    std::string s = keep ? std::string(b_.data() + pos_, *n) : std::string();
    pos_ += *n;
    return s;
  }
  Status skip(uint64_t n, const std::string& field) {
    if (n > b_.size() - pos_) return err(field, "expected " + std::to_string(n) + " bytes, got " + std::to_string(b_.size() - pos_));
    pos_ += n;
    return {};
  }
  uint64_t bytes_left() const { return b_.size() - pos_; }

 private:
  std::string_view b_;
  uint64_t file_size_;
  uint64_t pos_ = 0;
  const std::string& origin_;
};

Result<GgufValue> read_scalar(Cursor& c, GgufType t, const std::string& field) {
  GgufValue v;
  v.type = t;
  switch (t) {
#define FLOPSCOPE_GGUF_INT(TT, CT)                  \
  case GgufType::TT: {                              \
    auto x = c.read<CT>(field);                     \
    if (!x) return x.error();                       \
    v.i = static_cast<int64_t>(*x);                 \
    v.u = static_cast<uint64_t>(*x);                \
    v.f = static_cast<double>(*x);                  \
    return v;                                       \
  }
    FLOPSCOPE_GGUF_INT(kUint8, uint8_t)
    FLOPSCOPE_GGUF_INT(kInt8, int8_t)
    FLOPSCOPE_GGUF_INT(kUint16, uint16_t)
    FLOPSCOPE_GGUF_INT(kInt16, int16_t)
    FLOPSCOPE_GGUF_INT(kUint32, uint32_t)
    FLOPSCOPE_GGUF_INT(kInt32, int32_t)
    FLOPSCOPE_GGUF_INT(kUint64, uint64_t)
    FLOPSCOPE_GGUF_INT(kInt64, int64_t)
#undef FLOPSCOPE_GGUF_INT
    case GgufType::kBool: {
      auto x = c.read<uint8_t>(field);
      if (!x) return x.error();
      if (*x > 1) return c.err(field, "expected a bool (0 or 1), got " + std::to_string(*x));
      v.i = *x;
      v.u = *x;
      return v;
    }
    case GgufType::kFloat32: {
      auto x = c.read<float>(field);
      if (!x) return x.error();
      v.f = *x;
      return v;
    }
    case GgufType::kFloat64: {
      auto x = c.read<double>(field);
      if (!x) return x.error();
      v.f = *x;
      return v;
    }
    case GgufType::kString: {
      auto s = c.string(field);
      if (!s) return s.error();
      v.s = std::move(*s);
      return v;
    }
    default: break;
  }
  return c.err(field, "expected a scalar type, got type " + std::to_string(static_cast<uint32_t>(t)));
}

Result<GgufValue> read_value(Cursor& c, uint32_t type_code, const std::string& field) {
  if (type_code >= static_cast<uint32_t>(GgufType::kCount)) {
    return c.err(field, "expected a value type 0..12, got " + std::to_string(type_code));
  }
  auto t = static_cast<GgufType>(type_code);
  if (t != GgufType::kArray) return read_scalar(c, t, field);
  auto et = c.read<uint32_t>(field);
  if (!et) return et.error();
  auto n = c.read<uint64_t>(field);
  if (!n) return n.error();
  if (*et >= static_cast<uint32_t>(GgufType::kCount) || *et == static_cast<uint32_t>(GgufType::kArray)) {
    return c.err(field, "expected an array element type 0..12 other than array, got " + std::to_string(*et));
  }
  auto elem = static_cast<GgufType>(*et);
  uint64_t min_bytes = elem == GgufType::kString ? 8 : kGgufScalarBytes[*et];
  if (*n > c.bytes_left() / min_bytes) {
    return c.err(field, "array length " + std::to_string(*n) + " exceeds the " + std::to_string(c.bytes_left()) + " bytes left");
  }
  GgufValue v;
  v.type = GgufType::kArray;
  v.array_type = elem;
  v.array_length = *n;
  if (elem == GgufType::kString) {
    for (uint64_t i = 0; i < *n; ++i) {
      auto s = c.string(field, false);
      if (!s) return s.error();
    }
  } else if (*n <= kGgufKeptArrayElements) {
    v.numbers.reserve(*n);
    for (uint64_t i = 0; i < *n; ++i) {
      auto x = read_scalar(c, elem, field);
      if (!x) return x.error();
      v.numbers.push_back(x->type == GgufType::kFloat32 || x->type == GgufType::kFloat64 ? x->f : static_cast<double>(x->i));
    }
  } else {
    auto s = c.skip(*n * kGgufScalarBytes[*et], field);
    if (!s) return s.error();
  }
  return v;
}

}  // namespace

const GgmlTypeInfo* ggml_type_info(uint32_t code) {
  if (code >= kGgmlTypeCount || !kGgmlTypes[code].name) return nullptr;
  return &kGgmlTypes[code];
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::kUint8: case GgufType::kInt8: case GgufType::kUint16: case GgufType::kInt16:
    case GgufType::kUint32: case GgufType::kInt32: case GgufType::kUint64: case GgufType::kInt64:
      return true;
    default: return false;
  }
}

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& kv : metadata)
    if (kv.key == key) return &kv.value;
  return nullptr;
}
std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
  const auto* v = find(key);
  if (!v || !v->is_integer()) return std::nullopt;
  return v->i;
}
std::optional<std::string> GgufFile::get_string(std::string_view key) const {
  const auto* v = find(key);
  if (!v || v->type != GgufType::kString) return std::nullopt;
  return v->s;
}
const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}
int64_t GgufFile::parameter_count() const {
  int64_t n = 0;
  for (const auto& t : tensors) n += t.elements;
  return n;
}
uint64_t GgufFile::tensor_bytes() const {
  uint64_t n = 0;
  for (const auto& t : tensors) n += t.bytes;
  return n;
}

Result<GgufFile> parse_gguf(std::string_view bytes, uint64_t file_size, const std::string& origin) {
  Cursor c(bytes, file_size, origin);
  GgufFile f;
  f.file_size = file_size;
  if (bytes.size() < 4) return c.err("header", "expected the magic \"GGUF\", got a file of " + std::to_string(bytes.size()) + " bytes");
  if (std::memcmp(bytes.data(), "GGUF", 4) != 0) {
    return c.err("header", "expected the magic \"GGUF\", got bytes that are not a GGUF file");
  }
  (void)c.skip(4, "header");
  auto version = c.read<uint32_t>("header");
  if (!version) return version.error();
  f.version = *version;
  if (*version == 0) return c.err("header", "expected version 2 or 3, got 0");
  if ((*version & 0xffff) == 0) {
    return c.err("header", "version " + std::to_string(*version) + " looks byte-swapped: expected a little-endian file");
  }
  if (*version == 1) return c.err("header", "version 1 is too old (expected 2 or 3): convert the file with a newer llama.cpp");
  if (*version > 3) return c.err("header", "version " + std::to_string(*version) + " is too new (expected 2 or 3)");
  auto n_tensors = c.read<uint64_t>("header");
  if (!n_tensors) return n_tensors.error();
  auto n_kv = c.read<uint64_t>("header");
  if (!n_kv) return n_kv.error();
  constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;
  constexpr uint64_t kMinKVBytes = 8 + 4 + 1;
  if (*n_tensors > kGgufMaxTensors || *n_tensors > c.left_in_file() / kMinTensorInfoBytes) {
    return c.err("header", "tensor count " + std::to_string(*n_tensors) + " exceeds the file size (" +
                               std::to_string(file_size) + " bytes)");
  }
  if (*n_kv > kGgufMaxKVs || *n_kv > c.left_in_file() / kMinKVBytes) {
    return c.err("header", "metadata count " + std::to_string(*n_kv) + " exceeds the file size (" +
                               std::to_string(file_size) + " bytes)");
  }
  std::unordered_set<std::string> keys;
  f.metadata.reserve(*n_kv);
  for (uint64_t i = 0; i < *n_kv; ++i) {
    std::string field = "metadata[" + std::to_string(i) + "]";
    auto key = c.string(field + " key");
    if (!key) return key.error();
    if (!keys.insert(*key).second) return c.err("metadata", "duplicate key '" + *key + "'");
    auto type = c.read<uint32_t>(*key);
    if (!type) return type.error();
    auto value = read_value(c, *type, *key);
    if (!value) return value.error();
    f.metadata.push_back({std::move(*key), std::move(*value)});
  }
  if (const auto* a = f.find("general.alignment")) {
    if (a->type != GgufType::kUint32 || a->u == 0 || (a->u & (a->u - 1)) != 0) {
      return c.err("general.alignment", "expected a uint32 power of two, got " +
                                            (a->is_integer() ? std::to_string(a->i) : std::string("a ") + kGgufTypeNames[static_cast<size_t>(a->type)]));
    }
    f.alignment = a->u;
  }
  std::unordered_set<std::string> names;
  f.tensors.reserve(*n_tensors);
  for (uint64_t i = 0; i < *n_tensors; ++i) {
    GgufTensorInfo t;
    auto name = c.string("tensor[" + std::to_string(i) + "] name");
    if (!name) return name.error();
    t.name = std::move(*name);
    std::string field = "tensor '" + t.name + "'";
    if (!names.insert(t.name).second) return c.err(field, "duplicate tensor name");
    auto n_dims = c.read<uint32_t>(field);
    if (!n_dims) return n_dims.error();
    if (*n_dims > 4) return c.err(field, "expected at most 4 dims, got " + std::to_string(*n_dims));
    long double elements = 1;
    t.elements = 1;
    for (uint32_t d = 0; d < *n_dims; ++d) {
      auto ne = c.read<uint64_t>(field);
      if (!ne) return ne.error();
      if (*ne > static_cast<uint64_t>(kGgufMaxDim)) {
        return c.err(field, "expected dims up to 2^40, got " + std::to_string(*ne));
      }
      t.ne.push_back(static_cast<int64_t>(*ne));
      elements *= static_cast<long double>(*ne);
    }
    if (elements > static_cast<long double>(INT64_MAX / 2)) return c.err(field, "element count overflows");
    // A zero dim makes the product 0 even when the others overflow (found by fuzz_gguf).
    bool empty = std::find(t.ne.begin(), t.ne.end(), 0) != t.ne.end();
    if (empty) {
      t.elements = 0;
    } else {
      for (int64_t ne : t.ne) t.elements *= ne;
    }
    auto type = c.read<uint32_t>(field);
    if (!type) return type.error();
    const GgmlTypeInfo* info = ggml_type_info(*type);
    if (!info) return c.err(field, "expected a ggml type, got unknown or removed type " + std::to_string(*type));
    t.type = *type;
    int64_t ne0 = t.ne.empty() ? 1 : t.ne[0];
    if (ne0 % info->block_size != 0) {
      return c.err(field, std::string("row of ") + std::to_string(ne0) + " elements is not a multiple of the " +
                              info->name + " block size " + std::to_string(info->block_size));
    }
    long double nbytes = static_cast<long double>(t.elements) / static_cast<long double>(info->block_size) *
                         static_cast<long double>(info->block_bytes);
    if (nbytes > static_cast<long double>(file_size)) {
      return c.err(field, "size " + std::to_string(static_cast<uint64_t>(std::min<long double>(nbytes, 1e19L))) +
                              " bytes exceeds the file size (" + std::to_string(file_size) + " bytes)");
    }
    t.bytes = static_cast<uint64_t>(t.elements / info->block_size) * static_cast<uint64_t>(info->block_bytes);
    auto offset = c.read<uint64_t>(field);
    if (!offset) return offset.error();
    if (*offset % f.alignment != 0) {
      return c.err(field, "offset " + std::to_string(*offset) + " is not a multiple of the alignment " + std::to_string(f.alignment));
    }
    t.offset = *offset;
    f.tensors.push_back(std::move(t));
  }
  f.data_offset = (c.pos() + f.alignment - 1) / f.alignment * f.alignment;
  uint64_t data_size = file_size > f.data_offset ? file_size - f.data_offset : 0;
  for (const auto& t : f.tensors) {
    if (t.offset > data_size || t.bytes > data_size - t.offset) {
      return c.err("tensor '" + t.name + "'", "data at offset " + std::to_string(t.offset) + " (+" + std::to_string(t.bytes) +
                                                 " bytes) lies beyond the end of the file (data section of " +
                                                 std::to_string(data_size) + " bytes)");
    }
  }
  return f;
}

Result<GgufFile> read_gguf(const std::string& path) {
  // Mapped, not read: only the header's pages are touched.
  auto file = MappedFile::open(path);
  if (!file) return file.error();
  if (file->bytes().empty()) return bad_input(path + ": header: expected the magic \"GGUF\", got an empty file");
  return parse_gguf(file->bytes(), file->bytes().size(), path);
}

}  // namespace flopscope
