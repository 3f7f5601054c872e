// Every CUDA kernel against its CPU twin (kernels/cpu, or the sampler's argmax; attention against
// an exact double-precision reference) on fresh random inputs of awkward sizes, for float, half
// and bfloat16. fp32 outputs must match to 1e-5 of the largest value; half / bfloat16 outputs
// per element, within 2 ulps of T of the reference rounded to T (plus a floor where fp32 sums
// cancel): tests/engine/cuda/emulate_rounding.py shows on the CPU that a correct kernel stays within
// half that and planted bugs land far outside. Outputs are poisoned with NaN first, so an
// element a kernel fails to write shows up as an infinite error. Skips without a GPU.
#include <cublas_v2.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "engine/comm/reduce_rounding.hpp"
#include "engine/scheduler/sampler.hpp"
#include "kernels/cpu/embedding.hpp"
#include "kernels/cpu/matmul.hpp"
#include "kernels/cpu/rmsnorm.hpp"
#include "kernels/cpu/rope.hpp"
#include "kernels/cpu/silu_mul.hpp"
#include "kernels/cuda/argmax.cuh"
#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/decode_attention.cuh"
#include "kernels/cuda/embedding.cuh"
#include "kernels/cuda/linear.cuh"
#include "kernels/cuda/prefill_attention.cuh"
#include "kernels/cuda/rmsnorm.cuh"
#include "kernels/cuda/rope_kv_cache.cuh"
#include "kernels/cuda/silu_mul.cuh"
#include "tests/engine/cuda/gpu_test_util.hpp"

namespace tpbench::test {
namespace {

template <typename T>
class CudaKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    TPBENCH_REQUIRE_GPU();
    rng_.seed(test_seed());
  }
  std::mt19937 rng_;
};

using ElementTypes = ::testing::Types<float, __half, __nv_bfloat16>;
class TypeNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return type_label<T>();
  }
};
TYPED_TEST_SUITE(CudaKernel, ElementTypes, TypeNames);

#define SEED_TRACE() SCOPED_TRACE("TPBENCH_TEST_SEED=" + std::to_string(test_seed()))

TYPED_TEST(CudaKernel, EmbeddingGather) {
  using T = TypeParam;
  SEED_TRACE();
  const int64_t vocab = 1001, dim = 333, n = 77;
  const std::vector<float> table = random_values<T>(this->rng_, vocab * dim);
  std::vector<int32_t> ids(n);
  for (auto& id : ids) id = static_cast<int32_t>(this->rng_() % vocab);
  ids[0] = 0;
  ids[1] = vocab - 1;
  std::vector<float> want(n * dim);
  cpu::embedding_gather(table.data(), dim, ids.data(), n, want.data());

  auto d_table = upload(to_elems<T>(table));
  auto d_ids = upload(ids);
  auto d_out = poisoned<float>(n * dim);
  cuda::embedding_gather<T>(d_table.data(), dim, d_ids.data(), n, d_out.data(), nullptr);
  EXPECT_EQ(relative_error(download(d_out, n * dim), want), 0.0);
}

// fp32 outputs: kFloatTolerance relative to the largest reference value. half / bfloat16
// outputs: per element, within `bound` of the reference rounded to T.
template <typename T>
void expect_output(const std::vector<float>& got, const std::vector<double>& want, UlpBound bound,
                   const std::string& what) {
  if constexpr (std::is_same_v<T, float>) {
    EXPECT_LT(relative_error(got, std::vector<float>(want.begin(), want.end())), kFloatTolerance)
        << what;
  } else {
    expect_within_ulps<T>(got, want, bound, what);
  }
}

// rmsnorm, add_rmsnorm and silu_mul only multiply and divide in fp32 before the one rounding to
// T: their fp32 error is relative to the value, far below an ulp of T at every magnitude, so
// their bound needs no floor.
constexpr UlpBound kProductsBound{2, 0};

// Inputs of the checks tests/engine/cuda/emulate_rounding.py emulates come from seeded_values (streams
// named after the check); layouts (slots, block tables) from rng_, which no value depends on.
TYPED_TEST(CudaKernel, RmsNorm) {
  using T = TypeParam;
  SEED_TRACE();
  const uint32_t seed = test_seed();
  const int64_t rows = 37, dim = 1111;
  const float eps = 1e-5f;
  const std::vector<float> x = seeded_values<float>(seed, "rmsnorm/x", rows * dim, -3, 3);
  const std::vector<float> weight = seeded_values<float>(seed, "rmsnorm/weight", dim, 0.5, 1.5);
  std::vector<float> want(rows * dim);
  cpu::rmsnorm(x.data(), weight.data(), rows, dim, eps, want.data());

  auto d_x = upload(x);
  auto d_w = upload(weight);
  auto d_out = poisoned<T>(rows * dim);
  cuda::rmsnorm<T>(d_x.data(), d_w.data(), rows, dim, eps, d_out.data(), nullptr);
  expect_output<T>(to_floats(download(d_out, rows * dim)), to_doubles(want), kProductsBound,
                   "rmsnorm");
  EXPECT_EQ(relative_error(download(d_x, rows * dim), x), 0.0) << "rmsnorm changed its input";
}

TYPED_TEST(CudaKernel, AddRmsNormAllRowsAndSelectedRows) {
  using T = TypeParam;
  SEED_TRACE();
  const uint32_t seed = test_seed();
  const int64_t rows = 23, dim = 4099;
  const float eps = 1e-6f;
  const std::vector<float> residual =
      seeded_values<float>(seed, "add_rmsnorm/residual", rows * dim, -2, 2);
  const std::vector<float> delta =
      seeded_values<float>(seed, "add_rmsnorm/delta", rows * dim, -2, 2);
  const std::vector<float> weight = seeded_values<float>(seed, "add_rmsnorm/weight", dim, 0.5, 1.5);
  std::vector<float> want_residual = residual, want(rows * dim);
  cpu::add_rmsnorm(want_residual.data(), delta.data(), weight.data(), rows, dim, eps, want.data());

  auto d_res = upload(residual);
  auto d_delta = upload(delta);
  auto d_w = upload(weight);
  auto d_out = poisoned<T>(rows * dim);
  cuda::add_rmsnorm<T>(d_res.data(), d_delta.data(), d_w.data(), nullptr, rows, dim, eps,
                       d_out.data(), nullptr);
  expect_output<T>(to_floats(download(d_out, rows * dim)), to_doubles(want), kProductsBound,
                   "add_rmsnorm");
  EXPECT_LT(relative_error(download(d_res, rows * dim), want_residual), 1e-6);

  // Only the rows whose logits are wanted, in the plan's order.
  const std::vector<int32_t> pick = {5, 0, 22, 17};
  auto d_res2 = upload(residual);
  auto d_pick = upload(pick);
  auto d_out2 = poisoned<T>(pick.size() * dim);
  cuda::add_rmsnorm<T>(d_res2.data(), d_delta.data(), d_w.data(), d_pick.data(),
                       static_cast<int64_t>(pick.size()), dim, eps, d_out2.data(), nullptr);
  std::vector<float> want_picked;
  for (int32_t r : pick)
    want_picked.insert(want_picked.end(), want.begin() + r * dim, want.begin() + (r + 1) * dim);
  expect_output<T>(to_floats(download(d_out2, pick.size() * dim)), to_doubles(want_picked),
                   kProductsBound, "add_rmsnorm, selected rows");
  // The picked rows of the residual took their delta.
  const std::vector<float> got_res2 = download(d_res2, rows * dim);
  std::vector<float> got_picked_res, want_picked_res;
  for (int32_t r : pick) {
    got_picked_res.insert(got_picked_res.end(), got_res2.begin() + r * dim,
                          got_res2.begin() + (r + 1) * dim);
    want_picked_res.insert(want_picked_res.end(), want_residual.begin() + r * dim,
                           want_residual.begin() + (r + 1) * dim);
  }
  EXPECT_LT(relative_error(got_picked_res, want_picked_res), 1e-6);
}

TYPED_TEST(CudaKernel, SiluMulOnFusedGateUp) {
  using T = TypeParam;
  SEED_TRACE();
  const int64_t rows = 13, cols = 1001, stride = 2 * cols + 5;
  const std::vector<float> buf =
      seeded_values<float>(test_seed(), "silu_mul/gate_up", rows * stride, -6, 6);
  std::vector<float> want(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    cpu::silu_mul(buf.data() + r * stride, buf.data() + r * stride + cols, cols,
                  want.data() + r * cols);

  auto d_buf = upload(buf);
  auto d_out = poisoned<T>(rows * cols);
  cuda::silu_mul<T>(d_buf.data(), d_buf.data() + cols, stride, rows, cols, d_out.data(), nullptr);
  expect_output<T>(to_floats(download(d_out, rows * cols)), to_doubles(want), kProductsBound,
                   "silu_mul");
}

// The all-reduce's conversions: fp32 -> T rounds as the CPU twin (round_to) does, bit for bit,
// and T -> fp32 is exact.
TYPED_TEST(CudaKernel, ConvertRoundsAsTheCpuTwin) {
  using T = TypeParam;
  SEED_TRACE();
  std::vector<float> in = random_values<float>(this->rng_, 100'003, -70000, 70000);
  for (float v : {0.0f, -0.0f, 1.0f + 0x1.0p-8f, 1.0f + 0x1.0p-11f, 0x1p-25f, 65520.0f, 1e-30f})
    in.push_back(v);
  auto d_in = upload(in);
  auto d_elems = poisoned<T>(in.size());
  auto d_back = poisoned<float>(in.size());
  cuda::float_to_element<T>(d_in.data(), static_cast<int64_t>(in.size()), d_elems.data(), nullptr);
  cuda::element_to_float<T>(d_elems.data(), static_cast<int64_t>(in.size()), d_back.data(),
                            nullptr);
  const ReduceType type = std::is_same_v<T, float>    ? ReduceType::kFloat32
                          : std::is_same_v<T, __half> ? ReduceType::kFloat16
                                                      : ReduceType::kBFloat16;
  const std::vector<float> back = download(d_back, in.size());
  for (size_t i = 0; i < in.size(); ++i)
    ASSERT_EQ(back[i], round_to(type, in[i])) << "element " << i << " = " << in[i];
}

TYPED_TEST(CudaKernel, LinearWithAndWithoutBias) {
  using T = TypeParam;
  SEED_TRACE();
  cublasHandle_t handle;
  ASSERT_EQ(cublasCreate(&handle), CUBLAS_STATUS_SUCCESS);
  const int64_t in = 257, out = 131;
  for (int64_t rows : {1, 7, 65}) {
    for (bool with_bias : {false, true}) {
      SCOPED_TRACE("rows " + std::to_string(rows) + (with_bias ? " bias" : ""));
      const std::vector<float> x = random_values<T>(this->rng_, rows * in);
      const std::vector<float> w = random_values<T>(this->rng_, out * in);
      const std::vector<float> bias = random_values<float>(this->rng_, out);
      std::vector<float> want(rows * out);
      cpu::linear(x.data(), rows, in, w.data(), out, with_bias ? bias.data() : nullptr,
                  want.data());
      auto d_x = upload(to_elems<T>(x));
      auto d_w = upload(to_elems<T>(w));
      auto d_bias = upload(bias);
      auto d_y = poisoned<float>(rows * out);
      cuda::linear<T>(handle, d_x.data(), rows, in, d_w.data(), out,
                      with_bias ? d_bias.data() : nullptr, d_y.data(), nullptr);
      // fp32 accumulation over exactly the same (rounded) inputs: only the summation order
      // differs, so even half / bfloat16 inputs agree to fp32 precision.
      EXPECT_LT(relative_error(download(d_y, rows * out), want), 1e-5);
    }
  }
  cublasDestroy(handle);
}

TYPED_TEST(CudaKernel, RopeWritesRotatedKAndVIntoPagedCache) {
  using T = TypeParam;
  SEED_TRACE();
  const uint32_t seed = test_seed();
  const int64_t n = 29;
  const int heads = 6, kv_heads = 2, hd = 34, half = hd / 2;
  const int64_t qw = heads * hd, kvw = kv_heads * hd, stride = qw + 2 * kvw + 3;
  const int64_t cache_rows = 200;
  std::vector<float> inv_freq(half);
  for (int i = 0; i < half; ++i)
    inv_freq[i] = static_cast<float>(1.0 / std::pow(10000.0, 2.0 * i / hd));
  std::vector<int32_t> positions(n);
  const SeededStream position_stream(seed, "rope/positions");
  for (int64_t t = 0; t < n; ++t)
    positions[t] = static_cast<int32_t>(position_stream.bits(t) % 5000);
  std::vector<int64_t> all_rows(cache_rows);
  std::iota(all_rows.begin(), all_rows.end(), 0);
  std::shuffle(all_rows.begin(), all_rows.end(), this->rng_);
  const std::vector<int64_t> slots(all_rows.begin(), all_rows.begin() + n);
  // q and k are fp32 GEMM outputs; v is stored as T, so it is drawn rounded to T.
  std::vector<float> fused = seeded_values<float>(seed, "rope/fused", n * stride, -2, 2);
  std::vector<float> q(n * qw), k(n * kvw), v(n * kvw);
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t i = 0; i < qw; ++i) q[t * qw + i] = fused[t * stride + i];
    for (int64_t i = 0; i < kvw; ++i) {
      k[t * kvw + i] = fused[t * stride + qw + i];
      fused[t * stride + qw + kvw + i] =
          host_element_to_float<T>(host_to_element<T>(fused[t * stride + qw + kvw + i]));
      v[t * kvw + i] = fused[t * stride + qw + kvw + i];
    }
  }
  std::vector<float> cos(n * half), sin(n * half);
  cpu::rope_cos_sin(inv_freq.data(), half, positions.data(), n, cos.data(), sin.data());
  std::vector<float> want_k(cache_rows * kvw, NAN), want_v(cache_rows * kvw, NAN);
  cpu::rope_write_kv_cache(q.data(), k.data(), v.data(), cos.data(), sin.data(), slots.data(), n,
                           heads, kv_heads, hd, want_k.data(), want_v.data());

  auto d_fused = upload(fused);
  auto d_inv = upload(inv_freq);
  auto d_pos = upload(positions);
  auto d_slots = upload(slots);
  auto d_k = poisoned<T>(cache_rows * kvw);
  auto d_v = poisoned<T>(cache_rows * kvw);
  cuda::rope_write_kv_cache<T>(d_fused.data(), d_fused.data() + qw, d_fused.data() + qw + kvw,
                               stride, d_inv.data(), d_pos.data(), d_slots.data(), n, heads,
                               kv_heads, hd, d_k.data(), d_v.data(), nullptr);
  const std::vector<float> got_fused = download(d_fused, n * stride);
  std::vector<float> got_q(n * qw);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < qw; ++i) got_q[t * qw + i] = got_fused[t * stride + i];
  EXPECT_LT(relative_error(got_q, q), 1e-5) << "q is fp32 for every element type";

  const std::vector<float> got_k = to_floats(download(d_k, cache_rows * kvw));
  const std::vector<float> got_v = to_floats(download(d_v, cache_rows * kvw));
  std::vector<float> gk, gv, wv;
  std::vector<double> wk;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < kvw; ++i) {
      gk.push_back(got_k[slots[t] * kvw + i]);
      wk.push_back(want_k[slots[t] * kvw + i]);
      gv.push_back(got_v[slots[t] * kvw + i]);
      wv.push_back(want_v[slots[t] * kvw + i]);
    }
  // x1 * cos - x2 * sin cancels near 0, where the kernel's fp32 error (an fma, or not) is up to
  // 2 fp32 ulps of the inputs' largest magnitude, not of the value.
  const double max_k = std::fabs(*std::max_element(
      k.begin(), k.end(), [](float a, float b) { return std::fabs(a) < std::fabs(b); }));
  expect_output<T>(gk, wk, {2, 4 * 0x1p-24 * max_k}, "rope k");
  EXPECT_EQ(relative_error(gv, wv), 0.0);
  for (int64_t r = n; r < cache_rows; ++r)  // rows no token maps to stay poisoned
    ASSERT_TRUE(std::isnan(got_k[all_rows[r] * kvw]) && std::isnan(got_v[all_rows[r] * kvw]))
        << "cache row " << all_rows[r] << " was written";
}

// One attention check: a chunk (start_pos, n_tokens) per sequence. attention_cases() in
// tests/engine/cuda/emulate_rounding.py mirrors every case of this file: keep the two in step.
struct AttentionCase {
  std::vector<std::pair<int32_t, int32_t>> chunks;
  int heads = 0, kv_heads = 0, hd = 0, block_size = 0;
  bool decode = true;
  // > 0 replaces the decode kernel's max_splits (by default the longest context's partitions).
  int decode_max_splits = 0;
  // Decode: caches one element off 16-byte alignment, so the scalar kernel runs.
  bool scalar_path = false;
  // Decode: the query of head h points at the key of position kDominantKeys[start_pos][h].
  bool plant_dominant_keys = false;
};

// Per sequence (by start_pos; 8 heads): the key each head's query is planted on. Partition edges
// (256 keys), the first and the newest key.
const std::map<int32_t, std::array<int32_t, 8>> kDominantKeys = {
    {2999, {0, 255, 256, 1279, 1280, 2815, 2816, 2999}},
    {699, {0, 1, 255, 256, 511, 512, 698, 699}},
    {256, {0, 15, 16, 127, 200, 255, 256, 256}},
    {0, {0, 0, 0, 0, 0, 0, 0, 0}},
};
const std::vector<std::pair<int32_t, int32_t>> kDominantChunks = {
    {2999, 1}, {699, 1}, {256, 1}, {0, 1}};

std::string describe(const AttentionCase& c) {
  std::string s = std::string(c.decode ? "decode" : "prefill") + " attention, heads " +
                  std::to_string(c.heads) + "/" + std::to_string(c.kv_heads) + ", head_dim " +
                  std::to_string(c.hd);
  if (c.decode) s += c.scalar_path ? ", scalar path" : ", vector path if it fits";
  if (c.decode_max_splits > 0) s += ", max_splits " + std::to_string(c.decode_max_splits);
  if (c.plant_dominant_keys) s += ", planted keys";
  return s;
}

// The exact (double) attention of every query row of `chunks` over the dense keys / values of
// its sequence (K, V: [positions of all sequences in order, kv_heads * hd]).
std::vector<double> exact_attention(const AttentionCase& c, const std::vector<float>& q,
                                    int64_t q_stride, const std::vector<float>& K,
                                    const std::vector<float>& V) {
  const int64_t qw = int64_t{c.heads} * c.hd, kvw = int64_t{c.kv_heads} * c.hd;
  const int group = c.heads / c.kv_heads;
  std::vector<double> out;
  int64_t first = 0, offset = 0;
  for (auto [start, n] : c.chunks) {
    for (int32_t i = 0; i < n; ++i) {
      const int32_t keys = start + i + 1;
      std::vector<double> o(qw, 0.0), scores(keys);
      for (int h = 0; h < c.heads; ++h) {
        const float* qh = q.data() + (first + i) * q_stride + int64_t{h} * c.hd;
        const int64_t kv_at = int64_t{h / group} * c.hd;
        double max_score = -INFINITY, sum = 0;
        for (int32_t p = 0; p < keys; ++p) {
          double dot = 0;
          for (int d = 0; d < c.hd; ++d) dot += double{qh[d]} * K[(offset + p) * kvw + kv_at + d];
          scores[p] = dot / std::sqrt(static_cast<double>(c.hd));
          max_score = std::max(max_score, scores[p]);
        }
        for (double& s : scores) sum += (s = std::exp(s - max_score));
        for (int32_t p = 0; p < keys; ++p)
          for (int d = 0; d < c.hd; ++d)
            o[int64_t{h} * c.hd + d] += scores[p] / sum * V[(offset + p) * kvw + kv_at + d];
      }
      out.insert(out.end(), o.begin(), o.end());
    }
    first += n;
    offset += start + n;
  }
  return out;
}

// Points each head's query of every (one-token) chunk at its key kDominantKeys[start_pos][h]:
// q = s k_p with q.k_p / sqrt(hd) = ln(keys) + 2, so key p takes about 0.8 of the softmax.
void point_queries_at_dominant_keys(const AttentionCase& c, std::vector<float>& q, int64_t q_stride,
                                    const std::vector<float>& K) {
  const int64_t kvw = int64_t{c.kv_heads} * c.hd;
  const int group = c.heads / c.kv_heads;
  int64_t first = 0, offset = 0;
  for (auto [start, n] : c.chunks) {
    const double target = std::log(static_cast<double>(start + n)) + 2.0;
    for (int h = 0; h < c.heads; ++h) {
      const float* k =
          K.data() + (offset + kDominantKeys.at(start)[h]) * kvw + int64_t{h / group} * c.hd;
      double sum_sq = 0;
      for (int d = 0; d < c.hd; ++d) sum_sq += double{k[d]} * k[d];
      const double scale = target * std::sqrt(static_cast<double>(c.hd)) / sum_sq;
      for (int d = 0; d < c.hd; ++d)
        q[first * q_stride + int64_t{h} * c.hd + d] = static_cast<float>(scale * k[d]);
    }
    first += n;
    offset += start + n;
  }
}

// Runs the case's kernel on a paged cache (scrambled block tables; rows no position maps to hold
// other values) against exact_attention, per element for half / bfloat16.
template <typename T>
void check_attention(std::mt19937& rng, const AttentionCase& c) {
  SCOPED_TRACE(describe(c));
  const uint32_t seed = test_seed();
  const int block_size = c.block_size;
  const int64_t qw = int64_t{c.heads} * c.hd, kvw = int64_t{c.kv_heads} * c.hd,
                q_stride = qw + 2 * kvw;
  int32_t blocks_needed = 0;
  int64_t tokens = 0, positions = 0;
  for (auto [start, n] : c.chunks) {
    blocks_needed += (start + n + block_size - 1) / block_size;
    tokens += n;
    positions += start + n;
  }
  std::vector<float> q = seeded_values<float>(seed, "attention/q", tokens * q_stride, -2, 2);
  const std::vector<float> K = seeded_values<T>(seed, "attention/k", positions * kvw, -2, 2);
  const std::vector<float> V = seeded_values<T>(seed, "attention/v", positions * kvw, -2, 2);
  if (c.plant_dominant_keys) point_queries_at_dominant_keys(c, q, q_stride, K);

  const int32_t num_blocks = blocks_needed + 3;
  const int64_t cache_rows = int64_t{num_blocks} * block_size;
  std::vector<float> k_cache = random_values<T>(rng, cache_rows * kvw, -2, 2);
  std::vector<float> v_cache = random_values<T>(rng, cache_rows * kvw, -2, 2);
  std::vector<int32_t> perm(num_blocks);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);

  std::vector<int32_t> flat_tables;
  std::vector<cuda::AttentionSeqDesc> descs;
  std::vector<cuda::PrefillTile> tiles;
  int64_t first = 0, offset = 0;
  int32_t next_block = 0, max_splits = 0;
  for (auto [start, n] : c.chunks) {
    const int32_t used = (start + n + block_size - 1) / block_size;
    cuda::AttentionSeqDesc d;
    d.first_token = first;
    d.n_tokens = n;
    d.start_pos = start;
    d.block_table_offset = static_cast<int32_t>(flat_tables.size());
    for (int32_t b = 0; b < used; ++b) flat_tables.push_back(perm[next_block++]);
    for (int32_t p = 0; p < start + n; ++p) {
      const int64_t row =
          int64_t{flat_tables[d.block_table_offset + p / block_size]} * block_size + p % block_size;
      std::copy_n(K.begin() + (offset + p) * kvw, kvw, k_cache.begin() + row * kvw);
      std::copy_n(V.begin() + (offset + p) * kvw, kvw, v_cache.begin() + row * kvw);
    }
    cuda::append_prefill_tiles(static_cast<int32_t>(descs.size()), n, tiles);
    descs.push_back(d);
    max_splits = std::max(max_splits, cuda::decode_attention_splits(int64_t{start} + n));
    first += n;
    offset += start + n;
  }
  if (c.decode_max_splits > 0) max_splits = c.decode_max_splits;
  const std::vector<double> want = exact_attention(c, q, q_stride, K, V);

  // The scalar path: the caches start one element past a 256-byte aligned allocation.
  const size_t shift = c.scalar_path ? 1 : 0;
  std::vector<T> k_elems = to_elems<T>(k_cache), v_elems = to_elems<T>(v_cache);
  k_elems.insert(k_elems.begin(), shift, T{});
  v_elems.insert(v_elems.begin(), shift, T{});
  auto d_q = upload(q);
  auto d_k = upload(k_elems);
  auto d_v = upload(v_elems);
  auto d_descs = upload(descs);
  auto d_tables = upload(flat_tables);
  auto d_tiles = upload(tiles);
  auto d_out = poisoned<T>(tokens * qw);
  if (c.decode) {
    auto d_ws = poisoned<float>(cuda::decode_attention_workspace_floats(
        static_cast<int>(descs.size()), c.heads, c.hd, max_splits));
    cuda::decode_attention<T>(d_q.data(), q_stride, d_k.data() + shift, d_v.data() + shift,
                              d_descs.data(), static_cast<int>(descs.size()), d_tables.data(),
                              c.heads, c.kv_heads, c.hd, block_size, max_splits, d_ws.data(),
                              d_out.data(), qw, nullptr);
  } else {
    cuda::prefill_attention<T>(d_q.data(), q_stride, d_k.data(), d_v.data(), d_descs.data(),
                               d_tables.data(), d_tiles.data(), static_cast<int>(tiles.size()),
                               c.heads, c.kv_heads, c.hd, block_size, d_out.data(), qw, nullptr);
  }
  // Scores and the online softmax are fp32; the output's fp32 error is relative to the values'
  // scale, not to the (possibly tiny) output: a fold of 256 keys is within 256 x 2^-24 of
  // max |v| (a partition: the most keys one fp32 sum adds), the floor.
  const double max_v = std::fabs(*std::max_element(
      V.begin(), V.end(), [](float a, float b) { return std::fabs(a) < std::fabs(b); }));
  expect_output<T>(to_floats(download(d_out, tokens * qw)), want, {2, 0x1p-16 * max_v},
                   describe(c));
}

TYPED_TEST(CudaKernel, DecodeAttentionAcrossSplitBoundaries) {
  SEED_TRACE();
  // Contexts of 1 key, just below / at / above a partition, and several partitions.
  const int P = cuda::kDecodePartition;
  check_attention<TypeParam>(
      this->rng_,
      {{{0, 1}, {16, 1}, {P - 2, 1}, {P - 1, 1}, {P, 1}, {5 * P + 12, 1}}, 8, 2, 80, 7});
}

// One block folding several partitions (z capped at 1 and 2), and more splits allowed than any
// context needs (what a decode graph launches).
TYPED_TEST(CudaKernel, DecodeAttentionFoldsPartitionsAndToleratesSpareSplits) {
  SEED_TRACE();
  const int P = cuda::kDecodePartition;
  const std::vector<std::pair<int32_t, int32_t>> chunks = {
      {5 * P + 40, 1}, {0, 1}, {P, 1}, {2 * P - 1, 1}, {3 * P + 7, 1}};
  for (int max_splits : {1, 2, 64}) {
    check_attention<TypeParam>(this->rng_, {chunks, 4, 2, 64, 16, true, max_splits});
    // head_dim 90 is not whole 16-byte vectors: the scalar kernel folds the same way.
    check_attention<TypeParam>(this->rng_, {chunks, 2, 1, 90, 16, true, max_splits});
    // head_dim 8: one lane per row for 2-byte types (group 1, no shuffles).
    check_attention<TypeParam>(this->rng_, {chunks, 4, 4, 8, 16, true, max_splits});
  }
}

TYPED_TEST(CudaKernel, DecodeAttentionLlamaShape) {
  SEED_TRACE();
  check_attention<TypeParam>(this->rng_, {{{700, 1}, {33, 1}, {3000, 1}}, 32, 32, 128, 64});
}

// Both decode kernels at Llama's head sizes over a 3000-key context, GQA 8/2: the 16-byte vector
// kernel, and the scalar one that misaligned caches select.
TYPED_TEST(CudaKernel, DecodeAttentionLongContextBothPaths) {
  SEED_TRACE();
  for (int hd : {128, 64}) {
    ASSERT_GT(cuda::decode_attention_vector_group(hd, sizeof(TypeParam)), 0);
    for (bool scalar : {false, true})
      check_attention<TypeParam>(this->rng_,
                                 {{{2999, 1}, {699, 1}, {33, 1}}, 8, 2, hd, 16, true, 0, scalar});
  }
}

// Each head's query is planted on one key (about 0.8 of its softmax) at a partition edge, the
// first or the newest position: a kernel that loses, misplaces or misweights that one key moves
// the output by hundreds of bounds, where a random key's share (1/3000) could hide in it.
TYPED_TEST(CudaKernel, DecodeAttentionOneDominantKeyPerHead) {
  SEED_TRACE();
  for (int hd : {128, 64})
    for (bool scalar : {false, true})
      for (int max_splits : {0, 5})  // every partition its own block; blocks folding 2-3
        check_attention<TypeParam>(this->rng_,
                                   {kDominantChunks, 8, 2, hd, 16, true, max_splits, scalar, true});
}

TYPED_TEST(CudaKernel, PrefillAttentionVariableLengthsCausalAndChunked) {
  SEED_TRACE();
  // Whole prompts, a chunk after cached context, one-token chunks, tile-edge lengths.
  check_attention<TypeParam>(
      this->rng_,
      {{{0, 40}, {13, 17}, {100, 33}, {0, 16}, {31, 1}, {0, 1}, {5, 75}}, 6, 3, 80, 5, false});
}

TYPED_TEST(CudaKernel, PrefillAttentionLlamaShapeMqa) {
  SEED_TRACE();
  check_attention<TypeParam>(this->rng_, {{{0, 130}, {64, 64}}, 8, 1, 128, 16, false});
}

// The largest head size the runner accepts: prefill's shared memory (about 98 KiB) then needs
// the opt-in above 48 KiB, and head_dim exceeds the block in both kernels.
TYPED_TEST(CudaKernel, DecodeAttentionHeadDim256) {
  SEED_TRACE();
  check_attention<TypeParam>(this->rng_, {{{300, 1}, {0, 1}, {40, 1}}, 4, 2, 256, 16});
}

TYPED_TEST(CudaKernel, PrefillAttentionHeadDim256) {
  SEED_TRACE();
  check_attention<TypeParam>(this->rng_, {{{0, 37}, {20, 9}}, 4, 2, 256, 16, false});
}

TEST(CudaArgmax, MatchesSamplerArgmaxWithTiesAndInfinities) {
  TPBENCH_REQUIRE_GPU();
  SEED_TRACE();
  std::mt19937 rng(test_seed());
  const int64_t rows = 9, vocab = 32003;
  std::vector<float> logits = random_values<float>(rng, rows * vocab, -10, 10);
  logits[1 * vocab + 100] = logits[1 * vocab + 31999] = 50.0f;  // tie: the lower id wins
  logits[2 * vocab + vocab - 1] = 60.0f;                        // last element
  for (int64_t i = 0; i < vocab; ++i) logits[3 * vocab + i] = -INFINITY;
  logits[4 * vocab + 8] = INFINITY;
  logits[5 * vocab + 0] = logits[5 * vocab + 77] = NAN;  // NaNs never win
  logits[5 * vocab + 31000] = NAN;
  logits[5 * vocab + 500] = 40.0f;
  for (int64_t i = 0; i < vocab; ++i) logits[6 * vocab + i] = i % 3 ? -INFINITY : NAN;  // -> 0
  std::vector<int32_t> want(rows);
  for (int64_t r = 0; r < rows; ++r)
    want[r] = argmax_token(logits.data() + r * vocab, static_cast<int32_t>(vocab));
  auto d_logits = upload(logits);
  auto d_out = poisoned<int32_t>(rows);
  cuda::argmax_rows(d_logits.data(), rows, vocab, d_out.data(), nullptr);
  EXPECT_EQ(download(d_out, rows), want);
  EXPECT_EQ(want[1], 100);
  EXPECT_EQ(want[4], 8);
  EXPECT_EQ(want[5], 500);
  EXPECT_EQ(want[6], 0);
}

}  // namespace
}  // namespace tpbench::test
