#!/usr/bin/env python3
"""Simulator speed: simulated warp-instructions and cycles per host second.

Runs `xpusim run` on each workload several times, functional and timing-only, and prints a
markdown table (the figures in docs/performance.md): the median wall time of the whole
command (loading, assembling, simulating, checking, writing the report) with its min-max,
the median CPU time, the rates derived from the median wall time, and the peak resident
memory. The machine is shared: compare builds by running them in one go (--xpusim A B),
runs interleaved, and trust medians over several runs.

    /usr/bin/python3 benchmarks/sim_speed.py --runs 5
    /usr/bin/python3 benchmarks/sim_speed.py --xpusim old/xpusim build/xpusim --workload gemm_fp16_1024
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = {"functional": [], "timing-only": ["--timing-only"]}


def one_run(xpusim, config, workload, extra, out):
    """Wall seconds, CPU seconds and peak RSS (KiB) of one run."""
    t0 = time.perf_counter()
    p = subprocess.Popen([xpusim, "run", "-c", config, "-w", workload, "-o", out, "-q", "--no-progress", *extra],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{xpusim} failed on {workload}:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--xpusim", nargs="+", default=[str(ROOT / "build" / "xpusim")])
    p.add_argument("--config", default=str(ROOT / "configs" / "gpu" / "a100.textproto"))
    p.add_argument("--workload", nargs="+", default=["gemm_fp16_1024", "vector_add_fp32_1m", "reduce_sum_fp32_1m"],
                   help="names under traces/workloads (or paths)")
    p.add_argument("--mode", nargs="+", choices=list(MODES), default=list(MODES))
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    print(f"| workload | mode | build | warp instructions | simulated cycles | wall (median of {a.runs}, min-max) "
          f"| CPU (median) | warp-inst/s | cycles/s | peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in a.workload:
        wl = Path(name) if Path(name).exists() else ROOT / "traces" / "workloads" / f"{name}.textproto"
        for mode in a.mode:
            runs = {x: [] for x in a.xpusim}
            reports = {}
            with tempfile.TemporaryDirectory() as tmp:
                for _ in range(a.runs):
                    for i, x in enumerate(a.xpusim):  # interleaved: load drifts hit every build alike
                        out = Path(tmp) / str(i)
                        runs[x].append(one_run(x, a.config, str(wl), MODES[mode], str(out)))
                        reports[x] = json.loads((out / "report.json").read_text())
            for x in a.xpusim:
                walls = [r[0] for r in runs[x]]
                med = statistics.median(walls)
                cpu = statistics.median(r[1] for r in runs[x])
                rss = max(r[2] for r in runs[x])
                rep = reports[x]
                wi, cyc = rep["warp_instructions"], rep["cycles"]
                label = x if len(a.xpusim) > 1 else "-"
                print(f"| {wl.stem} | {mode} | {label} | {wi:,} | {cyc:,} | {med:.3f} s ({min(walls):.3f}-{max(walls):.3f}) "
                      f"| {cpu:.3f} s | {wi / med / 1e3:,.0f} K | {cyc / med / 1e3:,.1f} K | {rss / 1024:,.0f} MiB |")


if __name__ == "__main__":
    main()
