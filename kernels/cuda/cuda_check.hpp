#pragma once
// Error checks for CUDA runtime and cuBLAS calls: on failure they print "file:line: call: error"
// to stderr and throw tpbench::InternalError with the same text. (NCCL_CHECK lives beside the
// NCCL communicator, so kernels do not depend on NCCL.)
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>

namespace tpbench::cuda {

[[noreturn]] void fail_call(const char* file, int line, const char* call, const std::string& what);
const char* cublas_status_name(cublasStatus_t status);

}  // namespace tpbench::cuda

#define CUDA_CHECK(call)                                                                          \
  do {                                                                                            \
    const cudaError_t tpbench_err_ = (call);                                                      \
    if (tpbench_err_ != cudaSuccess)                                                              \
      ::tpbench::cuda::fail_call(                                                                 \
          __FILE__, __LINE__, #call,                                                              \
          std::string(cudaGetErrorName(tpbench_err_)) + ": " + cudaGetErrorString(tpbench_err_)); \
  } while (0)

#define CUBLAS_CHECK(call)                                                              \
  do {                                                                                  \
    const cublasStatus_t tpbench_status_ = (call);                                      \
    if (tpbench_status_ != CUBLAS_STATUS_SUCCESS)                                       \
      ::tpbench::cuda::fail_call(__FILE__, __LINE__, #call,                             \
                                 ::tpbench::cuda::cublas_status_name(tpbench_status_)); \
  } while (0)
