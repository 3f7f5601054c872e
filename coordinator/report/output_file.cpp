#include "coordinator/report/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <streambuf>

namespace tpbench {
namespace {

namespace fs = std::filesystem;

// The first errno of a write loop; 0 when every byte went out.
int write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

// An ostream buffer over a file descriptor that keeps the errno of the first failed write.
class FdOutBuf : public std::streambuf {
 public:
  explicit FdOutBuf(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    if (error_ == 0) error_ = write_all(fd_, pbase(), static_cast<size_t>(pptr() - pbase()));
    setp(buffer_, buffer_ + sizeof buffer_);
    return error_ == 0;
  }

  int fd_;
  int error_ = 0;
  char buffer_[1 << 16];
};

std::string named(const std::string& path, const fs::path& target) {
  return target == fs::path(path) ? "'" + path + "'"
                                  : "'" + path + "' (-> '" + target.string() + "')";
}

[[noreturn]] void fail(const std::string& who, const std::string& what, int err) {
  throw std::runtime_error(who + ": " + what + ": " + std::strerror(err));
}

// Runs `write` into fd, flushes and closes it; returns the first errno (0 on success).
int stream_into(int fd, const std::function<void(std::ostream&)>& write) {
  FdOutBuf buffer(fd);
  {
    std::ostream out(&buffer);
    write(out);
    out.flush();
  }
  int err = buffer.error();
  if (::close(fd) != 0 && err == 0) err = errno;
  return err;
}

}  // namespace

fs::path follow_symlinks(const std::string& path) {
  fs::path p = path;
  for (int hops = 0;; ++hops) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    if (hops == 40) fail("'" + path + "'", "following its symlinks", ELOOP);
    std::error_code ec;
    const fs::path link = fs::read_symlink(p, ec);
    if (ec) fail("'" + path + "'", "reading symlink '" + p.string() + "'", ec.value());
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
}

fs::path staging_path_for(const fs::path& target) {
  return fs::path(target.string() + ".tmp-" + std::to_string(::getpid()));
}

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  const fs::path target = follow_symlinks(path);
  const std::string who = named(path, target);
  struct stat st {};
  const bool exists = ::stat(target.c_str(), &st) == 0;

  if (exists && !S_ISREG(st.st_mode)) {
    const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) fail(who, "cannot open for writing", errno);
    if (int err = stream_into(fd, write)) fail(who, "cannot write", err);
    return;
  }

  const fs::path staging = staging_path_for(target);
  const int fd = ::open(staging.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail(who, "cannot create '" + staging.string() + "'", errno);
  if (exists) ::fchmod(fd, st.st_mode & 07777);
  if (int err = stream_into(fd, write)) {
    ::unlink(staging.c_str());
    fail(who, "cannot write '" + staging.string() + "'", err);
  }
  if (::rename(staging.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(staging.c_str());
    fail(who, "cannot rename '" + staging.string() + "' onto it", err);
  }
}

void append_to_file(const std::string& path, const std::string& text) {
  const fs::path target = follow_symlinks(path);
  const std::string who = named(path, target);
  const int fd = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
  if (fd < 0) fail(who, "cannot open for appending", errno);
  int err = write_all(fd, text.data(), text.size());
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) fail(who, "cannot append", err);
}

}  // namespace tpbench
