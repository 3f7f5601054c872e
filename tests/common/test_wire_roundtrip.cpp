#include <gtest/gtest.h>

#include "common/records.hpp"
#include "common/workload.hpp"

namespace tpbench {
namespace {

template <typename T>
T roundtrip(const T& in) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, in);
  auto handle = msgpack::unpack(buf.data(), buf.size());
  return handle.get().as<T>();
}

TEST(Wire, RequestRecordRoundTrip) {
  RequestRecord r;
  r.id = 1234567890123ull;
  r.replica = 3;
  r.prompt_tokens = 17;
  r.output_tokens = 3;
  r.submit_ns = -5;
  r.first_token_ns = 1'000'000'000'000ll;
  r.finish_ns = 1'000'000'000'123ll;
  r.token_ns = {1, 2, 3};
  r.token_ids = {9, 8, 7};
  r.ok = false;
  r.error = "prompt longer than context";
  RequestRecord out = roundtrip(r);
  EXPECT_EQ(out.id, r.id);
  EXPECT_EQ(out.replica, 3);
  EXPECT_EQ(out.submit_ns, -5);
  EXPECT_EQ(out.first_token_ns, r.first_token_ns);
  EXPECT_EQ(out.finish_ns, r.finish_ns);
  EXPECT_EQ(out.token_ns, r.token_ns);
  EXPECT_EQ(out.token_ids, r.token_ids);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, r.error);
}

TEST(Wire, WorkloadRequestRoundTrip) {
  WorkloadRequest w;
  w.id = 42;
  w.prompt_ids = {1, 15043, 3186};
  w.prompt_len = 3;
  w.output_len = 128;
  WorkloadRequest out = roundtrip(w);
  EXPECT_EQ(out.id, 42u);
  EXPECT_EQ(out.prompt_ids, w.prompt_ids);
  EXPECT_EQ(out.prompt_len, 3);
  EXPECT_EQ(out.output_len, 128);
}

}  // namespace
}  // namespace tpbench
