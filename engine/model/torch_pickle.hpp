#pragma once
// A restricted unpickler for the data.pkl of a torch.save'd state_dict. It interprets only the
// opcodes such a pickle uses and builds inert values: GLOBALs are checked against an allow-list
// (collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter, torch.*Storage)
// and REDUCE "calls" only those, by decoding their arguments; nothing in the file is executed.
// Anything else (another global, opcode, persistent id or argument layout) is an InputError.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tpbench {

// One tensor of the state dict: a view of storage `storage_key` (zip entry data/<key>).
struct TorchTensorRef {
  std::string storage_key;
  std::string dtype;          // safetensors names: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL
  int64_t storage_numel = 0;  // elements, from the persistent id
  int64_t offset = 0;         // elements
  std::vector<int64_t> shape, stride;  // stride in elements
};

// Parses the pickle `bytes` (`where` names it in errors, e.g. "x.bin: archive/data.pkl"). The
// pickled object must be a dict; its string-keyed tensor values are returned, other values are
// skipped.
std::map<std::string, TorchTensorRef> read_state_dict_pickle(const uint8_t* bytes, uint64_t size,
                                                             const std::string& where);

}  // namespace tpbench
