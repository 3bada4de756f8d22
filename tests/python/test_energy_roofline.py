"""Energy, roofline and the report views (issue 6; docs/models/energy.md, docs/models/roofline.md).

Formulas the tests compare with:
  GEMM M x N x K (FP16 in, FP32 out): FLOPs = 2*M*N*K; compulsory DRAM bytes = (M*K + K*N)*2 + M*N*4.
  STREAM triad a = b + s*c over n FP64 elements: FLOPs = 2n (one FMA each); bytes = 24n.
"""

import csv
import os
import io
import json

import pytest

from conftest import ROOT

CONFIGS = ROOT / "configs" / "gpu"
A100 = CONFIGS / "a100.textproto"
V100 = CONFIGS / "v100.textproto"
WORKLOADS = ROOT / "traces" / "workloads"
# AccelWattch's measured mean power of cudaTensorCoreGemm on a Volta GV100 (5 samples):
# ../shared/reference/accelsim/accelwattch_volta_hw_power.csv, row cudaTensorCoreGemm_k1.
ACCELWATTCH_TENSOR_GEMM_W = 181.992
# Parboil SGEMM (medium) on the GV100: 217.49 W (row parboil_sgemm_k1) over 358,744 cycles
# (accelwattch_volta_hw_perf.csv) at the card's 1447 MHz (AccelWattch's GV100 config).
ACCELWATTCH_SGEMM_W = 217.4926
ACCELWATTCH_SGEMM_S = 358744 / 1447e6
SM_SIDE = ("instruction", "register_file", "rf_cache", "shared", "l1")  # + every "sm.<unit>"
STATIC = ("leakage", "constant", "activation")


def run(xpusim, tmp_path, config, workload, *extra):
    """Runs timing-only (FLOPs and bytes do not depend on values); prefers the memory
    hierarchy when the config validates with it, else the config's own memory model."""
    out = tmp_path / "out"
    args = ["run", "-c", config, "-w", WORKLOADS / workload, "-o", out, "--quiet", "--timing-only", *extra]
    r = xpusim(*args, "--set", "gpu.memory_model=HIERARCHY")
    if r.returncode == 2:  # the shipped config does not describe the hierarchy yet
        r = xpusim(*args)
    assert r.returncode == 0, r.stderr
    return json.loads((out / "report.json").read_text()), out


def level(kernel, name):
    return next(l for l in kernel["roofline"]["levels"] if l["level"] == name)


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS.glob("*.textproto")))
def test_info_prints_energy_per_tensor_flop_and_dram_byte_with_sources(xpusim, config):
    r = xpusim("info", "-c", CONFIGS / config)
    assert r.returncode == 0, r.stderr
    lines = {l.split()[0]: l for l in r.stdout.splitlines() if l.strip().startswith("energy_per_")}
    assert set(lines) == {"energy_per_fp16_tensor_flop", "energy_per_dram_byte"}
    for l in lines.values():
        assert "pJ/" in l and "table " in l and "Horowitz" in l  # value, unit and source


def test_gemm_fp16_1024_on_a100_roofline(xpusim, tmp_path):
    M = N = K = 1024
    rep, _ = run(xpusim, tmp_path, A100, "gemm_fp16_1024.textproto")
    k = rep["kernels"][0]
    rf = k["roofline"]
    assert rf["total_flops"] == 2 * M * N * K
    assert rf["compute_precision"] == "fp16_tensor"
    assert rf["flops"] == [{"precision": "fp16_tensor", "flops": 2 * M * N * K,
                            "peak_flops_per_s": rf["peak_flops_per_s"]}]
    # A100's FP16 tensor peak derived from the config: 108 SMs x 4 sub-cores x 4096 FLOP per
    # m16n8k16 per 8 cycles x 1410 MHz = 312 TFLOP/s
    assert rf["peak_flops_per_s"] == pytest.approx(108 * 4 * 4096 / 8 * 1410e6)
    dram = level(k, "DRAM")
    analytic = 2 * M * N * K / ((M * K + K * N) * 2 + M * N * 4)
    if "ideal memory" in dram["bytes_from"]:
        # No caches: every CTA streams its 128-row A panel and 128-column B panel from memory.
        tiles = (M // 128) * (N // 128)
        assert dram["bytes"] == tiles * (128 * K * 2 * 2) + M * N * 4
        assert dram["intensity"] == pytest.approx(2 * M * N * K / dram["bytes"])
    else:
        # With the write-back L2 (40 MB), C's 4 MB of results are still dirty in L2 when the
        # kernel ends (written back later, as on the hardware): the DRAM traffic during the
        # kernel is the compulsory reads of A and B, (M*K + K*N) * 2 bytes.
        analytic = 2 * M * N * K / ((M * K + K * N) * 2)
        assert dram["intensity"] == pytest.approx(analytic, rel=0.05)
        assert rf["bound"] == "compute"
    assert rf["achieved_flops_per_s"] == pytest.approx(rf["total_flops"] / k["time_s"])
    e = k["energy"]
    assert e["joules"] == pytest.approx(sum(c["joules"] for c in e["components"]))
    assert e["pj_per_flop"] == pytest.approx(e["joules"] * 1e12 / rf["total_flops"])
    assert {"sm.tensor", "register_file", "dram", "leakage", "constant"} <= {c["name"] for c in e["components"]}


def test_stream_triad_on_a100_is_dram_bound(xpusim, tmp_path):
    n = 8 * 1024 * 1024
    rep, _ = run(xpusim, tmp_path, A100, "stream_triad_fp64_8m_x2.textproto")
    first, steady = rep["kernels"]
    # Analytic: 2 FLOP per element over 24 bytes (two 8-byte reads, one write), I = 2n / 24n.
    # The first launch leaves up to 40 MB of its writes dirty in the write-back L2 (written back
    # later, as on the hardware), so only the second, steady-state launch, which writes those
    # back while leaving as many of its own, moves 24n bytes of DRAM traffic.
    analytic = 2 * n / (24 * n)
    for k in (first, steady):
        assert k["roofline"]["total_flops"] == 2 * n and k["roofline"]["compute_precision"] == "fp64"
        assert k["roofline"]["bound"] == "DRAM"
    assert level(steady, "DRAM")["intensity"] == pytest.approx(analytic, rel=0.05)
    # The first launch sits within the bracket its dirty lines allow: 2n/24n .. 2n/(24n - 40 MiB).
    assert analytic * 0.999 <= level(first, "DRAM")["intensity"] <= 2 * n / (24 * n - 40 * 2 ** 20)


def test_v100_tensor_gemm_power_matches_accelwattch(xpusim, tmp_path):
    """cudaTensorCoreGemm (4096^3, FP16 in, FP32 accumulate) on a GV100 draws 181.99 W: the
    shipped GEMM kernel must draw an average power within 25% of it. Run at 2048^3 (an eighth
    of the work: the 4096^3 run takes ~10 minutes on the hierarchy; set XPUSIM_SLOW_TESTS=1
    for the full size): a compute-bound GEMM that fills the GPU draws the same power at both
    sizes, up to its last partial wave."""
    big = os.environ.get("XPUSIM_SLOW_TESTS") == "1"
    n = 4096 if big else 2048
    rep, _ = run(xpusim, tmp_path, V100, f"gemm_fp16_{n}.textproto")
    k = rep["kernels"][0]
    assert k["roofline"]["total_flops"] == 2 * n ** 3
    watts = k["energy"]["average_watts"]
    assert watts == pytest.approx(ACCELWATTCH_TENSOR_GEMM_W, rel=0.25), k["energy"]


def test_v100_sgemm_energy_reproduces_the_sm_overhead_calibration(xpusim, tmp_path):
    """The tables' SM overhead (x3.1, scripts/gen_energy_tables.py) was fitted so that Parboil's
    SGEMM, priced at the hardware's measured time, draws AccelWattch's 217.49 W: energy =
    static power x t_hw + L2/NoC/DRAM energy + SM-side energy. Rerunning the fit on today's
    model must give that power within 5% (it moves if the kernel's action counts or the
    tables change), and the overhead must matter: without it the same sum falls short by
    more than a third."""
    rep, _ = run(xpusim, tmp_path, V100, "sgemm_parboil_medium.textproto")
    k = rep["kernels"][0]
    assert k["roofline"]["flops"][0]["precision"] == "fp32"
    e = k["energy"]
    comp = {c["name"]: c["joules"] for c in e["components"]}
    sm = sum(j for n, j in comp.items() if n.startswith("sm.") or n in SM_SIDE)
    static_w = sum(comp.get(n, 0) for n in STATIC) / e["time_s"]
    rest = e["joules"] - sm - sum(comp.get(n, 0) for n in STATIC)
    watts = (static_w * ACCELWATTCH_SGEMM_S + rest + sm) / ACCELWATTCH_SGEMM_S
    assert watts == pytest.approx(ACCELWATTCH_SGEMM_W, rel=0.05), comp
    assert (static_w * ACCELWATTCH_SGEMM_S + rest + sm / 3.1) / ACCELWATTCH_SGEMM_S < 0.67 * ACCELWATTCH_SGEMM_W


def test_report_csv_has_one_row_per_kernel(xpusim, tmp_path):
    rep, out = run(xpusim, tmp_path, A100, "gemm_fp16_256.textproto")
    rows = list(csv.DictReader(io.StringIO((out / "report.csv").read_text())))
    assert len(rows) == len(rep["kernels"]) == 1
    row, k = rows[0], rep["kernels"][0]
    assert int(row["cycles"]) == k["cycles"] and row["name"] == k["name"]
    assert int(row["flops"]) == 2 * 256 ** 3
    assert float(row["energy_j"]) == pytest.approx(k["energy"]["joules"], rel=1e-6)
    assert float(row["energy_sm.tensor_j"]) > 0
    assert row["bound"] == k["roofline"]["bound"]
    html = (out / "report.html").read_text()
    assert "<svg id='roofline'" in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")


def test_summary_prints_energy_and_roofline_lines(xpusim, tmp_path):
    r = xpusim("run", "-c", A100, "-w", WORKLOADS / "gemm_fp16_256.textproto", "-o", tmp_path, "--timing-only")
    assert r.returncode == 0, r.stderr
    assert " W average" in r.stdout and "pJ/FLOP" in r.stdout
    assert "roofline:" in r.stdout and "FLOP/B DRAM" in r.stdout
    # its operands come by LDGSTS.BYPASS: the L1 is named as bypassed, not as 0% hits
    assert "memory: L1 bypassed (" in r.stdout and "L1 0% hits" not in r.stdout


def test_unknown_energy_node_is_a_located_input_error(xpusim, tmp_path):
    cfg = tmp_path / "gpu" / "x.textproto"
    cfg.parent.mkdir()
    cfg.write_text(f'base: "{A100}"\nenergy {{ node: "3nm" }}\n')
    r = xpusim("info", "-c", cfg)
    assert r.returncode == 2
    assert f"{cfg}:2:" in r.stderr and '"3nm"' in r.stderr and "energy/3nm.textproto" in r.stderr


def test_negative_energy_is_rejected(xpusim):
    r = xpusim("info", "-c", A100, "--set", "energy.fp32.fma_pj=-1")
    assert r.returncode == 2
    assert "energy.fp32.fma_pj" in r.stderr and "negative" in r.stderr


def test_energy_node_can_be_switched_from_the_command_line(xpusim):
    r = xpusim("info", "-c", A100, "--set", "energy.node=5nm")
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if l.strip().startswith("energy_per_fp16_tensor_flop"))
    assert "table 5nm" in line
