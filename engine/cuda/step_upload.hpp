#pragma once
// The step's metadata (StepMetadata's host arrays) packed into one pinned buffer and uploaded
// with one copy. Its buffers grow to the largest step seen, only at the start of a step: the
// stream is idle then (every step ends with a stream synchronize), and no decode graph reads
// them (those have inputs of their own, DecodeGraphRunner's).
#include <cuda_runtime_api.h>

#include "engine/cuda/device_memory.hpp"
#include "engine/cuda/step_args.hpp"
#include "engine/cuda/step_metadata.hpp"

namespace tpbench {

class StepUpload {
 public:
  // Queues the copy on `stream`; the pointers are valid once the stream gets there, until the
  // next upload.
  StepArgs upload(const StepMetadata& m, cudaStream_t stream);

 private:
  PinnedBuffer host_;
  DeviceArray<unsigned char> device_;
};

}  // namespace tpbench
