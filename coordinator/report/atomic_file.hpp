#pragma once
// Writes a whole file so that readers see either the old file or the complete new one.
#include <functional>
#include <ostream>
#include <string>

namespace tpbench {

// Streams into PATH.tmp-<pid>, then renames it over path. Throws std::runtime_error naming
// the file when it cannot be written.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

}  // namespace tpbench
