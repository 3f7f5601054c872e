#include "coordinator/cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "coordinator/cli/option_binding.hpp"
#include "coordinator/cli/option_table.hpp"
#include "coordinator/cli/validate.hpp"

#ifndef TPBENCH_VERSION
#define TPBENCH_VERSION "unknown"
#endif

namespace tpbench {
namespace {

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// mpirun starts every rank with the same argv; only one of them should print --help.
bool is_first_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"}) {
    if (const char* value = std::getenv(var)) return std::string(value) == "0";
  }
  return true;
}

}  // namespace

CliResult parse_command_line(int argc, const char* const* argv) {
  CliResult result;
  RunOptions& o = result.options;

  CLI::App app{"tpbench: LMDeploy's profile_throughput, as one MPI program", "profile_throughput"};
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", std::string("profile_throughput (tpbench) ") + TPBENCH_VERSION);
  app.get_formatter()->column_width(40);
  cli::OptionBinder binder(app);
  cli::visit_options(o, binder);

  const std::vector<std::string> args =
      cli::normalize_arguments(app, argc, argv, binder.word_list_flags());
  std::vector<const char*> normalized;
  for (const std::string& arg : args) normalized.push_back(arg.c_str());
  try {
    app.parse(static_cast<int>(normalized.size()), normalized.data());
  } catch (const CLI::Success& e) {  // --help, --version
    result.exit_now = true;
    std::ostringstream out, err;
    result.exit_code = app.exit(e, out, err);
    if (is_first_rank()) std::cout << out.str() << std::flush;
    return result;
  } catch (const CLI::ParseError& e) {
    throw InputError(one_line(e.what()));
  }
  o.num_prompts_given = app.count("--num-prompts") > 0;
  cli::resolve_model(o);
  cli::validate_options(o);
  return result;
}

}  // namespace tpbench
