#pragma once
// Owning device and pinned-host arrays that only grow (contents are not kept on growth).
#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include "kernels/cuda/cuda_check.hpp"

namespace tpbench {

// Bytes rounded up to 256: where the next of several arrays packed in one buffer starts.
inline size_t device_aligned(size_t bytes) {
  return (bytes + 255) / 256 * 256;
}

template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(size_t n) { ensure(n); }
  ~DeviceArray() { release(); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), capacity_(std::exchange(o.capacity_, 0)) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      capacity_ = std::exchange(o.capacity_, 0);
    }
    return *this;
  }

  // At least n elements. The caller makes sure no queued work still uses the old memory.
  void ensure(size_t n) {
    if (n <= capacity_) return;
    release();
    CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(T)));
    capacity_ = n;
  }
  // Like ensure, but returns the error (out of memory) instead of throwing.
  cudaError_t try_ensure(size_t n) {
    if (n <= capacity_) return cudaSuccess;
    release();
    const cudaError_t err = cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(T));
    if (err == cudaSuccess) {
      capacity_ = n;
    } else {
      data_ = nullptr;
      (void)cudaGetLastError();
    }
    return err;
  }
  T* data() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  void release() {
    if (data_ != nullptr) (void)cudaFree(data_);
    data_ = nullptr;
    capacity_ = 0;
  }
  T* data_ = nullptr;
  size_t capacity_ = 0;
};

class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() {
    if (data_ != nullptr) (void)cudaFreeHost(data_);
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void ensure(size_t bytes) {
    if (bytes <= capacity_) return;
    if (data_ != nullptr) (void)cudaFreeHost(data_);
    data_ = nullptr;
    capacity_ = 0;
    CUDA_CHECK(cudaMallocHost(&data_, bytes));
    capacity_ = bytes;
  }
  unsigned char* data() const { return static_cast<unsigned char*>(data_); }

 private:
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace tpbench
