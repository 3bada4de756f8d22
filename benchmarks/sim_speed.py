#!/usr/bin/env python3
"""Simulator speed: simulated warp-instructions and cycles per host second.

Runs `xpusim run` on a workload several times, functional and timing-only, and reports the
median host time of each (the whole command: loading, assembling, simulating, checking,
writing the report). Figures go in docs/performance.md.

    /usr/bin/python3 benchmarks/sim_speed.py --xpusim build/xpusim \
        --config configs/gpu/a100.textproto --workload traces/workloads/gemm_fp16_1024.textproto
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(xpusim, config, workload, extra, runs):
    times, report = [], None
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            t0 = time.perf_counter()
            r = subprocess.run([xpusim, "run", "-c", config, "-w", workload, "-o", out, "-q", *extra],
                               capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if r.returncode != 0:
                sys.exit(f"xpusim failed:\n{r.stderr}")
        report = json.loads((Path(out) / "report.json").read_text())
    return statistics.median(times), min(times), max(times), report


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--xpusim", default="build/xpusim")
    p.add_argument("--config", default="configs/gpu/a100.textproto")
    p.add_argument("--workload", default="traces/workloads/gemm_fp16_1024.textproto")
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    print(f"| mode | warp instructions | simulated cycles | host time (median of {a.runs}, min-max) "
          f"| warp-inst/s | cycles/s |")
    print("|---|---|---|---|---|---|")
    for mode, extra in (("functional", []), ("timing-only", ["--timing-only"])):
        med, lo, hi, rep = measure(a.xpusim, a.config, a.workload, extra, a.runs)
        wi, cyc = rep["warp_instructions"], rep["cycles"]
        print(f"| {mode} | {wi:,} | {cyc:,} | {med:.3f} s ({lo:.3f}-{hi:.3f}) | {wi / med / 1e3:,.0f} K "
              f"| {cyc / med / 1e3:,.1f} K |")


if __name__ == "__main__":
    main()
