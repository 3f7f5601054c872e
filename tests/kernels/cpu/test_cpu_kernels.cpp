// Each kernels/cpu operation against a naive double-precision reference on awkward sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/embedding.hpp"
#include "kernels/cpu/matmul.hpp"
#include "kernels/cpu/paged_attention.hpp"
#include "kernels/cpu/rmsnorm.hpp"
#include "kernels/cpu/rope.hpp"
#include "kernels/cpu/silu_mul.hpp"

namespace tpbench {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void expect_near_all(const std::vector<float>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tol * (1.0 + std::fabs(want[i]))) << "at " << i;
}

TEST(CpuKernels, EmbeddingGather) {
  const int64_t vocab = 37, dim = 13;
  std::vector<float> table = random_vector(vocab * dim, 1);
  std::vector<int32_t> ids = {36, 0, 5, 5, 17};
  std::vector<float> out(ids.size() * dim);
  cpu::embedding_gather(table.data(), dim, ids.data(), ids.size(), out.data());
  for (size_t t = 0; t < ids.size(); ++t)
    for (int64_t j = 0; j < dim; ++j) ASSERT_EQ(out[t * dim + j], table[ids[t] * dim + j]);
}

TEST(CpuKernels, RmsnormAndFusedResidualAdd) {
  const int64_t rows = 7, dim = 129;
  const float eps = 1e-5f;
  std::vector<float> x = random_vector(rows * dim, 2), w = random_vector(dim, 3);
  std::vector<float> delta = random_vector(rows * dim, 4);
  std::vector<double> want(rows * dim), want_fused(rows * dim), want_residual(rows * dim);
  for (int64_t r = 0; r < rows; ++r) {
    double ss = 0, ss_fused = 0;
    for (int64_t j = 0; j < dim; ++j) {
      ss += double{x[r * dim + j]} * x[r * dim + j];
      want_residual[r * dim + j] = double{x[r * dim + j]} + delta[r * dim + j];
      ss_fused += want_residual[r * dim + j] * want_residual[r * dim + j];
    }
    for (int64_t j = 0; j < dim; ++j) {
      want[r * dim + j] = x[r * dim + j] / std::sqrt(ss / dim + eps) * w[j];
      want_fused[r * dim + j] = want_residual[r * dim + j] / std::sqrt(ss_fused / dim + eps) * w[j];
    }
  }
  std::vector<float> out(rows * dim);
  cpu::rmsnorm(x.data(), w.data(), rows, dim, eps, out.data());
  expect_near_all(out, want, 1e-5);
  cpu::add_rmsnorm(x.data(), delta.data(), w.data(), rows, dim, eps, delta.data());  // aliased
  expect_near_all(x, want_residual, 1e-6);
  expect_near_all(delta, want_fused, 1e-5);
}

TEST(CpuKernels, SiluMul) {
  const int64_t n = 1001;
  std::vector<float> gate = random_vector(n, 5, 8.0f), up = random_vector(n, 6);
  std::vector<double> want(n);
  for (int64_t i = 0; i < n; ++i) want[i] = gate[i] / (1.0 + std::exp(-double{gate[i]})) * up[i];
  std::vector<float> out(n);
  cpu::silu_mul(gate.data(), up.data(), n, out.data());
  expect_near_all(out, want, 1e-6);
}

TEST(CpuKernels, LinearWithAndWithoutBias) {
  const int64_t rows = 5, in = 67, out = 31;
  std::vector<float> x = random_vector(rows * in, 7), w = random_vector(out * in, 8);
  std::vector<float> b = random_vector(out, 9);
  for (bool with_bias : {false, true}) {
    std::vector<double> want(rows * out);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < out; ++o) {
        double acc = with_bias ? b[o] : 0.0;
        for (int64_t i = 0; i < in; ++i) acc += double{x[r * in + i]} * w[o * in + i];
        want[r * out + o] = acc;
      }
    std::vector<float> y(rows * out);
    cpu::linear(x.data(), rows, in, w.data(), out, with_bias ? b.data() : nullptr, y.data());
    expect_near_all(y, want, 1e-5);
  }
}

// The rotate-half rotation of one vector at one position, in double.
std::vector<double> rotate_half(const float* x, int hd, int32_t pos, const std::vector<float>& f) {
  std::vector<double> out(hd);
  for (int i = 0; i < hd / 2; ++i) {
    const double a = pos * double{f[i]}, c = std::cos(a), s = std::sin(a);
    out[i] = x[i] * c - x[i + hd / 2] * s;
    out[i + hd / 2] = x[i + hd / 2] * c + x[i] * s;
  }
  return out;
}

TEST(CpuKernels, RopeRotatesQAndWritesRotatedKAndVIntoCacheSlots) {
  const int n_tokens = 3, heads = 3, kv_heads = 1, hd = 10, rows = 9;
  std::vector<float> inv_freq = {1.0f, 0.3f, 0.1f, 0.03f, 0.001f};
  std::vector<int32_t> positions = {0, 7, 1000};
  std::vector<int64_t> slots = {8, 2, 5};
  std::vector<float> q = random_vector(n_tokens * heads * hd, 10);
  std::vector<float> k = random_vector(n_tokens * kv_heads * hd, 11);
  std::vector<float> v = random_vector(n_tokens * kv_heads * hd, 12);
  const std::vector<float> q_in = q;
  std::vector<float> cos(n_tokens * hd / 2), sin(n_tokens * hd / 2);
  std::vector<float> k_cache(rows * kv_heads * hd, 0.0f), v_cache(rows * kv_heads * hd, 0.0f);
  cpu::rope_cos_sin(inv_freq.data(), hd / 2, positions.data(), n_tokens, cos.data(), sin.data());
  cpu::rope_write_kv_cache(q.data(), k.data(), v.data(), cos.data(), sin.data(), slots.data(),
                           n_tokens, heads, kv_heads, hd, k_cache.data(), v_cache.data());
  for (int t = 0; t < n_tokens; ++t) {
    for (int h = 0; h < heads; ++h) {
      std::vector<double> want =
          rotate_half(&q_in[(t * heads + h) * hd], hd, positions[t], inv_freq);
      for (int d = 0; d < hd; ++d) ASSERT_NEAR(q[(t * heads + h) * hd + d], want[d], 1e-5);
    }
    std::vector<double> want_k = rotate_half(&k[t * hd], hd, positions[t], inv_freq);
    for (int d = 0; d < hd; ++d) {
      ASSERT_NEAR(k_cache[slots[t] * hd + d], want_k[d], 1e-5);
      ASSERT_EQ(v_cache[slots[t] * hd + d], v[t * hd + d]);
    }
  }
}

// window 0: full causal attention; else query position q sees the keys p > q - window.
void check_paged_attention(int32_t window) {
  // Two sequences: a prefill chunk of 6 on top of 9 cached tokens, and a decode at position 12.
  const int heads = 6, kv_heads = 2, hd = 12, block_size = 5, num_blocks = 11;
  const int32_t starts[] = {9, 12}, counts[] = {6, 1};
  const std::vector<std::vector<int32_t>> tables = {{7, 2, 9}, {0, 10, 4}};
  const int64_t kv_stride = kv_heads * hd;
  std::vector<float> k_cache = random_vector(num_blocks * block_size * kv_stride, 13);
  std::vector<float> v_cache = random_vector(num_blocks * block_size * kv_stride, 14);
  std::vector<float> q = random_vector(7 * heads * hd, 15, 2.0f);
  std::vector<cpu::AttentionSeq> seqs = {{0, 6, 9, tables[0].data()}, {6, 1, 12, tables[1].data()}};
  std::vector<float> out(q.size());
  cpu::paged_attention(q.data(), k_cache.data(), v_cache.data(), seqs.data(), 2, heads, kv_heads,
                       hd, block_size, out.data(), window);

  std::vector<double> want(q.size());
  int64_t row = 0;
  for (int s = 0; s < 2; ++s)
    for (int i = 0; i < counts[s]; ++i, ++row) {
      const int32_t pos = starts[s] + i;
      const int32_t first = window > 0 ? std::max(0, pos - window + 1) : 0;
      for (int h = 0; h < heads; ++h) {
        const int g = h / (heads / kv_heads);
        std::vector<double> scores(pos + 1, -1e300);
        double max_score = -1e300, sum = 0;
        for (int32_t p = first; p <= pos; ++p) {
          const int64_t cache_row =
              int64_t{tables[s][p / block_size]} * block_size + p % block_size;
          double dot = 0;
          for (int d = 0; d < hd; ++d)
            dot +=
                double{q[(row * heads + h) * hd + d]} * k_cache[cache_row * kv_stride + g * hd + d];
          scores[p] = dot / std::sqrt(double{hd});
          max_score = std::max(max_score, scores[p]);
        }
        for (double& sc : scores) sum += (sc = std::exp(sc - max_score));
        for (int d = 0; d < hd; ++d) {
          double acc = 0;
          for (int32_t p = first; p <= pos; ++p) {
            const int64_t cache_row =
                int64_t{tables[s][p / block_size]} * block_size + p % block_size;
            acc += scores[p] / sum * v_cache[cache_row * kv_stride + g * hd + d];
          }
          want[(row * heads + h) * hd + d] = acc;
        }
      }
    }
  expect_near_all(out, want, 1e-5);
}

TEST(CpuKernels, PagedAttentionMatchesContiguousCausalAttention) {
  check_paged_attention(0);
}

// Windows shorter than the context (3: inside one block; 7: across blocks) and one longer than it
// (full attention again).
TEST(CpuKernels, PagedAttentionSlidingWindowSeesTheLastWindowPositions) {
  for (int32_t window : {3, 7, 100}) {
    SCOPED_TRACE("window " + std::to_string(window));
    check_paged_attention(window);
  }
}

}  // namespace
}  // namespace tpbench
