#!/usr/bin/env bash
# Installs every Debian package tpbench needs to build, run and test (idempotent: only what is
# missing). CUDA and NCCL are not Debian packages: when /usr/local/cuda exists the build uses it,
# otherwise the build is CPU-only. Last, the openai npm package for the foreign-client test
# (tests/serve/npm, `npm ci` from its lockfile); that part only warns when it cannot be done.
set -euo pipefail

# slurm-wlm, munge, gnuplot-nox: the real Slurm test (scripts/test_slurm.sh) and the
# scaling-study plots. iproute2: the multi-host test's namespaces (scripts/test_multihost.sh).
# libboost-dev: header-only Boost (Beast/Asio: tpbench_serve's HTTP server). curl: the
# tpbench_serve tests stream with curl -N.
packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  openmpi-bin libopenmpi-dev
  libzmq3-dev cppzmq-dev libsodium-dev
  libmsgpack-cxx-dev
  libgtest-dev libgmock-dev
  libsimdjson-dev
  libsentencepiece-dev
  libpcre2-dev
  libcli11-dev
  libopenblas-dev
  nlohmann-json3-dev
  libcurl4-openssl-dev
  libboost-dev
  slurm-wlm munge gnuplot-nox
  python3 python3-numpy
  procps
  curl
  iproute2
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    $SUDO apt-get update -q
    apt_updated=1
  fi
  $SUDO apt-get install -y -q --no-install-recommends "$@"
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  apt_install "${missing[@]}"
fi

# The openai npm package (a client no one here wrote) for tests/serve/npm_client_test.py, pinned
# by tests/serve/npm/package-lock.json. Optional: without node or the registry the setup goes on
# and that test skips. openai 6.x supports Node.js 20 or later; Debian 12's nodejs is 18.
npm_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/serve/npm"
if ! command -v node >/dev/null 2>&1; then
  echo "setup: installing nodejs npm"
  apt_install nodejs npm ||
    echo "setup: warning: could not install nodejs and npm; the openai npm client test will skip"
fi
if [ -d "$npm_dir/node_modules/openai" ] &&
   [ ! "$npm_dir/package-lock.json" -nt "$npm_dir/node_modules/.package-lock.json" ]; then
  echo "setup: tests/serve/npm/node_modules up to date"
elif ! command -v npm >/dev/null 2>&1; then
  echo "setup: warning: no npm; the openai npm client test will skip"
elif npm ci --prefix "$npm_dir" --no-audit --no-fund >/dev/null 2>&1; then
  echo "setup: installed tests/serve/npm's packages (npm ci)"
else
  echo "setup: warning: npm ci --prefix $npm_dir failed (no registry?); the openai npm client test will skip"
fi
