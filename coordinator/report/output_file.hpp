#pragma once
// Writing the report files: whole files replaced atomically, or text appended, always through
// symlinks to their target and never by replacing a device or FIFO.
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

namespace tpbench {

// The file `path` names once its symlinks (a chain of them, relative or absolute) are
// followed; `path` itself when it is no symlink. The target need not exist (a dangling
// symlink gives the file a write would create). Throws std::runtime_error on a symlink loop.
std::filesystem::path follow_symlinks(const std::string& path);

// Where write_file_atomically() stages the new text of `target` before renaming it into place.
std::filesystem::path staging_path_for(const std::filesystem::path& target);

// Streams into a staging file beside the symlinks' target, then renames it over the target:
// a symlink keeps pointing at the new file, and an existing file keeps its permission bits.
// An existing target that is not a regular file (a device, a FIFO) is written in place, never
// replaced. Throws std::runtime_error "'<path>': <what failed>: <strerror(errno)>" naming the
// file and the real errno of the call that failed.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

// Appends `text` to the target of path's symlinks (created, mode 0666 & ~umask, when missing)
// in O_APPEND writes. Throws std::runtime_error like write_file_atomically().
void append_to_file(const std::string& path, const std::string& text);

}  // namespace tpbench
