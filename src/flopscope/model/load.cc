#include "flopscope/model/load.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <toml++/toml.h>

#include "flopscope/data/embedded.h"
#include "flopscope/util/text.h"
#include "flopscope/util/file.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/spellcheck.h"
#include "flopscope/util/toml_parse.h"

#if __has_include("flopscope/model/gguf_loader.h")
#include "flopscope/model/gguf_loader.h"
#define FLOPSCOPE_HAVE_GGUF 1
#endif

namespace flopscope {

namespace {

std::vector<ModelFacts> load_catalog() {
  std::vector<ModelFacts> out;
  auto text = data::find_embedded("models/catalog.toml");
  if (!text) return out;
  // The embedded catalog is part of the build and checked by tests; a parse failure here
  // is a bug in data/, so an empty catalog (and failing tests) is the right outcome.
  auto parsed = parse_toml(*text, "data/models/catalog.toml");
  if (!parsed) return out;
  const toml::array* models = (*parsed)["model"].as_array();
  if (!models) return out;
  for (const auto& node : *models) {
    const toml::table* t = node.as_table();
    if (!t) continue;
    ModelFacts f;
    f.name = (*t)["name"].value_or(std::string());
    f.hf_id = (*t)["hf_id"].value_or(std::string());
    f.config = (*t)["config"].value_or(std::string());
    f.tokens_trained = (*t)["tokens_trained"].value_or(0.0);
    f.release = (*t)["release"].value_or(std::string());
    f.source = (*t)["source"].value_or(std::string());
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const ModelFacts& a, const ModelFacts& b) { return a.name < b.name; });
  return out;
}

std::string display_name_from_path(const std::filesystem::path& p) {
  std::filesystem::path q = p;
  if (q.filename() == "config.json") q = q.parent_path();
  std::string stem = q.filename() == "config.json" || q.empty() ? p.string() : q.stem().string();
  auto pos = stem.find("__");  // fixture naming "org__Name"
  return pos == std::string::npos ? stem : stem.substr(pos + 2);
}

Result<TransformerSpec> load_config_file(const std::filesystem::path& path) {
  auto text = read_file(path.string(), limits::kConfigBytes);
  if (!text) return text.error();
  auto spec = parse_hf_config(*text, path.string());
  if (!spec) return spec.error();
  spec->name = display_name_from_path(path);
  return spec;
}

}  // namespace

const std::vector<ModelFacts>& model_catalog() {
  static const std::vector<ModelFacts> kCatalog = load_catalog();
  return kCatalog;
}

const ModelFacts* find_catalog_model(std::string_view name) {
  std::string key = ascii_lower(name);
  for (const auto& f : model_catalog()) {
    if (f.name == key || ascii_lower(f.hf_id) == key) return &f;
    // "Llama-3.1-8B" without the org also names it.
    auto slash = f.hf_id.find('/');
    if (slash != std::string::npos && ascii_lower(f.hf_id.substr(slash + 1)) == key) return &f;
  }
  return nullptr;
}

Result<TransformerSpec> load_model(std::string_view what) {
  if (what.empty()) return bad_input("MODEL: expected a catalog name, a config.json, a folder or a .gguf file, got ''");
  namespace fs = std::filesystem;
  fs::path path{std::string(what)};
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    fs::path cfg = path / "config.json";
    if (!fs::exists(cfg, ec)) return bad_input(path.string() + ": expected a folder holding config.json, found none");
    auto spec = load_config_file(cfg);
    if (spec) spec->name = path.filename().empty() ? path.parent_path().filename().string() : path.filename().string();
    return spec;
  }
  const bool present = fs::exists(path, ec);
  // A path that is there but cannot be followed (a symlink loop, a dangling link, no
  // permission) is that, not an unknown catalog name.
  if (!present && ec && ec != std::errc::no_such_file_or_directory) {
    return open_error(path.string(), ec.value());
  }
  if (!present && fs::is_symlink(fs::symlink_status(path, ec))) {
    return not_found(path.string() + ": cannot open: a symbolic link to a missing file");
  }
  if (present) {
    if (path.extension() == ".gguf") {
#ifdef FLOPSCOPE_HAVE_GGUF
      return load_gguf_transformer(path.string());
#else
      return bad_input(path.string() + ": GGUF files are not supported by this build");
#endif
    }
    return load_config_file(path);
  }
  if (const ModelFacts* f = find_catalog_model(what)) {
    auto text = data::find_embedded(f->config);
    if (!text) return failure("catalog: " + f->name + ": config " + f->config + " is not embedded (a build bug)");
    auto spec = parse_hf_config(*text, "catalog:" + f->name);
    if (!spec) return spec.error();
    auto slash = f->hf_id.find('/');
    spec->name = slash == std::string::npos ? f->hf_id : f->hf_id.substr(slash + 1);
    return spec;
  }
  bool looks_like_path = what.find('/') != std::string_view::npos && what.find(".json") != std::string_view::npos;
  if (looks_like_path || path.extension() == ".json" || path.extension() == ".gguf") {
    return open_error(std::string(what), ENOENT);
  }
  std::vector<std::string> names;
  for (const auto& f : model_catalog()) names.push_back(f.name);
  return bad_input("unknown model '" + std::string(what) + "'" + did_you_mean(ascii_lower(what), names) +
                   " (expected a catalog name from `flopscope models`, a config.json, a folder or a .gguf file)");
}

}  // namespace flopscope
