"""Accel-Sim trace replay end to end (docs/traces.md): the real sm_80 trace in the shared
reference folder, generated traces checked instruction for instruction, and malformed traces
refused with exit code 2 and the file and line at fault."""

import json
import re

import pytest

from conftest import ROOT
from sass_trace_gen import write_trace

A100 = ROOT / "configs" / "gpu" / "a100.textproto"
REAL = ROOT.parent / "shared" / "reference" / "traces" / "mgpusim_vecadd_sm80" / "kernelslist.g"


def counters(rep, prefix="trace."):
    return {c["name"]: int(c["value"]) for c in rep["counters"] if c["name"].startswith(prefix)}


def replay(xpusim, kernelslist, out):
    r = xpusim("run", "-c", A100, "--trace", kernelslist, "-o", out, "--no-progress")
    return r, (json.loads((out / "report.json").read_text()) if r.returncode == 0 else None)


def test_real_sm80_trace_replays(xpusim, tmp_path):
    if not REAL.exists():
        pytest.skip("the shared reference trace is not on this machine")
    r, rep = replay(xpusim, REAL, tmp_path)
    assert r.returncode == 0, r.stderr
    assert rep["warp_instructions"] == 26601  # every traced instruction issued once
    k = rep["kernels"][0]
    assert k["name"] == "_Z9vectorAddPKfS0_Pfi"
    assert k["ctas"] == 196 and k["threads_per_cta"] == 256 and k["registers_per_thread"] == 12
    assert counters(rep) == {"trace.memcpy_commands": 2, "trace.memcpy_bytes": 400000}  # no unknown opcode
    # Accel-Sim gives 1,980 cycles without launch latency on an RTX 3070 (46 SMs): the same order.
    assert 200 < rep["cycles"] < 20000
    assert "2 memory copies" in r.stdout


def test_generated_trace_counts_match(xpusim, tmp_path):
    t = write_trace(tmp_path / "tr", ctas=40, warps=6, kernels=2)
    r, rep = replay(xpusim, tmp_path / "tr" / "kernelslist.g", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert int(rep["warp_instructions"]) == t["warp_instructions"]
    assert int(rep["thread_instructions"]) == t["thread_instructions"]
    assert len(rep["kernels"]) == 2
    assert counters(rep, "trace.unknown_opcode.") == {"trace.unknown_opcode.FOOBAR": t["unknown"]}
    assert "unknown opcode FOOBAR" in r.stdout
    # a barrier every loop trip: the warps of a CTA wait for each other, and the run still ends
    assert rep["cycles"] > 0


def test_generated_replay_is_deterministic(xpusim, tmp_path):
    write_trace(tmp_path / "tr", ctas=12, warps=4)
    a = replay(xpusim, tmp_path / "tr" / "kernelslist.g", tmp_path / "a")[1]
    b = replay(xpusim, tmp_path / "tr" / "kernelslist.g", tmp_path / "b")[1]
    assert a["cycles"] == b["cycles"] and a["counters"] == b["counters"]


def _bad(tmp_path, edit):
    write_trace(tmp_path / "tr", ctas=3, warps=2)
    k = tmp_path / "tr" / "kernel-1.traceg"
    lines = k.read_text().split("\n")
    lines = edit(lines)
    k.write_text("\n".join(lines))
    return tmp_path / "tr" / "kernelslist.g", lines


def _line_of(lines, prefix):
    return next(i + 1 for i, l in enumerate(lines) if l.startswith(prefix))


@pytest.mark.parametrize("case", ["truncated", "bad_header", "bad_opcode_line", "bad_address_format", "bad_hex"])
def test_malformed_trace_exit_2_with_line(xpusim, tmp_path, case):
    if case == "truncated":
        kl, lines = _bad(tmp_path, lambda l: l[: len(l) // 2])
        want = None  # the last line of the cut file
    elif case == "bad_header":
        kl, lines = _bad(tmp_path, lambda l: [x.replace("-block dim = (48,1,1)", "-block dim = 48") for x in l])
        want = _line_of(lines, "-block dim")
    elif case == "bad_opcode_line":
        kl, lines = _bad(tmp_path, lambda l: [x.replace("1 R8 FFMA 3 R6 R7 R8", "1 R8 FFMA 3 R6 R7") for x in l])
        want = _line_of(lines, "0060")
    elif case == "bad_address_format":
        kl, lines = _bad(tmp_path, lambda l: [re.sub(r"LDG\.E 1 R2 4 \d", "LDG.E 1 R2 4 3", x) for x in l])
        want = _line_of(lines, "0020")
    else:
        kl, lines = _bad(tmp_path, lambda l: [re.sub(r"STG\.E 2 R2 R8 4 (\d) 0x", r"STG.E 2 R2 R8 4 \1 0xg", x) for x in l])
        want = _line_of(lines, "00a0")
    r, _ = replay(xpusim, kl, tmp_path / "out")
    assert r.returncode == 2, r.stderr
    if want is None:
        want = len([x for x in lines]) - (0 if lines[-1] else 1)
        assert "truncated" in r.stderr
    assert f"kernel-1.traceg:{want}:" in r.stderr, r.stderr
    assert "simulator error" not in r.stderr


def test_missing_kernel_file_names_list_line(xpusim, tmp_path):
    write_trace(tmp_path / "tr")
    kl = tmp_path / "tr" / "kernelslist.g"
    kl.write_text(kl.read_text() + "kernel-9.traceg\n")
    r, _ = replay(xpusim, kl, tmp_path / "out")
    assert r.returncode == 2
    assert "kernelslist.g:3:" in r.stderr and "kernel-9.traceg" in r.stderr


def test_run_needs_workload_or_trace(xpusim, tmp_path):
    r = xpusim("run", "-c", A100, "-o", tmp_path)
    assert r.returncode == 2 and "--workload is required" in r.stderr
    r = xpusim("run", "-c", A100, "-w", "x.textproto", "--trace", "kernelslist.g", "-o", tmp_path)
    assert r.returncode == 2 and "not both" in r.stderr
