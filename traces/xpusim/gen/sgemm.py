"""FP32 SIMT SGEMM on the builder, the algorithm of Parboil's `mysgemmNT` (Parboil 2.5,
benchmarks/sgemm/src/cuda; after Volkov and Demmel's register-blocked SGEMM):

    C = alpha * A @ B^T + beta * C      all FP32 and column-major (BLAS 'N', 'T')

A is M x K with leading dimension lda, B^T is stored as N x K with leading dimension ldb (so
B[k, n] sits at n + k*ldb), C is M x N with leading dimension ldc. The kernel exists to
reproduce the kernel that AccelWattch measured on a Volta GV100 (docs/kernels.md, SGEMM): an
SM-side energy calibration needs the same instruction stream, not a fast GEMM.

A CTA is 16 x 8 = 128 threads and owns a 128 x 16 tile of C (TILE_M = 128 rows, TILE_N = 16
columns); the grid is (M/128, N/16). Thread t = 16*ty + tx keeps one row segment of C, the 16
values C[m, n0..n0+15] with m = 128*ctaid.x + t and n0 = 16*ctaid.y, in registers. Per step of
8 along K (TILE_TB_HEIGHT):

1. each thread loads one element of B, B[k0+ty, n0+tx] (LDG), into an 8 x 16 shared tile (STS);
2. BAR;
3. for j in 0..7 it loads a = A[m, k0+j] straight from global memory (LDG: a warp reads 32
   consecutive floats, 4 sectors), reads the tile's row j, 16 floats that are the same for every
   thread (four LDS.128 broadcasts), and does 16 FFMAs c[i] += a * b[j, i];
4. BAR (the tile is overwritten next step).

The epilogue reads C (also when beta is 0, as the original does) and writes
alpha*c + beta*C_old with FMUL + FFMA. Per warp and K step that is 1 LDG + 1 STS of B, 8 LDG of
A, 32 LDS.128 and 128 FFMA, the counts the hardware profile shows (docs/kernels.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..builder import Kernel, Mem, Workload

TILE_N = 16                     # columns of C per CTA, and threads along x
TILE_TB_HEIGHT = 8              # K per step, and threads along y
TILE_M = TILE_N * TILE_TB_HEIGHT  # rows of C per CTA: one per thread
MAX_ELEMENTS = 2**31            # per matrix: element offsets are computed in 32 bits


@dataclass
class SgemmSpec:
    """The kernel has no tuning knobs (Parboil's tile sizes are fixed); the spec names it and
    checks problem sizes."""

    @property
    def name(self) -> str:
        return f"sgemm_nt_fp32_{TILE_M}x{TILE_N}x{TILE_TB_HEIGHT}"

    def validate(self) -> None:
        pass

    def check_problem(self, m: int, n: int, k: int) -> None:
        bad = []
        if m <= 0 or m % TILE_M:
            bad.append(f"M must be a positive multiple of {TILE_M}")
        if n <= 0 or n % TILE_N:
            bad.append(f"N a positive multiple of {TILE_N}")
        if k <= 0 or k % TILE_TB_HEIGHT:
            bad.append(f"K a positive multiple of {TILE_TB_HEIGHT}")
        if bad:
            raise ValueError(f"problem {m}x{n}x{k}: " + ", ".join(bad) +
                             f" (the CTA tile is {TILE_M}x{TILE_N}, K steps of {TILE_TB_HEIGHT})")
        for what, count in (("A (MxK)", m * k), ("B (NxK)", n * k), ("C (MxN)", m * n)):
            if count >= MAX_ELEMENTS:
                raise ValueError(f"problem {m}x{n}x{k}: {what} has {count} elements, more than the "
                                 f"2^31 the kernel's 32-bit offsets allow")


def build(spec: SgemmSpec) -> Kernel:
    spec.validate()
    k = Kernel(spec.name, params="A:u64 lda:u32 B:u64 ldb:u32 C:u64 ldc:u32 K:u32 alpha:f32 beta:f32")
    sB = k.shared_block("sB", TILE_TB_HEIGHT * TILE_N * 4)
    tx = k.s2r("SR_TID.X")
    ty = k.s2r("SR_TID.Y")
    t = k.imad(ty, TILE_N, tx, name="t")                       # flattened thread id 0..127
    m = k.imad(k.s2r("SR_CTAID.X"), TILE_M, t, name="m")       # this thread's row of C
    n0 = k.shl(k.s2r("SR_CTAID.Y"), 4, name="n0")              # the CTA's first column
    lda4 = k.shl(k.mov(k.c("lda")), 2, name="lda4")            # bytes between columns of A
    ldb4 = k.shl(k.mov(k.c("ldb")), 2, name="ldb4")
    pa = k.imad_wide(m, 4, k.c("A"), name="pa")                # &A[m, 0]
    pb = k.imad_wide(k.imad(ty, k.c("ldb"), k.iadd(n0, tx)), 4, k.c("B"), name="pb")  # &B^T[n0+tx, ty]
    a_step = k.shl(lda4, 3, name="a_step")                     # 8 columns of A
    b_step = k.shl(ldb4, 3, name="b_step")
    st = k.shl(t, 2, name="st")                                # this thread's word of the tile
    acc = [k.mov("RZ", name=f"c{i}") for i in range(TILE_N)]
    with k.loop(k.shr(k.c("K"), 3), name="KSTEP"):
        b = k.reg("b")
        k.op("LDG.E", [b], [Mem(pb)])
        pj = [pa]
        for _ in range(1, TILE_TB_HEIGHT):
            pj.append(k.add64(pj[-1], lda4))                   # &A[m, k0+j]
        k.op("STS", [], [Mem(st, 0, sB), b])
        k.bar()
        a = []
        for j in range(TILE_TB_HEIGHT):                        # the step's 8 loads of A at once
            a.append(k.reg(f"a{j}"))
            k.op("LDG.E", [a[j]], [Mem(pj[j])])

        def row(j):                                            # row j of the tile, 4 broadcasts
            out = []
            for q in range(TILE_N // 4):
                out.append(k.reg(f"b{j}_{q}", 4))
                k.op("LDS.128", [out[-1]], [Mem(None, (j * TILE_N + 4 * q) * 4, sB)])
            return out
        bj = row(0)
        for j in range(TILE_TB_HEIGHT):                        # row j+1 is read while row j is used
            nxt = row(j + 1) if j + 1 < TILE_TB_HEIGHT else None
            for i in range(TILE_N):
                k.op("FFMA", [acc[i]], [a[j], bj[i // 4][i % 4], acc[i]])
            bj = nxt
        k.bar()
        k.add64(pa, a_step, dst=pa)
        k.add64(pb, b_step, dst=pb)
    # Epilogue: C[m, n0+i] = alpha * c[i] + beta * C[m, n0+i]; the 16 loads first.
    ldc4 = k.shl(k.mov(k.c("ldc")), 2, name="ldc4")
    pc = [k.imad_wide(k.imad(n0, k.c("ldc"), m), 4, k.c("C"), name="pc")]
    for _ in range(1, TILE_N):
        pc.append(k.add64(pc[-1], ldc4))
    old = []
    for i in range(TILE_N):
        old.append(k.reg(f"cold{i}"))
        k.op("LDG.E", [old[i]], [Mem(pc[i])])
    for i in range(TILE_N):
        out = k.f("FFMA", old[i], k.c("beta"), k.f("FMUL", acc[i], k.c("alpha")))
        k.op("STG.E", [], [Mem(pc[i]), out])
    k.exit()
    k.header = ["# Generated by `python3 -m xpusim.gen sgemm` (traces/xpusim/gen/sgemm.py); do not edit.",
                "# C = alpha*A@B^T + beta*C, FP32, column-major (Parboil mysgemmNT's algorithm): CTA 16x8 threads, "
                "128x16 tile of C, K steps of 8; B tile in shared memory, A from global."]
    return k


def generate(spec: SgemmSpec) -> str:
    """The kernel in program order: the builder's list scheduler hoists at most four loads
    (docs/kernels.md 2.3), which would leave the A loads one per row, each waited for. The order
    above issues a step's 8 loads together, as a compiler would be expected to (no SASS of
    Parboil's kernel was at hand to check against)."""
    return build(spec).xasm(schedule=False)


def _launch(w: Workload, kernel_path: str, m: int, n: int, k: int, alpha: float, beta: float) -> None:
    w.launch(kernel_path, (m // TILE_M, n // TILE_N, 1), (TILE_N, TILE_TB_HEIGHT, 1),
             [("buffer", "A"), ("u32", m), ("buffer", "B"), ("u32", n), ("buffer", "C"), ("u32", m),
              ("u32", k), ("f32", float(alpha)), ("f32", float(beta))])


def _buffers(w: Workload, m: int, n: int, k: int, init_a: str, init_b: str, init_c: str) -> None:
    # A [M,K] column-major (lda = M); B^T stored N x K column-major (ldb = N) is the same bytes as
    # B [K,N] row-major, the layout the `gemm` reference reads; C [M,N] column-major (ldc = M).
    w.buffer("A", "FP32", [m, k], init_a, col_major=True)
    w.buffer("B", "FP32", [k, n], init_b)
    w.buffer("C", "FP32", [m, n], init_c, col_major=True)


def workload(spec: SgemmSpec, m: int, n: int, k: int, kernel_path: str, name: str = "") -> str:
    """Random inputs from the run's seed, alpha 1 and beta 0 (Parboil's call), C zeroed, checked
    against the `gemm` reference in float64."""
    spec.check_problem(m, n, k)
    name = name or f"sgemm_fp32_{m}x{n}x{k}"
    w = Workload(name, f"FP32 SIMT SGEMM (Parboil mysgemmNT's algorithm): C[{m},{n}] = A[{m},{k}] @ B[{k},{n}], "
                 "column-major A and C, B given as B^T column-major; alpha 1, beta 0.")
    _buffers(w, m, n, k, "normal { std: 1 }", "normal { std: 1 }", "zeros {}")
    _launch(w, kernel_path, m, n, k, 1.0, 0.0)
    w.check("C", 'gemm { a: "A"  b: "B" }')
    return w.text(f"python3 -m xpusim.gen sgemm --m {m} --n {n} --k {k}")


def reference(a, b, c, alpha: float, beta: float):
    """float64 alpha * A @ B + beta * C of FP32 arrays (A [M,K], B [K,N], C [M,N])."""
    import numpy as np
    return alpha * (a.astype(np.float64) @ b.astype(np.float64)) + beta * c.astype(np.float64)


def write_workload(spec: SgemmSpec, m: int, n: int, k: int, out_dir: str, kernel_path: str, name: str = "",
                   seed: int = 0, alpha: float = 1.5, beta: float = -0.5) -> str:
    """Inputs (C nonzero, so beta matters) and the float64 reference as .npy files under
    out_dir/data; returns the workload text. alpha and beta are rounded to FP32 first."""
    import numpy as np
    spec.check_problem(m, n, k)
    name = name or f"sgemm_fp32_ab_{m}x{n}x{k}"
    alpha, beta = float(np.float32(alpha)), float(np.float32(beta))
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    c = rng.standard_normal((m, n)).astype(np.float32)
    data = os.path.join(out_dir, "data")
    os.makedirs(data, exist_ok=True)
    for key, arr in (("A", a), ("B", b), ("C", c), ("expected", reference(a, b, c, alpha, beta))):
        np.save(os.path.join(data, f"{name}.{key}.npy"), arr)
    w = Workload(name, f"FP32 SIMT SGEMM (Parboil mysgemmNT's algorithm): C = {alpha:g}*A@B + {beta:g}*C, "
                 f"[{m},{k}] x [{k},{n}]; inputs and the float64 reference are data/{name}.*.npy (seed {seed}).")
    _buffers(w, m, n, k, f'npy {{ path: "data/{name}.A.npy" }}', f'npy {{ path: "data/{name}.B.npy" }}',
             f'npy {{ path: "data/{name}.C.npy" }}')
    _launch(w, kernel_path, m, n, k, alpha, beta)
    # FP32 accumulation over K products: normwise error ~ K * 2^-24 relative, far below 1e-5 at
    # these sizes; the default FP32 rtol (1e-5) applies.
    w.check("C", f'npy {{ path: "data/{name}.expected.npy" }}')
    return w.text(f"python3 -m xpusim.gen sgemm --m {m} --n {n} --k {k} --alpha {alpha:g} --beta {beta:g}")
