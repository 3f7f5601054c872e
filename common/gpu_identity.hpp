#pragma once
// One rank's GPU as the reports list it, and as it travels from the rank to the coordinator
// (its presence heartbeats) and between the engine ranks of a node (engine/cuda/gpu_identity.hpp).
#include <msgpack.hpp>

#include <cstdint>
#include <string>

namespace tpbench {

struct GpuIdentity {
  std::string name;        // "NVIDIA H200"
  std::string pci_bus_id;  // "0000:01:00.0" (lower case); empty: the rank has no GPU
  int64_t total_memory = 0;
  bool operator==(const GpuIdentity&) const = default;
  MSGPACK_DEFINE_MAP(name, pci_bus_id, total_memory);
};

}  // namespace tpbench
