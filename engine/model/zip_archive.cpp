#include "engine/model/zip_archive.hpp"

#include <cstring>
#include <vector>

#include "common/error.hpp"

namespace tpbench {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfCentralDir = 0x06054b50, kZip64EndRecord = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint32_t kEndSize = 22, kLocatorSize = 20, kZip64EndSize = 56;
constexpr uint32_t kCentralSize = 46, kLocalSize = 30;

// Little-endian reads within [0, size) of the mapping; out of range is a truncated file.
class Bytes {
 public:
  Bytes(const uint8_t* base, uint64_t size, const std::string& path)
      : base_(base), size_(size), path_(path) {}
  uint64_t size() const { return size_; }
  const uint8_t* at(uint64_t offset, uint64_t len, const char* what) const {
    if (offset > size_ || len > size_ - offset)
      throw InputError(path_ + ": truncated zip archive: " + what + " at byte " +
                       std::to_string(offset) + " runs past the end of the file (" +
                       std::to_string(size_) + " bytes)");
    return base_ + offset;
  }
  uint64_t u16(uint64_t offset, const char* what) const { return le(at(offset, 2, what), 2); }
  uint64_t u32(uint64_t offset, const char* what) const { return le(at(offset, 4, what), 4); }
  uint64_t u64(uint64_t offset, const char* what) const { return le(at(offset, 8, what), 8); }

 private:
  static uint64_t le(const uint8_t* p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  const uint8_t* base_;
  uint64_t size_;
  const std::string& path_;
};

struct CentralDirectory {
  uint64_t entries = 0, offset = 0, size = 0;
};

// The end-of-central-directory record sits in the last 22 + 65535 bytes (its comment is at most
// 65535 bytes); the last signature whose comment length reaches the end of the file is it.
CentralDirectory find_central_directory(const Bytes& b, const std::string& path) {
  if (b.size() < kEndSize)
    throw InputError(path + ": not a zip archive or truncated (" + std::to_string(b.size()) +
                     " bytes, too short for an end-of-central-directory record)");
  const uint64_t lowest = b.size() > kEndSize + 0xffff ? b.size() - kEndSize - 0xffff : 0;
  uint64_t end = UINT64_MAX;
  for (uint64_t pos = b.size() - kEndSize + 1; pos-- > lowest;) {
    if (b.u32(pos, "signature") == kEndOfCentralDir &&
        pos + kEndSize + b.u16(pos + 20, "comment length") == b.size()) {
      end = pos;
      break;
    }
  }
  if (end == UINT64_MAX)
    throw InputError(path +
                     ": not a zip archive or truncated (no end-of-central-directory record)");
  CentralDirectory cd{b.u16(end + 10, "entry count"), b.u32(end + 16, "directory offset"),
                      b.u32(end + 12, "directory size")};
  if (end >= kLocatorSize && b.u32(end - kLocatorSize, "Zip64 locator") == kZip64Locator) {
    const uint64_t record = b.u64(end - kLocatorSize + 8, "Zip64 end record offset");
    if (b.u32(record, "Zip64 end record") != kZip64EndRecord)
      throw InputError(path + ": Zip64 locator points at byte " + std::to_string(record) +
                       ", which is not a Zip64 end-of-central-directory record");
    b.at(record, kZip64EndSize, "Zip64 end record");
    cd = {b.u64(record + 32, "entry count"), b.u64(record + 48, "directory offset"),
          b.u64(record + 40, "directory size")};
  }
  b.at(cd.offset, cd.size, "central directory");
  return cd;
}

// Sizes and offset of 0xffffffff are in the Zip64 extra field, in this order.
void apply_zip64_extra(const Bytes& b, uint64_t extra, uint64_t extra_len, uint64_t& size,
                       uint64_t& compressed, uint64_t& local, const std::string& fail) {
  const bool need[3] = {size == 0xffffffff, compressed == 0xffffffff, local == 0xffffffff};
  uint64_t* field[3] = {&size, &compressed, &local};
  for (uint64_t pos = extra; pos + 4 <= extra + extra_len;) {
    const uint64_t id = b.u16(pos, "extra field"), len = b.u16(pos + 2, "extra field");
    if (pos + 4 + len > extra + extra_len) throw InputError(fail + "extra field overruns");
    if (id == kZip64ExtraId) {
      uint64_t at = pos + 4;
      for (int i = 0; i < 3; ++i) {
        if (!need[i]) continue;
        if (at + 8 > pos + 4 + len) throw InputError(fail + "Zip64 extra field too short");
        *field[i] = b.u64(at, "Zip64 extra field");
        at += 8;
      }
      return;
    }
    pos += 4 + len;
  }
  if (need[0] || need[1] || need[2]) throw InputError(fail + "Zip64 extra field missing");
}

}  // namespace

ZipArchive::ZipArchive(const std::string& path) : file_(path) {
  const Bytes b(file_.data(), file_.size(), path);
  const CentralDirectory cd = find_central_directory(b, path);
  uint64_t pos = cd.offset;
  for (uint64_t i = 0; i < cd.entries; ++i) {
    if (b.u32(pos, "central directory entry") != kCentralHeader)
      throw InputError(path + ": central directory entry " + std::to_string(i) + " at byte " +
                       std::to_string(pos) + " has a bad signature");
    const uint64_t flags = b.u16(pos + 8, "flags"), method = b.u16(pos + 10, "method");
    uint64_t compressed = b.u32(pos + 20, "size"), size = b.u32(pos + 24, "size");
    const uint64_t name_len = b.u16(pos + 28, "name"), extra_len = b.u16(pos + 30, "extra");
    const uint64_t comment_len = b.u16(pos + 32, "comment");
    uint64_t local = b.u32(pos + 42, "local header offset");
    const uint8_t* name_bytes = b.at(pos + kCentralSize, name_len, "entry name");
    const std::string name(reinterpret_cast<const char*>(name_bytes), name_len);
    const std::string fail = path + ": zip entry '" + name + "': ";
    apply_zip64_extra(b, pos + kCentralSize + name_len, extra_len, size, compressed, local, fail);
    if (flags & 1) throw InputError(fail + "encrypted entries are not supported");
    if (method != 0)
      throw InputError(fail + "compression method " + std::to_string(method) +
                       " (only stored entries are supported, as torch.save writes them)");
    if (compressed != size)
      throw InputError(fail + "stored entry with compressed size " + std::to_string(compressed) +
                       " != size " + std::to_string(size));
    if (b.u32(local, "local header") != kLocalHeader)
      throw InputError(fail + "no local header at byte " + std::to_string(local));
    const uint64_t data =
        local + kLocalSize + b.u16(local + 26, "local header") + b.u16(local + 28, "local header");
    if (data > b.size() || size > b.size() - data)
      throw InputError(fail + "data (" + std::to_string(size) + " bytes at byte " +
                       std::to_string(data) + ") runs past the end of the file (" +
                       std::to_string(b.size()) + " bytes; truncated?)");
    if (!entries_.emplace(name, ZipEntry{b.at(data, size, "entry data"), size}).second)
      throw InputError(fail + "appears twice");
    pos += kCentralSize + name_len + extra_len + comment_len;
  }
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace tpbench
