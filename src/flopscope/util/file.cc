#include "flopscope/util/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

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

Error open_error(const std::string& path, int errno_value) {
  if (errno_value == ENOENT || errno_value == ENOTDIR) return not_found(path + ": cannot open: no such file");
  return bad_input(path + ": cannot open: " + std::strerror(errno_value));
}

Result<MappedFile> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return open_error(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return bad_input(path + ": expected a regular file, got " + file_kind(st.st_mode));
  }
  auto size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return MappedFile(nullptr, 0);
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (map == MAP_FAILED) return failure(path + ": cannot map: " + std::strerror(err));
  return MappedFile(map, size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(data_, size_);
}

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return open_error(path, errno);  // ELOOP: a symlink loop, EACCES, ...
  if (S_ISDIR(st.st_mode)) return bad_input(path + ": expected a file, got a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return open_error(path, errno);
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
