#include "serve/serve_options.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string_view>

#include "common/error.hpp"
#include "coordinator/cli/option_binding.hpp"
#include "coordinator/cli/option_table.hpp"
#include "coordinator/cli/validate.hpp"

#ifndef TPBENCH_VERSION
#define TPBENCH_VERSION "unknown"
#endif

namespace tpbench::serve {
namespace {

constexpr std::array<std::string_view, 18> kEngineFlags{
    "MODEL",
    "--tp",
    "--backend",
    "--dtype",
    "--revision",
    "--dummy-weights",
    "--cache-max-entry-count",
    "--cache-block-seq-len",
    "--kv-cache-bytes",
    "--max-batch-size",
    "--max-prefill-tokens",
    "--cuda-graphs,!--no-cuda-graphs",
    "--sim-step-ms",
    "--sim-base-ms",
    "--sim-per-token-us",
    "--sim-profile",
    "--coordinator-addr",  // where rank 0 listens for its replicas' leaders
    "--startup-timeout",   // how long rank 0 waits for its replicas' leaders to connect
};

// Forwards the engine options of the table to the CLI11 binder and skips the rest (DATASET,
// the workload and report flags).
class EngineOptionsOnly {
 public:
  explicit EngineOptionsOnly(cli::OptionBinder& binder) : binder_(binder) {}

  void positional(const cli::OptionInfo& info, std::string& field) {
    if (is_serve_engine_flag(info.flags)) binder_.positional(info, field);
  }
  template <class T>
  void option(const cli::OptionInfo& info, T& field, cli::Bounds bounds) {
    if (is_serve_engine_flag(info.flags)) binder_.option(info, field, bounds);
  }
  void flag(const cli::OptionInfo& info, bool& field) {
    if (is_serve_engine_flag(info.flags)) binder_.flag(info, field);
  }
  void percentile_list(const cli::OptionInfo&, std::vector<double>&) {}
  void goodput_slo(const cli::OptionInfo&, GoodputSlo&) {}
  void string_list(const cli::OptionInfo&, std::vector<std::string>&) {}

 private:
  cli::OptionBinder& binder_;
};

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string folder_name(const std::string& path) {
  std::filesystem::path p(path);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace

bool is_serve_engine_flag(std::string_view table_flags) {
  return std::find(kEngineFlags.begin(), kEngineFlags.end(), table_flags) != kEngineFlags.end();
}

ServeCli parse_serve_command_line(int argc, const char* const* argv, bool print_help) {
  ServeCli result;
  ServeOptions& o = result.options;
  o.run.engine.max_batch_size = 256;

  CLI::App app{"tpbench_serve: an OpenAI-compatible HTTP server over tpbench's engine",
               "tpbench_serve"};
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", std::string("tpbench_serve (tpbench) ") + TPBENCH_VERSION);
  app.get_formatter()->column_width(40);
  cli::OptionBinder binder(app);
  EngineOptionsOnly engine_only(binder);
  cli::visit_options(o.run, engine_only);

  auto text_option = [&](const char* flags, std::string& field, const char* help) {
    CLI::Option* opt = app.add_option(flags, field, help);
    opt->check(cli::value_not_a_flag(opt->get_name()))
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  };
  text_option("--host", o.host, "Address the HTTP server binds");
  text_option("--served-model-name", o.served_model_name,
              "The model's name in requests and GET /v1/models (default: MODEL's folder name)");
  app.add_option("--port", o.port, "TCP port (0: a free one, printed)")
      ->check(cli::number_check<int>(cli::closed(0, 65535)))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--shutdown-grace", o.shutdown_grace_s,
                 "Seconds in-flight requests may run after SIGTERM/SIGINT before they get an "
                 "error frame")
      ->check(cli::number_check<double>(cli::at_least(0)))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  const std::vector<std::string> args = cli::normalize_arguments(app, argc, argv);
  std::vector<const char*> normalized;
  for (const std::string& arg : args) normalized.push_back(arg.c_str());
  try {
    app.parse(static_cast<int>(normalized.size()), normalized.data());
  } catch (const CLI::Success& e) {
    result.exit_now = true;
    std::ostringstream out, err;
    result.exit_code = app.exit(e, out, err);
    if (print_help) std::cout << out.str() << std::flush;
    return result;
  } catch (const CLI::ParseError& e) {
    throw InputError(one_line(e.what()));
  }
  if (o.host.empty()) throw InputError("--host: must not be empty");
  cli::resolve_model(o.run);
  if (o.served_model_name.empty()) o.served_model_name = folder_name(o.run.model);
  if (o.run.engine.max_batch_size == 0) o.run.engine.max_batch_size = 256;
  return result;
}

}  // namespace tpbench::serve
