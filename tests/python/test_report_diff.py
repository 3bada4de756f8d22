"""scripts/report_diff.py: named entries matched by name, relative changes, tolerance, exit codes."""

import json
import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import report_diff  # noqa: E402

A = {"cycles": "1000", "ipc": 2.0, "kernels": [{"name": "k1", "cycles": "600"}, {"name": "k2", "cycles": "400"}],
     "stalls": [{"reason": "wait", "warp_cycles": "10"}]}


def test_same_reports_match():
    assert report_diff.diff(A, json.loads(json.dumps(A))) == []


def test_changes_are_named_and_relative():
    b = json.loads(json.dumps(A))
    b["cycles"] = "1100"
    b["kernels"] = [b["kernels"][1], b["kernels"][0]]  # reordered: not a difference
    b["kernels"][0]["cycles"] = "500"                  # k2
    b["stalls"].append({"reason": "drain", "warp_cycles": "3"})
    lines = report_diff.diff(A, b)
    assert "~ cycles: 1000 -> 1100 (+10.00%)" in lines
    assert "~ kernels[k2].cycles: 400 -> 500 (+25.00%)" in lines
    assert "+ stalls[drain].warp_cycles = 3" in lines
    assert len(lines) == 4  # cycles, k2 cycles, and the new stall entry's two fields
    assert report_diff.diff(A, b, tol=0.3, only=("kernels",)) == []


def test_cli_exit_codes(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(A))
    b.write_text(json.dumps(dict(A, ipc=3.0)))
    run = lambda *x: subprocess.run([sys.executable, ROOT / "scripts" / "report_diff.py", *map(str, x)],
                                    capture_output=True, text=True)
    assert run(a, a).returncode == 0
    r = run(a, b)
    assert r.returncode == 1 and "ipc: 2.0 -> 3.0" in r.stdout
    assert run(a, tmp_path / "missing.json").returncode == 2
