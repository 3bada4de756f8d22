"""Shared-memory bank conflicts through the whole simulator (models/memory/shared_banks.h,
docs/models/l1_shared.md): a warp's LDS with a stride of 32 words puts every lane in bank 0
and costs 32 wavefronts, a unit stride one. The extra wavefronts hold the SM's shared pipe, so
the conflicting kernel is slower by about a cycle per extra wavefront, and the SM counts them."""

import json

from conftest import ROOT

A100 = ROOT / "configs" / "gpu" / "a100.textproto"
N = 8  # independent LDS per kernel


def run(xpusim, tmp_path, stride_bytes, name):
    loads = "\n".join(f"        LDS       R{3 + i}, [R2+buf]" for i in range(N))
    k = tmp_path / f"{name}.xasm"
    k.write_text(f""".kernel k
.regs 16
.shared buf 4096
        S2R       R1, SR_TID.X
        IMAD      R2, R1, {stride_bytes}, RZ
{loads}
        EXIT
""")
    wl = tmp_path / f"{name}.textproto"
    wl.write_text(f'launch {{ kernel: "{k}"  grid {{ x: 1 }}  block {{ x: 32 }} }}\n')
    out = tmp_path / f"out_{name}"
    r = xpusim("run", "-c", A100, "-w", wl, "-o", out, "--quiet")
    assert r.returncode == 0, r.stderr
    rep = json.loads((out / "report.json").read_text())
    counters = {c["name"]: int(c.get("value", 0)) for c in rep.get("counters", [])}
    return int(rep["cycles"]), counters


def test_strided_shared_loads_cost_one_wavefront_per_distinct_word_in_a_bank(xpusim, tmp_path):
    fast, c1 = run(xpusim, tmp_path, 4, "unit")
    slow, c32 = run(xpusim, tmp_path, 128, "stride32")
    assert c1["gpu.sm[0].shared_wavefronts"] == N
    assert c1.get("gpu.sm[0].shared_bank_conflicts", 0) == 0
    assert c32["gpu.sm[0].shared_wavefronts"] == 32 * N
    assert c32["gpu.sm[0].shared_bank_conflicts"] == 31 * N
    # each extra wavefront holds the shared pipe a cycle: the loads are serialised behind them
    assert slow - fast >= 0.9 * 31 * N
    assert slow - fast <= 1.1 * 31 * N + 40


def test_bad_l1_and_bank_settings_are_refused_with_exit_2(xpusim, tmp_path):
    wl = ROOT / "traces" / "workloads" / "vector_add_fp32_1m.textproto"
    for setting, message in [("gpu.l1.ways=0", "gpu.l1.ways: must be at least 1"),
                             ("gpu.l1.write_policy=WRITE_BACK", "gpu.l1.write_policy: the L1 is write-through"),
                             ("gpu.l1.shared_banks=100", "gpu.l1.shared_banks: must be 1..64")]:
        r = xpusim("run", "-c", A100, "-w", wl, "-o", tmp_path / "out", "--quiet", "--set", setting)
        assert r.returncode == 2, setting
        assert message in r.stderr, r.stderr
