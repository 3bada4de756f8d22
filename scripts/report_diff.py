#!/usr/bin/python3
"""Compares two xpusim report.json files field by field.

    scripts/report_diff.py A/report.json B/report.json [--tol 0.01] [--only cycles,kernels]

Lists of named entries (kernels, instruction mix, stalls, counters, checks) are matched by name,
so a reordered or added entry shows as itself, not as a cascade. Numbers print with their
relative change; --tol hides numeric changes up to that relative size. Exit code 0 when nothing
(beyond the tolerance) differs, 1 otherwise, 2 on bad input.
"""

import argparse
import json
import sys

KEYS = ("name", "reason", "buffer", "level")  # what names an entry of a list


def flatten(v, path="", out=None):
    out = {} if out is None else out
    if isinstance(v, dict):
        for k, x in v.items():
            flatten(x, f"{path}.{k}" if path else k, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            key = next((x[k] for k in KEYS if isinstance(x, dict) and k in x), i)
            flatten(x, f"{path}[{key}]", out)
    else:
        out[path] = v
    return out


def number(x):
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):  # the protobuf JSON mapping writes 64-bit integers as strings
        try:
            return float(int(x))
        except ValueError:
            return None
    return None


def diff(a, b, tol=0.0, only=()):
    """Lines describing every difference between reports a and b."""
    fa, fb = flatten(a), flatten(b)
    lines = []
    for k in sorted(set(fa) | set(fb)):
        if only and not any(k == p or k.startswith(p + ".") or k.startswith(p + "[") for p in only):
            continue
        if k not in fa:
            lines.append(f"+ {k} = {fb[k]}")
        elif k not in fb:
            lines.append(f"- {k} = {fa[k]}")
        elif fa[k] != fb[k]:
            x, y = number(fa[k]), number(fb[k])
            if x is not None and y is not None:
                rel = abs(y - x) / abs(x) if x else float("inf")
                if rel <= tol:
                    continue
                lines.append(f"~ {k}: {fa[k]} -> {fb[k]} ({(y - x) / x * 100:+.2f}%)" if x else f"~ {k}: {fa[k]} -> {fb[k]}")
            else:
                lines.append(f"~ {k}: {fa[k]!r} -> {fb[k]!r}")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--tol", type=float, default=0.0, help="relative change of a number to ignore")
    p.add_argument("--only", default="", help="comma-separated top-level fields or paths to compare")
    args = p.parse_args(argv)
    reports = []
    for f in (args.a, args.b):
        try:
            with open(f) as fh:
                reports.append(json.load(fh))
        except (OSError, json.JSONDecodeError) as e:
            print(f"report_diff: {f}: {e}", file=sys.stderr)
            return 2
    lines = diff(*reports, tol=args.tol, only=tuple(x for x in args.only.split(",") if x))
    print("\n".join(lines) if lines else "reports match")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
