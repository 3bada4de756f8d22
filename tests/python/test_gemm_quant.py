"""The MARLIN-style quantized GEMM (traces/xpusim/gen/gemm_quant.py): 4-bit weights packed in
the kernel's pre-shuffled layout, copied by LDGSTS and dequantised in registers. Each format
passes its float64 check with fresh data, the generated kernels never store to shared memory
except through LDGSTS, the layout is the fragment layout of docs/isa.md 7.2, and bad
parameters are refused."""

import json
import random
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from xpusim.builder import LatencyTable
from xpusim.gen import gemm_quant, gemm_tc

A100 = ROOT / "configs" / "gpu" / "a100.textproto"


def _seed() -> int:
    return random.SystemRandom().randrange(1, 2**31)


def _run(xpusim, tmp_path, spec, m, n, k, seed, edit=None):
    (tmp_path / "k.xasm").write_text(gemm_tc.generate(spec, LatencyTable.from_config(str(A100))))
    text = gemm_tc.write_workload_quant(spec, m, n, k, str(tmp_path), "k.xasm", seed=seed)
    if edit:
        edit(tmp_path, text)
    (tmp_path / "w.textproto").write_text(text)
    r = xpusim("run", "-c", A100, "-w", tmp_path / "w.textproto", "-o", tmp_path / "out", "--quiet")
    report = tmp_path / "out" / "report.json"
    return r, json.loads(report.read_text()) if report.exists() else None


# (format, group, tile, warps, problem): the shipped tile, and tiles with several scale rows per
# k-tile (BK 64: two int4 groups of 32, four NVFP4 blocks), 4x2 warps (four n16 blocks per warp)
# and a K of 16 per tile (half an MX block).
CASES = [("int4", 128, (128, 128, 32), (2, 4), (128, 256, 512)),
         ("int4", 32, (128, 128, 64), (2, 4), (128, 128, 256)),
         ("int4", 256, (128, 64, 32), (4, 2), (128, 128, 512)),
         ("mxfp4", 0, (128, 128, 32), (2, 4), (128, 256, 256)),
         ("mxfp4", 0, (128, 128, 16), (4, 2), (128, 128, 256)),
         ("nvfp4", 0, (128, 128, 32), (2, 4), (128, 256, 256)),
         ("nvfp4", 0, (128, 128, 64), (4, 2), (128, 128, 256))]


@pytest.mark.parametrize("wq,group,tile,warps,size", CASES)
def test_quantized_gemm_matches_float64_with_fresh_data(xpusim, tmp_path, wq, group, tile, warps, size):
    spec = gemm_tc.GemmTcSpec("fp16", *tile, 3, *warps, wq=wq, group=group or 128)
    seed = _seed()
    r, rep = _run(xpusim, tmp_path, spec, *size, seed)
    assert r.returncode == 0, f"seed {seed}: {r.stdout}{r.stderr}"
    c = rep["checks"][0]
    assert c["passed"] and c["nans"] == 0, f"seed {seed}: {c}"


def test_wrong_layout_fails_the_check(xpusim, tmp_path):
    """The check sees the layout: weights packed for the FP4 nibble order, read by the int4
    kernel, give a wrong product."""
    spec = gemm_tc.GemmTcSpec("fp16", wq="int4", group=128)

    def repack(path, _):
        f = path / "data" / "gemm_tc_int4_128x128x256.B.npy"
        codes = gemm_quant.unpack_weights(np.load(f), "int4")
        np.save(f, gemm_quant.pack_weights(codes, "mxfp4"))
    r, rep = _run(xpusim, tmp_path, spec, 128, 128, 256, _seed(), edit=repack)
    assert r.returncode == 3 and not rep["checks"][0]["passed"]


def test_a_nan_scale_never_passes(xpusim, tmp_path):
    """A NaN group scale reaches C through the register dequantisation and fails the check."""
    spec = gemm_tc.GemmTcSpec("fp16", wq="int4", group=128)

    def poison(path, _):
        f = path / "data" / "gemm_tc_int4_128x128x256.S.npy"
        s = np.load(f)
        s[1, 37] = np.nan
        np.save(f, s)
    r, rep = _run(xpusim, tmp_path, spec, 128, 128, 256, _seed(), edit=poison)
    assert r.returncode == 3
    c = rep["checks"][0]
    assert not c["passed"] and c["nans"] > 0


def _opcodes(text):
    for line in text.splitlines():
        s = line.split("#")[0].strip()
        if s and not s.startswith(".") and not s.endswith(":"):
            yield re.sub(r"^@!?P\d+\s+", "", s).split()[0]


@pytest.mark.parametrize("wq,group,tile,warps", [c[:4] for c in CASES])
def test_no_dequantised_weights_go_through_shared_memory(wq, group, tile, warps):
    """Shared memory is written only by LDGSTS (A, the packed weights and their scales): no
    STS of dequantised weights, no synchronous global loads of B, and B reaches the MMAs
    through LDS of packed words rather than LDSM."""
    spec = gemm_tc.GemmTcSpec("fp16", *tile, 3, *warps, wq=wq, group=group or 128)
    ops = list(_opcodes(gemm_tc.generate(spec, LatencyTable.from_config(str(A100)))))
    assert not [o for o in ops if o.startswith(("STS", "ATOMS"))]
    assert not [o for o in ops if o.startswith("LDG") and not o.startswith("LDGSTS") and o != "LDGDEPBAR"]
    assert any(o.startswith("LDGSTS") for o in ops)
    ldsm = sum(o.startswith("LDSM") for o in ops)
    assert ldsm == spec.mi * (spec.bk // 16)          # A fragments only, once per k-step
    assert sum(o == "LDS" for o in ops) >= (spec.ni // 2) * (spec.bk // 16)


def test_packed_words_hold_the_mma_fragment_layout():
    """Word (nb, kb, lane) holds, for pair P = 2t + r and half e, the code of B[k][n] with
    n = 16 nb + 8 t + g and k = 16 kb + 2 q + e + 8 r (docs/isa.md 7.2, B register r of the
    n8 tile t), at the format's nibble; unpacking inverts packing."""
    rng = np.random.default_rng(_seed())
    codes = rng.integers(0, 16, (48, 64), dtype=np.uint8)
    for wq, nib in (("int4", lambda p, e: p + 4 * e), ("nvfp4", lambda p, e: [0, 4, 1, 5][p] + 2 * e)):
        words = gemm_quant.pack_weights(codes, wq)
        assert words.shape == (3, 4, 32) and words.dtype == np.uint32
        for nb, kb, lane in ((0, 0, 0), (2, 3, 31), (1, 2, 13)):
            g, q = lane >> 2, lane & 3
            for p in range(4):
                for e in range(2):
                    n, k = 16 * nb + 8 * (p >> 1) + g, 16 * kb + 2 * q + e + 8 * (p & 1)
                    assert (int(words[nb, kb, lane]) >> (4 * nib(p, e))) & 15 == codes[n, k]
        assert (gemm_quant.unpack_weights(words, wq) == codes).all()


def test_scale_columns_are_paired_for_each_lane():
    x = np.arange(2 * 32).reshape(2, 32)
    p = gemm_quant.permute_columns(x)
    assert list(p[0, :4]) == [0, 8, 1, 9] and list(p[1, 16:20]) == [48, 56, 49, 57]
    assert sorted(p[0]) == list(range(32))


@pytest.mark.parametrize("args,message", [
    ("--weights int4 --group 48 --k 256", "int4 group must be one of 32, 64, 128, 256, got 48"),
    ("--weights int4 --group 16 --k 256", "int4 group must be one of"),
    ("--weights int4 --group 64 --k 96", "K 96: must be a multiple of the int4 group 64"),
    ("--weights fp3 --k 256", "unknown weight format 'fp3'"),
    ("--weights nvfp4 --tile 128x64x16 --k 256", "4-bit weights must split into 4, 8 or 16k bytes"),
    ("--weights mxfp4 --tile 128x96x32 --warps 2x2 --k 256", "tile N 96: quantized weights need a power of two"),
    ("--weights int4 --tile 128x128x48 --k 480", "tile K 48 x 2 B = 96 B per row"),
])
def test_bad_parameters_are_refused(tmp_path, args, message):
    r = subprocess.run([sys.executable, "-m", "xpusim.gen", "gemm", "--dtype", "fp16", "--m", "128", "--n", "384",
                        *args.split(), "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert not list(tmp_path.iterdir())
