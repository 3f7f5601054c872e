#pragma once
// tpbench_serve's command line: MODEL, the HTTP front end's own flags, and the engine flags of
// profile_throughput's option table (coordinator/cli/option_table.hpp), bound by the same code
// so they keep the same names, ranges and messages.
#include <string>

#include "common/run_options.hpp"

namespace tpbench::serve {

struct ServeOptions {
  // MODEL, --tp, --revision and the engine flags (run.engine); the rest of RunOptions is unused.
  RunOptions run;
  std::string host = "127.0.0.1";
  int port = 8000;                // 0: the system picks a free port
  std::string served_model_name;  // "" until parsed: then the MODEL folder's name
  double shutdown_grace_s = 30;   // after SIGTERM, how long in-flight requests may still run
};

struct ServeCli {
  ServeOptions options;
  bool exit_now = false;  // --help / --version printed
  int exit_code = 0;
};

// Parses argv; throws InputError with one line naming the flag. --help and --version print
// only when print_help (one rank of the job).
ServeCli parse_serve_command_line(int argc, const char* const* argv, bool print_help);

// The engine flags tpbench_serve takes from the option table, as the table spells them.
bool is_serve_engine_flag(std::string_view table_flags);

}  // namespace tpbench::serve
