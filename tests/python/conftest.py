"""Shared fixtures: where the xpusim binaries are and how to run them."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _binary(var: str, default: pathlib.Path) -> pathlib.Path | None:
    p = pathlib.Path(os.environ.get(var, default))
    return p if p.exists() else None


XPUSIM = _binary("XPUSIM_BIN", ROOT / "build" / "xpusim")
XPUSIM_ASAN = _binary("XPUSIM_ASAN_BIN", ROOT / "build-asan" / "xpusim")


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


def run_xpusim(binary, *args, cwd=None, timeout=600):
    env = dict(os.environ, SC_COPYRIGHT_MESSAGE="DISABLE",
               ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def xpusim():
    if XPUSIM is None:
        pytest.fail("xpusim binary not found: build it (scripts/setup.sh) or set XPUSIM_BIN")
    return lambda *args, **kw: run_xpusim(XPUSIM, *args, **kw)


def binaries():
    """The release binary, plus the sanitizer build when it exists."""
    out = [pytest.param(XPUSIM, id="release")]
    if XPUSIM_ASAN is not None:
        out.append(pytest.param(XPUSIM_ASAN, id="asan"))
    return out
