#pragma once
// The entries of a ZIP archive as PyTorch's torch.save writes it: stored (uncompressed) entries,
// Zip64 end records and extra fields, data found through each entry's local header. Compressed
// or encrypted entries are refused. CRC-32s are not checked: that would read every byte of a
// multi-GiB shard on every rank, while the bounds checks already catch truncated files.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "engine/model/mapped_file.hpp"

namespace tpbench {

struct ZipEntry {
  const uint8_t* data = nullptr;  // first byte inside the mapping
  uint64_t size = 0;
};

class ZipArchive {
 public:
  // Maps the file and reads its central directory. Throws InputError naming the file and fault.
  explicit ZipArchive(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const std::map<std::string, ZipEntry>& entries() const { return entries_; }
  // nullptr when absent.
  const ZipEntry* find(const std::string& name) const;

 private:
  MappedFile file_;
  std::map<std::string, ZipEntry> entries_;
};

}  // namespace tpbench
