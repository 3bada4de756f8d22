"""The FP32 SIMT SGEMM (traces/xpusim/gen/sgemm.py, Parboil mysgemmNT's algorithm): it computes
alpha*A@B^T + beta*C correctly on the V100 model, its instruction and shared-memory counts are
the algorithm's, the shipped files are what the generator writes, and bad sizes are refused."""

import json
import random
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from xpusim.gen import sgemm, ship

V100 = ROOT / "configs" / "gpu" / "v100.textproto"
WORKLOADS = ROOT / "traces" / "workloads"
KERNELS = ROOT / "traces" / "kernels"
SPEC = sgemm.SgemmSpec()
KERNEL = KERNELS / f"{SPEC.name}.xasm"


def _run(xpusim, workload, out):
    r = xpusim("run", "-c", V100, "-w", workload, "-o", out, "--quiet")
    rep = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else None
    return r, rep


def _counter(rep, pattern):
    return sum(c["value"] for c in rep["counters"] if re.fullmatch(pattern, c["name"]))


def test_shipped_small_sgemm_passes_its_check(xpusim, tmp_path):
    m, n, k = ship.SGEMM_SMALL[0]
    r, rep = _run(xpusim, WORKLOADS / f"sgemm_fp32_ab_{m}x{n}x{k}.textproto", tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert rep["checks"] and all(c["passed"] for c in rep["checks"])


def test_sgemm_with_fresh_inputs_alpha_and_beta(xpusim, tmp_path):
    seed = random.SystemRandom().randrange(1, 2**31)
    rng = random.Random(seed)
    alpha, beta = rng.uniform(-2, 2), rng.uniform(-2, 2)
    text = sgemm.write_workload(SPEC, 128, 32, 24, str(tmp_path), str(KERNEL), seed=seed, alpha=alpha, beta=beta)
    (tmp_path / "w.textproto").write_text(text)
    r, rep = _run(xpusim, tmp_path / "w.textproto", tmp_path / "out")
    assert r.returncode == 0, f"seed {seed}: {r.stdout}{r.stderr}"
    assert all(c["passed"] for c in rep["checks"]), f"seed {seed}"


def test_sgemm_check_fails_when_beta_is_ignored(xpusim, tmp_path):
    """The check can fail: the reference without the beta*C term."""
    text = sgemm.write_workload(SPEC, 128, 16, 8, str(tmp_path), str(KERNEL), seed=5, alpha=1.0, beta=0.5)
    data = tmp_path / "data"
    a, b = (np.load(data / f"sgemm_fp32_ab_128x16x8.{x}.npy") for x in "AB")
    np.save(data / "sgemm_fp32_ab_128x16x8.expected.npy", sgemm.reference(a, b, np.zeros((128, 16)), 1.0, 0.0))
    (tmp_path / "w.textproto").write_text(text)
    r, rep = _run(xpusim, tmp_path / "w.textproto", tmp_path / "out")
    assert r.returncode == 3 and not rep["checks"][0]["passed"]


def test_sgemm_counts_are_the_algorithms(xpusim, tmp_path):
    """Per warp and K step of 8: 128 FFMAs, 32 LDS.128 + 1 STS, 9 LDGs of 4 sectors (8 of A,
    1 of B); the epilogue adds 16 FFMAs (and 16 FMULs), 16 loads and 16 stores of C. These
    are the counts AccelWattch's V100 profile of Parboil's kernel has (docs/kernels.md)."""
    m, n, k = 256, 32, 64
    (tmp_path / "w.textproto").write_text(sgemm.workload(SPEC, m, n, k, str(KERNEL)))
    r, rep = _run(xpusim, tmp_path / "w.textproto", tmp_path / "out")
    assert r.returncode == 0, r.stdout + r.stderr
    assert all(c["passed"] for c in rep["checks"])
    warps = (m // 128) * (n // 16) * 4
    steps = k // 8
    assert _counter(rep, r"gpu\.sm\[\d+\]\.energy\.fp32_fma") == 32 * warps * (steps * 128 + 16)
    assert _counter(rep, r"gpu\.sm\[\d+\]\.energy\.fp32_mul") == 32 * warps * 16
    assert _counter(rep, r"gpu\.sm\[\d+\]\.energy\.shared_access") == warps * steps * 33
    # global sectors: A and B per step, then C read and written
    assert _counter(rep, r"gpu\.sm\[\d+\]\.mem_sector_requests") == warps * (steps * 9 * 4 + 2 * 16 * 4)


def test_shipped_sgemm_is_what_the_generator_writes():
    assert KERNEL.read_text() == sgemm.generate(SPEC), "run `python3 -m xpusim.gen.ship`"
    for size, (m, n, k) in ship.SGEMM_PARBOIL.items():
        name = f"sgemm_parboil_{size}"
        assert (WORKLOADS / f"{name}.textproto").read_text() == \
            sgemm.workload(SPEC, m, n, k, f"../kernels/{SPEC.name}.xasm", name)


def test_parboil_medium_has_parboils_sizes():
    """Parboil's sgemm 'medium' dataset: A 1024x992, B^T 1056x992, C 1024x1056; grid (M/128, N/16)."""
    text = (WORKLOADS / "sgemm_parboil_medium.textproto").read_text()
    assert "shape: [1024, 992]  layout: COL_MAJOR" in text and "shape: [992, 1056]" in text
    assert "grid { x: 8  y: 66 }  block { x: 16  y: 8 }" in text


def gen(*args):
    return subprocess.run([sys.executable, "-m", "xpusim.gen", "sgemm", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("mnk,message", [
    ((1000, 1056, 992), "problem 1000x1056x992: M must be a positive multiple of 128"),
    ((1024, 1000, 992), "N a positive multiple of 16"),
    ((1024, 1056, 990), "K a positive multiple of 8"),
    ((0, 16, 8), "M must be a positive multiple of 128"),
    ((128, 16, -8), "K a positive multiple of 8"),
    ((65536, 65536, 8), "C (MxN) has 4294967296 elements"),
])
def test_sgemm_generator_refuses_bad_sizes(tmp_path, mnk, message):
    m, n, k = mnk
    r = gen("--m", m, "--n", n, "--k", k, "--out", tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert not list(tmp_path.glob("*.xasm"))


def test_sgemm_generator_writes_kernel_and_workload(tmp_path):
    r = gen("--m", 1024, "--n", 1056, "--k", 992, "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / f"{SPEC.name}.xasm").read_text() == KERNEL.read_text()
    assert "grid { x: 8  y: 66 }" in (tmp_path / "sgemm_fp32_1024x1056x992.textproto").read_text()
