#include "engine/cuda/cuda_tuning.hpp"

#include "common/error.hpp"

namespace tpbench {

const char* decode_attention_kernel_name(cuda::DecodeAttentionKernel kernel) {
  switch (kernel) {
    case cuda::DecodeAttentionKernel::kAuto:
      return "auto";
    case cuda::DecodeAttentionKernel::kScalar:
      return "scalar";
    case cuda::DecodeAttentionKernel::kVector:
      return "vector";
  }
  return "?";
}

const char* all_reduce_dtype_name(AllReduceDType dtype) {
  return dtype == AllReduceDType::kModel ? "model" : "fp32";
}

cuda::DecodeAttentionKernel parse_decode_attention_kernel(const std::string& flag,
                                                          const std::string& value) {
  for (auto k : {cuda::DecodeAttentionKernel::kAuto, cuda::DecodeAttentionKernel::kScalar,
                 cuda::DecodeAttentionKernel::kVector})
    if (value == decode_attention_kernel_name(k)) return k;
  throw InputError(flag + " " + value + ": expected auto, scalar or vector");
}

AllReduceDType parse_all_reduce_dtype(const std::string& flag, const std::string& value) {
  for (auto d : {AllReduceDType::kModel, AllReduceDType::kFloat32})
    if (value == all_reduce_dtype_name(d)) return d;
  throw InputError(flag + " " + value + ": expected model or fp32");
}

std::string describe_tuning(const CudaTuning& tuning) {
  return std::string("decode attention ") + decode_attention_kernel_name(tuning.decode_attention) +
         ", all-reduce " + all_reduce_dtype_name(tuning.all_reduce) +
         (tuning.nccl_at_tp1 ? ", nccl at tp 1" : "");
}

}  // namespace tpbench
