// The host side of the CUDA backend, runnable without a GPU: plan flattening, dtype resolution,
// host weight conversion (and its plain C++ twin for the all-reduce rounding), counting the ranks
// that share a GPU, the runtime tuning flags, and the one-line error when --backend cuda finds
// no GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.hpp"
#include "engine/comm/reduce_rounding.hpp"
#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cuda/activation_arena.hpp"
#include "engine/cuda/cuda_device.hpp"
#include "engine/cuda/cuda_engine.hpp"
#include "engine/cuda/cuda_tuning.hpp"
#include "engine/cuda/decode_graphs.hpp"
#include "engine/cuda/device_weights.hpp"
#include "engine/cuda/dtype.hpp"
#include "engine/cuda/gpu_identity.hpp"
#include "engine/cuda/step_metadata.hpp"
#include "kernels/cuda/decode_attention.cuh"
#include "tests/engine/test_models.hpp"
#include "tests/engine/cuda/gpu_test_util.hpp"

namespace tpbench {
namespace {

SequenceChunk chunk(uint64_t id, std::vector<int32_t> tokens, int32_t start,
                    std::vector<int32_t> table, bool want) {
  SequenceChunk c;
  c.request_id = id;
  c.tokens = std::move(tokens);
  c.start_pos = start;
  c.block_table = std::move(table);
  c.want_logits = want;
  return c;
}

TEST(CudaStepMetadata, FlattensMixedPrefillAndDecode) {
  const int bs = 4;
  StepPlan plan;
  plan.seqs.push_back(chunk(7, {5, 6, 7, 8, 9, 10}, 2, {3, 1, 9}, true));       // prefill, pos 2..7
  plan.seqs.push_back(chunk(8, {11}, 300, std::vector<int32_t>(76, 2), true));  // decode at 300
  plan.seqs.push_back(chunk(9, std::vector<int32_t>(20, 1), 0, {4, 5, 6, 7, 8, 0}, false));
  StepMetadata m;
  build_step_metadata(plan, bs, 10, 100, m);

  ASSERT_EQ(m.n_tokens(), 27);
  EXPECT_EQ(m.ids[6], 11);
  EXPECT_EQ(m.positions[0], 2);
  EXPECT_EQ(m.positions[6], 300);
  // Position p of a chunk lives in row table[p / bs] * bs + p % bs.
  EXPECT_EQ(m.slots[0], 3 * bs + 2);  // pos 2
  EXPECT_EQ(m.slots[2], 1 * bs + 0);  // pos 4
  EXPECT_EQ(m.slots[5], 1 * bs + 3);  // pos 7
  EXPECT_EQ(m.slots[6], 2 * bs + 0);  // pos 300: block 75
  EXPECT_EQ(m.slots[7 + 19], 8 * bs + 3);

  ASSERT_EQ(m.decode_seqs.size(), 1u);
  EXPECT_EQ(m.decode_seqs[0].first_token, 6);
  EXPECT_EQ(m.decode_seqs[0].start_pos, 300);
  EXPECT_EQ(m.max_decode_splits, cuda::decode_attention_splits(301));
  ASSERT_EQ(m.prefill_seqs.size(), 2u);
  EXPECT_EQ(m.prefill_seqs[1].first_token, 7);
  EXPECT_EQ(m.prefill_seqs[1].n_tokens, 20);
  // Only the used blocks are copied: 2 (pos 2..7), 76 (pos 0..300), 5 (pos 0..19).
  ASSERT_EQ(m.block_tables.size(), 2u + 76u + 5u);
  EXPECT_EQ(m.decode_seqs[0].block_table_offset, 2);
  EXPECT_EQ(m.prefill_seqs[1].block_table_offset, 78);
  EXPECT_EQ(m.block_tables[78 + 4], 8);
  // Tiles cover every prefill query exactly once.
  std::vector<int> covered(m.n_tokens(), 0);
  for (const auto& tile : m.prefill_tiles) {
    const auto& s = m.prefill_seqs[tile.seq];
    for (int32_t q = tile.q_begin; q < std::min(s.n_tokens, tile.q_begin + cuda::kPrefillTileQ);
         ++q)
      ++covered[s.first_token + q];
  }
  for (int64_t t = 0; t < m.n_tokens(); ++t) EXPECT_EQ(covered[t], t == 6 ? 0 : 1) << t;
  EXPECT_EQ(m.logit_rows, (std::vector<int32_t>{5, 6}));
}

TEST(CudaStepMetadata, RejectsBadTokensAndTables) {
  StepMetadata m;
  StepPlan bad_token;
  bad_token.seqs.push_back(chunk(1, {100}, 0, {0}, true));
  EXPECT_THROW(build_step_metadata(bad_token, 4, 10, 100, m), InputError);
  StepPlan short_table;
  short_table.seqs.push_back(chunk(1, {1, 2, 3, 4, 5}, 0, {0}, true));
  EXPECT_THROW(build_step_metadata(short_table, 4, 10, 100, m), InternalError);
  StepPlan bad_block;
  bad_block.seqs.push_back(chunk(1, {1}, 0, {10}, true));
  EXPECT_THROW(build_step_metadata(bad_block, 4, 10, 100, m), InternalError);
}

TEST(CudaDevice, RanksSharingAGpuAreCountedByPciBusId) {
  using V = std::vector<int>;
  EXPECT_EQ(ranks_sharing_gpu({"0000:01:00.0", "0000:01:00.0", "0000:02:00.0"}), (V{2, 2, 1}));
  EXPECT_EQ(ranks_sharing_gpu({"0000:01:00.0"}), (V{1}));
  // One GPU bound per task: every rank sees device 0, but the GPUs differ.
  EXPECT_EQ(ranks_sharing_gpu({"0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0"}), (V{1, 1, 1}));
  // Six ranks on four GPUs (ranks 0 and 4, 1 and 5 share).
  EXPECT_EQ(ranks_sharing_gpu({"a", "b", "c", "d", "a", "b"}), (V{2, 2, 1, 1, 2, 2}));
  EXPECT_EQ(ranks_sharing_gpu({"", "", "0000:01:00.0"}), (V{1, 1, 1}));  // ranks without a GPU
  EXPECT_TRUE(ranks_sharing_gpu({}).empty());
}

TEST(CudaDevice, GpuIdentityRoundTripsThroughItsText) {
  const GpuIdentity h200{"NVIDIA H200 NVL", "0000:1b:00.0", 150'000'000'000};
  const GpuIdentity back = decode_gpu_identity(encode_gpu_identity(h200));
  EXPECT_EQ(back.name, h200.name);
  EXPECT_EQ(back.pci_bus_id, h200.pci_bus_id);
  EXPECT_EQ(back.total_memory, h200.total_memory);
  const GpuIdentity none = decode_gpu_identity(encode_gpu_identity(GpuIdentity{}));
  EXPECT_TRUE(none.pci_bus_id.empty());
  EXPECT_TRUE(none.name.empty());
  EXPECT_THROW(decode_gpu_identity("0000:01:00.0"), InternalError);
  EXPECT_THROW(decode_gpu_identity("0000:01:00.0 lots H100"), InternalError);
}

// A rank that finds no GPU still joins the node's gather (the others would wait for it
// forever), then reports its error.
TEST(CudaDevice, NoGpuStillJoinsTheNodeGather) {
  if (test::gpu_unavailable_reason().empty()) GTEST_SKIP() << "a GPU is visible";
  int calls = 0;
  const NodeGather gather = [&](const std::string& mine) {
    ++calls;
    EXPECT_TRUE(decode_gpu_identity(mine).pci_bus_id.empty()) << mine;
    return std::vector<std::string>{encode_gpu_identity({"NVIDIA H100", "0000:01:00.0", 1}), mine};
  };
  EXPECT_THROW(select_gpu(1, gather), InputError);
  EXPECT_EQ(calls, 1);
}

// Few (sequence, head) pairs split the context over grid z; many need none; z never exceeds
// max_splits (so a graph's grid does not grow with the context).
TEST(CudaDecodeAttention, GridZ) {
  EXPECT_EQ(cuda::decode_attention_grid_z(4, 5, 1), 1);
  EXPECT_EQ(cuda::decode_attention_grid_z(4, 5, 64), 52);  // ceil(1024 / 20)
  EXPECT_EQ(cuda::decode_attention_grid_z(32, 256, 16), 1);
  EXPECT_EQ(cuda::decode_attention_grid_z(32, 1, 16), 16);
  EXPECT_EQ(cuda::decode_attention_grid_z(32, 8, 16), 4);
  EXPECT_EQ(cuda::decode_attention_grid_z(8, 1, 0), 1);
  // 16-byte rows: lanes per row, a power of two; 0 sends the head to the scalar kernel.
  EXPECT_EQ(cuda::decode_attention_vector_group(128, 2), 16);
  EXPECT_EQ(cuda::decode_attention_vector_group(80, 2), 16);  // 10 lanes busy
  EXPECT_EQ(cuda::decode_attention_vector_group(256, 2), 32);
  EXPECT_EQ(cuda::decode_attention_vector_group(64, 4), 16);
  EXPECT_EQ(cuda::decode_attention_vector_group(256, 4), 0);  // 64 vectors
  EXPECT_EQ(cuda::decode_attention_vector_group(90, 2), 0);   // not whole vectors
  EXPECT_EQ(cuda::decode_attention_vector_group(8, 2), 1);
  // The workspace bound covers every grid the launch may pick, and no more than it needs.
  for (int heads : {1, 4, 32})
    for (int seqs = 1; seqs <= 300; ++seqs)
      for (int splits : {1, 3, 16, 512}) {
        const int z = cuda::decode_attention_grid_z(heads, seqs, splits);
        const size_t need = static_cast<size_t>(seqs) * heads * z * (64 + 2);
        ASSERT_GE(cuda::decode_attention_workspace_floats(seqs, heads, 64, splits), need)
            << heads << " heads, " << seqs << " seqs, " << splits << " splits";
        ASSERT_LE(cuda::decode_attention_workspace_floats(seqs, heads, 64, splits),
                  cuda::decode_attention_workspace_floats(seqs + 1, heads, 64, splits));
      }
}

TEST(CudaDecodeGraphs, BucketsCoverEveryBatchSize) {
  EXPECT_EQ(decode_graph_buckets(1), (std::vector<int32_t>{1}));
  EXPECT_EQ(decode_graph_buckets(6), (std::vector<int32_t>{1, 2, 4, 6}));
  EXPECT_EQ(decode_graph_buckets(20), (std::vector<int32_t>{1, 2, 4, 8, 16, 20}));
  const std::vector<int32_t> b256 = decode_graph_buckets(256);
  EXPECT_EQ(b256.size(), 3u + 32u);
  EXPECT_EQ(b256.back(), 256);
  DecodeGraphs graphs;
  graphs.set_buckets(decode_graph_buckets(20));
  EXPECT_EQ(graphs.bucket_for(1), 1);
  EXPECT_EQ(graphs.bucket_for(3), 4);
  EXPECT_EQ(graphs.bucket_for(9), 16);
  EXPECT_EQ(graphs.bucket_for(17), 20);
  EXPECT_EQ(graphs.bucket_for(21), 0);
  EXPECT_EQ(graphs.captured_count(), 0);
  EXPECT_FALSE(graphs.captured(16));
  EXPECT_THROW(graphs.captured(5), InternalError);
}

TEST(CudaDecodeGraphs, InputsArePaddedIntoTheSpareBlock) {
  const int bs = 4;
  StepPlan plan;
  plan.seqs.push_back(chunk(7, {11}, 9, {3, 1, 9}, true));  // pos 9: block 9, row 1
  plan.seqs.push_back(chunk(8, {12}, 0, {5}, true));
  plan.seqs.push_back(chunk(9, {13}, 4, {2, 6}, true));
  StepMetadata m;
  build_step_metadata(plan, bs, 10, 100, m);
  ASSERT_TRUE(is_pure_decode(m));

  const DecodeGraphLayout layout = decode_graph_layout(8, 5);
  std::vector<unsigned char> staging(layout.bytes, 0xAB);
  const int32_t pad_block = 10;
  fill_decode_graph_inputs(m, 4, layout, pad_block, bs, staging.data());
  auto at = [&](size_t offset) { return staging.data() + offset; };
  const auto* ids = reinterpret_cast<const int32_t*>(at(layout.ids));
  const auto* positions = reinterpret_cast<const int32_t*>(at(layout.positions));
  const auto* slots = reinterpret_cast<const int64_t*>(at(layout.slots));
  const auto* seqs = reinterpret_cast<const cuda::AttentionSeqDesc*>(at(layout.seqs));
  const auto* rows = reinterpret_cast<const int32_t*>(at(layout.logit_rows));
  const auto* tables = reinterpret_cast<const int32_t*>(at(layout.tables));
  EXPECT_EQ((std::vector<int32_t>(ids, ids + 4)), (std::vector<int32_t>{11, 12, 13, 0}));
  EXPECT_EQ((std::vector<int32_t>(positions, positions + 4)), (std::vector<int32_t>{9, 0, 4, 0}));
  EXPECT_EQ((std::vector<int64_t>(slots, slots + 4)),
            (std::vector<int64_t>{9 * bs + 1, 5 * bs, 6 * bs, pad_block * bs}));
  EXPECT_EQ((std::vector<int32_t>(rows, rows + 4)), (std::vector<int32_t>{0, 1, 2, 3}));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(seqs[i].first_token, i);
    EXPECT_EQ(seqs[i].n_tokens, 1);
    EXPECT_EQ(seqs[i].block_table_offset, i * 5);
  }
  EXPECT_EQ(seqs[0].start_pos, 9);
  EXPECT_EQ(seqs[3].start_pos, 0);
  EXPECT_EQ((std::vector<int32_t>(tables, tables + 3)), (std::vector<int32_t>{3, 1, 9}));
  EXPECT_EQ(tables[5], 5);
  EXPECT_EQ((std::vector<int32_t>(tables + 10, tables + 12)), (std::vector<int32_t>{2, 6}));
  EXPECT_EQ(tables[15], pad_block);
  // Every array starts 256-byte aligned and the tables hold max_rows x max_blocks entries.
  for (size_t offset :
       {layout.ids, layout.positions, layout.slots, layout.seqs, layout.logit_rows, layout.tables})
    EXPECT_EQ(offset % 256, 0u);
  EXPECT_GE(layout.bytes, layout.tables + 8 * 5 * sizeof(int32_t));

  // No step at all (the warm-up before capture): padding rows only.
  fill_decode_graph_inputs(StepMetadata{}, 8, layout, pad_block, bs, staging.data());
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(ids[i], 0);
    EXPECT_EQ(slots[i], int64_t{pad_block} * bs);
    EXPECT_EQ(tables[i * 5], pad_block);
    EXPECT_EQ(seqs[i].start_pos, 0);
  }

  // Too small a bucket, a step with a prefill chunk, or a context beyond the graphs' tables.
  EXPECT_THROW(fill_decode_graph_inputs(m, 2, layout, pad_block, bs, staging.data()),
               InternalError);
  StepPlan mixed = plan;
  mixed.seqs.push_back(chunk(10, {1, 2}, 0, {4}, true));
  StepMetadata mm;
  build_step_metadata(mixed, bs, 10, 100, mm);
  EXPECT_FALSE(is_pure_decode(mm));
  EXPECT_THROW(fill_decode_graph_inputs(mm, 8, layout, pad_block, bs, staging.data()),
               InternalError);
  StepPlan no_logits = plan;
  no_logits.seqs[1].want_logits = false;
  build_step_metadata(no_logits, bs, 10, 100, mm);
  EXPECT_FALSE(is_pure_decode(mm));
  StepPlan long_context;
  long_context.seqs.push_back(chunk(11, {1}, 20, {0, 1, 2, 3, 4, 5}, true));  // block 5 of 5
  build_step_metadata(long_context, bs, 10, 100, mm);
  EXPECT_THROW(fill_decode_graph_inputs(mm, 1, layout, pad_block, bs, staging.data()),
               InternalError);
}

// The activations are sized once (ActivationArena); a step beyond any of their sizes is an
// InternalError naming the size and its limit, and every step within them passes.
TEST(CudaActivationArena, StepsBeyondTheSizesAreInternalErrors) {
  ArenaSizes sizes;
  sizes.tokens = 528;
  sizes.logit_rows = 16;
  sizes.decode_seqs = 16;
  sizes.decode_splits = cuda::decode_attention_splits(4096);
  ASSERT_EQ(sizes.decode_splits, 16);
  const int heads = 8, hd = 128;
  auto error_of = [&](int64_t rows, int64_t logit_rows, int seqs, int splits) -> std::string {
    try {
      check_step_fits(sizes, heads, hd, rows, logit_rows, seqs, splits);
    } catch (const InternalError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error_of(528, 16, 16, 16), "");
  EXPECT_EQ(error_of(1, 1, 1, 1), "");
  EXPECT_EQ(error_of(16, 16, 16, 16), "");  // a decode step of the whole batch
  EXPECT_EQ(error_of(16, 16, 16, 64), "");  // longer contexts split no further than the grid
  EXPECT_NE(error_of(529, 16, 16, 16).find("step of 529 token rows: the activations hold 528"),
            std::string::npos);
  EXPECT_NE(error_of(528, 17, 16, 16).find("step of 17 logit rows: the activations hold 16"),
            std::string::npos);
  EXPECT_NE(error_of(17, 17, 17, 16).find("step of 17 logit rows"), std::string::npos);
  EXPECT_NE(error_of(17, 16, 17, 16)
                .find("step of 17 decoding sequences of 16 splits: the "
                      "decode-attention workspace holds 16 of 16"),
            std::string::npos);
}

class CudaDtype : public ::testing::Test {
 protected:
  std::string dir_with_config(const std::string& name, const std::string& json) {
    const std::string dir = std::string(TPBENCH_BINARY_DIR) + "/test-gpu-host/" + name;
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/config.json") << json;
    return dir;
  }
};

TEST_F(CudaDtype, ExplicitFlagWins) {
  const std::string dir = dir_with_config("f16", R"({"torch_dtype": "float16"})");
  EXPECT_EQ(resolve_dtype(DtypeChoice::kBFloat16, dir, false), DType::kBFloat16);
  EXPECT_EQ(resolve_dtype(DtypeChoice::kFloat32, dir, false), DType::kFloat32);
  EXPECT_EQ(resolve_dtype(DtypeChoice::kFloat16, dir, false), DType::kFloat16);
  EXPECT_EQ(resolve_dtype(DtypeChoice::kAuto, dir, false), DType::kFloat16);
}

TEST_F(CudaDtype, AutoReadsConfigThenCheckpoint) {
  EXPECT_EQ(resolve_dtype(DtypeChoice::kAuto,
                          dir_with_config("bf16", R"({"torch_dtype": "bfloat16"})"), false),
            DType::kBFloat16);
  EXPECT_EQ(
      resolve_dtype(DtypeChoice::kAuto, dir_with_config("new", R"({"dtype": "float32"})"), false),
      DType::kFloat32);
  EXPECT_EQ(
      resolve_dtype(DtypeChoice::kAuto, dir_with_config("none", "{}"), /*dummy_weights=*/true),
      DType::kBFloat16);
  EXPECT_THROW(resolve_dtype(DtypeChoice::kAuto,
                             dir_with_config("odd", R"({"torch_dtype": "int8"})"), false),
               InputError);
}

TEST(CudaWeights, HostConversionRoundsToNearestEven) {
  auto bits = [](auto v) {
    uint16_t b;
    std::memcpy(&b, &v, 2);
    return b;
  };
  // bf16 keeps the top 16 bits of the float; halfway cases go to the even neighbour.
  EXPECT_EQ(bits(host_to_element<__nv_bfloat16>(1.0f)), 0x3F80);
  EXPECT_EQ(bits(host_to_element<__nv_bfloat16>(1.0f + 0x1.0p-8f)), 0x3F80);  // tie -> even
  EXPECT_EQ(bits(host_to_element<__nv_bfloat16>(1.0f + 0x1.8p-7f)), 0x3F82);  // tie -> even
  EXPECT_EQ(bits(host_to_element<__nv_bfloat16>(1.0f + 0x1.1p-8f)), 0x3F81);  // above tie
  EXPECT_EQ(bits(host_to_element<__half>(1.0f)), 0x3C00);
  EXPECT_EQ(bits(host_to_element<__half>(-2.0f)), 0xC000);
  EXPECT_EQ(host_element_to_float(host_to_element<__nv_bfloat16>(3.140625f)), 3.140625f);
}

// The all-reduce's CPU twin (engine/comm/reduce_rounding) rounds exactly as the host conversion
// the weights go through: every bit pattern class, ties and NaN included.
TEST(CudaWeights, PlainRoundingTwinEqualsHostConversion) {
  auto bits = [](auto v) {
    uint16_t b;
    std::memcpy(&b, &v, 2);
    return b;
  };
  std::vector<uint32_t> patterns = {0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u,
                                    0x7FC00000u, 0x7F800001u, 0x477FEFFFu, 0x477FF000u,
                                    0x33000000u, 0x33000001u, 0x3F808000u, 0x3F818000u,
                                    0x7F7FFFFFu, 0x00000001u, 0x387FE000u, 0x38800000u};
  std::mt19937 rng(7);
  for (int i = 0; i < 2'000'000; ++i) patterns.push_back(rng());
  for (uint32_t hi = 0; hi < 0x10000u; ++hi)  // every bf16 value plus each rounding tail
    for (uint32_t lo : {0x0000u, 0x7FFFu, 0x8000u, 0x8001u}) patterns.push_back(hi << 16 | lo);
  for (uint32_t p : patterns) {
    float v;
    std::memcpy(&v, &p, 4);
    ASSERT_EQ(float_to_bfloat16_bits(v), bits(host_to_element<__nv_bfloat16>(v)))
        << std::hex << "bf16 of 0x" << p;
    ASSERT_EQ(float_to_float16_bits(v), bits(host_to_element<__half>(v)))
        << std::hex << "fp16 of 0x" << p;
    if (!std::isnan(v)) {
      ASSERT_EQ(round_to(ReduceType::kBFloat16, v),
                host_element_to_float(host_to_element<__nv_bfloat16>(v)));
      ASSERT_EQ(round_to(ReduceType::kFloat16, v),
                host_element_to_float(host_to_element<__half>(v)));
    }
  }
}

TEST(CudaTuning, FlagsParseAndNameTheirValues) {
  EXPECT_EQ(parse_decode_attention_kernel("--decode-attention", "scalar"),
            cuda::DecodeAttentionKernel::kScalar);
  EXPECT_EQ(parse_decode_attention_kernel("--decode-attention", "vector"),
            cuda::DecodeAttentionKernel::kVector);
  EXPECT_EQ(parse_decode_attention_kernel("--decode-attention", "auto"),
            cuda::DecodeAttentionKernel::kAuto);
  EXPECT_EQ(parse_all_reduce_dtype("--allreduce-dtype", "fp32"), AllReduceDType::kFloat32);
  EXPECT_EQ(parse_all_reduce_dtype("--allreduce-dtype", "model"), AllReduceDType::kModel);
  try {
    parse_all_reduce_dtype("--allreduce-dtype", "bf16");
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--allreduce-dtype bf16"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_decode_attention_kernel("--decode-attention", "fast"), InputError);
  const CudaTuning engine;  // the engine's behaviour
  EXPECT_EQ(describe_tuning(engine), "decode attention auto, all-reduce model");
  EXPECT_EQ(engine.step_timer, nullptr);
}

// Forcing the vectorised decode attention where a row is not whole 16-byte vectors is an error
// before anything is launched (head_dim 90 of fp32).
TEST(CudaDecodeAttention, VectorKernelRefusesAShapeItCannotRead) {
  EXPECT_EQ(cuda::decode_attention_vector_group(90, sizeof(float)), 0);
  EXPECT_THROW(cuda::decode_attention<float>(nullptr, 90, nullptr, nullptr, nullptr, 1, nullptr, 2,
                                             1, 90, 16, 1, nullptr, nullptr, 90, nullptr,
                                             cuda::DecodeAttentionKernel::kVector),
               InternalError);
}

TEST(CudaEngineWithoutGpu, BackendCudaIsOneInputErrorLine) {
  if (test::gpu_unavailable_reason().empty()) GTEST_SKIP() << "a GPU is visible";
  EngineOptions options;
  options.backend = Backend::kCuda;
  options.model_dir = test::stories260k_dir();
  options.max_batch_size = 8;
  SingleRankCommunicator comm;
  try {
    make_cuda_engine(options, comm);
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no CUDA GPU"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

// The GPU kernel tests' inputs, pinned: tests/engine/cuda/emulate_rounding.py checks the same figures
// (self_check), so the emulation replays exactly the inputs a GPU run with that seed drew.
TEST(GpuTestInputs, SeededValuesMatchTheEmulation) {
  EXPECT_EQ(test::seeded_values<__nv_bfloat16>(7, "attention/k", 4, -2, 2),
            (std::vector<float>{0x1.f6p-1f, -0x1.c6p+0f, 0x1.b8p+0f, -0x1.48p+0f}));
  EXPECT_EQ(test::seeded_values<__half>(7, "attention/v", 4, -2, 2),
            (std::vector<float>{0x1.a88p+0f, 0x1.158p-2f, 0x1.5ecp-2f, 0x1.578p-5f}));
  EXPECT_EQ(
      test::seeded_values<float>(7, "rmsnorm/x", 4, -3, 3),
      (std::vector<float>{0x1.282782p+1f, -0x1.c491bap+0f, -0x1.300068p-2f, -0x1.c53eb2p+0f}));
  const test::SeededStream positions(7, "rope/positions");
  EXPECT_EQ(positions.bits(0) % 5000, 4578u);
  EXPECT_EQ(positions.bits(2) % 5000, 335u);
}

TEST(GpuTestInputs, UlpBoundsInUnitsOfTheElementType) {
  EXPECT_EQ(test::ulp_at<__nv_bfloat16>(1.0), 0x1p-7);
  EXPECT_EQ(test::ulp_at<__nv_bfloat16>(-0.75), 0x1p-8);
  EXPECT_EQ(test::ulp_at<__half>(1.0), 0x1p-10);
  EXPECT_EQ(test::ulp_at<__half>(1e-6), 0x1p-24);  // subnormal spacing
  EXPECT_EQ(test::ulp_at<__half>(0.0), 0x1p-24);
  // One half ulp off at 1.0 is half of a 2-ulp bound; a NaN is infinitely far.
  const test::UlpCheck one = test::check_ulps<__half>({1.0f + 0x1p-10f, 3.0f}, {1.0, 3.0}, {2, 0});
  EXPECT_EQ(one.worst, 0.5);
  EXPECT_EQ(one.at, 0u);
  EXPECT_TRUE(std::isinf(test::check_ulps<__half>({NAN}, {0.0}, {2, 1e-3}).worst));
  // The reference is rounded to T first: 1 + 2^-12 rounds to 1.0 in half.
  EXPECT_EQ(test::check_ulps<__half>({1.0f}, {1.0 + 0x1p-12}, {2, 0}).worst, 0.0);
  // The floor: 1e-3 off a value near 0 is one bound of 1e-3.
  EXPECT_NEAR(test::check_ulps<__nv_bfloat16>({1e-3f}, {0.0}, {2, 1e-3}).worst, 1.0, 1e-6);
}

}  // namespace
}  // namespace tpbench
