"""Ampere-style tensor-core GEMM in xasm: C[M,N] (FP32 or INT32) = A[M,K] @ B[K,N].

A is row-major, B is column-major (stored as N rows of K elements), so both operands are
K-contiguous and both load with non-transposed LDSM. One CTA of 8 warps computes a
128 x 128 tile; each warp a 64 x 32 sub-tile (2 warps along M, 4 along N) as 4 x 4
m16n8 accumulator tiles. The K loop is software-pipelined over `stages` shared-memory
buffers filled by LDGSTS (cp.async) one k-tile ahead per stage:

    prologue: load k-tiles 0 .. stages-2, one commit group each
    for each k-tile kt:
        DEPBAR.LE SB0, stages-2      # k-tile kt has landed in shared memory
        BAR.SYNC                     # ... for every warp, and everyone is done with kt-1
        LDGSTS k-tile kt+stages-1 into the buffer kt-1 used; LDGDEPBAR
        2 k-steps: LDSM A (4 x .x4), LDSM B (2 x .x4), 16 x HMMA/IMMA

Shared-memory rows are 64 bytes (one k-tile row); the 16-byte chunk c of row r is stored at
chunk c ^ ((r >> 1) & 3), which makes every 8-row LDSM phase hit 8 different 16-byte bank
groups. The same byte layout serves FP16/BF16 (k-tile 32) and INT8 (k-tile 64): an
m16n8k16 FP16 fragment and an m16n8k32 INT8 fragment cover the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

BM, BN, THREADS = 128, 128, 256
ROW_BYTES = 64          # one k-tile row in shared memory
STAGE_A = BM * ROW_BYTES  # 8 KiB
STAGE_BYTES = STAGE_A + BN * ROW_BYTES  # 16 KiB per stage

DTYPES = {
    # name: (element bytes, mma instruction, k elements per mma, accumulator proto dtype)
    "fp16": (2, "HMMA.16816.F32", 16, "FP32"),
    "bf16": (2, "HMMA.16816.F32.BF16", 16, "FP32"),
    "int8": (1, "IMMA.16832.S8.S8", 32, "INT32"),
}


@dataclass
class GemmSpec:
    dtype: str = "fp16"
    stages: int = 3

    def validate(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r}: one of {', '.join(DTYPES)}")
        if not 2 <= self.stages <= 8:
            raise ValueError(f"stages must be 2..8, got {self.stages}")

    @property
    def esize(self) -> int:
        return DTYPES[self.dtype][0]

    @property
    def bk(self) -> int:
        """Elements of K per k-tile."""
        return ROW_BYTES // self.esize

    @property
    def name(self) -> str:
        return f"gemm_{self.dtype}_{BM}x{BN}x{self.bk}_s{self.stages}"

    @property
    def shared_bytes(self) -> int:
        return self.stages * STAGE_BYTES


# Register map (per thread).
ACC = 0      # R0..R63: 16 accumulator tiles x 4 registers, tile (i, j) at ACC + 4 * (4 * i + j)
AFR = 64     # R64..R79: A fragments of the 4 m16 tiles of one k-step
BFR = 80     # R80..R87: B fragments of the 4 n8 tiles (2 registers each)
GPTR = (88, 90, 92, 94)  # 64-bit global pointers to this thread's chunks of the next k-tile:
                         # A rows r and r+64, B rows n and n+64
SW = 96                  # swizzled offset of this thread's chunk inside a stage
OFA = (97, 98)           # per-lane LDSM offsets (inside a stage) for A, k-step 0 and 1
OFB = (99, 100)          # ... for B
RS, WS = 101, 102        # byte offset of the stage being read / written
KT = 103                 # k-tiles left to load (counts down)
T = 104                  # temporaries R104..R119
NREGS = 120


class Asm:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str, comment: str = "") -> None:
        self.lines.append(f"        {text:<44}" + (f"# {comment}" if comment else "").rstrip())

    def label(self, name: str) -> None:
        self.lines.append(f"{name}:")

    def note(self, text: str) -> None:
        self.lines.append(f"        # {text}")

    def blank(self) -> None:
        self.lines.append("")


def _load_tile(a: Asm, spec: GemmSpec, pred: str = "") -> None:
    """LDGSTS this thread's two A and two B chunks of the next k-tile into stage WS."""
    g = f"@{pred} " if pred else ""
    a(f"IADD3 R{T}, R{WS}, R{SW}, RZ", "this thread's chunk in the stage being written")
    smem = (0, STAGE_A // 2, STAGE_A, STAGE_A + STAGE_A // 2)  # A rows r, r+64; B rows n, n+64
    for ptr, off in zip(GPTR, smem):
        a(f"{g}LDGSTS.E.BYPASS.128 [R{T}+{off}], [R{ptr}.64]")
    a("LDGDEPBAR", "commit the group (empty when predicated off)")
    for ptr in GPTR:
        a(f"IADD3 R{ptr}, P2, R{ptr}, {ROW_BYTES}, RZ", "next k-tile")
        a(f"IADD3.X R{ptr + 1}, R{ptr + 1}, RZ, RZ, P2")
    a(f"IADD3 R{WS}, R{WS}, {STAGE_BYTES}, RZ", "advance the write stage, wrapping")
    a(f"ISETP.GE.AND P2, PT, R{WS}, {spec.shared_bytes}, PT")
    a(f"@P2 IADD3 R{WS}, R{WS}, -{spec.shared_bytes}, RZ")


def _kstep(a: Asm, spec: GemmSpec, ks: int) -> None:
    mma = DTYPES[spec.dtype][1]
    a(f"IADD3 R{T + 1}, R{RS}, R{OFA[ks]}, RZ", f"k-step {ks}: A fragments")
    for i in range(4):
        a(f"LDSM.16.M88.4 R{AFR + 4 * i}, [R{T + 1}+{i * 16 * ROW_BYTES}]")
    a(f"IADD3 R{T + 2}, R{RS}, R{OFB[ks]}, RZ", f"k-step {ks}: B fragments")
    for j in range(2):
        a(f"LDSM.16.M88.4 R{BFR + 4 * j}, [R{T + 2}+{j * 16 * ROW_BYTES}]")
    for i in range(4):
        for j in range(4):
            c = ACC + 4 * (4 * i + j)
            a(f"{mma} R{c}, R{AFR + 4 * i}, R{BFR + 2 * j}, R{c}")


def _setup(a: Asm, spec: GemmSpec) -> None:
    es = spec.esize
    a.note("---- indices ----")
    a(f"S2R R{T}, SR_TID.X")
    a(f"S2R R{T + 1}, SR_CTAID.X", "column block")
    a(f"S2R R{T + 2}, SR_CTAID.Y", "row block")
    a(f"SHF.R.U32.HI R{T + 3}, RZ, 2, R{T}", "copy row r = tid / 4 (and r + 64)")
    a(f"LOP3.LUT R{T + 4}, R{T}, 3, RZ, 0xc0", "copy chunk c = tid % 4")
    a.note("swizzled chunk offset: r * 64 + (c ^ ((r >> 1) & 3)) * 16")
    a(f"SHF.R.U32.HI R{T + 5}, RZ, 1, R{T + 3}")
    a(f"LOP3.LUT R{T + 5}, R{T + 5}, 3, RZ, 0xc0")
    a(f"LOP3.LUT R{T + 5}, R{T + 5}, R{T + 4}, RZ, 0x3c", "c ^ ((r >> 1) & 3)")
    a(f"SHF.L.U32 R{T + 5}, R{T + 5}, 4, RZ")
    a(f"LEA R{SW}, R{T + 3}, R{T + 5}, 6")
    a.note("global pointers: A + ((128*by + r) * K + c*16/es) * es, the same 64 rows down; B likewise")
    a(f"IMAD R{T + 7}, R{T + 3}, c[K], RZ", "r * K")
    a(f"IMAD R{T + 7}, R{T + 7}, {es}, RZ", "bytes")
    a(f"LEA R{T + 7}, R{T + 4}, R{T + 7}, 4", "+ c * 16")
    a(f"IMAD R{T + 9}, R{T + 2}, {BM * es}, RZ", "by * 128 rows * es ...")
    a(f"IMAD R{T + 9}, R{T + 9}, c[K], R{T + 7}", "... * K + own offset")
    a(f"IMAD.WIDE.U32 R{GPTR[0]}, R{T + 9}, 1, c[A]")
    a(f"IMAD R{T + 10}, RZ, RZ, {64 * es}", "64 rows * es ...")
    a(f"IMAD R{T + 10}, R{T + 10}, c[K], RZ", "... * K bytes")
    a(f"IMAD.WIDE.U32 R{GPTR[1]}, R{T + 10}, 1, R{GPTR[0]}")
    a(f"IMAD R{T + 9}, R{T + 1}, {BN * es}, RZ", "bx * 128 rows of B (columns of C)")
    a(f"IMAD R{T + 9}, R{T + 9}, c[K], R{T + 7}")
    a(f"IMAD.WIDE.U32 R{GPTR[2]}, R{T + 9}, 1, c[B]")
    a(f"IMAD.WIDE.U32 R{GPTR[3]}, R{T + 10}, 1, R{GPTR[2]}")
    a.note("LDSM lane offsets (warp w: rows 64*(w&1) of A, 32*(w>>1) of B)")
    a(f"SHF.R.U32.HI R{T + 8}, RZ, 5, R{T}", "warp")
    a(f"LOP3.LUT R{T + 9}, R{T}, 31, RZ, 0xc0", "lane")
    a(f"LOP3.LUT R{T + 10}, R{T + 8}, 1, RZ, 0xc0")
    a(f"LOP3.LUT R{T + 11}, R{T + 9}, 15, RZ, 0xc0", "A: row in the m16 tile = lane & 15")
    a(f"LEA R{T + 10}, R{T + 10}, R{T + 11}, 6", "A row = 64*(w&1) + (lane&15)")
    a(f"SHF.R.U32.HI R{T + 3}, RZ, 4, R{T + 9}", "A chunk within the k-step = lane >> 4")
    _lane_offsets(a, row=T + 10, sub_chunk=T + 3, out=OFA, base=0)
    a(f"SHF.R.U32.HI R{T + 10}, RZ, 1, R{T + 8}", "B: n = 32*(w>>1) + 8*(lane>>4) + (lane&7)")
    a(f"SHF.R.U32.HI R{T + 11}, RZ, 4, R{T + 9}")
    a(f"LEA R{T + 10}, R{T + 10}, R{T + 11}, 2")
    a(f"LOP3.LUT R{T + 11}, R{T + 9}, 7, RZ, 0xc0")
    a(f"LEA R{T + 10}, R{T + 10}, R{T + 11}, 3")
    a(f"SHF.R.U32.HI R{T + 3}, RZ, 3, R{T + 9}", "B chunk within the k-step = (lane >> 3) & 1")
    a(f"LOP3.LUT R{T + 3}, R{T + 3}, 1, RZ, 0xc0")
    _lane_offsets(a, row=T + 10, sub_chunk=T + 3, out=OFB, base=STAGE_A)


def _lane_offsets(a: Asm, row: int, sub_chunk: int, out: tuple[int, int], base: int) -> None:
    """out[ks] = base + row*64 + (((2*ks + sub_chunk) ^ ((row >> 1) & 3)) * 16)."""
    a(f"SHF.R.U32.HI R{T + 4}, RZ, 1, R{row}")
    a(f"LOP3.LUT R{T + 4}, R{T + 4}, 3, RZ, 0xc0", "(row >> 1) & 3")
    for ks in range(2):
        a(f"IADD3 R{T + 5}, R{sub_chunk}, {2 * ks}, RZ")
        a(f"LOP3.LUT R{T + 5}, R{T + 5}, R{T + 4}, RZ, 0x3c")
        a(f"SHF.L.U32 R{T + 5}, R{T + 5}, 4, RZ")
        a(f"LEA R{T + 5}, R{row}, R{T + 5}, 6")
        a(f"IADD3 R{out[ks]}, R{T + 5}, {base}, RZ")


def _epilogue(a: Asm) -> None:
    a.note("---- epilogue: C[row, col..col+1] from c0,c1 (row g) and c2,c3 (row g+8) ----")
    a(f"S2R R{T}, SR_TID.X")
    a(f"S2R R{T + 1}, SR_CTAID.X")
    a(f"S2R R{T + 2}, SR_CTAID.Y")
    a(f"SHF.R.U32.HI R{T + 3}, RZ, 5, R{T}", "warp")
    a(f"LOP3.LUT R{T + 4}, R{T}, 31, RZ, 0xc0", "lane")
    a(f"LOP3.LUT R{T + 5}, R{T + 3}, 1, RZ, 0xc0")
    a(f"IMAD R{T + 5}, R{T + 2}, 2, R{T + 5}", "row block of 64 = 2*by + (w&1)")
    a(f"SHF.R.U32.HI R{T + 6}, RZ, 2, R{T + 4}", "g = lane >> 2")
    a(f"LEA R{T + 5}, R{T + 5}, R{T + 6}, 6", "row = 64*(...) + g")
    a(f"SHF.R.U32.HI R{T + 7}, RZ, 1, R{T + 3}")
    a(f"IMAD R{T + 7}, R{T + 1}, 4, R{T + 7}", "column block of 32 = 4*bx + (w>>1)")
    a(f"LOP3.LUT R{T + 8}, R{T + 4}, 3, RZ, 0xc0", "q = lane & 3")
    a(f"SHF.L.U32 R{T + 8}, R{T + 8}, 1, RZ")
    a(f"LEA R{T + 7}, R{T + 7}, R{T + 8}, 5", "col = 32*(...) + 2q")
    a(f"IMAD R{T + 9}, R{T + 5}, c[N], R{T + 7}", "element index of C[row, col]")
    a(f"IMAD.WIDE.U32 R{T + 10}, R{T + 9}, 4, c[C]")
    a(f"MOV R{T + 9}, c[N]")
    a(f"SHF.L.U32 R{T + 9}, R{T + 9}, 5, RZ", "8 rows of C in bytes = N * 32")
    for i in range(4):
        for j in range(4):
            c = ACC + 4 * (4 * i + j)
            a(f"STG.E.64 [R{T + 10}.64+{j * 8 * 4}], R{c}", f"tile ({i},{j}) rows g")
            a(f"IADD3 R{T + 12}, P3, R{T + 10}, R{T + 9}, RZ", "+8 rows")
            a(f"IADD3.X R{T + 13}, R{T + 11}, RZ, RZ, P3")
            a(f"STG.E.64 [R{T + 12}.64+{j * 8 * 4}], R{c + 2}", "rows g+8")
        a.note("next m16 tile: 16 rows down")
        a(f"IADD3 R{T + 10}, P3, R{T + 10}, R{T + 9}, RZ")
        a(f"IADD3.X R{T + 11}, R{T + 11}, RZ, RZ, P3")
        a(f"IADD3 R{T + 10}, P3, R{T + 10}, R{T + 9}, RZ")
        a(f"IADD3.X R{T + 11}, R{T + 11}, RZ, RZ, P3")


def generate(spec: GemmSpec) -> str:
    """The kernel's xasm text."""
    spec.validate()
    es = spec.esize
    a = Asm()
    a.lines += [
        f"# Generated by `python3 -m xpusim.gen.gemm --dtype {spec.dtype} --stages {spec.stages}` "
        f"(traces/xpusim/gen/gemm.py); do not edit.",
        f"# C[M,N] ({DTYPES[spec.dtype][3]}) = A[M,K] ({spec.dtype}, row-major) @ B[K,N] ({spec.dtype}, column-major).",
        f"# Tile {BM}x{BN}x{spec.bk}, {spec.stages} stages of {STAGE_BYTES} B dynamic shared memory, 256 threads.",
        f"# Needs M % {BM} == 0, N % {BN} == 0, K % {spec.bk} == 0 and K >= {spec.bk * (spec.stages - 1)}.",
        f".kernel {spec.name}",
        ".param A:u64 B:u64 C:u64 M:u32 N:u32 K:u32",
        f".regs {NREGS}",
        "",
    ]
    _setup(a, spec)
    a.note("---- zero the accumulators ----")
    for r in range(ACC, ACC + 64):
        a(f"MOV R{r}, RZ")
    a(f"MOV R{RS}, RZ")
    a(f"MOV R{WS}, RZ")
    a(f"SHF.R.U32.HI R{KT}, RZ, {spec.bk.bit_length() - 1}, c[K]", f"k-tiles = K / {spec.bk}")
    a.blank()
    a.note(f"---- prologue: k-tiles 0 .. {spec.stages - 2} ----")
    for s in range(spec.stages - 1):
        _load_tile(a, spec)
    a(f"IADD3 R{KT}, R{KT}, -{spec.stages - 1}, RZ", "k-tiles still to load")
    a.blank()
    a.label("MAINLOOP")
    a(f"DEPBAR.LE SB0, {spec.stages - 2}", "this k-tile has landed")
    a("BAR.SYNC 0", "... for every thread; the buffer of the last k-tile is free")
    a(f"ISETP.GT.AND P0, PT, R{KT}, RZ, PT", "more k-tiles to load?")
    _load_tile(a, spec, pred="P0")
    for ks in range(2):
        _kstep(a, spec, ks)
    a(f"IADD3 R{RS}, R{RS}, {STAGE_BYTES}, RZ", "advance the read stage, wrapping")
    a(f"ISETP.GE.AND P1, PT, R{RS}, {spec.shared_bytes}, PT")
    a(f"@P1 IADD3 R{RS}, R{RS}, -{spec.shared_bytes}, RZ")
    a(f"IADD3 R{KT}, R{KT}, -1, RZ")
    a(f"ISETP.GT.AND P1, PT, R{KT}, -{spec.stages - 1}, PT", "k-tiles left to compute")
    a("@P1 BRA MAINLOOP")
    a.blank()
    _epilogue(a)
    a("EXIT")
    return "\n".join(a.lines) + "\n"


# ---- workloads and command line -------------------------------------------------------------

def workload(spec: GemmSpec, m: int, n: int, k: int, kernel_path: str) -> str:
    """A workload text running the kernel on random inputs, checked against float64."""
    if m % BM or n % BN or k % spec.bk or k < spec.bk * (spec.stages - 1):
        raise ValueError(f"{spec.name} needs M % {BM} == 0, N % {BN} == 0, K % {spec.bk} == 0 and "
                         f"K >= {spec.bk * (spec.stages - 1)}; got {m}x{n}x{k}")
    in_dtype = {"fp16": "FP16", "bf16": "BF16", "int8": "INT8"}[spec.dtype]
    out_dtype = DTYPES[spec.dtype][3]
    init = "randint { low: -128  high: 128 }" if spec.dtype == "int8" else "normal { std: 1 }"
    size = f"{m}" if m == n == k else f"{m}x{n}x{k}"
    tol = "  rtol: 0  atol: 0  metric: ELEMENTWISE" if spec.dtype == "int8" else ""
    return f"""# Generated by `python3 -m xpusim.gen.gemm` (traces/xpusim/gen/gemm.py); do not edit.
# C = A @ B with A {m}x{k} {spec.dtype} row-major, B {k}x{n} {spec.dtype} column-major, C {out_dtype}.
name: "gemm_{spec.dtype}_{size}"
buffer {{ name: "A"  dtype: {in_dtype}  shape: [{m}, {k}]  init {{ {init} }} }}
buffer {{ name: "B"  dtype: {in_dtype}  shape: [{k}, {n}]  layout: COL_MAJOR  init {{ {init} }} }}
buffer {{ name: "C"  dtype: {out_dtype}  shape: [{m}, {n}]  init {{ zeros {{}} }} }}
launch {{
  kernel: "{kernel_path}"
  grid {{ x: {n // BN}  y: {m // BM} }}  block {{ x: {THREADS} }}  dynamic_shared_bytes: {spec.shared_bytes}
  arg {{ buffer: "A" }}  arg {{ buffer: "B" }}  arg {{ buffer: "C" }}  arg {{ u32: {m} }}  arg {{ u32: {n} }}  arg {{ u32: {k} }}
}}
check {{ buffer: "C"  reference {{ gemm {{ a: "A"  b: "B" }} }}{tol} }}
"""


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os

    p = argparse.ArgumentParser(prog="python3 -m xpusim.gen.gemm", description=__doc__.split("\n")[0])
    p.add_argument("--dtype", default="fp16", choices=sorted(DTYPES))
    p.add_argument("--stages", type=int, default=3)
    p.add_argument("--sizes", default="256,1024", help="square problem sizes to write workloads for")
    p.add_argument("--kernels", default="traces/kernels", help="directory for the .xasm")
    p.add_argument("--workloads", default="traces/workloads", help="directory for the workloads")
    args = p.parse_args(argv)
    spec = GemmSpec(args.dtype, args.stages)
    try:
        spec.validate()
        kpath = os.path.join(args.kernels, spec.name + ".xasm")
        texts = {kpath: generate(spec)}
        for s in (int(x) for x in args.sizes.split(",") if x):
            rel = os.path.relpath(kpath, args.workloads)
            texts[os.path.join(args.workloads, f"gemm_{spec.dtype}_{s}.textproto")] = workload(spec, s, s, s, rel)
    except ValueError as e:
        print(f"error: {e}")
        return 2
    for path, text in texts.items():
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
