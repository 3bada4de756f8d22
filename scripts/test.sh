#!/usr/bin/env bash
# Builds xpusim (Release, plus an ASan/UBSan binary) and runs every test: the C++ unit and
# integration tests through ctest, then the Python and command-line tests through pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --asan

echo "== ctest"
(cd build && ctest --output-on-failure -j "$(nproc)")

echo "== pytest"
export PYTHONPATH="$PWD/traces:$PWD/build/python"
export XPUSIM_BIN="$PWD/build/xpusim"
export XPUSIM_ASAN_BIN="$PWD/build-asan/xpusim"
# /usr/bin/python3: Debian's numpy, protobuf and pytest belong to it
status=0
/usr/bin/python3 -m pytest -q tests/python || status=$?
if [ "$status" -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi
exit "$status"
