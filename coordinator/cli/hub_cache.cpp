#include "coordinator/cli/hub_cache.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.hpp"

namespace tpbench::cli {
namespace {

namespace fs = std::filesystem;

// An empty variable counts as unset (huggingface_hub would take "" as the current folder).
const char* non_empty(const EnvLookup& env, const char* name) {
  const char* value = env(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

// os.path.expanduser for "~" and "~/...".
std::string expand_user(const std::string& path, const EnvLookup& env) {
  if (path.empty() || path[0] != '~' || (path.size() > 1 && path[1] != '/')) return path;
  const char* home = non_empty(env, "HOME");
  return home == nullptr ? path : std::string(home) + path.substr(1);
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// os.path.expandvars: $NAME and ${NAME}; an unset variable is left as written.
std::string expand_vars(const std::string& path, const EnvLookup& env) {
  std::string out;
  for (size_t i = 0; i < path.size();) {
    if (path[i] != '$') {
      out += path[i++];
      continue;
    }
    size_t name_begin = i + 1, name_end = name_begin, next = name_begin;
    if (name_begin < path.size() && path[name_begin] == '{') {
      name_end = path.find('}', name_begin);
      if (name_end == std::string::npos) {
        out += path.substr(i);
        break;
      }
      ++name_begin;
      next = name_end + 1;
    } else {
      while (name_end < path.size() && is_name_char(path[name_end])) ++name_end;
      next = name_end;
    }
    const std::string name = path.substr(name_begin, name_end - name_begin);
    const char* value = name.empty() ? nullptr : env(name.c_str());
    out += value != nullptr ? std::string(value) : path.substr(i, next - i);
    i = next;
  }
  return out;
}

std::string expand(const std::string& path, const EnvLookup& env) {
  return expand_vars(expand_user(path, env), env);
}

std::string read_ref(const fs::path& ref_file) {
  std::ifstream in(ref_file);
  std::string commit;
  std::getline(in, commit);
  while (!commit.empty() && (commit.back() == '\r' || commit.back() == ' ')) commit.pop_back();
  return commit;
}

std::string download_hint(const std::string& repo_id, const std::string& revision) {
  return "download it first (tpbench never uses the network): huggingface-cli download " + repo_id +
         (revision.empty() ? "" : " --revision " + revision);
}

}  // namespace

EnvLookup process_environment() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

HubCacheRoot hub_cache_root(const EnvLookup& env) {
  if (const char* v = non_empty(env, "HF_HUB_CACHE")) return {expand(v, env), "HF_HUB_CACHE"};
  if (const char* v = non_empty(env, "HUGGINGFACE_HUB_CACHE"))
    return {expand(v, env), "HUGGINGFACE_HUB_CACHE"};
  if (const char* v = non_empty(env, "HF_HOME")) return {expand(v, env) + "/hub", "HF_HOME/hub"};
  if (const char* v = non_empty(env, "XDG_CACHE_HOME"))
    return {expand(std::string(v) + "/huggingface/hub", env), "XDG_CACHE_HOME/huggingface/hub"};
  return {expand("~/.cache/huggingface/hub", env), "~/.cache/huggingface/hub"};
}

bool looks_like_repo_id(const std::string& text) {
  if (text.empty() || text.size() > 96) return false;
  if (text.find("--") != std::string::npos || text.find("..") != std::string::npos) return false;
  const size_t slash = text.find('/');
  if (slash != std::string::npos &&
      (slash == 0 || slash + 1 == text.size() || text.find('/', slash + 1) != std::string::npos))
    return false;
  for (const char c : text) {
    if (!is_name_char(c) && c != '-' && c != '.' && c != '/') return false;
  }
  return text.front() != '.' && text.front() != '-' && text.back() != '.' && text.back() != '-';
}

std::string resolve_model_dir(const std::string& model, const std::string& revision,
                              const EnvLookup& env) {
  std::error_code ec;
  if (model.empty()) throw InputError("MODEL is empty");
  if (fs::exists(model, ec)) {
    if (!revision.empty())
      throw InputError("--revision " + revision + " applies to a hub id, but MODEL '" + model +
                       "' is a local path");
    return model;
  }
  if (!looks_like_repo_id(model)) throw InputError("MODEL '" + model + "' not found");

  const HubCacheRoot root = hub_cache_root(env);
  std::string folder = "models--" + model;
  if (const size_t slash = folder.find('/'); slash != std::string::npos)
    folder.replace(slash, 1, "--");
  const fs::path repo = fs::path(root.path) / folder;
  const std::string where = " (hub cache from " + root.source + ")";
  if (!fs::is_directory(repo, ec))
    throw InputError("MODEL '" + model +
                     "' is neither a local path nor in the Hugging Face cache: " + repo.string() +
                     " not found" + where + "; " + download_hint(model, revision));

  const std::string rev = revision.empty() ? "main" : revision;
  if (rev.find("..") != std::string::npos)
    throw InputError("--revision '" + rev + "' is not a branch, tag or commit name");
  const fs::path ref_file = repo / "refs" / rev;
  const bool is_ref = fs::is_regular_file(ref_file, ec);
  const std::string commit = is_ref ? read_ref(ref_file) : rev;
  const fs::path snapshot = repo / "snapshots" / commit;
  if (commit.empty() || !fs::is_directory(snapshot, ec)) {
    const std::string looked =
        is_ref ? ref_file.string() + " names commit '" + commit + "', but " + snapshot.string() +
                     " is missing"
               : "neither " + ref_file.string() + " nor " + snapshot.string() + " exists";
    throw InputError("MODEL '" + model + "' revision '" + rev +
                     "' is not in the Hugging Face cache: " + looked + where + "; " +
                     download_hint(model, revision));
  }
  return snapshot.string();
}

}  // namespace tpbench::cli
