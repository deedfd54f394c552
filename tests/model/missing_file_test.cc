// A file that is not there reads the same from every reader (util/file.h open_error):
// "PATH: cannot open: no such file", kind not found, whether the file or a folder on its
// path is missing (ENOENT), or a regular file stands where a folder should (ENOTDIR).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "flopscope/model/gguf_reader.h"
#include "flopscope/model/load.h"
#include "flopscope/model/onnx_loader.h"
#include "flopscope/model/safetensors_reader.h"

namespace flopscope {
namespace {

struct Reader {
  const char* name;
  const char* file;
  std::function<Error(const std::string&)> open;
};

template <typename R>
Error error_of(const R& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error{} : r.error();
}

std::vector<Reader> readers() {
  return {
      {"config.json", "config.json", [](const std::string& p) { return error_of(load_model(p)); }},
      {"gguf", "m.gguf", [](const std::string& p) { return error_of(read_gguf(p)); }},
      {"onnx", "m.onnx", [](const std::string& p) { return error_of(load_onnx(p)); }},
      {"safetensors", "m.safetensors", [](const std::string& p) { return error_of(read_safetensors(p)); }},
  };
}

TEST(MissingFile, EveryReaderSaysNoSuchFile) {
  for (const auto& r : readers()) {
    const std::string path = std::string("/nonexistent/flopscope/") + r.file;
    Error e = r.open(path);
    EXPECT_EQ(e.kind, ErrorKind::kNotFound) << r.name;
    EXPECT_EQ(e.message, path + ": cannot open: no such file") << r.name;
  }
}

// A path through a regular file (ENOTDIR) is a missing file too, not "Not a directory".
TEST(MissingFile, PathThroughAFileIsNoSuchFile) {
  const std::string file = std::string(FLOPSCOPE_TEST_DATA) + "/corrupt/cycle.onnx";
  for (const auto& r : readers()) {
    const std::string path = file + "/" + r.file;
    Error e = r.open(path);
    EXPECT_EQ(e.kind, ErrorKind::kNotFound) << r.name;
    EXPECT_EQ(e.message, path + ": cannot open: no such file") << r.name;
  }
}

}  // namespace
}  // namespace flopscope
