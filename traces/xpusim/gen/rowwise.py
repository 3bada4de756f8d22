"""Row-wise memory-bound kernels on the builder: softmax, LayerNorm and RMSNorm over the last
dimension of an FP16 [rows, N] matrix, output FP16, arithmetic in FP32.

One warp per row, `warps` rows per CTA. A lane reads 8 halves (16 bytes, LDG.128) per step, so a
warp covers 256 elements per step and a row takes N / 256 steps (N % 256 == 0). Each kernel makes
passes over the row, every pass a real loop, and combines lanes with SHFL.BFLY butterflies:

- softmax: pass 1 the row maximum m; pass 2 s = sum 2^((x - m) log2 e) (MUFU.EX2); pass 3 writes
  2^((x - m) log2 e) / s (MUFU.RCP once per row);
- LayerNorm: pass 1 the mean; pass 2 the variance of x - mean (two passes, for accuracy); pass 3
  writes (x - mean) * rsqrt(var + eps) * gamma + beta;
- RMSNorm: pass 1 the mean square; pass 2 writes x * rsqrt(ms + eps) * gamma;
- add_rmsnorm (fused residual add, as in LLM decoders): pass 1 writes H = x + r (HADD2, one FP16
  rounding) and accumulates the mean square of H; pass 2 writes RMSNorm(H) * gamma from H.

Widening uses HADD2.F32 with a half selector (exact), narrowing F2FP.F16.F32.PACK_AB (round to
nearest). The check is against float64 of the FP16 inputs, computed in Python and stored as
.npy beside the workload (the workload format has no softmax/norm reference kind).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ..builder import Kernel, Mem, Workload

KINDS = ("softmax", "layernorm", "rmsnorm", "add_rmsnorm")
LOG2E = 1.4426950408889634


@dataclass
class RowwiseSpec:
    kind: str = "softmax"
    warps: int = 4            # rows per CTA

    def validate(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown row-wise kernel {self.kind!r}: one of {', '.join(KINDS)}")
        if self.warps not in (1, 2, 4, 8, 16, 32):
            raise ValueError(f"warps per CTA must be a power of two 1..32, got {self.warps}")

    @property
    def name(self) -> str:
        return f"{self.kind}_fp16_w{self.warps}"

    def check_problem(self, rows: int, n: int) -> None:
        if n % 256 or n <= 0:
            raise ValueError(f"N {n}: must be a positive multiple of 256 (32 lanes x 8 halves)")
        if rows % self.warps or rows <= 0:
            raise ValueError(f"rows {rows}: must be a positive multiple of the {self.warps} rows per CTA")


def _widen(k: Kernel, words) -> list:
    """8 FP32 values from 4 words of packed halves (element 0 = the low half)."""
    out = []
    for w in words:
        for half in (".H0_H0", ".H1_H1"):
            out.append(k.f("HADD2.F32", w.sel(half) if hasattr(w, "sel") else w, "-RZ"))
    return out


def _warp_reduce(k: Kernel, v, op: str):
    for off in (16, 8, 4, 2, 1):
        o = k.reg("shfl")
        k.op("SHFL.BFLY", [o], [v, off, 0x1F])
        v = k.f("FMNMX", v, o, "!PT") if op == "max" else k.f("FADD", v, o)
    return v


def build(spec: RowwiseSpec) -> Kernel:
    spec.validate()
    params = "X:u64 Y:u64 " + {"softmax": "", "layernorm": "G:u64 Bt:u64 ", "rmsnorm": "G:u64 ",
                               "add_rmsnorm": "G:u64 R:u64 H:u64 "}[spec.kind]
    k = Kernel(spec.name, params=params + "rows:u32 N:u32 eps:f32")
    tid = k.s2r("SR_TID.X")
    lane = k.and_(tid, 31, name="lane")
    row = k.imad(k.s2r("SR_CTAID.X"), spec.warps, k.shr(tid, 5), name="row")
    lane16 = k.shl(lane, 4, name="lane16")
    rowoff = k.imad(row, k.c("N"), name="rowoff")            # element offset of the row
    rowbytes = k.lea(rowoff, lane16, 1, name="rowbytes")      # + this lane's 16 bytes
    steps = k.shr(k.c("N"), 8, name="steps")
    inv_n = k.f("MUFU.RCP", k.f("I2F.F32.U32", k.c("N")), name="inv_n")

    def row_pass(body, write=None, src="X"):
        """One loop over the row of `src`: body(values) for each step's 8 FP32 values; when
        `write` is given, it maps the 8 values to 8 outputs that are stored to Y."""
        px = k.imad_wide(rowbytes, 1, k.c(src), name="px")
        py = k.imad_wide(rowbytes, 1, k.c("Y"), name="py") if write else None
        pg = k.imad_wide(lane16, 1, k.c("G"), name="pg") if write and spec.kind != "softmax" else None
        pb = k.imad_wide(lane16, 1, k.c("Bt"), name="pb") if write and spec.kind == "layernorm" else None
        with k.loop(steps):
            xw = k.reg("x", 4)
            k.op("LDG.E.128", [xw], [Mem(px)])
            vals = _widen(k, [xw[i] for i in range(4)])
            if write is None:
                body(vals)
            else:
                extra = []
                for p in (pg, pb):
                    if p is not None:
                        w = k.reg("w", 4)
                        k.op("LDG.E.128", [w], [Mem(p)])
                        extra.append(_widen(k, [w[i] for i in range(4)]))
                        k.add64(p, 512, dst=p)
                outs = write(vals, *extra)
                yw = k.reg("y", 4)
                for i in range(4):
                    k.op("F2FP.F16.F32.PACK_AB", [yw[i]], [outs[2 * i + 1], outs[2 * i]])
                k.op("STG.E.128", [], [Mem(py), yw])
                k.add64(py, 512, dst=py)
            k.add64(px, 512, dst=px)

    def accumulate(acc, f):
        def body(vals):
            for v in vals:
                f(acc, v)
        return body

    if spec.kind == "softmax":
        m = k.mov(-math.inf, name="m")
        row_pass(accumulate(m, lambda a, v: k.op("FMNMX", [a], [a, v, "!PT"])))
        m = _warp_reduce(k, m, "max")
        ml = k.f("FMUL", m, LOG2E, name="ml")              # m * log2 e
        s = k.mov("RZ", name="s")

        def ex(v):
            return k.f("MUFU.EX2", k.f("FFMA", v, LOG2E, -ml))
        row_pass(accumulate(s, lambda a, v: k.op("FADD", [a], [a, ex(v)])))
        s = _warp_reduce(k, s, "sum")
        r = k.f("MUFU.RCP", s, name="r")
        row_pass(None, write=lambda vals: [k.f("FMUL", ex(v), r) for v in vals])
    elif spec.kind == "add_rmsnorm":
        ss = k.mov("RZ", name="ss")
        px = k.imad_wide(rowbytes, 1, k.c("X"), name="px")
        pr = k.imad_wide(rowbytes, 1, k.c("R"), name="pr")
        ph = k.imad_wide(rowbytes, 1, k.c("H"), name="ph")
        with k.loop(steps):
            xw, rw, hw = k.reg("x", 4), k.reg("r", 4), k.reg("h", 4)
            k.op("LDG.E.128", [xw], [Mem(px)])
            k.op("LDG.E.128", [rw], [Mem(pr)])
            for i in range(4):
                k.op("HADD2", [hw[i]], [xw[i], rw[i]])
            k.op("STG.E.128", [], [Mem(ph), hw])
            for v in _widen(k, [hw[i] for i in range(4)]):
                k.op("FFMA", [ss], [v, v, ss])
            for p in (px, pr, ph):
                k.add64(p, 512, dst=p)
        rstd = k.f("MUFU.RSQ", k.f("FADD", k.f("FMUL", _warp_reduce(k, ss, "sum"), inv_n), k.c("eps")), name="rstd")
        row_pass(None, write=lambda vals, g: [k.f("FMUL", k.f("FMUL", v, rstd), gi) for v, gi in zip(vals, g)],
                 src="H")
    else:
        if spec.kind == "layernorm":
            s = k.mov("RZ", name="s")
            row_pass(accumulate(s, lambda a, v: k.op("FADD", [a], [a, v])))
            mean = k.f("FMUL", _warp_reduce(k, s, "sum"), inv_n, name="mean")
        ss = k.mov("RZ", name="ss")
        if spec.kind == "layernorm":
            def sq(a, v):
                d = k.f("FADD", v, -mean)
                k.op("FFMA", [a], [d, d, a])
        else:
            def sq(a, v):
                k.op("FFMA", [a], [v, v, a])
        row_pass(accumulate(ss, sq))
        var = k.f("FMUL", _warp_reduce(k, ss, "sum"), inv_n, name="var")
        rstd = k.f("MUFU.RSQ", k.f("FADD", var, k.c("eps")), name="rstd")
        if spec.kind == "layernorm":
            nmr = k.f("FMUL", mean, rstd)                     # mean * rstd
            row_pass(None, write=lambda vals, g, b: [
                k.f("FFMA", k.f("FFMA", v, rstd, -nmr), gi, bi) for v, gi, bi in zip(vals, g, b)])
        else:
            row_pass(None, write=lambda vals, g: [k.f("FMUL", k.f("FMUL", v, rstd), gi) for v, gi in zip(vals, g)])
    k.exit()
    k.header = [f"# Generated by `python3 -m xpusim.gen {spec.kind} --warps {spec.warps}` "
                "(traces/xpusim/gen/rowwise.py); do not edit.",
                f"# {spec.kind} over the rows of X [rows, N] (FP16) into Y (FP16): one warp per row, "
                f"{spec.warps} rows per CTA, N % 256 == 0."]
    return k


EPS = 1e-5


def reference(kind: str, x, g=None, b=None, r=None):
    """float64 reference of the FP16 inputs (add_rmsnorm: of H = fp16(x + r))."""
    import numpy as np
    if kind == "add_rmsnorm":
        x = (x.astype(np.float64) + r.astype(np.float64)).astype(np.float16)
    x = x.astype(np.float64)
    if kind == "softmax":
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if kind == "layernorm":
        mu = x.mean(axis=1, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=1, keepdims=True)
        return (x - mu) / np.sqrt(var + EPS) * g.astype(np.float64) + b.astype(np.float64)
    ms = (x * x).mean(axis=1, keepdims=True)
    return x / np.sqrt(ms + EPS) * g.astype(np.float64)


def write_workload(spec: RowwiseSpec, rows: int, n: int, out_dir: str, kernel_path: str,
                   name: str = "", seed: int = 0) -> str:
    """Writes the inputs and expected output as .npy files (named after the workload) and
    returns the workload text. `seed` picks the random inputs."""
    import numpy as np
    spec.check_problem(rows, n)
    name = name or f"{spec.kind}_fp16_{rows}x{n}"
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((rows, n)) * (3 if spec.kind == "softmax" else 1) + 0.5).astype(np.float16)
    g = (1 + 0.5 * rng.standard_normal(n)).astype(np.float16)
    b = (0.5 * rng.standard_normal(n)).astype(np.float16)
    os.makedirs(out_dir, exist_ok=True)
    data = os.path.join(out_dir, "data")
    os.makedirs(data, exist_ok=True)
    r = rng.standard_normal((rows, n)).astype(np.float16)
    h = (x.astype(np.float64) + r.astype(np.float64)).astype(np.float16)   # one rounding, as HADD2
    files = {"X": x, "G": g, "Bt": b, "R": r, "H": h.astype(np.float64),
             "expected": reference(spec.kind, x, g, b, r)}
    used = {"softmax": ["X"], "layernorm": ["X", "G", "Bt"], "rmsnorm": ["X", "G"],
            "add_rmsnorm": ["X", "G", "R", "H"]}[spec.kind] + ["expected"]
    for key in used:
        np.save(os.path.join(data, f"{name}.{key}.npy"), files[key])
    w = Workload(name, f"{spec.kind} of FP16 rows ({rows} x {n}); inputs and the float64 reference "
                 f"are data/{name}.*.npy (seed {seed}).")
    w.buffer("X", "FP16", [rows, n], f'npy {{ path: "data/{name}.X.npy" }}')
    args = [("buffer", "X"), ("buffer", "Y")]
    if spec.kind != "softmax":
        w.buffer("G", "FP16", [n], f'npy {{ path: "data/{name}.G.npy" }}')
        args.append(("buffer", "G"))
    if spec.kind == "layernorm":
        w.buffer("Bt", "FP16", [n], f'npy {{ path: "data/{name}.Bt.npy" }}')
        args.append(("buffer", "Bt"))
    if spec.kind == "add_rmsnorm":
        w.buffer("R", "FP16", [rows, n], f'npy {{ path: "data/{name}.R.npy" }}')
        w.buffer("H", "FP16", [rows, n])
        args += [("buffer", "R"), ("buffer", "H")]
    w.buffer("Y", "FP16", [rows, n])
    args += [("u32", rows), ("u32", n), ("f32", EPS)]
    w.launch(kernel_path, (rows // spec.warps, 1, 1), (32 * spec.warps, 1, 1), args)
    # FP16 output: 2^-11 relative rounding per element plus FP32 arithmetic.
    w.check("Y", f'npy {{ path: "data/{name}.expected.npy" }}', rtol=2e-3, atol=1e-3 if spec.kind == "softmax" else 4e-3,
            elementwise=True)
    if spec.kind == "add_rmsnorm":      # H = x + r rounded once to FP16: exact
        w.check("H", f'npy {{ path: "data/{name}.H.npy" }}', rtol=0, atol=0, elementwise=True)
    return w.text(f"python3 -m xpusim.gen {spec.kind} --rows {rows} --n {n}")
