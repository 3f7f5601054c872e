// Failed requests grouped by reason: the scheduler's per-request reasons, counted once each.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "coordinator/report/failure_groups.hpp"
#include "coordinator/report/metrics.hpp"

namespace tpbench {
namespace {

// engine/scheduler/scheduler.cpp's wording for a request longer than the model's context.
std::string context_overflow(int id, int prompt) {
  return "request " + std::to_string(id) + ": prompt " + std::to_string(prompt) +
         " + max_new_tokens 128 = " + std::to_string(prompt + 128) +
         " tokens exceeds the model's max context 4096";
}

TEST(FailureGroups, ThirtyContextOverflowsAreOneReason) {
  std::vector<std::string> reasons;
  for (int i = 0; i < 30; ++i) reasons.push_back(context_overflow(100 + i, 4000 + 7 * i));
  const std::vector<FailureGroup> groups = group_failure_reasons(reasons);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].count, 30u);
  EXPECT_EQ(groups[0].reason,
            "prompt 4000..4203 + max_new_tokens 128 = 4128..4331 tokens exceeds the model's max "
            "context 4096");
}

TEST(FailureGroups, DifferentCausesStayApartMostFrequentFirst) {
  const std::vector<std::string> reasons = {
      "request 1: prompt 10 + max_new_tokens 5000 = 5010 tokens needs 314 KV blocks of 16 tokens; "
      "the whole cache has 100",
      context_overflow(2, 4000),
      context_overflow(3, 4001),
      "",
      "request 4: empty prompt",
      "request 5: empty prompt",
      "request 6: empty prompt",
      "step time 0.5 s over the limit 0.25 s",
      "step time 1.75 s over the limit 0.25 s"};
  const std::vector<FailureGroup> groups = group_failure_reasons(reasons);
  ASSERT_EQ(groups.size(), 5u);
  EXPECT_EQ(groups[0].reason, "empty prompt");
  EXPECT_EQ(groups[0].count, 3u);
  EXPECT_EQ(groups[1].reason,
            "prompt 4000..4001 + max_new_tokens 128 = 4128..4129 tokens exceeds the model's max "
            "context 4096");
  EXPECT_EQ(groups[1].count, 2u);
  EXPECT_EQ(groups[2].reason, "step time 0.5..1.75 s over the limit 0.25 s");  // decimals whole
  EXPECT_EQ(groups[2].count, 2u);
  EXPECT_EQ(groups[3].reason,
            "prompt 10 + max_new_tokens 5000 = 5010 tokens needs 314 KV blocks of 16 tokens; the "
            "whole cache has 100");
  EXPECT_EQ(groups[4].reason, "unknown error");
  EXPECT_EQ(groups[4].count, 1u);
}

TEST(FailureGroups, MetricsCarryTheGroups) {
  std::vector<RequestRecord> records(5);
  for (int i = 0; i < 5; ++i) {
    records[i].id = i;
    records[i].ok = false;
    records[i].error = context_overflow(i, 5000);
  }
  const Metrics m = compute_metrics(records, 5, {50}, false);
  EXPECT_EQ(m.failed, 5u);
  ASSERT_EQ(m.failure_reasons.size(), 1u);
  EXPECT_EQ(m.failure_reasons[0].count, 5u);
  EXPECT_EQ(m.failure_reasons[0].reason,
            "prompt 5000 + max_new_tokens 128 = 5128 tokens exceeds the model's max context 4096");
}

}  // namespace
}  // namespace tpbench
