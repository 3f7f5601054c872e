// Azure trace reading (coordinator/load/azure_trace.hpp): timestamps of both years' formats,
// every row of the shipped 2023 traces against Python's csv/datetime, and bad rows named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "coordinator/load/azure_trace.hpp"
#include "coordinator/load/trace_timestamp.hpp"
#include "load_test_util.hpp"

namespace tpbench {
namespace {

TEST(TraceTimestamp, BothYearsFormats) {
  // date -u -d '2023-11-16 18:15:46' +%s = 1700158546
  EXPECT_EQ(parse_trace_timestamp("2023-11-16 18:15:46.6805900"),
            int64_t{1700158546} * 1000000000 + 680590000);
  // 2024: 6 digits and a zone, or none at all (pandas' "mixed" precision).
  // date -u -d '2024-05-10 00:00:00' +%s = 1715299200
  EXPECT_EQ(parse_trace_timestamp("2024-05-10 00:00:00.009930+00:00"),
            int64_t{1715299200} * 1000000000 + 9930000);
  EXPECT_EQ(parse_trace_timestamp("2024-05-10 00:00:00+00:00"), int64_t{1715299200} * 1000000000);
  EXPECT_EQ(parse_trace_timestamp("2024-05-10T02:30:00+02:30"), int64_t{1715299200} * 1000000000);
  EXPECT_EQ(parse_trace_timestamp("2024-05-09 22:00:00-02:00Z"), std::nullopt);
  EXPECT_EQ(parse_trace_timestamp("2024-05-09 22:00:00-02:00"), int64_t{1715299200} * 1000000000);
  EXPECT_EQ(parse_trace_timestamp("2024-05-10 00:00:00Z"), int64_t{1715299200} * 1000000000);
  EXPECT_EQ(parse_trace_timestamp("2024-02-29 00:00:00.1"),
            int64_t{1709164800} * 1000000000 + 100000000);
  EXPECT_EQ(parse_trace_timestamp("1970-01-01 00:00:00.000000001"), 1);
  for (const char* bad : {"", "2023-11-16", "2023-11-16 18:15", "2023-11-16 18:15:46.",
                          "2023-11-16 18:15:46.1234567890", "2023-13-01 00:00:00",
                          "2023-02-29 00:00:00", "2023-11-16 24:00:00", "2023/11/16 18:15:46",
                          "2023-11-16 18:15:46 ", "2023-11-16 18:15:46+0100", "x"}) {
    EXPECT_EQ(parse_trace_timestamp(bad), std::nullopt) << bad;
  }
}

TEST(AzureTrace, EveryRowOfTheShippedTracesMatchesPython) {
  for (const char* name : {"azure-llm-trace-2023-code.csv", "azure-llm-trace-2023-conv.csv"}) {
    const std::string path = load_test::trace_file(name);
    const AzureTrace trace = read_azure_trace(path);
    const std::vector<double> expected =
        load_test::numbers(load_test::run_reference("trace " + path + " 1"));
    ASSERT_EQ(expected.size(), 3 * trace.rows.size()) << name;
    EXPECT_EQ(trace.raised_to_one, 0u);
    for (size_t i = 0; i < trace.rows.size(); ++i) {
      ASSERT_EQ(trace.rows[i].offset_ns, static_cast<int64_t>(expected[3 * i])) << name << " " << i;
      ASSERT_EQ(trace.rows[i].context_tokens, expected[3 * i + 1]) << name << " " << i;
      ASSERT_EQ(trace.rows[i].generated_tokens, expected[3 * i + 2]) << name << " " << i;
    }
    EXPECT_EQ(trace.rows.front().offset_ns, 0);
  }
  EXPECT_EQ(read_azure_trace(load_test::trace_file("azure-llm-trace-2023-code.csv")).rows.size(),
            8819u);
  EXPECT_EQ(read_azure_trace(load_test::trace_file("azure-llm-trace-2023-conv.csv")).rows.size(),
            19366u);
}

class TraceFile {
 public:
  explicit TraceFile(const std::string& content)
      : path_(std::filesystem::temp_directory_path() /
              ("tpbench-trace-" + std::to_string(getpid()) + ".csv")) {
    std::ofstream(path_) << content;
  }
  ~TraceFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::string error_of(const std::string& content) {
  const TraceFile file(content);
  try {
    read_azure_trace(file.path());
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(AzureTrace, Format2024ColumnsInAnyOrderZerosRaisedUnsortedRowsOrdered) {
  const TraceFile file(
      "GeneratedTokens,TIMESTAMP,ContextTokens,Extra\r\n"
      "5,2024-05-10 00:00:01+00:00,100,x\r\n"
      "0,2024-05-10 00:00:00.009930+00:00,7,y\r\n"
      "\r\n"
      "3,2024-05-10 00:00:00.5+00:00,0,z\r\n");
  const AzureTrace trace = read_azure_trace(file.path());
  ASSERT_EQ(trace.rows.size(), 3u);
  EXPECT_EQ(trace.raised_to_one, 2u);
  // In time order, offsets from the earliest row.
  EXPECT_EQ(trace.rows[0].offset_ns, 0);
  EXPECT_EQ(trace.rows[0].line, 3u);
  EXPECT_EQ(trace.rows[0].context_tokens, 7);
  EXPECT_EQ(trace.rows[0].generated_tokens, 1);
  EXPECT_EQ(trace.rows[1].offset_ns, 490070000);
  EXPECT_EQ(trace.rows[1].context_tokens, 1);
  EXPECT_EQ(trace.rows[2].offset_ns, 990070000);
  EXPECT_EQ(trace.rows[2].context_tokens, 100);
  EXPECT_EQ(trace.rows[2].generated_tokens, 5);
}

TEST(AzureTrace, BadRowsNameFileLineAndField) {
  const std::string header = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  const std::string good = "2023-11-16 18:15:46.6805900,374,44\n";
  struct Case {
    std::string content, names;
  };
  for (const Case& c : {
           Case{header + good + "2023-11-16 18:15:4x.6805900,374,44\n", ":3: TIMESTAMP"},
           Case{header + good + good + "2023-11-16 18:15:47,-1,44\n", ":4: ContextTokens"},
           Case{header + "2023-11-16 18:15:47,12,4.5\n", ":2: GeneratedTokens"},
           Case{header + "2023-11-16 18:15:47,12,99999999999\n", ":2: GeneratedTokens"},
           Case{header + "2023-11-16 18:15:47,12\n", ":2: 2 fields"},
           Case{"TIMESTAMP,Context,GeneratedTokens\n" + good,
                ":1: the header has no ContextTokens"},
           Case{header, "no rows"},
           Case{"", "empty file"},
       }) {
    const std::string message = error_of(c.content);
    EXPECT_NE(message.find(c.names), std::string::npos) << "'" << message << "'";
    EXPECT_NE(message.find("--trace "), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_THROW(read_azure_trace("/nonexistent/trace.csv"), InputError);
}

}  // namespace
}  // namespace tpbench
