// Wire form (host byte order: every rank of a replica runs on the same kind of machine):
//   u32 magic, u8 shutdown, u32 seq count, then per seq:
//   u64 request_id, i32 start_pos, i32 prompt_len, u8 want_logits, u32 n, i32 tokens[n], u32 m,
//   i32 blocks[m]
#include <cstring>
#include <string>

#include "common/error.hpp"
#include "engine/scheduler/plan_codec.hpp"

namespace tpbench {
namespace {

constexpr uint32_t kPlanMagic = 0x4E4C5054;  // "TPLN"

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  template <typename T>
  void put(T value) {
    append(&value, sizeof(T));
  }
  void put_ints(const std::vector<int32_t>& v) {
    put(static_cast<uint32_t>(v.size()));
    append(v.data(), v.size() * sizeof(int32_t));
  }

 private:
  void append(const void* p, size_t n) {
    size_t at = out_.size();
    out_.resize(at + n);
    if (n) std::memcpy(out_.data() + at, p, n);
  }
  std::vector<uint8_t>& out_;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), left_(size) {}
  template <typename T>
  T get() {
    T value;
    take(&value, sizeof(T));
    return value;
  }
  void get_ints(std::vector<int32_t>& v) {
    uint32_t n = get<uint32_t>();
    TPBENCH_CHECK(n <= left_ / sizeof(int32_t), "plan: " + std::to_string(n) + " ints but " +
                                                    std::to_string(left_) + " bytes left");
    v.resize(n);
    take(v.data(), n * sizeof(int32_t));
  }
  size_t left() const { return left_; }

 private:
  void take(void* dst, size_t n) {
    TPBENCH_CHECK(n <= left_, "plan truncated: need " + std::to_string(n) + " bytes, " +
                                  std::to_string(left_) + " left");
    if (n) std::memcpy(dst, p_, n);
    p_ += n;
    left_ -= n;
  }
  const uint8_t* p_;
  size_t left_;
};

}  // namespace

void encode_plan_into(const StepPlan& plan, std::vector<uint8_t>& out) {
  out.clear();
  Writer w(out);
  w.put(kPlanMagic);
  w.put(static_cast<uint8_t>(plan.shutdown));
  w.put(static_cast<uint32_t>(plan.seqs.size()));
  for (const SequenceChunk& s : plan.seqs) {
    w.put(s.request_id);
    w.put(s.start_pos);
    w.put(s.prompt_len);
    w.put(static_cast<uint8_t>(s.want_logits));
    w.put_ints(s.tokens);
    w.put_ints(s.block_table);
  }
}

void decode_plan_into(const uint8_t* data, size_t size, StepPlan& plan) {
  Reader r(data, size);
  uint32_t magic = r.get<uint32_t>();
  TPBENCH_CHECK(magic == kPlanMagic, "plan: bad magic " + std::to_string(magic));
  plan.shutdown = r.get<uint8_t>() != 0;
  uint32_t n = r.get<uint32_t>();
  // Each seq takes at least 25 bytes: a corrupt count fails here, not in a huge resize.
  TPBENCH_CHECK(n <= r.left() / 25,
                "plan: " + std::to_string(n) + " seqs in " + std::to_string(r.left()) + " bytes");
  plan.seqs.resize(n);
  for (SequenceChunk& s : plan.seqs) {
    s.request_id = r.get<uint64_t>();
    s.start_pos = r.get<int32_t>();
    s.prompt_len = r.get<int32_t>();
    s.want_logits = r.get<uint8_t>() != 0;
    r.get_ints(s.tokens);
    r.get_ints(s.block_table);
  }
  TPBENCH_CHECK(r.left() == 0, "plan: " + std::to_string(r.left()) + " trailing bytes");
}

std::vector<uint8_t> encode_plan(const StepPlan& plan) {
  std::vector<uint8_t> out;
  encode_plan_into(plan, out);
  return out;
}

StepPlan decode_plan(const uint8_t* data, size_t size) {
  StepPlan plan;
  decode_plan_into(data, size, plan);
  return plan;
}

}  // namespace tpbench
