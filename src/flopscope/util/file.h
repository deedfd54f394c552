// Reading files into memory with errors as values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "flopscope/util/result.h"

namespace flopscope {

/// The one message every reader (config.json, GGUF, ONNX, safetensors, TOML, CSV) gives for
/// a file it cannot open, from the errno of the failed call: "PATH: cannot open: no such
/// file" (kNotFound) when the file or a folder on its path is absent (ENOENT, ENOTDIR),
/// else "PATH: cannot open: <strerror>" (kBadInput: a symlink loop, no permission, ...).
Error open_error(const std::string& path, int errno_value);

/// A regular file mapped read-only into memory, unmapped when destroyed; an empty file
/// maps to an empty view. Mapped, not read: pages a reader skips stay on disk.
/// Errors: open_error(), "PATH: expected a regular file, got a directory" (or a device, ...).
class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedFile(void* data, size_t size) : data_(data), size_(size) {}
  void* data_ = nullptr;
  size_t size_ = 0;
};

/// The whole file as bytes. Errors: open_error(); "PATH: expected a file, got a directory".
/// Refuses files over `max_bytes` so a hostile path (/dev/zero) cannot exhaust memory.
Result<std::string> read_file(const std::string& path, size_t max_bytes = size_t{1} << 30);

/// Writes `contents` to `path` atomically: to a temporary file in the same folder, then
/// renamed over `path`, so a failure never leaves a half-written file behind. Only a new
/// file or an existing regular file is written: a symbolic link, device, directory, pipe or
/// socket at `path` is refused (bad input), never replaced. A replaced file keeps its mode.
Status write_file_atomic(const std::string& path, const std::string& contents);

}  // namespace flopscope
