#pragma once
// Token text -> id, looked up by string_view without allocating.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tpbench::tok {

struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

using StringIdMap = std::unordered_map<std::string, int32_t, StringViewHash, std::equal_to<>>;

inline int32_t find_id(const StringIdMap& map, std::string_view key) {
  auto it = map.find(key);
  return it == map.end() ? -1 : it->second;
}

}  // namespace tpbench::tok
