#include "flopscope/model/safetensors_reader.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "flopscope/util/file.h"
#include "flopscope/util/json_reader.h"
#include "flopscope/util/text.h"

namespace flopscope {

namespace {
struct DtypeSize {
  const char* name;
  double bytes;
};
constexpr std::array<DtypeSize, 19> kDtypes = {{
    {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1}, {"I16", 2},
    {"U16", 2}, {"F16", 2}, {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4}, {"F64", 8},
    {"I64", 8}, {"U64", 8}, {"C64", 8}, {"F4", 0.5}, {"F6_E2M3", 0.75},
}};
}  // namespace

double safetensors_dtype_bytes(std::string_view dtype) {
  for (const auto& d : kDtypes)
    if (dtype == d.name) return d.bytes;
  return 0;
}

Result<std::vector<SafetensorsTensor>> parse_safetensors_header(std::string_view b, uint64_t file_size,
                                                                const std::string& origin) {
  auto err = [&](const std::string& field, const std::string& msg) { return bad_input(origin + ": " + field + ": " + msg); };
  if (b.size() < 8) return err("header", "expected an 8-byte header size, got a file of " + std::to_string(b.size()) + " bytes");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(b[static_cast<size_t>(i)]);
  if (n > file_size - 8) {
    return err("header", "header size " + std::to_string(n) + " exceeds the file size (" + std::to_string(file_size) + " bytes)");
  }
  if (n > kSafetensorsMaxHeaderBytes) {
    return err("header", "header size " + std::to_string(n) + " exceeds the limit of 100000000 bytes");
  }
  if (b.size() < 8 + n) return err("header", "expected " + std::to_string(n) + " header bytes, got " + std::to_string(b.size() - 8));
  auto parsed = parse_json(b.substr(8, n), origin + ": header");
  if (!parsed) return parsed.error();
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) return err("header", std::string("expected a JSON object, got ") + j.type_name());
  const uint64_t data_size = file_size - 8 - n;
  std::vector<SafetensorsTensor> out;
  std::vector<std::pair<uint64_t, size_t>> spans;  // (begin, index) for the overlap check
  out.reserve(j.size());
  for (auto& [name, v] : j.items()) {
    if (name == "__metadata__") continue;
    std::string field = "tensor '" + printable(name) + "'";
    if (!v.is_object()) return err(field, std::string("expected an object, got ") + v.type_name());
    SafetensorsTensor t;
    t.name = name;
    if (!v.contains("dtype") || !v["dtype"].is_string()) return err(field, "dtype: expected a string, got none");
    t.dtype = v["dtype"].get<std::string>();
    double eb = safetensors_dtype_bytes(t.dtype);
    if (eb == 0) return err(field, "dtype: expected a safetensors dtype (F32, BF16, ...), got '" + t.dtype + "'");
    if (!v.contains("shape") || !v["shape"].is_array()) return err(field, "shape: expected an array, got none");
    if (v["shape"].size() > 32) return err(field, "shape: expected at most 32 dims, got " + std::to_string(v["shape"].size()));
    long double elements = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) return err(field, "shape: expected non-negative integers, got " + d.dump());
      auto x = d.get<uint64_t>();
      if (x > (uint64_t{1} << 40)) return err(field, "shape: expected dims up to 2^40, got " + std::to_string(x));
      t.shape.push_back(static_cast<int64_t>(x));
      elements *= static_cast<long double>(x);
    }
    if (elements > static_cast<long double>(data_size) * 8) {
      return err(field, "shape: " + v["shape"].dump() + " holds more elements than the file has bytes");
    }
    // A zero dim makes the product 0 even when the others would overflow.
    t.elements = elements == 0 ? 0 : 1;
    if (t.elements != 0)
      for (int64_t d : t.shape) t.elements *= d;
    const auto& off = v.contains("data_offsets") ? v["data_offsets"] : nlohmann::json();
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      return err(field, "data_offsets: expected [BEGIN, END], got " + (off.is_null() ? std::string("none") : off.dump()));
    }
    auto begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      return err(field, "data_offsets: [" + std::to_string(begin) + ", " + std::to_string(end) +
                            "] lie beyond the data (" + std::to_string(data_size) + " bytes)");
    }
    auto expected = static_cast<uint64_t>(static_cast<long double>(t.elements) * eb + 0.5L);
    if (end - begin != expected) {
      return err(field, "data_offsets: expected " + std::to_string(expected) + " bytes for " + t.dtype + " shape of " +
                            std::to_string(t.elements) + " elements, got " + std::to_string(end - begin));
    }
    t.bytes = end - begin;
    spans.push_back({begin, out.size()});
    out.push_back(std::move(t));
  }
  // The format requires non-overlapping tensors.
  std::sort(spans.begin(), spans.end());
  uint64_t cursor = 0;
  for (const auto& [begin, i] : spans) {
    if (begin < cursor) return err("tensor '" + out[i].name + "'", "data_offsets: overlaps the previous tensor");
    cursor = begin + out[i].bytes;
  }
  return out;
}

SafetensorsModel summarize_safetensors(std::vector<SafetensorsTensor> tensors, std::string source) {
  SafetensorsModel m;
  m.source = std::move(source);
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::map<std::string, SafetensorsDtypeRow> rows;
  std::set<std::string> files;
  for (const auto& t : tensors) {
    auto& r = rows[t.dtype];
    r.dtype = t.dtype;
    r.tensors += 1;
    r.elements += t.elements;
    r.bytes += t.bytes;
    m.parameters += t.elements;
    m.bytes += t.bytes;
    if (!t.file.empty()) files.insert(t.file);
  }
  for (auto& [k, v] : rows) m.dtypes.push_back(v);
  std::stable_sort(m.dtypes.begin(), m.dtypes.end(), [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
  m.files.assign(files.begin(), files.end());
  m.tensors = std::move(tensors);
  return m;
}

namespace {

Result<std::vector<SafetensorsTensor>> read_one(const std::string& path, const std::string& file_label) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec) return open_error(path, ec.value());
  if (!std::filesystem::is_regular_file(status)) return bad_input(path + ": expected a regular file, got a directory or device");
  std::ifstream in(path, std::ios::binary);
  if (!in) return open_error(path, errno);
  in.seekg(0, std::ios::end);
  const auto end = in.tellg();
  if (end < 0) return bad_input(path + ": cannot read: the file has no size");
  auto size = static_cast<uint64_t>(end);
  in.seekg(0);
  std::string head(8, '\0');
  if (size < 8 || !in.read(head.data(), 8)) {
    return bad_input(path + ": header: expected an 8-byte header size, got a file of " + std::to_string(size) + " bytes");
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(head[static_cast<size_t>(i)]);
  if (n <= size - 8 && n <= kSafetensorsMaxHeaderBytes) {
    head.resize(8 + n);
    if (!in.read(head.data() + 8, static_cast<std::streamsize>(n))) return failure(path + ": header: read failed");
  }
  auto t = parse_safetensors_header(head, size, path);
  if (!t) return t.error();
  for (auto& x : *t) x.file = file_label;
  return t;
}

}  // namespace

Result<SafetensorsModel> read_safetensors(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    auto t = read_one(path, fs::path(path).filename().string());
    if (!t) return t.error();
    return summarize_safetensors(std::move(*t), path);
  }
  fs::path dir(path);
  fs::path index = dir / "model.safetensors.index.json";
  if (!fs::exists(index, ec)) {
    fs::path single = dir / "model.safetensors";
    if (fs::exists(single, ec)) {
      auto t = read_one(single.string(), "model.safetensors");
      if (!t) return t.error();
      return summarize_safetensors(std::move(*t), path);
    }
    return not_found(path + ": expected model.safetensors.index.json or model.safetensors in the folder, got neither");
  }
  auto text = read_file(index.string(), kSafetensorsMaxHeaderBytes);
  if (!text) return text.error();
  const std::string origin = index.string();
  auto parsed = parse_json(*text, origin);
  if (!parsed) return parsed.error();
  nlohmann::json& j = *parsed;
  if (!j.is_object()) return bad_input(origin + ": expected a JSON object, got " + j.type_name());
  if (!j.contains("weight_map") || !j["weight_map"].is_object()) {
    return bad_input(origin + ": weight_map: expected an object of tensor name -> file, got none");
  }
  std::map<std::string, std::set<std::string>> by_file;
  for (auto& [name, file] : j["weight_map"].items()) {
    if (!file.is_string()) return bad_input(origin + ": weight_map." + name + ": expected a file name, got " + file.dump());
    auto f = file.get<std::string>();
    if (f.empty() || f.find('/') != std::string::npos || f.find("..") != std::string::npos) {
      return bad_input(origin + ": weight_map." + name + ": expected a file name in the folder, got '" + f + "'");
    }
    by_file[f].insert(name);
  }
  std::vector<SafetensorsTensor> all;
  for (const auto& [file, names] : by_file) {
    auto t = read_one((dir / file).string(), file);
    if (!t) return t.error();
    std::set<std::string> present;
    for (auto& x : *t) {
      present.insert(x.name);
      all.push_back(std::move(x));
    }
    for (const auto& n : names) {
      if (!present.count(n)) return bad_input(origin + ": weight_map." + n + ": expected the tensor in " + file + ", got no such tensor there");
    }
  }
  auto m = summarize_safetensors(std::move(all), path);
  if (j.contains("metadata") && j["metadata"].is_object() && j["metadata"].contains("total_size") &&
      j["metadata"]["total_size"].is_number()) {
    auto total = j["metadata"]["total_size"].get<double>();
    // Some exporters count padding or parameters here: a difference is worth saying, not fatal.
    if (total != static_cast<double>(m.bytes)) {
      m.warnings.push_back(origin + ": metadata.total_size is " + j["metadata"]["total_size"].dump() +
                           ", the shards' tensors hold " + std::to_string(m.bytes) + " bytes");
    }
  }
  return m;
}

}  // namespace flopscope
