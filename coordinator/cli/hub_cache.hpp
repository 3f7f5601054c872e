#pragma once
// MODEL given as a Hugging Face hub id ("org/name") resolves to a snapshot folder of the local
// hub cache, the way huggingface_hub's try_to_load_from_cache does. Nothing here touches the
// network: a model that is not in the cache is an error that says how to download it.
#include <functional>
#include <string>

namespace tpbench::cli {

// Reads one environment variable; nullptr when unset. Tests pass their own.
using EnvLookup = std::function<const char*(const char*)>;
EnvLookup process_environment();

struct HubCacheRoot {
  std::string path;    // expanded (~ and $VAR), as huggingface_hub's constants.py does
  std::string source;  // what chose it: "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", ...
};

// HF_HUB_CACHE > HUGGINGFACE_HUB_CACHE > $HF_HOME/hub >
// ${XDG_CACHE_HOME:-~/.cache}/huggingface/hub.
HubCacheRoot hub_cache_root(const EnvLookup& env);

// Whether text has the shape of a hub repo id ("name" or "org/name", [A-Za-z0-9._-], no "--"
// or "..", at most 96 characters), as huggingface_hub's validate_repo_id accepts.
bool looks_like_repo_id(const std::string& text);

// The folder MODEL names. An existing local path always wins (and then revision must be
// empty). Otherwise a repo id resolves to <root>/models--org--name/snapshots/<commit>, where
// <commit> is the content of refs/<revision> (revision "" = "main") or, when no such ref
// exists, revision itself taken as a commit hash. Throws InputError (exit 2) naming the places
// looked and the huggingface-cli command that downloads the model.
std::string resolve_model_dir(const std::string& model, const std::string& revision,
                              const EnvLookup& env);

}  // namespace tpbench::cli
