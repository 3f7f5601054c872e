// Measures, on this card, the inputs of the idealised floor (coordinator/floor/floor_model.hpp;
// docs/PERFORMANCE.md) and writes them as the floor-inputs JSON that tpbench_floor reads.
// Not a test: scripts/bench_engine.sh runs it before the throughput run.
//   measure_floor_inputs MODEL_DIR DTYPE OUT_JSON [MAX_TOKENS]
// DTYPE: bfloat16 | float16 | float32. For each token count T in 1, 8, 32, ..., 16384 (up to
// MAX_TOKENS) it times the cuBLAS GEMMs of one whole step at TP 1, as the engine issues them
// (cuda::linear, kernels/cuda/linear.cu): per layer qkv [T, D] x [(H+2KV)hd, D]^T,
// o [T, H hd] x [D, H hd]^T, gate_up [T, D] x [2I, D]^T, down [T, I] x [D, I]^T, then the LM
// head [T, D] x [V, D]^T, all with T rows (the floor's rule). Each layer has its own weights
// when they fit in free memory (minus the activations and 1 GiB); otherwise one layer's weights
// serve every layer and the JSON says so ("weights": "one layer reused").
// The step time is the median of timed repeats after a warm-up. The copy bandwidth is a
// device-to-device cudaMemcpy of 1 GiB, counted as bytes read + bytes written per second.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "common/error.hpp"
#include "engine/model/model_config.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/linear.cuh"

namespace tpbench {
namespace {

constexpr int64_t kTokenCounts[] = {1, 8, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
constexpr int64_t kWorkspaceBytes = int64_t{32} << 20;  // the runner's cublasSetWorkspace size

struct Shapes {
  int64_t layers, D, qkv_out, q_width, I, V, kv_width;
};

Shapes shapes_of(const ModelConfig& c) {
  return {c.num_layers,
          c.hidden_size,
          int64_t{c.num_heads + 2 * c.num_kv_heads} * c.head_dim,
          int64_t{c.num_heads} * c.head_dim,
          c.intermediate_size,
          c.vocab_size,
          int64_t{c.num_kv_heads} * c.head_dim};
}

template <typename T>
T from_float(float v) {
  if constexpr (std::is_same_v<T, float>) return v;
  if constexpr (std::is_same_v<T, __half>) return __float2half(v);
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16(v);
}

// Fills `count` elements with small random values (zeros would flatter the tensor cores).
template <typename T>
void fill_random(T* device, int64_t count) {
  constexpr int64_t kChunk = int64_t{1} << 24;
  std::vector<T> host(static_cast<size_t>(std::min(count, kChunk)));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-0.05f, 0.05f);
  for (T& v : host) v = from_float<T>(dist(rng));
  for (int64_t done = 0; done < count; done += kChunk) {
    const int64_t n = std::min(kChunk, count - done);
    CUDA_CHECK(cudaMemcpy(device + done, host.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  }
}

template <typename T>
T* device_alloc(int64_t count) {
  void* p = nullptr;
  CUDA_CHECK(cudaMalloc(&p, static_cast<size_t>(count) * sizeof(T)));
  return static_cast<T*>(p);
}

struct LayerWeights {
  int64_t qkv, o, gate_up, down;  // element offsets into one allocation
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string json_escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out;
}

double copy_bytes_per_s(cudaStream_t stream) {
  const int64_t bytes = int64_t{1} << 30;
  char* src = device_alloc<char>(bytes);
  char* dst = device_alloc<char>(bytes);
  CUDA_CHECK(cudaMemsetAsync(src, 1, bytes, stream));
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < 2; ++i)
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
  const int reps = 10;
  CUDA_CHECK(cudaEventRecord(start, stream));
  for (int i = 0; i < reps; ++i)
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
  CUDA_CHECK(cudaEventRecord(stop, stream));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  CUDA_CHECK(cudaFree(src));
  CUDA_CHECK(cudaFree(dst));
  return 2.0 * static_cast<double>(bytes) * reps / (ms * 1e-3);
}

template <typename T>
int measure(const std::string& model_dir, const std::string& dtype, const std::string& out_path,
            int64_t max_tokens) {
  const ModelConfig config = load_model_config(model_dir);
  const Shapes s = shapes_of(config);
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::vector<int64_t> token_counts;
  for (int64_t t : kTokenCounts)
    if (t <= max_tokens) token_counts.push_back(t);
  const int64_t max_t = token_counts.back();

  const int64_t per_layer =
      s.qkv_out * s.D + s.D * s.q_width + 2 * s.I * s.D + s.D * s.I;  // elements
  const int64_t lm_head = s.V * s.D;
  const int64_t x_elems = max_t * std::max({s.D, s.q_width, s.I});
  const int64_t y_elems = max_t * std::max({s.qkv_out, s.D, 2 * s.I, s.V});
  const int64_t activation_bytes = x_elems * sizeof(T) + y_elems * sizeof(float) + kWorkspaceBytes;
  size_t free_bytes = 0, total_bytes = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const int64_t all_bytes = (s.layers * per_layer + lm_head) * int64_t{sizeof(T)};
  const bool all_layers =
      all_bytes + activation_bytes + (int64_t{1} << 30) <= static_cast<int64_t>(free_bytes);
  const int64_t layer_copies = all_layers ? s.layers : 1;
  std::printf("# %s: %s %s, %lld layers, D %lld, I %lld, V %lld; weights: %s (%.1f GB)\n",
              prop.name, model_dir.c_str(), dtype.c_str(), static_cast<long long>(s.layers),
              static_cast<long long>(s.D), static_cast<long long>(s.I), static_cast<long long>(s.V),
              all_layers ? "all layers" : "one layer reused",
              (layer_copies * per_layer + lm_head) * sizeof(T) / 1e9);
  std::fflush(stdout);

  T* weights = device_alloc<T>(layer_copies * per_layer + lm_head);
  fill_random(weights, layer_copies * per_layer + lm_head);
  std::vector<LayerWeights> layers;
  for (int64_t l = 0; l < layer_copies; ++l) {
    const int64_t base = l * per_layer;
    layers.push_back({base, base + s.qkv_out * s.D, base + s.qkv_out * s.D + s.D * s.q_width,
                      base + s.qkv_out * s.D + s.D * s.q_width + 2 * s.I * s.D});
  }
  const T* lm_head_w = weights + layer_copies * per_layer;
  T* x = device_alloc<T>(x_elems);
  fill_random(x, x_elems);
  float* y = device_alloc<float>(y_elems);
  void* workspace = nullptr;
  CUDA_CHECK(cudaMalloc(&workspace, kWorkspaceBytes));
  cudaStream_t stream;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  cublasHandle_t cublas;
  CUBLAS_CHECK(cublasCreate(&cublas));
  CUBLAS_CHECK(cublasSetStream(cublas, stream));
  CUBLAS_CHECK(cublasSetWorkspace(cublas, workspace, kWorkspaceBytes));

  const auto step = [&](int64_t t) {
    for (int64_t l = 0; l < s.layers; ++l) {
      const LayerWeights& w = layers[static_cast<size_t>(l % layer_copies)];
      cuda::linear<T>(cublas, x, t, s.D, weights + w.qkv, s.qkv_out, nullptr, y, stream);
      cuda::linear<T>(cublas, x, t, s.q_width, weights + w.o, s.D, nullptr, y, stream);
      cuda::linear<T>(cublas, x, t, s.D, weights + w.gate_up, 2 * s.I, nullptr, y, stream);
      cuda::linear<T>(cublas, x, t, s.I, weights + w.down, s.D, nullptr, y, stream);
    }
    cuda::linear<T>(cublas, x, t, s.D, lm_head_w, s.V, nullptr, y, stream);
  };

  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  const auto timed_step_ms = [&](int64_t t) {
    CUDA_CHECK(cudaEventRecord(start, stream));
    step(t);
    CUDA_CHECK(cudaEventRecord(stop, stream));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    return static_cast<double>(ms);
  };
  std::vector<std::pair<int64_t, double>> points;
  for (int64_t t : token_counts) {
    const double first = timed_step_ms(t);  // warm-up: cuBLAS picks and loads its kernels
    const int reps = static_cast<int>(std::clamp(300.0 / first, 3.0, 20.0));
    std::vector<double> ms;
    for (int r = 0; r < reps; ++r) ms.push_back(timed_step_ms(t));
    points.push_back({t, median(ms)});
    std::printf("step_gemm tokens %lld: %.3f ms (median of %d)\n", static_cast<long long>(t),
                points.back().second, reps);
    std::fflush(stdout);
  }
  CUBLAS_CHECK(cublasDestroy(cublas));
  CUDA_CHECK(cudaFree(weights));
  CUDA_CHECK(cudaFree(x));
  CUDA_CHECK(cudaFree(y));
  CUDA_CHECK(cudaFree(workspace));
  const double bandwidth = copy_bytes_per_s(stream);
  std::printf("copy: %.3f TB/s (device to device, read + write)\n", bandwidth / 1e12);
  CUDA_CHECK(cudaStreamDestroy(stream));
  const double kv_bytes = 2.0 * s.layers * s.kv_width * sizeof(T);

  std::FILE* out = std::fopen(out_path.c_str(), "w");
  if (out == nullptr) throw InputError(out_path + ": cannot write the floor-inputs JSON");
  std::fprintf(out, "{\n  \"card\": \"%s\",\n  \"model\": \"%s\",\n  \"dtype\": \"%s\",\n",
               json_escaped(prop.name).c_str(), json_escaped(model_dir).c_str(), dtype.c_str());
  std::fprintf(out, "  \"weights\": \"%s\",\n  \"step_gemm\": [\n",
               all_layers ? "all layers" : "one layer reused");
  for (size_t i = 0; i < points.size(); ++i)
    std::fprintf(out, "    {\"tokens\": %lld, \"ms\": %.4f}%s\n",
                 static_cast<long long>(points[i].first), points[i].second,
                 i + 1 < points.size() ? "," : "");
  std::fprintf(out,
               "  ],\n  \"copy_bytes_per_s\": %.6g,\n  \"kv_bytes_per_context_token\": %.0f\n}\n",
               bandwidth, kv_bytes);
  std::fclose(out);
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
}

}  // namespace
}  // namespace tpbench

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: measure_floor_inputs MODEL_DIR DTYPE OUT_JSON [MAX_TOKENS]\n");
    return tpbench::kExitBadInput;
  }
  const std::string dtype = argv[2];
  const int64_t max_tokens = argc > 4 ? std::atoll(argv[4]) : 16384;
  int devices = 0;
  const cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0) {
    std::fprintf(stderr, "measure_floor_inputs: no CUDA device (%s); nothing measured\n",
                 err != cudaSuccess ? cudaGetErrorString(err) : "count 0");
    return tpbench::kExitRunFailed;
  }
  try {
    if (max_tokens < 1) throw tpbench::InputError("MAX_TOKENS must be >= 1");
    if (dtype == "bfloat16")
      return tpbench::measure<__nv_bfloat16>(argv[1], dtype, argv[3], max_tokens);
    if (dtype == "float16") return tpbench::measure<__half>(argv[1], dtype, argv[3], max_tokens);
    if (dtype == "float32") return tpbench::measure<float>(argv[1], dtype, argv[3], max_tokens);
    throw tpbench::InputError("DTYPE must be bfloat16, float16 or float32, not " + dtype);
  } catch (const tpbench::InputError& e) {
    std::fprintf(stderr, "measure_floor_inputs: %s\n", e.what());
    return tpbench::kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "measure_floor_inputs: %s\n", e.what());
    return tpbench::kExitRunFailed;
  }
}
