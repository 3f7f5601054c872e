#pragma once
// Picking this rank's GPU and checking that it can run the build's kernels in the chosen dtype.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/cuda/dtype.hpp"
#include "engine/cuda/gpu_identity.hpp"

namespace tpbench {

struct GpuInfo {
  int device = 0;
  int count = 0;          // devices visible to this process
  int sharing_ranks = 1;  // engine ranks of this node on this GPU (same PCI bus id)
  std::string name;
  std::string pci_bus_id;
  int cc_major = 0, cc_minor = 0;
  int64_t total_bytes = 0;
  // The GPU of every engine rank of this node, in local_rank order (just this one without a
  // node gather): what a report lists as the run's GPUs.
  std::vector<GpuIdentity> node_gpus;
};

// Gathers one string from every engine rank of the node (EngineOptions::node_all_gather).
using NodeGather = std::function<std::vector<std::string>(const std::string&)>;

// cudaSetDevice(local_rank % visible devices), then (when node_gather is set) exchanges GPU
// identities with the node's other engine ranks: a collective, entered even when this rank
// fails, so that a failing rank never leaves the others waiting. Throws InputError when no GPU
// is visible or the build has no kernels for it.
GpuInfo select_gpu(int local_rank, const NodeGather& node_gather = {});

// Throws InputError naming --dtype when the GPU cannot compute in `dtype` (bf16 needs sm_80+).
void check_dtype_supported(DType dtype, const GpuInfo& gpu);

}  // namespace tpbench
