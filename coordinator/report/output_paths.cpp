#include "coordinator/report/output_paths.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "coordinator/report/csv_report.hpp"
#include "coordinator/report/output_file.hpp"

namespace tpbench {
namespace {

namespace fs = std::filesystem;

struct Output {
  std::string flag;
  std::string path;
  bool appended = false;  // --csv appends in place; the others are replaced via a staging file
};

// What a file is, for telling outputs apart: device and inode when it exists, else the
// canonical path it would be created at.
struct Identity {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  std::string canonical;
  bool operator==(const Identity& other) const {
    if (exists != other.exists) return false;
    return exists ? device == other.device && inode == other.inode : canonical == other.canonical;
  }
};

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

class OutputCheck {
 public:
  explicit OutputCheck(const Output& output) : output_(output) {
    try {
      target_ = follow_symlinks(output.path);
    } catch (const std::exception& e) {
      throw InputError(output.flag + " " + e.what());
    }
    who_ = output.flag + " '" + output.path + "'";
    if (target_ != fs::path(output.path)) who_ += " (a symlink to '" + target_.string() + "')";
  }

  Identity run() {
    check_folder();
    struct stat st {};
    const bool exists = ::stat(target_.c_str(), &st) == 0;
    if (!exists && errno != ENOENT) fail(std::strerror(errno));
    if (exists && !S_ISREG(st.st_mode)) {
      fail(std::string("is ") + kind_of(st.st_mode) + ", not a regular file");
    }
    if (output_.appended) {
      if (exists)
        check_appendable();
      else
        probe_create(target_);
    } else {
      probe_create(staging_path_for(target_));
    }
    Identity id;
    id.exists = exists;
    id.device = st.st_dev;
    id.inode = st.st_ino;
    std::error_code ec;
    id.canonical = fs::weakly_canonical(fs::absolute(target_, ec), ec).string();
    return id;
  }

  const std::string& who() const { return who_; }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw InputError(who_ + ": " + what); }

  void check_folder() const {
    const fs::path folder = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
    struct stat st {};
    if (::stat(folder.c_str(), &st) != 0) {
      if (errno == ENOENT) fail("folder '" + folder.string() + "' not found");
      if (errno == ENOTDIR) fail("'" + folder.string() + "' is not a folder");
      fail("folder '" + folder.string() + "': " + std::strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) fail("'" + folder.string() + "' is not a folder");
  }

  // Creates and removes `probe`: the one test of "this folder takes a new file" that holds for
  // root, read-only mounts and pseudo file systems alike.
  void probe_create(const fs::path& probe) const {
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      const int err = errno;
      const fs::path folder = probe.has_parent_path() ? probe.parent_path() : fs::path(".");
      fail("folder '" + folder.string() + "' takes no new file ('" + probe.string() +
           "'): " + std::strerror(err));
    }
    ::close(fd);
    ::unlink(probe.c_str());
  }

  void check_appendable() const {
    const int fd = ::open(target_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) fail(std::string("cannot be written: ") + std::strerror(errno));
    ::close(fd);
    const std::string conflict = csv_header_conflict(target_.string());
    if (!conflict.empty()) {
      fail(conflict +
           "; tpbench appends rows only under its own header: name a new file "
           "(e.g. --csv tpbench_throughput.csv), or --csv \"\" for no CSV");
    }
  }

  const Output& output_;
  fs::path target_;
  std::string who_;
};

Identity dataset_identity(const std::string& path) {
  Identity id;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return id;
  id.exists = true;
  id.device = st.st_dev;
  id.inode = st.st_ino;
  return id;
}

}  // namespace

void check_output_paths(const RunOptions& o) {
  std::vector<Output> outputs;
  if (!o.csv_path.empty()) outputs.push_back({"--csv", o.csv_path, true});
  if (!o.json_path.empty()) outputs.push_back({"--json", o.json_path, false});
  if (!o.requests_out_path.empty())
    outputs.push_back({"--requests-out", o.requests_out_path, false});

  const Identity dataset = dataset_identity(o.dataset_path);
  std::vector<std::pair<std::string, Identity>> seen;
  for (const Output& output : outputs) {
    OutputCheck check(output);
    const Identity id = check.run();
    if (dataset.exists && id == dataset) {
      throw InputError(check.who() + " is DATASET '" + o.dataset_path +
                       "': the report would overwrite it");
    }
    for (const auto& [who, other] : seen) {
      if (other == id) {
        throw InputError(who + " and " + check.who() +
                         " are the same file: each output needs a file of its own");
      }
    }
    seen.emplace_back(check.who(), id);
  }
}

}  // namespace tpbench
