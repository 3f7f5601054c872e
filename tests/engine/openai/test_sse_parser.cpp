// SseParser against the WHATWG event-stream rules, each input fed whole, cut at every byte
// offset (and every pair of offsets for short inputs) and byte by byte: the events must not
// depend on how the transport cut the bytes.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/openai/sse_parser.hpp"
#include "tests/engine/openai/feed_splits.hpp"

namespace tpbench::openai {
namespace {

SseEvent message(std::string data, std::string id = "") {
  SseEvent event;
  event.data = std::move(data);
  event.last_event_id = std::move(id);
  return event;
}

SseEvent unterminated(std::string data) {
  SseEvent event = message(std::move(data));
  event.terminated = false;
  return event;
}

struct Parsed {
  std::vector<SseEvent> events;
  std::optional<int64_t> retry_ms;
  int64_t comments = 0;
};

Parsed parse(const std::vector<std::string_view>& pieces) {
  SseParser parser;
  Parsed parsed;
  for (std::string_view piece : pieces) EXPECT_TRUE(parser.feed(piece, parsed.events));
  parser.finish(parsed.events);
  parsed.retry_ms = parser.retry_ms();
  parsed.comments = parser.comment_lines();
  return parsed;
}

// Every cut of `bytes` gives `expected` (and the same retry and comment count as the whole).
void expect_events(std::string_view bytes, const std::vector<SseEvent>& expected) {
  const Parsed whole = parse({bytes});
  test::for_each_cut(bytes,
                     [&](const std::vector<std::string_view>& pieces, const std::string& how) {
                       const Parsed cut = parse(pieces);
                       ASSERT_EQ(cut.events, expected) << how;
                       ASSERT_EQ(cut.retry_ms, whole.retry_ms) << how;
                       ASSERT_EQ(cut.comments, whole.comments) << how;
                     });
}

TEST(SseParser, SeveralEventsInOneRead) {
  expect_events("data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n",
                {message("{\"a\":1}"), message("{\"a\":2}"), message("[DONE]")});
}

TEST(SseParser, EventWaitsForItsBlankLine) {
  SseParser parser;
  std::vector<SseEvent> events;
  parser.feed("data: {\"text\":\"he", events);
  EXPECT_TRUE(events.empty());
  parser.feed("llo\"}\n", events);
  EXPECT_TRUE(events.empty());
  parser.feed("\n", events);
  ASSERT_EQ(events, std::vector<SseEvent>{message("{\"text\":\"hello\"}")});
}

TEST(SseParser, CrlfCrAndLfLineEndsGiveTheSameEvents) {
  const std::vector<SseEvent> expected = {message("one"), message("two\nthree"), message("four")};
  const std::string lf = "data: one\n\ndata: two\ndata: three\n\ndata: four\n\n";
  expect_events(lf, expected);
  expect_events(test::with_line_ends(lf, "\r\n"), expected);
  expect_events(test::with_line_ends(lf, "\r"), expected);
  expect_events("data: one\r\n\ndata: two\rdata: three\n\r\ndata: four\r\r", expected);
}

TEST(SseParser, CrlfCutBetweenCrAndLfIsOneLineEnd) {
  // Were the LF after a cut read as a second line end, "a" would be dispatched alone.
  SseParser parser;
  std::vector<SseEvent> events;
  parser.feed("data: a\r", events);
  parser.feed("\ndata: b\r", events);
  parser.feed("\n\r", events);
  parser.feed("\n", events);
  ASSERT_EQ(events, std::vector<SseEvent>{message("a\nb")});
}

TEST(SseParser, CommentLinesAreSkipped) {
  const std::string bytes = ": ping\n\n:\ndata: x\n: between two data lines\ndata: y\n\n: ping\n\n";
  expect_events(bytes, {message("x\ny")});
  EXPECT_EQ(parse({bytes}).comments, 4);
}

TEST(SseParser, MultiLineDataJoinsWithNewline) {
  expect_events("data: {\ndata:   \"a\": 1\ndata: }\n\n", {message("{\n  \"a\": 1\n}")});
}

TEST(SseParser, OnlyOneSpaceAfterTheColonIsDropped) {
  expect_events("data:x\n\ndata: x\n\ndata:  x\n\n", {message("x"), message("x"), message(" x")});
}

TEST(SseParser, EventIdAndRetryFields) {
  SseEvent named = message("payload", "7");
  named.type = "update";
  // The id persists and the type resets; an id holding NUL and a non-numeric retry are
  // ignored; "id" without a colon sets the id to "".
  std::string input = "event: update\nid: 7\nretry: 1500\ndata: payload\n\ndata: next\n\n";
  input += std::string("id: 8\0x\n", 8);
  input += "retry: 2s\ndata: c\n\nid\ndata: d\n\n";
  expect_events(input, {named, message("next", "7"), message("c", "7"), message("d", "")});
  EXPECT_EQ(parse({input}).retry_ms, 1500);
}

TEST(SseParser, FieldWithoutColonHasAnEmptyValue) {
  // "data" alone appends an empty line; a lone "data" line dispatches an event with data "".
  expect_events("data\n\ndata: a\ndata\n\n", {message(""), message("a\n")});
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
  SseEvent after = message("x");
  expect_events("event: ping\n\nunknown: field\n\ndata: x\n\n", {after});
}

TEST(SseParser, DoneSentinelIsAnOrdinaryEvent) {
  expect_events("data: [DONE]\n\n", {message("[DONE]")});
}

TEST(SseParser, TrailingEventWithoutBlankLineIsFlushedByFinish) {
  expect_events("data: a\n\ndata: [DONE]\n", {message("a"), unterminated("[DONE]")});
  expect_events("data: a\n\ndata: [DONE]", {message("a"), unterminated("[DONE]")});
  expect_events("data: a\n\ndata: {\"cut", {message("a"), unterminated("{\"cut")});
  expect_events("data: a\r\n\r\ndata: b\r", {message("a"), unterminated("b")});
}

TEST(SseParser, FinishWithNothingPendingAddsNothing) {
  expect_events("data: a\n\n", {message("a")});
  expect_events("data: a\n\n: ping", {message("a")});
  expect_events("", {});
}

TEST(SseParser, LeadingByteOrderMarkIsDropped) {
  expect_events(
      "\xEF\xBB\xBF"
      "data: a\n\n",
      {message("a")});
  // Only one, and only first: a second BOM is the start of a field name, not "data".
  expect_events(
      "\xEF\xBB\xBF\xEF\xBB\xBF"
      "data: a\n\ndata: b\n\n",
      {message("b")});
  // Bytes that start like a BOM but are not one are kept.
  expect_events(
      "\xEF\xBB"
      "data: a\n\ndata: b\n\n",
      {message("b")});
  expect_events(
      "\xEF"
      "\n\ndata: b\n\n",
      {message("b")});
}

TEST(SseParser, Utf8InDataIsKeptByteForByte) {
  expect_events("data: {\"text\":\"上海 café\"}\n\n", {message("{\"text\":\"上海 café\"}")});
}

TEST(SseParser, OverlongEventStopsTheParser) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  EXPECT_TRUE(parser.feed("data: short\n\n", events));
  EXPECT_FALSE(parser.feed("data: 0123456789abcdef", events));
  EXPECT_TRUE(parser.failed());
  EXPECT_NE(parser.error().find("longer than 16 bytes"), std::string::npos) << parser.error();
  EXPECT_FALSE(parser.feed("\n\n", events));
  ASSERT_EQ(events, std::vector<SseEvent>{message("short")});

  SseParser many_lines(16);  // the limit counts the whole event, not one line
  EXPECT_TRUE(many_lines.feed("data: 0123456\ndata: 0123456\n", events));
  EXPECT_FALSE(many_lines.feed("data: 0123456\n", events));
}

}  // namespace
}  // namespace tpbench::openai
