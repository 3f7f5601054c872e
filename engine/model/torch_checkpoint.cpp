#include "engine/model/torch_checkpoint.hpp"

#include <string_view>

#include "common/error.hpp"
#include "engine/model/torch_pickle.hpp"

namespace tpbench {
namespace {

// The archive folder name is whatever torch.save chose (the file's stem, "archive", ...): it is
// the folder holding data.pkl.
std::string archive_folder(const ZipArchive& zip) {
  std::string found;
  int count = 0;
  for (const auto& [name, entry] : zip.entries()) {
    const std::string_view n(name);
    const size_t slash = n.rfind('/');
    if (n.substr(slash == std::string_view::npos ? 0 : slash + 1) != "data.pkl") continue;
    found = name.substr(0, name.size() - std::string_view("data.pkl").size());
    ++count;
  }
  if (count != 1)
    throw InputError(zip.path() + ": " +
                     (count == 0 ? std::string("no data.pkl entry (not a torch.save checkpoint)")
                                 : std::to_string(count) + " data.pkl entries"));
  return found;
}

TensorInfo make_view(const ZipArchive& zip, const std::string& folder, const std::string& name,
                     const TorchTensorRef& ref) {
  const std::string fail = zip.path() + ": tensor '" + name + "': ";
  const std::string entry_name = folder + "data/" + ref.storage_key;
  const ZipEntry* storage = zip.find(entry_name);
  if (storage == nullptr)
    throw InputError(fail + "storage '" + ref.storage_key + "' has no entry " + entry_name);
  const int64_t esize = dtype_bytes(ref.dtype);
  if (static_cast<__int128>(ref.storage_numel) * esize != storage->size)
    throw InputError(fail + "storage '" + ref.storage_key + "' has " +
                     std::to_string(storage->size) + " bytes, its persistent id says " +
                     std::to_string(ref.storage_numel) + " " + ref.dtype + " elements");
  if (ref.shape.size() != ref.stride.size())
    throw InputError(fail + "size " + shape_string(ref.shape) + " and stride " +
                     shape_string(ref.stride) + " differ in rank");
  __int128 last = ref.offset;  // the largest element index the view reaches
  bool empty = false;
  for (size_t d = 0; d < ref.shape.size(); ++d) {
    if (ref.shape[d] < 0 || ref.stride[d] < 0)
      throw InputError(fail + "negative size or stride " + shape_string(ref.stride));
    empty = empty || ref.shape[d] == 0;
    last += static_cast<__int128>(ref.shape[d] - 1) * ref.stride[d];
  }
  if (ref.offset < 0 || (!empty && last >= ref.storage_numel))
    throw InputError(fail + "offset " + std::to_string(ref.offset) + ", size " +
                     shape_string(ref.shape) + " and stride " + shape_string(ref.stride) +
                     " reach beyond storage '" + ref.storage_key + "' (" +
                     std::to_string(ref.storage_numel) + " elements)");
  TensorInfo t;
  t.dtype = ref.dtype;
  t.shape = ref.shape;
  t.strides = ref.stride;
  t.data = storage->data + ref.offset * esize;
  t.bytes = empty ? 0 : static_cast<int64_t>(last + 1 - ref.offset) * esize;
  t.file = zip.path();
  return t;
}

}  // namespace

TorchCheckpointFile::TorchCheckpointFile(const std::string& path) : zip_(path) {
  const std::string folder = archive_folder(zip_);
  if (const ZipEntry* order = zip_.find(folder + "byteorder")) {
    const std::string_view text(reinterpret_cast<const char*>(order->data), order->size);
    if (text != "little")
      throw InputError(path + ": byteorder '" + std::string(text) +
                       "' (only little-endian checkpoints are supported)");
  }
  const ZipEntry& pickle = *zip_.find(folder + "data.pkl");
  for (const auto& [name, ref] :
       read_state_dict_pickle(pickle.data, pickle.size, path + ": " + folder + "data.pkl"))
    tensors_.emplace(name, make_view(zip_, folder, name, ref));
}

}  // namespace tpbench
