"""The memory hierarchy (gpu.memory_model HIERARCHY) end to end: a shipped workload runs
through L1s, crossbar, L2 slices and DRAM with correct results, and the report's memory
section is self-consistent (docs/models/l2_noc.md)."""

import json

import pytest

from conftest import ROOT

A100 = ROOT / "configs" / "gpu" / "a100.textproto"
H100 = ROOT / "configs" / "gpu" / "h100_sxm.textproto"  # still on the fixed-latency memory, no crossbar figures
WORKLOADS = ROOT / "traces" / "workloads"

# An overlay of the shipped A100 config (itself on the hierarchy) with the test's own crossbar
# figures, so these tests do not move when the shipped calibration does.
HIERARCHY = """
base: "{base}"
gpu {{
  memory_model: HIERARCHY
  noc {{ latency_cycles: 40  bytes_per_cycle: 32  far_latency_cycles: 100 }}
  dram {{ preset: "{preset}" }}
}}
"""


@pytest.fixture
def hierarchy_config(tmp_path):
    p = tmp_path / "a100_hierarchy.textproto"
    p.write_text(HIERARCHY.format(base=A100, preset=ROOT / "configs" / "memory" / "hbm2e.textproto"))
    return p


def run(xpusim, cfg, workload, out):
    r = xpusim("run", "-c", cfg, "-w", WORKLOADS / f"{workload}.textproto", "-o", out)
    assert r.returncode == 0, r.stderr + r.stdout
    return r, json.loads((out / "report.json").read_text())


def test_vector_add_through_the_hierarchy(xpusim, tmp_path, hierarchy_config):
    r, rep = run(xpusim, hierarchy_config, "vector_add_fp32_1m", tmp_path / "out")
    assert rep["checks_passed"], rep["checks"]
    k = rep["kernels"][0]
    m = k["memory"]
    levels = {lv["level"]: lv for lv in m["levels"]}
    assert list(levels) == ["L1", "L2", "DRAM"]
    for name, lv in levels.items():
        assert lv.get("hits", 0) + lv.get("misses", 0) == lv["accesses"], name
        assert 0 <= lv.get("hit_rate", 0) <= 1, name
        assert lv["avg_latency_cycles"] > 0 and lv["p99_latency_cycles"] >= lv["avg_latency_cycles"] / 2, name
    # 1M floats: a and b are read once (8 MiB), c written once (4 MiB). The L2 starts cold,
    # so it reads at least the inputs from DRAM; it is write-back and holds 40 MB, so c stays
    # in it. Every line of the three arrays is one L2 request or more.
    n = 1 << 20
    l2, dram = levels["L2"], levels["DRAM"]
    assert l2["read_bytes"] >= 2 * 4 * n
    assert dram["read_bytes"] >= 2 * 4 * n
    assert dram["read_bytes"] == l2["read_bytes"]  # the L2 is the DRAM's only client
    assert l2["accesses"] >= 3 * 4 * n // 128
    assert levels["L1"]["write_bytes"] >= 4 * n  # the stores of c go through to L2
    # bandwidth = bytes / kernel time, within the configured peak
    moved = dram["read_bytes"] + dram.get("write_bytes", 0)
    assert m["dram_bandwidth_gbps"] == pytest.approx(moved / k["time_s"] / 1e9, rel=1e-6)
    assert 0 < m["dram_peak_fraction"] <= 1.0
    assert m["dram_row_hit_rate"] == pytest.approx(dram["hit_rate"])
    # two L2 partitions: about half the requests cross to the far one
    assert 0.3 < m["noc_far_fraction"] < 0.7
    assert m["noc_bytes"] >= 3 * 4 * n  # the data of a, b and c crosses once
    assert "memory: L1" in r.stdout and "GB/s" in r.stdout  # the summary lines


def test_ideal_memory_fills_no_memory_levels(xpusim, tmp_path):
    _, rep = run(xpusim, H100, "vector_add_fp32_1m", tmp_path / "out")
    assert not rep["kernels"][0].get("memory", {}).get("levels")


def test_slices_must_divide_among_dram_controllers(xpusim, tmp_path, hierarchy_config):
    r = xpusim("run", "-c", hierarchy_config, "--set", "gpu.l2.slices=120", "-w",
               WORKLOADS / "gemm_fp16_256.textproto", "-o", tmp_path / "out")
    assert r.returncode == 2
    assert "gpu.l2.slices: 120 slices do not divide evenly among the 80 DRAM controllers" in r.stderr


def test_hierarchy_needs_the_crossbar_figures(xpusim, tmp_path):
    r = xpusim("run", "-c", H100, "--set", "gpu.memory_model=HIERARCHY", "-w",
               WORKLOADS / "gemm_fp16_256.textproto", "-o", tmp_path / "out")
    assert r.returncode == 2
    assert "gpu.noc.latency_cycles: required by gpu.memory_model HIERARCHY" in r.stderr
