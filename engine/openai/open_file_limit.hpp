#pragma once
// RLIMIT_NOFILE for a rank that holds one socket per stream.

namespace tpbench {

// Descriptors kept free beyond the streams: MPI, ZeroMQ, files, libcurl's own.
inline constexpr int kOpenFileReserve = 256;

// Raises the soft open-file limit to streams + kOpenFileReserve when it is lower. InputError
// naming the hard limit and the stream count when even the hard limit is too low.
void ensure_open_file_limit(int streams);

}  // namespace tpbench
