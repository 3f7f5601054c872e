#include "coordinator/report/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace tpbench {

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw std::runtime_error("cannot write '" + temp + "': " + std::strerror(errno));
    }
    write(out);
    out.flush();
    if (!out) {
      const int err = errno;
      std::remove(temp.c_str());
      throw std::runtime_error("cannot write '" + temp + "': " + std::strerror(err));
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(temp.c_str());
    throw std::runtime_error("cannot rename '" + temp + "' to '" + path +
                             "': " + std::strerror(err));
  }
}

}  // namespace tpbench
