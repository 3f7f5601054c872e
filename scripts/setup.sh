#!/usr/bin/env bash
# Installs every Debian package tpbench needs to build, run and test (idempotent: only what is
# missing). CUDA and NCCL are not Debian packages: when /usr/local/cuda exists the build uses it,
# otherwise the build is CPU-only.
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

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
