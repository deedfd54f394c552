// Reading files into memory with errors as values.
#pragma once

#include <string>

#include "flopscope/util/result.h"

namespace flopscope {

/// The whole file as bytes. Errors: "PATH: cannot open: <reason>" (kNotFound when absent).
/// Refuses files over `max_bytes` so a hostile path (/dev/zero) cannot exhaust memory.
Result<std::string> read_file(const std::string& path, size_t max_bytes = size_t{1} << 30);

/// Writes `contents` to `path` atomically: to a temporary file in the same folder, then
/// renamed over `path`, so a failure never leaves a half-written file behind. Only a new
/// file or an existing regular file is written: a symbolic link, device, directory, pipe or
/// socket at `path` is refused (bad input), never replaced. A replaced file keeps its mode.
Status write_file_atomic(const std::string& path, const std::string& contents);

}  // namespace flopscope
