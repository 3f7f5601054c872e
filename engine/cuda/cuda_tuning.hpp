#pragma once
// Runtime variants of the CUDA forward pass, so that one binary measures one against another in
// one run (tests/engine/cuda/bench_cuda_runner). The defaults are what the engine runs.
#include <string>

#include "kernels/cuda/decode_attention.cuh"

namespace tpbench {

class StepTimer;

// The element type of the TP all-reduces: the model's dtype (fp32 partial sums rounded to it,
// as vLLM and LMDeploy reduce) or fp32.
enum class AllReduceDType { kModel, kFloat32 };

struct CudaTuning {
  cuda::DecodeAttentionKernel decode_attention = cuda::DecodeAttentionKernel::kAuto;
  AllReduceDType all_reduce = AllReduceDType::kModel;
  // TP 1 runs its two all-reduces per layer through a one-rank NCCL communicator, as TP > 1
  // does: measures their conversions and launches on one GPU, and tests that path.
  bool nccl_at_tp1 = false;
  // Non-null: while it is active, steps run eagerly and time their kernel groups. Null in the
  // engine.
  StepTimer* step_timer = nullptr;
};

const char* decode_attention_kernel_name(cuda::DecodeAttentionKernel kernel);  // auto|scalar|vector
const char* all_reduce_dtype_name(AllReduceDType dtype);                       // model|fp32

// Parse a flag's value; throw InputError naming `flag` and the accepted values.
cuda::DecodeAttentionKernel parse_decode_attention_kernel(const std::string& flag,
                                                          const std::string& value);
AllReduceDType parse_all_reduce_dtype(const std::string& flag, const std::string& value);

// "decode attention auto, all-reduce model" (+ ", nccl at tp 1").
std::string describe_tuning(const CudaTuning& tuning);

}  // namespace tpbench
