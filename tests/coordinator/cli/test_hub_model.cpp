// A hub id as MODEL resolves to a snapshot of a fake Hugging Face cache, with huggingface_hub's
// choice of cache folder; a local path always wins; a missing model is exit 2 naming the place
// looked and the download command.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/error.hpp"
#include "coordinator/cli/hub_cache.hpp"
#include "tests/coordinator/cli/cli_test_util.hpp"

namespace tpbench::test {
namespace {

namespace fs = std::filesystem;
using cli::EnvLookup;

const std::string kMain = "0123456789abcdef0123456789abcdef01234567";
const std::string kOld = "89abcdef0123456789abcdef0123456789abcdef";

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

// <root>/models--internlm--internlm-7b with refs/main -> kMain, refs/v1 -> kOld.
fs::path make_cache(const std::string& name) {
  const fs::path root = fs::path(testing::TempDir()) / ("hub-" + name);
  fs::remove_all(root);
  const fs::path repo = root / "models--internlm--internlm-7b";
  write(repo / "refs" / "main", kMain);  // no newline, as huggingface_hub writes it
  write(repo / "refs" / "v1", kOld + "\n");
  write(repo / "snapshots" / kMain / "config.json", "{}");
  write(repo / "snapshots" / kOld / "config.json", "{}");
  return root;
}

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

std::string error_of(const std::string& model, const std::string& revision, const EnvLookup& env) {
  try {
    cli::resolve_model_dir(model, revision, env);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(HubCacheRoot, FollowsHuggingfaceHubPrecedence) {
  const auto root = [](std::map<std::string, std::string> vars) {
    return cli::hub_cache_root(env_of(std::move(vars))).path;
  };
  const std::map<std::string, std::string> all{{"HF_HUB_CACHE", "/a"},
                                               {"HUGGINGFACE_HUB_CACHE", "/b"},
                                               {"HF_HOME", "/c"},
                                               {"XDG_CACHE_HOME", "/d"},
                                               {"HOME", "/e"}};
  EXPECT_EQ(root(all), "/a");
  auto v = all;
  v.erase("HF_HUB_CACHE");
  EXPECT_EQ(root(v), "/b");
  v.erase("HUGGINGFACE_HUB_CACHE");
  EXPECT_EQ(root(v), "/c/hub");
  v.erase("HF_HOME");
  EXPECT_EQ(root(v), "/d/huggingface/hub");
  v.erase("XDG_CACHE_HOME");
  EXPECT_EQ(root(v), "/e/.cache/huggingface/hub");
  // expanduser and expandvars, as constants.py applies them.
  EXPECT_EQ(root({{"HF_HUB_CACHE", "~/hub"}, {"HOME", "/h"}}), "/h/hub");
  EXPECT_EQ(root({{"HF_HOME", "$SCRATCH/hf"}, {"SCRATCH", "/s"}}), "/s/hf/hub");
  EXPECT_EQ(root({{"HF_HOME", "${SCRATCH}x/$UNSET"}, {"SCRATCH", "/s"}}), "/sx/$UNSET/hub");
}

TEST(HubModel, RefsMainAndRevisionByNameOrHash) {
  const fs::path root = make_cache("revisions");
  const fs::path repo = root / "models--internlm--internlm-7b";
  const EnvLookup env = env_of({{"HF_HUB_CACHE", root.string()}});
  EXPECT_EQ(cli::resolve_model_dir("internlm/internlm-7b", "", env), repo / "snapshots" / kMain);
  EXPECT_EQ(cli::resolve_model_dir("internlm/internlm-7b", "main", env),
            repo / "snapshots" / kMain);
  EXPECT_EQ(cli::resolve_model_dir("internlm/internlm-7b", "v1", env), repo / "snapshots" / kOld);
  EXPECT_EQ(cli::resolve_model_dir("internlm/internlm-7b", kOld, env), repo / "snapshots" / kOld);
}

TEST(HubModel, EachEnvVariableIsRead) {
  const fs::path root = make_cache("env");
  const std::string want = (root / "models--internlm--internlm-7b" / "snapshots" / kMain).string();
  EXPECT_EQ(cli::resolve_model_dir("internlm/internlm-7b", "",
                                   env_of({{"HF_HUB_CACHE", root.string()},
                                           {"HUGGINGFACE_HUB_CACHE", "/nowhere"},
                                           {"HF_HOME", "/nowhere"}})),
            want);
  EXPECT_EQ(cli::resolve_model_dir(
                "internlm/internlm-7b", "",
                env_of({{"HUGGINGFACE_HUB_CACHE", root.string()}, {"HF_HOME", "/nowhere"}})),
            want);
  // HF_HOME/hub: the cache folder is named "hub-env", so point HF_HOME at a parent with "hub".
  const fs::path home = fs::path(testing::TempDir()) / "hf-home";
  fs::remove_all(home);
  fs::create_directories(home);
  fs::create_directory_symlink(root, home / "hub");
  EXPECT_EQ(cli::resolve_model_dir("internlm/internlm-7b", "", env_of({{"HF_HOME", home}})),
            (home / "hub" / "models--internlm--internlm-7b" / "snapshots" / kMain).string());
  // A higher-precedence variable pointing elsewhere hides the cache.
  EXPECT_NE(error_of("internlm/internlm-7b", "",
                     env_of({{"HF_HUB_CACHE", "/nowhere"}, {"HF_HOME", home}})),
            "");
}

TEST(HubModel, LocalPathWins) {
  const fs::path root = make_cache("local");
  const fs::path cwd = fs::current_path();
  const fs::path local = fs::path(testing::TempDir()) / "local-cwd";
  fs::remove_all(local);
  write(local / "internlm" / "internlm-7b" / "config.json", "{}");
  fs::current_path(local);
  const std::string got =
      cli::resolve_model_dir("internlm/internlm-7b", "", env_of({{"HF_HUB_CACHE", root.string()}}));
  const std::string revision_error =
      error_of("internlm/internlm-7b", "v1", env_of({{"HF_HUB_CACHE", root.string()}}));
  fs::current_path(cwd);
  EXPECT_EQ(got, "internlm/internlm-7b");
  EXPECT_NE(revision_error.find("--revision v1 applies to a hub id"), std::string::npos)
      << revision_error;
}

TEST(HubModel, MissingNamesWhereItLookedAndHowToDownload) {
  const fs::path root = make_cache("missing");
  const EnvLookup env = env_of({{"HF_HUB_CACHE", root.string()}});
  const std::string absent = error_of("internlm/internlm2-chat-7b", "", env);
  EXPECT_EQ(absent,
            "MODEL 'internlm/internlm2-chat-7b' is neither a local path nor in the "
            "Hugging Face cache: " +
                (root / "models--internlm--internlm2-chat-7b").string() +
                " not found (hub cache from HF_HUB_CACHE); download it first (tpbench "
                "never uses the network): huggingface-cli download "
                "internlm/internlm2-chat-7b");
  const std::string bad_rev = error_of("internlm/internlm-7b", "v2", env);
  EXPECT_NE(bad_rev.find("revision 'v2' is not in the Hugging Face cache: neither " +
                         (root / "models--internlm--internlm-7b" / "refs" / "v2").string()),
            std::string::npos)
      << bad_rev;
  EXPECT_NE(bad_rev.find("huggingface-cli download internlm/internlm-7b --revision v2"),
            std::string::npos)
      << bad_rev;
  // refs/main naming a snapshot that is not there (an interrupted download).
  fs::remove_all(root / "models--internlm--internlm-7b" / "snapshots" / kMain);
  const std::string dangling = error_of("internlm/internlm-7b", "", env);
  EXPECT_NE(dangling.find("names commit '" + kMain + "', but"), std::string::npos) << dangling;
  // Not the shape of a repo id: the plain local-path message.
  EXPECT_EQ(error_of("./no/such/model", "", env), "MODEL './no/such/model' not found");
  EXPECT_EQ(error_of("a/b/c", "", env), "MODEL 'a/b/c' not found");
}

TEST(HubModel, RepoIdShape) {
  EXPECT_TRUE(cli::looks_like_repo_id("gpt2"));
  EXPECT_TRUE(cli::looks_like_repo_id("internlm/internlm2_5-7b-chat"));
  EXPECT_TRUE(cli::looks_like_repo_id("Qwen/Qwen2.5-7B"));
  EXPECT_FALSE(cli::looks_like_repo_id("/abs/path"));
  EXPECT_FALSE(cli::looks_like_repo_id("org/"));
  EXPECT_FALSE(cli::looks_like_repo_id("a--b/c"));
  EXPECT_FALSE(cli::looks_like_repo_id("a/../b"));
  EXPECT_FALSE(cli::looks_like_repo_id("a b/c"));
}

// Through the command line: engine.model_dir holds the snapshot, the given id stays in model.
TEST(HubModel, CommandLineResolvesIntoEngineModelDir) {
  const fs::path root = make_cache("cli");
  const fs::path snapshot = root / "models--internlm--internlm-7b" / "snapshots" / kOld;
  fs::copy(kModel, snapshot, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  ::setenv("HF_HUB_CACHE", root.c_str(), 1);
  const RunOptions o = parse({kDataset, "internlm/internlm-7b", "--revision", "v1"}).options;
  const std::string missing = input_error({kDataset, "internlm/none", "--backend", "cpu"});
  // token-ids on sim never reads MODEL: an id not in the cache is kept as written.
  const RunOptions unread =
      parse({kDataset, "internlm/none", "--dataset-name", "token-ids", "--backend", "sim"}).options;
  ::unsetenv("HF_HUB_CACHE");
  EXPECT_EQ(o.model, "internlm/internlm-7b");
  EXPECT_EQ(o.revision, "v1");
  EXPECT_EQ(o.engine.model_dir, snapshot.string());
  EXPECT_NE(missing.find("huggingface-cli download internlm/none"), std::string::npos) << missing;
  EXPECT_EQ(unread.engine.model_dir, "internlm/none");
}

}  // namespace
}  // namespace tpbench::test
