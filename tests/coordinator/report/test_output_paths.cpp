// check_output_paths(): every --csv / --json / --requests-out problem found before any work,
// as one InputError naming the flag and the file. Unwritable paths are ones that stop root too
// (the tests may run as root, where permission bits stop nothing).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "coordinator/report/csv_report.hpp"
#include "coordinator/report/output_paths.hpp"
#include "tests/coordinator/report/report_fixture.hpp"

namespace tpbench::test {
namespace {

namespace fs = std::filesystem;

RunOptions outputs(const std::string& csv, const std::string& json = "",
                   const std::string& requests = "") {
  RunOptions o;
  o.dataset_path = "/nonexistent-dataset.json";
  o.csv_path = csv;
  o.json_path = json;
  o.requests_out_path = requests;
  return o;
}

// The InputError's message, "" when the options pass.
std::string refusal(const RunOptions& o) {
  try {
    check_output_paths(o);
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    return m;
  }
  return "";
}

void expect_refused(const RunOptions& o, const std::string& flag_and_file, const std::string& why) {
  const std::string m = refusal(o);
  EXPECT_NE(m.find(flag_and_file), std::string::npos) << "'" << m << "' lacks " << flag_and_file;
  EXPECT_NE(m.find(why), std::string::npos) << "'" << m << "' lacks " << why;
}

TEST(OutputPaths, NewFilesInAWritableFolderPassAndLeaveNothing) {
  ScratchDir dir("paths-");
  EXPECT_EQ(refusal(outputs(dir / "r.csv", dir / "r.json", dir / "r.jsonl")), "");
  EXPECT_EQ(dir.entries(), 0u) << "a probe file was left behind";
  EXPECT_EQ(refusal(outputs("", "", "")), "");
}

TEST(OutputPaths, UnwritablePathsAreRefusedBeforeAnyWork) {
  ScratchDir dir("paths-");
  put(dir / "plain-file", "x");
  expect_refused(outputs(dir / "missing/r.csv"), "--csv '" + dir / "missing/r.csv" + "'",
                 "folder '" + dir / "missing" + "' not found");
  expect_refused(outputs("", dir / "plain-file/r.json"), "--json", "is not a folder");
  expect_refused(outputs("", "", "/proc/version"), "--requests-out '/proc/version'",
                 "folder '/proc' takes no new file ('/proc/version.tmp-");
  expect_refused(outputs("", "/proc/tpbench-run.json"), "--json '/proc/tpbench-run.json'",
                 "takes no new file");
  expect_refused(outputs("/proc/tpbench-run.csv"), "--csv '/proc/tpbench-run.csv'",
                 "folder '/proc' takes no new file ('/proc/tpbench-run.csv'): No such file");
  // /proc/version opens for writing as root; its text is no tpbench header.
  expect_refused(outputs("/proc/version"), "--csv '/proc/version'", "header is not tpbench's");
  if (::geteuid() != 0) {  // permission bits stop everyone but root
    fs::create_directory(dir / "read-only");
    fs::permissions(dir / "read-only", fs::perms(0555));
    expect_refused(outputs("", dir / "read-only/r.json"), "--json", "Permission denied");
  }
}

TEST(OutputPaths, SomethingOtherThanARegularFileIsRefused) {
  ScratchDir dir("paths-");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  expect_refused(outputs("", dir / "fifo"), "--json '" + dir / "fifo" + "'",
                 "is a FIFO, not a regular file");
  expect_refused(outputs(dir / "fifo"), "--csv", "is a FIFO");
  expect_refused(outputs("", "", "/dev/full"), "--requests-out '/dev/full'",
                 "is a character device, not a regular file");
  expect_refused(outputs("", dir.path.string()), "--json", "is a folder, not a regular file");
  fs::create_symlink("/dev/full", dir / "full.json");
  expect_refused(outputs("", dir / "full.json"),
                 "--json '" + dir / "full.json" + "' (a symlink to '/dev/full')",
                 "is a character device");
  fs::create_symlink("loop.json", dir / "loop.json");
  expect_refused(outputs("", dir / "loop.json"), "--json", "Too many levels of symbolic links");
}

TEST(OutputPaths, SymlinkToARegularFileIsFine) {
  ScratchDir dir("paths-");
  put(dir / "target.json", "{}");
  fs::create_symlink("target.json", dir / "link.json");
  EXPECT_EQ(refusal(outputs("", dir / "link.json")), "");
  EXPECT_EQ(slurp(dir / "target.json"), "{}");
}

TEST(OutputPaths, OneFileNamedTwiceIsRefused) {
  ScratchDir dir("paths-");
  expect_refused(outputs("", dir / "r.json", dir / "r.json"),
                 "--json '" + dir / "r.json" + "' and --requests-out", "are the same file");
  // Not there yet, spelled differently.
  fs::create_directory(dir / "sub");
  expect_refused(outputs("", dir / "r.json", dir / "sub/../r.json"), "and --requests-out",
                 "same file");
  // There, once through a symlink.
  put(dir / "r.json", "{}");
  fs::create_symlink("r.json", dir / "alias.jsonl");
  expect_refused(outputs("", dir / "r.json", dir / "alias.jsonl"), "(a symlink to", "same file");
  // A hard link is the same inode.
  fs::create_hard_link(dir / "r.json", dir / "hard.jsonl");
  expect_refused(outputs("", dir / "r.json", dir / "hard.jsonl"), "--requests-out", "same file");
  // The CSV and the JSON both at one new path.
  expect_refused(outputs(dir / "x.out", dir / "x.out"), "--csv", "same file");

  RunOptions o = outputs("", dir / "r.json");
  o.dataset_path = dir / "alias.jsonl";  // the dataset itself
  expect_refused(o, "--json", "is DATASET");
  EXPECT_EQ(refusal(outputs(dir / "a.csv", dir / "a.json", dir / "a.jsonl")), "");
}

TEST(OutputPaths, CsvWithAForeignHeaderIsRefusedAndLeftUntouched) {
  ScratchDir dir("paths-");
  const std::string lmdeploy =
      "backend,bs,dataset_name,sharegpt_output_len,random_input_len,random_output_len,"
      "random_range_ratio,num_prompts,completed,total_input_tokens,total_output_tokens,duration,"
      "request_throughput\nturbomind,256,sharegpt,,1024,1024,0.0,5000,5000,1,1,1.0,1.0";
  put(dir / "profile_throughput.csv", lmdeploy);
  const std::string m = refusal(outputs(dir / "profile_throughput.csv"));
  EXPECT_NE(m.find("--csv '" + dir / "profile_throughput.csv" + "'"), std::string::npos) << m;
  EXPECT_NE(m.find("it has 13 columns where tpbench writes 47; column 14 would be "
                   "'input_throughput'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("name a new file"), std::string::npos) << m;
  EXPECT_EQ(slurp(dir / "profile_throughput.csv"), lmdeploy);

  std::string ours;
  for (const std::string& c : csv_columns()) ours += (ours.empty() ? "" : ",") + c;
  put(dir / "ours.csv", ours + "\nsim,4");  // tpbench's header, last line without a newline
  EXPECT_EQ(refusal(outputs(dir / "ours.csv")), "");
  put(dir / "empty.csv", "");
  EXPECT_EQ(refusal(outputs(dir / "empty.csv")), "");
}

}  // namespace
}  // namespace tpbench::test
