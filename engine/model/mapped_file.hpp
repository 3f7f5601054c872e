#pragma once
// A whole file mapped read-only. Checkpoint readers point into it, so a TP rank only touches the
// pages of the tensor slices it reads.
#include <cstddef>
#include <cstdint>
#include <string>

namespace tpbench {

class MappedFile {
 public:
  // Throws InputError naming the file when it cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  const uint8_t* data() const { return static_cast<const uint8_t*>(map_); }
  uint64_t size() const { return size_; }

 private:
  std::string path_;
  void* map_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace tpbench
