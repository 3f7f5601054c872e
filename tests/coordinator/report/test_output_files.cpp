// How --csv, --json and --requests-out reach the disk: through symlinks, never replacing a
// device, only under tpbench's CSV header, and with the real errno when a write fails.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "coordinator/report/csv_report.hpp"
#include "coordinator/report/output_file.hpp"
#include "tests/coordinator/report/report_fixture.hpp"

namespace tpbench::test {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// LMDeploy profile_throughput.py's current header: the first 19 of tpbench's 47 columns.
const char* kLmdeployHeader =
    "backend,bs,dataset_name,sharegpt_output_len,random_input_len,random_output_len,"
    "random_range_ratio,num_prompts,completed,total_input_tokens,total_output_tokens,duration,"
    "request_throughput,input_throughput,output_throughput,mean_e2e_latency_ms,mean_ttft_ms,"
    "mean_tpot_ms,mean_itl_ms";

TEST(OutputFiles, JsonWritesThroughSymlinkChainToTheTarget) {
  ScratchDir dir("files-");
  fs::create_directory(dir / "results");
  put(dir / "results/run.json", "old");
  fs::create_symlink("results/run.json", dir / "latest.json");  // relative
  fs::create_symlink(dir / "latest.json", dir / "link.json");   // absolute, to a symlink
  write_json(dir / "link.json", fixture_info(), fixture_metrics(), {});
  EXPECT_TRUE(fs::is_symlink(dir / "link.json"));
  EXPECT_TRUE(fs::is_symlink(dir / "latest.json"));
  EXPECT_EQ(read_back("json", dir / "results/run.json").at("metrics.completed"), "3");
  EXPECT_EQ(fs::directory_iterator(dir / "results")->path().filename(), "run.json");  // no temp

  fs::create_symlink("made-by-json.json", dir / "dangling.json");
  write_requests_jsonl(dir / "dangling.json", fixture_records(), false);
  EXPECT_TRUE(fs::is_symlink(dir / "dangling.json"));
  EXPECT_EQ(read_back("jsonl", dir / "made-by-json.json").at("lines"), "4");
}

TEST(OutputFiles, ReplacedFileKeepsItsPermissionBits) {
  ScratchDir dir("files-");
  put(dir / "run.json", "old");
  fs::permissions(dir / "run.json", fs::perms(0640));
  write_json(dir / "run.json", fixture_info(), fixture_metrics(), {});
  EXPECT_EQ(fs::status(dir / "run.json").permissions(), fs::perms(0640));
  EXPECT_NE(slurp(dir / "run.json"), "old");
}

// /dev/full takes the open and fails every write with ENOSPC; as root a rename would have
// replaced the device with a regular file.
TEST(OutputFiles, WriteFailureNamesTheFileAndTheRealErrno) {
  const std::string full = "/dev/full";
  if (access(full.c_str(), W_OK) != 0) GTEST_SKIP() << "no writable /dev/full here";
  for (const std::string& error :
       {error_of([&] { write_json(full, fixture_info(), fixture_metrics(), {}); }),
        error_of([&] { write_requests_jsonl(full, fixture_records(), true); }),
        error_of([&] { append_csv(full, fixture_info(), fixture_metrics()); })}) {
    EXPECT_NE(error.find("'/dev/full'"), std::string::npos) << error;
    EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  }
  struct stat st {};
  ASSERT_EQ(::stat(full.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/full is no longer a device";

  ScratchDir dir("files-");
  const std::string missing = dir / "no-such-folder/run.json";
  EXPECT_NE(error_of([&] {
              write_json(missing, fixture_info(), fixture_metrics(), {});
            }).find("No such file or directory"),
            std::string::npos);
}

TEST(CsvHeader, RowsGoOnlyUnderTpbenchsOwnHeader) {
  ScratchDir dir("files-");
  const std::string lmdeploy =
      std::string(kLmdeployHeader) +
      "\nturbomind,256,sharegpt,,1024,1024,"
      "0.000,5000,5000,1,1,1.000,1.000,1.000,1.000,1.000,1.000,1.000,1.000\n";
  const std::string path = dir / "profile_throughput.csv";
  put(path, lmdeploy);
  EXPECT_EQ(csv_header_conflict(path),
            "its header is not tpbench's: it has 19 columns where tpbench writes 47; column 20 "
            "would be 'tp'");
  const std::string error = error_of([&] { append_csv(path, fixture_info(), fixture_metrics()); });
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("column 20"), std::string::npos) << error;
  EXPECT_EQ(slurp(path), lmdeploy) << "the foreign file was touched";

  put(path, "batch,num_prompts,RPS,RPM,FTL(ave)(s)\n1,2,3,4,5\n");  // LMDeploy v0.7 - v0.8
  EXPECT_EQ(csv_header_conflict(path),
            "its header is not tpbench's: its column 1 is 'batch' where tpbench writes 'backend'");
  put(path, "backend,bs,extra\n");
  EXPECT_NE(csv_header_conflict(path).find("column 3 is 'extra' where tpbench writes"),
            std::string::npos);

  std::string ours;
  for (const std::string& c : csv_columns()) ours += (ours.empty() ? "" : ",") + c;
  put(path, ours + ",late_column\n");
  EXPECT_EQ(csv_header_conflict(path),
            "its header is not tpbench's: its column 48 'late_column' is past tpbench's 47 "
            "columns");
  put(path, ours + "\r\n");
  EXPECT_EQ(csv_header_conflict(path), "");
  put(path, "");
  EXPECT_EQ(csv_header_conflict(path), "");
  EXPECT_EQ(csv_header_conflict(dir / "missing.csv"), "");
}

TEST(CsvHeader, LastLineWithoutNewlineGetsOneBeforeTheRow) {
  ScratchDir dir("files-");
  const std::string path = dir / "run.csv";
  append_csv(path, fixture_info(), fixture_metrics());
  std::string text = slurp(path);
  ASSERT_EQ(text.back(), '\n');
  text.pop_back();
  put(path, text);  // as an editor that drops the final newline leaves it
  append_csv(path, fixture_info(false), fixture_metrics(false));
  const auto flat = read_back("csv", path);  // asserts every row has the header's 29 fields
  ASSERT_FALSE(flat.empty()) << slurp(path);
  EXPECT_EQ(flat.at("rows"), "3");
  EXPECT_EQ(flat.at("1.complete"), "true");
  EXPECT_EQ(flat.at("2.mean_ttft_ms"), "-");

  put(path, std::string(kLmdeployHeader).substr(0, 7));  // "backend": a foreign 1-column header
  EXPECT_THROW(append_csv(path, fixture_info(), fixture_metrics()), std::runtime_error);
}

TEST(CsvHeader, AppendsThroughSymlink) {
  ScratchDir dir("files-");
  fs::create_symlink("target.csv", dir / "link.csv");
  append_csv(dir / "link.csv", fixture_info(), fixture_metrics());
  append_csv(dir / "link.csv", fixture_info(), fixture_metrics());
  EXPECT_TRUE(fs::is_symlink(dir / "link.csv"));
  EXPECT_EQ(read_back("csv", dir / "target.csv").at("rows"), "3");
}

}  // namespace
}  // namespace tpbench::test
