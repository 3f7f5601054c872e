#include "engine/cuda/gpu_identity.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cctype>

#include "common/error.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tpbench {

std::vector<int> ranks_sharing_gpu(const std::vector<std::string>& pci_bus_ids) {
  std::vector<int> counts;
  for (const std::string& id : pci_bus_ids)
    counts.push_back(
        id.empty() ? 1 : static_cast<int>(std::count(pci_bus_ids.begin(), pci_bus_ids.end(), id)));
  return counts;
}

// "<bus id> <total memory> <name>": the name, last, may hold spaces.
std::string encode_gpu_identity(const GpuIdentity& gpu) {
  return (gpu.pci_bus_id.empty() ? "-" : gpu.pci_bus_id) + " " + std::to_string(gpu.total_memory) +
         " " + gpu.name;
}

GpuIdentity decode_gpu_identity(const std::string& text) {
  const size_t a = text.find(' ');
  const size_t b = a == std::string::npos ? a : text.find(' ', a + 1);
  TPBENCH_CHECK(b != std::string::npos && a > 0 && b > a + 1,
                "not an encoded GPU identity: \"" + text + "\"");
  GpuIdentity gpu;
  gpu.pci_bus_id = text.substr(0, a);
  if (gpu.pci_bus_id == "-") gpu.pci_bus_id.clear();
  const std::string memory = text.substr(a + 1, b - a - 1);
  TPBENCH_CHECK(std::all_of(memory.begin(), memory.end(),
                            [](unsigned char c) { return std::isdigit(c) != 0; }),
                "not an encoded GPU identity: \"" + text + "\"");
  gpu.total_memory = std::stoll(memory);
  gpu.name = text.substr(b + 1);
  return gpu;
}

GpuIdentity query_gpu_identity(int device) {
  GpuIdentity gpu;
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  gpu.name = prop.name;
  gpu.total_memory = static_cast<int64_t>(prop.totalGlobalMem);
  char bus_id[32] = {};
  CUDA_CHECK(cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, device));
  gpu.pci_bus_id = bus_id;
  for (char& c : gpu.pci_bus_id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return gpu;
}

}  // namespace tpbench
