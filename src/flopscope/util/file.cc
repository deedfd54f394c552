#include "flopscope/util/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace flopscope {

namespace {

// What a non-regular file is, for "expected a regular file, got a symbolic link".
const char* file_kind(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a named pipe";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return not_found(path + ": cannot open: no such file");
    return bad_input(path + ": cannot open: " + std::strerror(errno));  // ELOOP: a symlink loop, EACCES, ...
  }
  if (S_ISDIR(st.st_mode)) return bad_input(path + ": expected a file, got a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path + ": cannot open: " + std::strerror(errno));
  std::string out;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > max_bytes) {
      return bad_input(path + ": file larger than " + std::to_string(max_bytes) + " bytes, refusing to read it whole");
    }
  }
  return out;
}

Status write_file_atomic(const std::string& path, const std::string& contents) {
  namespace fs = std::filesystem;
  // Only a regular file may be replaced: renaming over a symlink would replace the link
  // (its target never written), and over a device node would replace the device.
  mode_t mode = 0666;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      return bad_input(path + ": expected a regular file to replace or a new file, got " + file_kind(st.st_mode) +
                       " (refusing to write over it)");
    }
    mode = st.st_mode & 07777;
  } else if (errno != ENOENT) {
    return failure(path + ": cannot write: " + std::strerror(errno));
  } else {
    mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  // The temporary file lives in the destination's folder, so the rename never crosses a
  // file system, and has a unique name (mkstemp), so two runs cannot share it.
  fs::path dest(path);
  fs::path dir = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
  std::string tmp = (dir / ("." + dest.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return failure(path + ": cannot write: " + std::strerror(errno));
  auto fail = [&](const char* what) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return failure(path + ": " + what + ": " + std::strerror(err));
  };
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write failed");
    }
    written += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) return fail("cannot set permissions");
  if (::fsync(fd) != 0) return fail("write failed");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return failure(path + ": write failed: " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return failure(path + ": cannot write: " + std::strerror(err));
  }
  return {};
}

}  // namespace flopscope
