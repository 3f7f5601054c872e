#pragma once
// The checks --csv, --json and --requests-out pass before any work (docs/CLI.md, "Output
// files"), so that a run never ends with reports it cannot write.
#include "common/run_options.hpp"

namespace tpbench {

// Throws InputError naming the flag and the file when an output path
//  - follows its symlinks to something that exists and is not a regular file,
//  - lies in a folder that is missing, is not a folder, or does not take a new file (probed
//    by creating and removing the file the writer would create),
//  - is an existing --csv file that does not open for writing or whose header is not
//    tpbench's (csv_report.hpp),
//  - is the same file as another output or as DATASET (by device and inode once symlinks are
//    followed, or by canonical path for files still to be created).
// The coordinator (rank 0), which writes the reports, runs it.
void check_output_paths(const RunOptions& options);

}  // namespace tpbench
