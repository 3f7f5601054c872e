#pragma once
// One name table per option enum: the command line, the JSON report and messages all spell a
// value the way its table does. An enum E opts in with `constexpr const auto& enum_names(E)`
// (found by argument-dependent lookup) returning an array of EnumName<E>.
#include <optional>
#include <string>
#include <string_view>

namespace tpbench {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E>
constexpr std::string_view name_of(E value) {
  for (const EnumName<E>& entry : enum_names(E{}))
    if (entry.value == value) return entry.name;
  return "?";
}

template <class E>
constexpr std::optional<E> enum_from_name(std::string_view name) {
  for (const EnumName<E>& entry : enum_names(E{}))
    if (entry.name == name) return entry.value;
  return std::nullopt;
}

// "a | b | c", for help texts and error messages.
template <class E>
std::string enum_choices() {
  std::string list;
  for (const EnumName<E>& entry : enum_names(E{})) {
    if (!list.empty()) list += " | ";
    list += entry.name;
  }
  return list;
}

}  // namespace tpbench
