#include <gtest/gtest.h>

#include "coordinator/orchestrator/record_collector.hpp"

namespace tpbench {
namespace {

RequestRecord rec(uint64_t id, int replica, bool ok = true, int out = 4) {
  RequestRecord r;
  r.id = id;
  r.replica = replica;
  r.ok = ok;
  r.output_tokens = out;
  return r;
}

TEST(RecordCollector, KeepsEachIdOnce) {
  RecordCollector c(4);
  c.add(0, {rec(0, 0), rec(2, 0, false)});
  c.add(1, {rec(1, 1, true, 7), rec(1, 1)});  // duplicate id 1
  c.add(1, {rec(9, 1)});                      // outside the workload
  c.add(1, {rec(3, 0)});                      // claims another replica
  EXPECT_EQ(c.received(), 3u);
  EXPECT_EQ(c.completed(), 2u);
  EXPECT_EQ(c.output_tokens(), 11);
  EXPECT_EQ(c.rejected(), 3u);
  EXPECT_EQ(c.first_rejection(), "second record for request id 1");
  EXPECT_EQ(c.received_from(0), 2u);
  EXPECT_EQ(c.received_from(1), 4u);  // counted as sent
  EXPECT_EQ(c.received_from(5), 0u);
}

}  // namespace
}  // namespace tpbench
