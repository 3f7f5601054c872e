#!/usr/bin/env bash
# pack_devkit.sh KIT BINARY... : copies binaries built here into KIT/bin and the shared libraries
# they load that the lent GPU machine does not provide into KIT/lib, for device_check.sh to run
# there. The GPU machine (Ubuntu 24.04) has glibc, the GCC runtime, CUDA's runtime and cuBLAS,
# NCCL and Open MPI (libmpi, libopen-rte/pal, hwloc, libevent) of its own: those stay out, so the
# binaries use the machine's copies. Everything else a binary loads (ZeroMQ and its helpers,
# OpenBLAS, sentencepiece, ...) travels in KIT/lib.
# Files over 2 MB are gzip-compressed (FILE.gz); device_check.sh unpacks them (gzip is in every
# Ubuntu image; python3 otherwise). Prints the kit's size: the run carries at most 64 MiB with
# the tree.
set -euo pipefail
kit=$1
shift
mkdir -p "$kit/bin" "$kit/lib"
# The machine's own: loader and C library, GCC runtime, CUDA, cuBLAS, NCCL, Open MPI 4.1 (only
# its C library libmpi: a libmpi_cxx would be packed), and the system libraries they pull in.
machine_has='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|libpthread\.|librt\.|libresolv\.|libstdc\+\+\.|libgcc_s\.|libcuda\.|libcudart\.|libcublas\.|libcublasLt\.|libnccl\.|libmpi\.|libopen-rte\.|libopen-pal\.|libevent|libhwloc\.|libudev\.|libnvidia|libz\.|libbsd\.|libmd\.|libcom_err\.|libgssapi|libk5crypto\.|libkeyutils\.|libkrb5)'
for binary in "$@"; do
  [ -x "$binary" ] || { echo "pack_devkit: $binary is not a built binary" >&2; exit 2; }
  cp -L "$binary" "$kit/bin/"
  while read -r name path; do
    [[ $name =~ $machine_has ]] && continue
    [ -e "$kit/lib/$name" ] || cp -L "$path" "$kit/lib/$name"
  done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}')
done
find "$kit/bin" "$kit/lib" -type f -size +2M ! -name '*.gz' -exec gzip -9 -n {} +
du -sh "$kit"
