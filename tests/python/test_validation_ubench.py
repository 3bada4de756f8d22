"""The microbenchmark validation (validation/): every A100 and V100 target of
validation/targets.csv is met within its tolerance (5%), by the harness validation/run_ubench.py
running the kernels of traces/kernels/ubench/ on configs/gpu/{a100,v100}.textproto.

Targets marked known_gap in targets.csv (each explained in validation/DEVIATIONS.md) are strict
expected failures: if the model starts meeting one, the test fails so the mark is removed.
The whole module runs about 30 simulations of a few thousand cycles each (a few seconds);
the memory chases (lat_l1, lat_l2, lat_shared, lat_dram) run on the cache/DRAM hierarchy."""

import csv
import importlib.util
import subprocess
import sys

import pytest

from conftest import ROOT, XPUSIM

VALIDATION = ROOT / "validation"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, VALIDATION / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


run_ubench = _load("run_ubench")
gen_ubench = _load("gen_ubench")
TARGETS = run_ubench.load_targets(VALIDATION / "targets.csv")


@pytest.fixture(scope="module")
def results():
    if XPUSIM is None:
        pytest.fail("xpusim binary not found: build it (scripts/setup.sh) or set XPUSIM_BIN")
    res = run_ubench.evaluate(XPUSIM, TARGETS, jobs=2, info=False)
    return {(r["gpu"], r["metric"]): r for r in res}


def _param(t):
    marks = [pytest.mark.xfail(strict=True, reason=f"known gap: {t['known_gap']} (validation/DEVIATIONS.md)")] \
        if t["known_gap"] else []
    return pytest.param(t, id=f"{t['gpu']}-{t['metric']}", marks=marks)


def test_targets_cover_a100_and_v100():
    have = {(t["gpu"], t["metric"]) for t in TARGETS}
    for gpu in ("a100", "v100"):
        for needed in ("ffma_dep_latency", "mufu_ex2_dep_latency", "fp32_throughput", "fp16_throughput",
                       "tensor_throughput"):
            assert (gpu, needed) in have
        assert any(m.startswith("imad_dep_latency") for g, m in have if g == gpu)
        assert any(m.startswith("hmma_wmma_step_latency") for g, m in have if g == gpu)
        for needed in ("l1_hit_latency", "shared_load_latency", "l2_hit_latency", "dram_latency"):
            assert (gpu, needed) in have
    for t in TARGETS:
        # the SM issue asks for 5%, the memory issue for 10% on memory latencies
        memory = t["metric"] in ("l1_hit_latency", "shared_load_latency", "l2_hit_latency", "dram_latency")
        assert float(t["tolerance"]) == (10 if memory else 5) and t["source"], t


@pytest.mark.parametrize("target", [_param(t) for t in TARGETS])
def test_target_within_tolerance(results, target):
    r = results[(target["gpu"], target["metric"])]
    sim, want = float(r["simulated"]), float(target["value"])
    assert abs(sim - want) / want * 100 <= float(target["tolerance"]), \
        f"{target['gpu']} {target['metric']}: simulated {sim} vs {want} {target['unit']} ({target['source']})"


def test_shipped_kernels_are_the_generator_output():
    for name, (kind, _, _, text) in gen_ubench.kernels().items():
        assert (gen_ubench.KDIR / f"{name}.xasm").read_text() == text, f"rerun validation/gen_ubench.py ({name})"
        assert (gen_ubench.WDIR / f"{name}.textproto").read_text() == gen_ubench.workload(name, kind), name


def test_harness_command_line(tmp_path):
    out = tmp_path / "results.csv"
    r = subprocess.run([sys.executable, str(VALIDATION / "run_ubench.py"), "--xpusim", str(XPUSIM), "--out", str(out),
                        "--gpu", "a100", "--no-info"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = list(csv.DictReader(out.open()))
    assert rows and all(row["status"] == "PASS" for row in rows), rows
    assert "error %" in r.stdout
