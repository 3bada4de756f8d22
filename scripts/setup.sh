#!/usr/bin/env bash
# Installs what xpusim needs from Debian (only the packages that are missing), then builds
# it in Release into build/. Options:
#   --asan   also build the xpusim binary with AddressSanitizer + UBSan into build-asan/
#   --no-tests  skip building the unit tests
set -euo pipefail
cd "$(dirname "$0")/.."

ASAN=0
TESTS=ON
for a in "$@"; do
  case "$a" in
    --asan) ASAN=1 ;;
    --no-tests) TESTS=OFF ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

PKGS=(cmake ninja-build g++ pkg-config libsystemc-dev libboost-dev libfmt-dev libcli11-dev catch2
      libprotobuf-dev protobuf-compiler python3-protobuf python3-numpy python3-matplotlib
      python3-pytest python3-distributed
      chromium)  # chromium: the headless check that report.html renders (tests/python/test_report_html.py)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup.sh: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

JOBS=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DXPUSIM_TESTS=$TESTS -DXPUSIM_WERROR=ON >/dev/null
cmake --build build -j "$JOBS"
if ((ASAN)); then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXPUSIM_SANITIZE=ON -DXPUSIM_TESTS=OFF \
    -DXPUSIM_WERROR=ON >/dev/null
  cmake --build build-asan -j "$JOBS" --target xpusim
fi
