#include "common/error.hpp"

namespace tpbench {

void throw_internal(const char* file, int line, const std::string& what) {
  throw InternalError(std::string(file) + ":" + std::to_string(line) + ": " + what);
}

}  // namespace tpbench
