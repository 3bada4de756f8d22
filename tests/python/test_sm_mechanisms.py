"""Each SM mechanism changes timing the way the hardware does (Huerta et al., MICRO'25):
register-bank conflicts and the RF cache, scheduling policies, control-bit hazards, the
instruction prefetcher, the scoreboard alternative. Each test runs a small kernel and compares
cycle counts from report.json."""

import json

import pytest

from conftest import ROOT

A100 = ROOT / "configs" / "gpu" / "a100.textproto"
WORKLOADS = ROOT / "traces" / "workloads"


def run(xpusim, tmp_path, kernel_text, sets=(), block=32, grid=1, name="k"):
    """Runs a kernel without parameters; returns the report."""
    k = tmp_path / f"{name}.xasm"
    k.write_text(kernel_text)
    wl = tmp_path / f"{name}.textproto"
    wl.write_text(f'launch {{ kernel: "{k}"  grid {{ x: {grid} }}  block {{ x: {block} }} }}\n')
    out = tmp_path / f"out_{name}"
    args = ["run", "-c", A100, "-w", wl, "-o", out, "--quiet"]
    for s in sets:
        args += ["--set", s]
    r = xpusim(*args)
    assert r.returncode == 0, r.stderr
    return json.loads((out / "report.json").read_text())


def stream(n, line):
    """A kernel repeating one instruction line n times, with explicit control bits."""
    body = "\n".join(f"  [------:-:-:-:S01] {line}" for _ in range(n))
    return f""".kernel k
.regs 16
{body}
  [------:-:-:-:S01] EXIT
"""


# A full-rate FP32 unit and a perfect instruction cache, so that register ports (or control
# bits), not the unit's issue rate or instruction fetch, limit back-to-back instructions.
FULL_RATE = ["gpu.sm.unit[FP32].lanes=32", "gpu.sm.unit[FP32].interval_cycles=1",
             "gpu.sm.front_end.perfect_icache=true"]


def test_bank_conflict_costs_a_cycle_that_reuse_flags_remove(xpusim, tmp_path):
    n = 200
    same_bank = run(xpusim, tmp_path, stream(n, "FMUL R10, R2, R4"), FULL_RATE, name="same")["cycles"]
    other_bank = run(xpusim, tmp_path, stream(n, "FMUL R10, R2, R3"), FULL_RATE, name="other")["cycles"]
    reused = run(xpusim, tmp_path, stream(n, "FMUL R10, R2.reuse, R4"), FULL_RATE, name="reuse")["cycles"]
    no_cache = run(xpusim, tmp_path, stream(n, "FMUL R10, R2.reuse, R4"),
                   FULL_RATE + ["gpu.sm.register_file.cache.enabled=false"], name="nocache")["cycles"]
    # Huerta et al. §5.3: both sources in one bank cost one cycle per FMUL in steady state
    assert same_bank - other_bank == pytest.approx(n, rel=0.05)
    # the RF cache serves R2, so only R4 needs the bank's port
    assert reused == pytest.approx(other_bank, abs=4)
    assert no_cache == pytest.approx(same_bank, abs=4)
    # two read ports per bank also remove the conflict
    two_ports = run(xpusim, tmp_path, stream(n, "FMUL R10, R2, R4"),
                    FULL_RATE + ["gpu.sm.register_file.read_ports_per_bank=2"], name="ports")["cycles"]
    assert two_ports == pytest.approx(other_bank, abs=4)


def test_three_sources_in_one_bank_cost_two_cycles(xpusim, tmp_path):
    n = 150
    one_bank = run(xpusim, tmp_path, stream(n, "FFMA R10, R2, R4, R6"), FULL_RATE, name="one")["cycles"]
    # conflict-free: two distinct registers, one per bank (R3 read twice needs one port)
    spread = run(xpusim, tmp_path, stream(n, "FFMA R10, R2, R3, R3"), FULL_RATE, name="spread")["cycles"]
    assert one_bank - spread == pytest.approx(2 * n, rel=0.05)


def test_a_too_short_stall_count_is_reported(xpusim, tmp_path):
    kernel = """.kernel k
.regs 8
  [------:-:-:-:S{s}] FFMA R0, R1, R2, R3
  [------:-:-:-:S01] FFMA R4, R0, R2, R3
  [------:-:-:-:S01] EXIT
"""
    bad = run(xpusim, tmp_path, kernel.format(s="01"), FULL_RATE, name="bad")
    good = run(xpusim, tmp_path, kernel.format(s="04"), FULL_RATE, name="good")
    assert bad["kernels"][0]["control_bit_hazards"] == 1
    assert good["kernels"][0]["control_bit_hazards"] == 0
    # the consumer issues 3 cycles earlier with the wrong count: timing follows the bits
    assert good["cycles"] - bad["cycles"] == 3


def test_gto_and_lrr_order_warps_differently(xpusim, tmp_path):
    # Each warp: independent math, then a global load, then math that needs it. GTO runs one
    # warp to its load before starting the next, so loads overlap later math; LRR
    # interleaves the warps and issues every load late.
    math = "\n".join(f"        FFMA R{4 + i % 8}, R2, R2, R2" for i in range(24))
    tail = "\n".join(f"        FFMA R{4 + i % 8}, R1, R2, R2" for i in range(8))
    kernel = f""".kernel k
.param p:u64
.regs 16
        S2R R0, SR_TID.X
        IMAD.WIDE R14, R0, 4, c[p]
{math}
        LDG R1, [R14]
{tail}
        EXIT
"""
    wl = tmp_path / "w.textproto"
    k = tmp_path / "k.xasm"
    k.write_text(kernel)
    wl.write_text(f"""buffer {{ name: "b"  dtype: FP32  shape: [256]  init {{ zeros {{}} }} }}
launch {{ kernel: "{k}"  grid {{ x: 1 }}  block {{ x: 256 }}  arg {{ buffer: "b" }} }}
""")
    cycles = {}
    for policy in ("GTO", "LRR", "CGGTY"):
        out = tmp_path / policy
        r = xpusim("run", "-c", A100, "-w", wl, "-o", out, "-q", "--set", f"gpu.sm.scheduler={policy}")
        assert r.returncode == 0, r.stderr
        cycles[policy] = json.loads((out / "report.json").read_text())["cycles"]
    assert cycles["GTO"] < cycles["LRR"]
    assert cycles["CGGTY"] != cycles["LRR"]


def test_the_instruction_prefetcher_saves_many_cycles_on_straight_line_code(xpusim, tmp_path):
    body = "\n".join(f"        IADD3 R{i % 8}, R{(i + 1) % 8}, 1, RZ" for i in range(1500))
    kernel = f".kernel k\n.regs 8\n{body}\n        EXIT\n"
    on = run(xpusim, tmp_path, kernel, name="on")["cycles"]
    off = run(xpusim, tmp_path, kernel, ["gpu.sm.front_end.prefetch_lines=0"], name="off")["cycles"]
    perfect = run(xpusim, tmp_path, kernel, ["gpu.sm.front_end.perfect_icache=true"], name="perfect")["cycles"]
    assert off > 3 * on  # every 128-byte line is a miss without it
    assert perfect <= on


def test_a_scoreboard_with_one_war_consumer_is_slower_than_control_bits(xpusim, tmp_path):
    # Several loads read the same address register; a one-reader scoreboard serialises them.
    loads = "\n".join(f"        LDG R{4 + i}, [R2.64+{4 * i}]" for i in range(8))
    kernel = f""".kernel k
.param p:u64
.regs 16
        MOV R2, c[p]
        MOV R3, c[p+4]
{loads}
        FADD R12, R4, R5
        FADD R13, R6, R7
        EXIT
"""
    k = tmp_path / "k.xasm"
    k.write_text(kernel)
    wl = tmp_path / "w.textproto"
    wl.write_text(f"""buffer {{ name: "b"  dtype: FP32  shape: [64]  init {{ zeros {{}} }} }}
launch {{ kernel: "{k}"  grid {{ x: 1 }}  block {{ x: 32 }}  arg {{ buffer: "b" }} }}
""")
    cycles = {}
    for mode, sets in {"bits": ["gpu.sm.dependence=CONTROL_BITS"],
                       "sb1": ["gpu.sm.dependence=SCOREBOARD", "gpu.sm.scoreboard.war_consumers=1"],
                       "sb_inf": ["gpu.sm.dependence=SCOREBOARD", "gpu.sm.scoreboard.war_consumers=0"]}.items():
        out = tmp_path / mode
        # the fixed-latency memory: the loads' latency is the same in every mode, so only the
        # dependence mechanism differs
        args = ["run", "-c", A100, "-w", wl, "-o", out, "-q", "--set", "gpu.memory_model=IDEAL"]
        for s in sets:
            args += ["--set", s]
        r = xpusim(*args)
        assert r.returncode == 0, r.stderr
        cycles[mode] = json.loads((out / "report.json").read_text())["cycles"]
    assert cycles["sb1"] > cycles["bits"]
    assert cycles["sb1"] > cycles["sb_inf"]


@pytest.mark.parametrize("name", ["vector_add_fp32_1m", "reduce_sum_fp32_1m", "divergent_fp32_64k",
                                  "gemm_fp16_256", "gemm_bf16_256", "gemm_int8_256"])
def test_scoreboard_mode_runs_every_shipped_kernel_correctly(xpusim, tmp_path, name):
    r = xpusim("run", "-c", A100, "-w", WORKLOADS / f"{name}.textproto", "-o", tmp_path, "-q",
               "--set", "gpu.sm.dependence=SCOREBOARD")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "report.json").read_text())
    assert rep["checks_passed"]


def test_gemm_reports_tensor_utilisation_and_stall_reasons(xpusim, tmp_path):
    r = xpusim("run", "-c", A100, "-w", WORKLOADS / "gemm_fp16_1024.textproto", "-o", tmp_path, "-q")
    assert r.returncode == 0, r.stderr
    k = json.loads((tmp_path / "report.json").read_text())["kernels"][0]
    assert 0.3 < k["tensor_utilization"] <= 1.0
    reasons = {s["reason"]: s["fraction"] for s in k["stalls"]}
    assert sum(reasons.values()) == pytest.approx(1.0)
    assert reasons["selected"] > 0 and "math_pipe_throttle" in reasons
    # 64 CTAs of 8 warps on 108 SMs: one CTA per SM, 8 of 64 warp slots
    assert k["achieved_occupancy"] == pytest.approx(8 / 64, rel=0.02)


def shipped_cycles(xpusim, tmp_path, workload, sets=()):
    out = tmp_path / ("o" + str(abs(hash((workload, tuple(sets))))))
    args = ["run", "-c", A100, "-w", WORKLOADS / f"{workload}.textproto", "-o", out, "-q", "--timing-only"]
    for s in sets:
        args += ["--set", s]
    r = xpusim(*args)
    assert r.returncode == 0, r.stderr
    return json.loads((out / "report.json").read_text())["cycles"]


@pytest.mark.parametrize("ablation,workload,sets", [
    # Huerta et al. Table 5 / §7: each ablation moves cycles the way the paper's did.
    ("rf_cache_off", "ubench/tput_hfma2", ["gpu.sm.register_file.cache.enabled=false"]),
    ("prefetcher_off", "gemm_fp16_256", ["gpu.sm.front_end.prefetch_lines=0"]),
    ("prefetcher_off", "vector_add_fp32_1m", ["gpu.sm.front_end.prefetch_lines=0"]),
    ("scoreboard_1_war", "gemm_fp16_256", ["gpu.sm.dependence=SCOREBOARD", "gpu.sm.scoreboard.war_consumers=1"]),
])
def test_the_papers_ablations_cost_cycles_on_shipped_kernels(xpusim, tmp_path, ablation, workload, sets):
    base = shipped_cycles(xpusim, tmp_path, workload)
    ablated = shipped_cycles(xpusim, tmp_path, workload, sets)
    assert ablated > base, f"{ablation} on {workload}: {ablated} cycles vs {base}"
    if ablation == "prefetcher_off" and workload.startswith("gemm"):
        assert ablated > 1.5 * base  # "costs many": every line of the unrolled loop misses
