#include "engine/cuda/step_upload.hpp"

#include <cstring>
#include <vector>

#include "kernels/cuda/cuda_check.hpp"

namespace tpbench {
namespace {

// Where each array goes in the one buffer (256-byte aligned, one after another).
class Packing {
 public:
  template <typename E>
  size_t add(const std::vector<E>& v) {
    const size_t offset = bytes_;
    parts_.push_back({v.data(), v.size() * sizeof(E), offset});
    bytes_ += device_aligned(v.size() * sizeof(E));
    return offset;
  }
  void upload(PinnedBuffer& host, DeviceArray<unsigned char>& device, cudaStream_t stream) {
    host.ensure(bytes_);
    device.ensure(bytes_);
    for (const Part& p : parts_)
      if (p.bytes > 0) std::memcpy(host.data() + p.offset, p.data, p.bytes);
    if (bytes_ > 0)
      CUDA_CHECK(
          cudaMemcpyAsync(device.data(), host.data(), bytes_, cudaMemcpyHostToDevice, stream));
  }

 private:
  struct Part {
    const void* data;
    size_t bytes;
    size_t offset;
  };
  std::vector<Part> parts_;
  size_t bytes_ = 0;
};

}  // namespace

StepArgs StepUpload::upload(const StepMetadata& m, cudaStream_t stream) {
  Packing up;
  const size_t o_ids = up.add(m.ids), o_pos = up.add(m.positions), o_slots = up.add(m.slots),
               o_bt = up.add(m.block_tables), o_dec = up.add(m.decode_seqs),
               o_pre = up.add(m.prefill_seqs), o_tiles = up.add(m.prefill_tiles),
               o_rows = up.add(m.logit_rows);
  up.upload(host_, device_, stream);
  const unsigned char* base = device_.data();
  StepArgs a;
  a.rows = m.n_tokens();
  a.ids = reinterpret_cast<const int32_t*>(base + o_ids);
  a.positions = reinterpret_cast<const int32_t*>(base + o_pos);
  a.slots = reinterpret_cast<const int64_t*>(base + o_slots);
  a.tables = reinterpret_cast<const int32_t*>(base + o_bt);
  a.decode = reinterpret_cast<const cuda::AttentionSeqDesc*>(base + o_dec);
  a.n_decode = static_cast<int>(m.decode_seqs.size());
  a.decode_splits = m.max_decode_splits;
  a.prefill = reinterpret_cast<const cuda::AttentionSeqDesc*>(base + o_pre);
  a.tiles = reinterpret_cast<const cuda::PrefillTile*>(base + o_tiles);
  a.n_tiles = static_cast<int>(m.prefill_tiles.size());
  a.logit_rows = reinterpret_cast<const int32_t*>(base + o_rows);
  a.n_logits = static_cast<int64_t>(m.logit_rows.size());
  return a;
}

}  // namespace tpbench
