#pragma once
// A PyTorch checkpoint file (pytorch_model*.bin) as torch.save (>= 1.6) writes it: a ZIP archive
// <folder>/data.pkl (the pickled state_dict, read by the restricted unpickler of torch_pickle)
// plus one raw little-endian entry <folder>/data/<key> per storage. Tensors are views of those
// entries (offset and strides honoured), so tied weights sharing a storage need no copy.
#include <map>
#include <string>

#include "engine/model/tensor_info.hpp"
#include "engine/model/zip_archive.hpp"

namespace tpbench {

class TorchCheckpointFile {
 public:
  // Throws InputError naming the file and the fault.
  explicit TorchCheckpointFile(const std::string& path);

  const std::string& path() const { return zip_.path(); }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }

 private:
  ZipArchive zip_;
  std::map<std::string, TensorInfo> tensors_;
};

}  // namespace tpbench
