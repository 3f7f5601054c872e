#!/usr/bin/env bash
# Configures and builds tpbench into ${BUILD_DIR:-build}. Extra arguments go to cmake's configure
# (after -DTPBENCH_FAULT_INJECTION=ON, which the test suite's fault cases need: pass
# -DTPBENCH_FAULT_INJECTION=OFF to build without the test hooks).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
GENERATOR=()
if command -v ninja >/dev/null 2>&1; then GENERATOR=(-G Ninja); fi
# Configure every time: folders with a CMakeLists.txt are picked up at configure time.
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DTPBENCH_FAULT_INJECTION=ON "$@"
else
  cmake -S . -B "$BUILD_DIR" -DTPBENCH_FAULT_INJECTION=ON "$@"
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
