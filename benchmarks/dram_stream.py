#!/usr/bin/env python3
"""The DRAM model alone under a synthetic read stream, for every preset in configs/memory/.

Runs the hidden `xpusim dram-stream` command (models/memory/dram/dram_stream.h) with three
patterns: sequential 128-byte lines, random 128-byte lines, and one random 32-byte sector per
random line (a gather). Prints a markdown table of achieved bandwidth against each preset's
theoretical peak: the "Stream study" table of docs/models/dram.md.

    /usr/bin/python3 benchmarks/dram_stream.py [--xpusim build/xpusim] [--lines 20000]
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = ("sequential", "random-lines", "random-sectors")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xpusim", default=str(ROOT / "build" / "xpusim"))
    ap.add_argument("--lines", type=int, default=20000, help="requests per run (at controller 0)")
    ap.add_argument("--preset", action="append", help="preset file(s); default: every configs/memory/*.textproto")
    args = ap.parse_args()
    presets = [Path(p) for p in args.preset] if args.preset else sorted((ROOT / "configs" / "memory").glob("*.textproto"))
    print("| preset | peak GB/s | " + " | ".join(f"{p} GB/s (% of peak)" for p in PATTERNS) + " | seq. row hits | random-line latency ns |")
    print("|---|---|" + "---|" * len(PATTERNS) + "---|---|")
    for preset in presets:
        res = {}
        for pat in PATTERNS:
            r = subprocess.run([args.xpusim, "dram-stream", "--preset", str(preset), "--pattern", pat,
                                "--lines", str(args.lines)], capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"{preset.name} {pat}: {r.stderr}")
            res[pat] = json.loads(r.stdout)
        cells = " | ".join(f"{res[p]['achieved_gbps']:.0f} ({100 * res[p]['efficiency']:.1f}%)" for p in PATTERNS)
        print(f"| {preset.stem} | {res['sequential']['peak_gbps']:.0f} | {cells} | "
              f"{100 * res['sequential']['row_hit_rate']:.0f}% | {res['random-lines']['read_latency_ns']:.0f} |")


if __name__ == "__main__":
    main()
