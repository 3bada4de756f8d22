#!/usr/bin/python3
"""Writes configs/energy/{45nm,12nm,7nm,5nm,4nm}.textproto (the per-action energy tables).

Run from the repository root:  /usr/bin/python3 scripts/gen_energy_tables.py
Edit this script, not the tables. docs/models/energy.md explains every choice.

Base: 45 nm, 0.9 V (Horowitz, ISSCC 2014, as quoted in ../shared/reference/memory_accel_models.md
section 8 [H]); HBM per-bit breakdown from ../shared/reference/hardware_measurements.csv section D
[D-HBM]; static, constant and activation power from AccelWattch's tuned Volta model [AW]
(hardware_measurements.csv section D rows 'AccelWattch tuned constant power / idle SM power' and
'AccelWattch first-lane activation power', from configs/tested-cfgs/SM7_QV100/accelwattch_sass_sim.xml).

Logic energy scales from 45 nm by the Stillmaker & Baas polynomials (Integration 58, 2017,
doi:10.1016/j.vlsi.2017.02.002): E(node, V) ~ a*V^2 + b*V + c per node, 180 nm to 7 nm. 5 nm and
4 nm are past the paper: TSMC's own claims are applied on top of 7 nm (N5: 30% less power than N7
at the same speed; N4P: 22% better power efficiency than N5).
"""
import os

# SM implementation overhead: Horowitz's figures are isolated units (an adder, a multiplier, an
# SRAM array). In an SM every operation and operand access also pays pipeline latches, clock
# distribution, operand collectors and crossbars, and control, which those figures leave out.
# One multiplier on the SM-side per-action energies (datapath, tensor MACs, instruction supply,
# register file, RF cache, shared memory, L1) stands for them; L2, NoC and DRAM energies are not
# scaled. Fitted once, on the Volta measurement of an FP32 SIMT kernel, and checked on a
# tensor-core kernel it was not fitted to (docs/models/energy.md#calibration):
#   AccelWattch measured Parboil's SGEMM (medium: 1024x1056x992) on a GV100 at 217.49 W over
#   358,744 cycles at 1447 MHz (accelwattch_volta_hw_power.csv / _perf.csv, row parboil_sgemm_k1).
#   xpusim, traces/workloads/sgemm_parboil_medium.textproto on configs/gpu/v100.textproto (memory
#   hierarchy, timing only): SM-side dynamic 11.36 mJ at x1, L2+NoC+DRAM 1.11 mJ, static terms
#   69.5 W. Energy at the measured time: 217.49 W x 247.9 us = 69.5 W x 247.9 us + 1.11 mJ +
#   k x 11.36 mJ gives k = 3.13.
#   Check: cudaTensorCoreGemm measured 181.99 W; the shipped FP16 GEMM at 2048^3 then draws 179 W
#   (-1.6%) where x1 gave 119.6 W (-34%).
# The same factor is applied at every node (an assumption: no measurement at other nodes).
SM_OVERHEAD = 3.1
SM_OVERHEAD_SRC = "x 3.1 SM implementation overhead (fitted on AccelWattch's Volta SGEMM, see the script)"
NOT_SM = ("l2.", "noc_")

# Stillmaker & Baas 2017, energy fit coefficients (a, b, c) per node.
SB = {45: (1.103, -0.362, 0.2767), 16: (0.2958, -0.1241, 0.03024), 7: (0.1776, -0.09097, 0.02447)}


def sb(node, vdd):
    a, b, c = SB[node]
    return a * vdd * vdd + b * vdd + c


BASE_V = 0.9  # Horowitz's 45 nm figures are at 0.9 V
# node -> (Stillmaker row, Vdd, extra factor, why)
NODES = {
    "45nm": (45, 0.9, 1.0, "Horowitz's own node and voltage (no scaling)"),
    "12nm": (16, 0.9, 1.0, "TSMC 12FFN (V100) is a 16FF derivative: Stillmaker-Baas 16 nm row at 0.9 V"),
    "7nm": (7, 0.9, 1.0, "Stillmaker-Baas 7 nm row at 0.9 V (A100, TSMC N7)"),
    "5nm": (7, 0.9, 0.70, "7 nm x 0.70: TSMC N5 '30% power reduction' vs N7 at the same speed"),
    "4nm": (7, 0.9, 0.70 / 1.22, "5 nm / 1.22: TSMC N4P '22% power efficiency improvement' vs N5 (H100: TSMC 4N, an N5-family node)"),
}

# (path, 45 nm pJ, source). Dynamic logic/SRAM energies; all scale with the node factor.
H = "[H] Horowitz ISSCC'14 45 nm"
DYN = [
    ("fp64.fma_pj", 19.9, "inferred: FP64 mul 18.0 + add 1.8 (not in [H])"),
    ("fp64.add_pj", 1.8, "inferred: 2 x [H] FP32 add 0.9 (adder energy ~ width)"),
    ("fp64.mul_pj", 18.0, "inferred: [H] FP32 mul 3.7 x (53/24)^2 (multiplier energy ~ significand bits squared)"),
    ("fp32.fma_pj", 4.6, H + " FP32 mul 3.7 + FP32 add 0.9"),
    ("fp32.add_pj", 0.9, H + " FP32 add"),
    ("fp32.mul_pj", 3.7, H + " FP32 mul"),
    ("fp16.fma_pj", 1.5, H + " FP16 mul 1.1 + FP16 add 0.4"),
    ("fp16.add_pj", 0.4, H + " FP16 add"),
    ("fp16.mul_pj", 1.1, H + " FP16 mul"),
    ("fp16.mac_pj", 2.0, H + " FP16 mul 1.1 + FP32 add 0.9 (tensor MAC, FP32 accumulate)"),
    ("bf16.fma_pj", 0.98, "inferred: BF16 mul 0.58 + add 0.4"),
    ("bf16.add_pj", 0.4, "assumed = " + H + " FP16 add"),
    ("bf16.mul_pj", 0.58, "inferred: [H] FP16 mul 1.1 x (8/11)^2 (significand bits squared)"),
    ("bf16.mac_pj", 1.48, "inferred: BF16 mul 0.58 + [H] FP32 add 0.9"),
    ("tf32.mac_pj", 2.0, "inferred: TF32 has FP16's 11-bit significand: [H] FP16 mul 1.1 + FP32 add 0.9"),
    ("fp8.mac_pj", 1.05, "inferred: [H] FP16 mul 1.1 x (4/11)^2 + FP32 add 0.9"),
    ("fp4.mac_pj", 0.94, "inferred: [H] FP16 mul 1.1 x (2/11)^2 + FP32 add 0.9"),
    ("int8.mac_pj", 0.3, H + " 8-bit mul 0.2 + 32-bit add 0.1"),
    ("int4.mac_pj", 0.15, "inferred: [H] 8-bit mul 0.2 x (4/8)^2 + 32-bit add 0.1"),
    ("int32.add_pj", 0.1, H + " 32-bit int add"),
    ("int32.mul_pj", 3.2, H + " 32-bit int mul 3.1 + add 0.1 (IMAD)"),
    ("sfu_pj", 18.4, "assumed: 4 x FP32 FMA (table lookup + quadratic interpolation); no figure in the reference"),
    ("icache_access_pj", 40.0, H + " 32 KB SRAM 20 pJ per 64 bits x 2 (a 128-bit instruction)"),
    ("issue_pj", 10.0, "assumed: decode, scoreboard and scheduler per warp instruction; no figure in the reference"),
    ("register_file.read_pj", 320.0, H + " 32 KB SRAM 20 pJ per 64 bits x 16 (1024-bit warp operand; a 32 KB bank)"),
    ("register_file.write_pj", 320.0, "as register_file.read_pj"),
    ("rf_cache.read_pj", 32.0, "assumed: 1/10 of a register-file bank read (a few-entry latch array)"),
    ("shared.read_pj", 320.0, H + " 32 KB SRAM 20 pJ per 64 bits x 16 (32 lanes x 4 B from 32 banks)"),
    ("l1.read_pj", 80.0, H + " 32 KB SRAM 20 pJ per 64 bits x 4 (a 32-byte sector)"),
    ("l1.write_pj", 80.0, "as l1.read_pj"),
    ("l1.tag_pj", 10.0, H + " 8 KB SRAM 64-bit access (tag array)"),
    ("l1.atomic_pj", 160.0, "inferred: read + write of a sector"),
    ("l2.read_pj", 400.0, H + " 1 MB SRAM 100 pJ per 64 bits x 4 (a 32-byte sector)"),
    ("l2.write_pj", 400.0, "as l2.read_pj"),
    ("l2.tag_pj", 20.0, H + " 32 KB SRAM 64-bit access (tag array)"),
    ("l2.atomic_pj", 805.0, "inferred: read + write of a sector + a 32-bit add per lane-sized word"),
    ("noc_pj_per_byte_hop", 1.0, "assumed: ~0.125 pJ/bit per crossbar traversal; no on-chip wire figure in the reference"),
]

# HBM: not a logic-node figure, kept as measured for HBM2 in every table.
D = "[D-HBM] csv section D 'HBM2 access energy (activate / on-die transfer / I/O / total) 1.21 / 2.54 / 0.22 / 3.97 pJ/bit' (low confidence)"
DRAM = [
    ("dram.activate_pj", 309.76, "inferred from " + D + ": 1.21 pJ/bit x 256 bits, i.e. one 32-byte sector per row opened"),
    ("dram.read_pj_per_bit", 2.54, D + ", on-die transfer"),
    ("dram.write_pj_per_bit", 2.54, "assumed = read (the breakdown has one transfer figure)"),
    ("dram.io_pj_per_bit", 0.22, D + ", I/O"),
    ("dram.refresh_pj", 20000.0, "assumed: ~20 nJ per REF of a pseudo-channel (IDD5 x VDD x tRFC order); no figure in the reference"),
]

# Power terms, measured at 12 nm (Volta) by AccelWattch; other nodes scale by the node factor ratio.
AW = "[AW] AccelWattch QV100 (csv section D)"
POWER_12NM = [
    ("static_power.sm_w", 0.28279166, AW + " idle SM power 0.28279166 W"),
    ("static_power.l2_w_per_mb", 0.0, "0: AccelWattch folds L2 leakage into its constant power"),
    ("static_power.dram_w_per_stack", 0.0, "0: AccelWattch folds DRAM background power into its constant power"),
    ("static_power.constant_w", 32.32522272, AW + " tuned constant power 32.32522272 W (kept for every node: board-level, no other measurement)"),
    ("active_power.sm_w", 15.29035866 / 80, AW + " first-lane activation INT 15.29035866 W / 80 SMs"),
    ("active_power.tensor_w", (48.94875596 - 18.6179906) / 80,
     AW + " activation INT+FP+TENSOR 48.94875596 - INT+FP 18.6179906 W, / 80 SMs, at full tensor-pipe use"),
]
UNSCALED = {"static_power.constant_w", "static_power.l2_w_per_mb", "static_power.dram_w_per_stack"}


def factor(node):
    row, v, extra, _ = NODES[node]
    return sb(row, v) / sb(45, BASE_V) * extra


def emit(node):
    f = factor(node)
    f12 = factor("12nm")
    row, v, extra, why = NODES[node]
    lines = [
        "# Generated by scripts/gen_energy_tables.py (/usr/bin/python3 scripts/gen_energy_tables.py); edit the script, not this file.",
        f"# Energy table for {node}: pJ per action, W for power (proto/energy.proto; docs/models/energy.md).",
        f"# Scaling from 45 nm: x{f:.4f} = {why}.",
        "# Every value below: <45 nm value> x <scale> -- its source.",
        f'node: "{node}"',
        'source: "Horowitz ISSCC 2014 (45 nm, 0.9 V) with an SM overhead x3.1 fitted on AccelWattch Volta SGEMM, HBM2 per-bit breakdown (csv section D), AccelWattch Volta power terms"',
        f'scaling: "Stillmaker-Baas 2017 energy fit, {why}: x{f:.4f} of 45 nm"',
    ]
    groups = {}
    order = []

    def put(path, value, comment):
        parts = path.split(".")
        key = parts[0] if len(parts) == 2 else ""
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((parts[-1], value, comment))

    for path, v45, src in DYN:
        if path.startswith(NOT_SM):
            put(path, round(v45 * f, 6), f"{v45} x {f:.4f} -- {src}")
        else:
            put(path, round(v45 * f * SM_OVERHEAD, 6), f"{v45} x {f:.4f} {SM_OVERHEAD_SRC} -- {src}")
    for path, val, src in DRAM:
        put(path, val, f"not scaled (HBM2 for every node; no HBM2e/HBM3 figure found) -- {src}")
    for path, v12, src in POWER_12NM:
        if path in UNSCALED:
            put(path, round(v12, 6), src)
        else:
            r = f / f12
            put(path, round(v12 * r, 6), f"12 nm value {v12:.6g} x {r:.4f} (node factor ratio to 12 nm) -- {src}")
    for key in order:
        if key == "":
            for name, val, c in groups[key]:
                lines.append(f"{name}: {val:.6g}  # {c}")
    for key in order:
        if key == "":
            continue
        lines.append(f"{key} {{")
        for name, val, c in groups[key]:
            lines.append(f"  {name}: {val:.6g}  # {c}")
        lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs", "energy")
    os.makedirs(out, exist_ok=True)
    for node in NODES:
        with open(os.path.join(out, node + ".textproto"), "w") as fh:
            fh.write(emit(node))
        print(f"{node}: x{factor(node):.4f}")
