// Reading a command's options from a JSON object (the JSON form of api.h): each key is read
// into a field of the options struct with its type checked, and any key left unread is an
// error that suggests the closest known key. The first error wins; done() returns it.
//
//   CountOptions o;
//   OptionsReader r(options, "count");
//   r.model("model", o.model, o.model_config).read("batch", o.batch).read("seq", o.seq);
//   if (auto st = r.done(); !st) return st.error();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/model/transformer_spec.h"

namespace flopscope::api {

class OptionsReader {
 public:
  /// `options` must be a JSON object (null counts as {}); `command` names it in errors.
  OptionsReader(const Json& options, std::string command);

  OptionsReader& read(std::string_view key, std::string& out);
  OptionsReader& read(std::string_view key, int64_t& out);  ///< an integer (not 8.0, not "8")
  OptionsReader& read(std::string_view key, int& out);
  OptionsReader& read(std::string_view key, double& out);   ///< any finite number
  OptionsReader& read(std::string_view key, bool& out);
  OptionsReader& read(std::string_view key, std::vector<std::string>& out);  ///< a string or a list of strings
  OptionsReader& read(std::string_view key, std::vector<int64_t>& out);      ///< an integer or a list of them
  OptionsReader& read(std::string_view key, std::vector<double>& out);       ///< a number or a list of them
  OptionsReader& read(std::string_view key, std::optional<double>& out);
  OptionsReader& read(std::string_view key, std::optional<int64_t>& out);
  OptionsReader& read(std::string_view key, std::optional<std::string>& out);
  /// A model: a string (catalog name, HF id or path, into `name`) or an object (a
  /// config.json's contents, into `config`; `name` left as is).
  OptionsReader& model(std::string_view key, std::string& name, Json& config);
  /// Marks `key` as known without reading it (a CLI-only key such as "json").
  OptionsReader& ignore(std::string_view key);

  /// The first error, or an unknown key; otherwise ok.
  Status done();

 private:
  const Json* find(std::string_view key);
  void fail(std::string_view key, std::string_view expected, const Json& got);
  Json options_;
  std::string command_;
  std::vector<std::string> known_;
  std::optional<Error> error_;
};

/// The model a command names: `config` (a config.json object) when not null, else `name`
/// (catalog name, HF id, config.json, snapshot folder or .gguf; model/load.h).
Result<TransformerSpec> load_model_option(const std::string& name, const Json& config);

}  // namespace flopscope::api
