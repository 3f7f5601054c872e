#pragma once
// Which physical GPU a rank holds, as the ranks of a node exchange it: the count of ranks
// sharing a GPU (they split its KV cache) comes from equal PCI bus ids, not from device
// ordinals, which differ between ranks when a launcher binds one GPU per task. Plain host code
// (query_gpu_identity aside): the rules are unit-tested without a GPU.
#include <string>
#include <vector>

#include "common/gpu_identity.hpp"

namespace tpbench {

// For each rank of a node, the ranks (itself included) whose GPU has its bus id; a rank without
// a GPU (empty id) counts 1.
std::vector<int> ranks_sharing_gpu(const std::vector<std::string>& pci_bus_ids);

// One line per identity for a string gather, and back. decode throws InternalError naming the
// text when it is not an encoded identity.
std::string encode_gpu_identity(const GpuIdentity& gpu);
GpuIdentity decode_gpu_identity(const std::string& text);

// The CUDA runtime's name, PCI bus id and memory of `device`.
GpuIdentity query_gpu_identity(int device);

}  // namespace tpbench
