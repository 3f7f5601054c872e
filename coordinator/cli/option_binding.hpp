#pragma once
// Binds the option table (option_table.hpp) to CLI11: each option gets its range or name-table
// check, and the rules every value-taking option shares (docs/CLI.md, "Parsing rules"):
//   - given twice, the last occurrence wins, with all its values;
//   - a value that starts with '-' and is not a number is an error (a flag was swallowed);
//   - its error names the flag.
#include <CLI/CLI.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "common/enum_names.hpp"
#include "coordinator/cli/option_table.hpp"
#include "coordinator/cli/validate.hpp"

namespace tpbench::cli {

// "" when value lies within bounds, else "must be ..., got value".
std::string bounds_violation(const Bounds& bounds, double value);
// ">= 1", "(0, 1]", or "" for any value.
std::string describe_bounds(const Bounds& bounds);
// Parses the whole of text as a number: nullopt when it is not one.
std::optional<double> parse_real(const std::string& text);
std::optional<long long> parse_integer(const std::string& text);

// Rejects a value that is really the next flag: `--csv --dry-run`.
CLI::Validator value_not_a_flag(const std::string& flag);
// The message of that check: "" unless text starts with '-' and is not a number.
std::string flag_taken_as_value(const std::string& text, const std::string& flag);

// argv as CLI11 should see it: LMDeploy's `-temp` becomes --temperature, and `--opt=` (an
// empty value) becomes `--opt ""`, which CLI11 would otherwise read as `--opt NEXT-ARG`. A flag
// of word_list_flags takes the KEY:VALUE words that follow it as one value, so
// `--goodput ttft:200 tpot:50 DATASET` keeps DATASET a positional.
std::vector<std::string> normalize_arguments(const CLI::App& app, int argc, const char* const* argv,
                                             const std::vector<std::string>& word_list_flags = {});
// Whether text is one KEY:VALUE word ("ttft:200"): a key of letters, digits or '_', a colon.
bool is_key_value_word(const std::string& text);

template <class T>
CLI::Validator number_check(Bounds bounds) {
  return CLI::Validator(
      [bounds](std::string& text) -> std::string {
        double value = 0;
        if constexpr (std::is_integral_v<T>) {
          const std::optional<long long> parsed = parse_integer(text);
          if (!parsed || *parsed < std::numeric_limits<T>::min() ||
              *parsed > std::numeric_limits<T>::max())
            return "expected an integer, got '" + text + "'";
          value = static_cast<double>(*parsed);
        } else {
          const std::optional<double> parsed = parse_real(text);
          if (!parsed) return "expected a number, got '" + text + "'";
          const bool allowed_inf =
              bounds.plus_infinity && *parsed == std::numeric_limits<double>::infinity();
          if (!std::isfinite(*parsed) && !allowed_inf)
            return "must be a finite number, got " + text;
          value = *parsed;
        }
        return bounds_violation(bounds, value);
      },
      describe_bounds(bounds));
}

// Accepts the names of E's table and hands CLI11 the enum's number. A transform, so CLI11 runs
// it before the other checks: it makes the flag check itself.
template <class E>
CLI::Validator enum_check(const std::string& flag) {
  return CLI::Validator(
      [flag](std::string& text) -> std::string {
        if (std::string error = flag_taken_as_value(text, flag); !error.empty()) return error;
        const std::optional<E> value = enum_from_name<E>(text);
        if (!value) return "unknown value '" + text + "' (expected " + enum_choices<E>() + ")";
        text = std::to_string(static_cast<std::underlying_type_t<E>>(*value));
        return "";
      },
      enum_choices<E>());
}

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

class OptionBinder {
 public:
  explicit OptionBinder(CLI::App& app) : app_(app) {}

  void positional(const OptionInfo& info, std::string& field) {
    app_.add_option(std::string(info.flags), field, std::string(info.help))->required();
  }

  template <class T>
  void option(const OptionInfo& info, T& field, Bounds bounds) {
    CLI::Option* opt = app_.add_option(std::string(info.flags), field, std::string(info.help));
    if constexpr (std::is_enum_v<T>) {
      opt->transform(enum_check<T>(opt->get_name()))->default_str(std::string(name_of(field)));
    } else {
      opt->check(value_not_a_flag(opt->get_name()));
    }
    if constexpr (IsOptional<T>::value) {
      opt->check(number_check<typename T::value_type>(bounds))->default_str("");
    } else if constexpr (std::is_arithmetic_v<T>) {
      opt->check(number_check<T>(bounds));
    }
    last_occurrence_wins(opt);
  }

  void flag(const OptionInfo& info, bool& field) {
    app_.add_flag(std::string(info.flags), field, std::string(info.help));
  }

  void goodput_slo(const OptionInfo& info, GoodputSlo& field) {
    CLI::Option* opt = app_.add_option_function<std::string>(
        std::string(info.flags),
        [&field](const std::string& text) { field = parse_goodput_slo(text); },
        std::string(info.help));
    opt->check(value_not_a_flag(opt->get_name()))->type_name("KEY:MS ...")->default_str("");
    last_occurrence_wins(opt);
    word_list_flags_.push_back(opt->get_name());
  }

  // The flags normalize_arguments() gives the KEY:VALUE words that follow them.
  const std::vector<std::string>& word_list_flags() const { return word_list_flags_; }

  void percentile_list(const OptionInfo& info, std::vector<double>& field) {
    std::string shown;
    for (double p : field) shown += (shown.empty() ? "" : ",") + CLI::detail::to_string(p);
    CLI::Option* opt = app_.add_option_function<std::string>(
        std::string(info.flags),
        [&field](const std::string& text) { field = parse_percentile_list(text); },
        std::string(info.help));
    opt->check(value_not_a_flag(opt->get_name()))->default_str(shown);
    last_occurrence_wins(opt);
  }

  // Every occurrence adds its values (unlike the other options); commas separate values too.
  void string_list(const OptionInfo& info, std::vector<std::string>& field) {
    CLI::Option* opt = app_.add_option_function<std::vector<std::string>>(
        std::string(info.flags),
        [&field](const std::vector<std::string>& values) {
          field.clear();
          for (const std::string& value : values) {
            size_t begin = 0;
            while (begin <= value.size()) {
              const size_t end = std::min(value.find(',', begin), value.size());
              if (end > begin) field.push_back(value.substr(begin, end - begin));
              begin = end + 1;
            }
          }
        },
        std::string(info.help));
    // One value an occurrence (a vector would otherwise swallow the positionals after it).
    opt->check(value_not_a_flag(opt->get_name()))
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }

 private:
  // Each occurrence replaces the values of the one before (a vector option too).
  static void last_occurrence_wins(CLI::Option* opt) {
    opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)->trigger_on_parse();
  }

  CLI::App& app_;
  std::vector<std::string> word_list_flags_;
};

}  // namespace tpbench::cli
