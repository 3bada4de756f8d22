"""Ampere-style tensor-core GEMM on the kernel builder: C[M,N] = alpha * A[M,K] @ B[K,N].

A is row-major and B column-major (N rows of K elements), so both operands are K-contiguous
and every dtype shares one byte layout: a k-tile row is BK * element-size bytes (32, 64 or
128), cut into 16-byte chunks, and one MMA k-step covers 32 bytes of K (m16n8k16 for 16-bit
types, m16n8k8 for TF32, m16n8k32 for 8-bit ones), so the same LDSM.16.M88.4 addressing feeds
every MMA (docs/isa.md 7.4: an 8x8 b16 matrix row is 16 bytes whatever the element type).

One CTA of WM x WN warps computes a BM x BN tile, each warp a (BM/WM) x (BN/WN) sub-tile of
m16n8 accumulators. The K loop is software-pipelined over `stages` shared-memory buffers
filled by LDGSTS (cp.async), one k-tile ahead per stage:

    prologue: LDGSTS k-tiles 0 .. stages-2, one commit group each
    for each k-tile kt:
        DEPBAR.LE SB0, stages-2      # k-tile kt has landed (this warp's copies)
        BAR.SYNC                     # ... everyone's, and everyone is done with kt-1
        LDGSTS k-tile kt+stages-1 into the buffer kt-1 used (predicated off at the end); commit
        per k-step: LDSM the A and B fragments, then the MMAs

Shared rows are swizzled (builder/swizzle.py): chunk c of a row at byte offset o is stored at
chunk c ^ ((o >> 7) & (chunks-1)), so each 8-row LDSM phase and each LDGSTS wavefront hits
eight different 16-byte bank groups. FP8 takes per-tensor scales `sa`, `sb` applied in the
epilogue (C = sa*sb * A@B in FP32).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..builder import Kernel, LatencyTable, Mem, Swizzle, Workload
from . import gemm_quant
from .gemm_quant import QUANT, write_workload as write_workload_quant  # noqa: F401 (the generators' API)

DTYPES = {
    # name: (bytes, MMA opcode, proto input dtype, proto output dtype, workload init)
    "fp16": (2, "HMMA.16816.F32", "FP16", "FP32", "normal { std: 1 }"),
    "bf16": (2, "HMMA.16816.F32.BF16", "BF16", "FP32", "normal { std: 1 }"),
    "tf32": (4, "HMMA.1688.F32.TF32", "TF32", "FP32", "normal { std: 1 }"),
    "int8": (1, "IMMA.16832.S8.S8", "INT8", "INT32", "randint { low: -128  high: 128 }"),
    "e4m3": (1, "HMMA.16832.F32.E4M3.E4M3", "FP8_E4M3", "FP32", "normal { std: 4 }"),
    "e5m2": (1, "HMMA.16832.F32.E5M2.E5M2", "FP8_E5M2", "FP32", "normal { std: 4 }"),
}
FP8 = ("e4m3", "e5m2")
# Quantized weights (--weights int4|mxfp4|nvfp4): formats, layout and register dequantisation
# in gemm_quant.py.


@dataclass
class GemmTcSpec:
    dtype: str = "fp16"
    bm: int = 128
    bn: int = 128
    bk: int = 32
    stages: int = 3
    wm: int = 2          # warps along M
    wn: int = 4          # warps along N
    block_scale: bool = False   # FP8 only: FP32 scales per 128 x 128 block of A and of B
    wq: str = ""                # fp16 A with quantized B: "int4", "mxfp4" or "nvfp4" (see QUANT)
    group: int = 128            # int4: K elements per scale and zero point
    # Fragments one k-step ahead, across k-tiles (pipelined()): None = when the warp tile is at
    # least 64x64, where measured it pays for the second fragment set's registers (docs/kernels.md)
    prefetch: bool | None = None
    # pipelined(): a block boundary before each k-step's MMAs, which keeps the next fragments'
    # LDSMs ahead of them under the default one-issue-per-cycle scheduler (docs/kernels.md 2.3)
    kstep_label: bool = True

    def validate(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"unsupported dtype {self.dtype!r}: one of {', '.join(DTYPES)}")
        rb = self.bk * self.esize
        if rb not in (32, 64, 128):
            raise ValueError(f"tile K {self.bk} x {self.esize} B = {rb} B per row: must be 32, 64 or 128 "
                             f"(for {self.dtype}: K tile {', '.join(str(b // self.esize) for b in (32, 64, 128))})")
        if not 2 <= self.stages <= 8:
            raise ValueError(f"stages must be 2..8, got {self.stages}")
        if self.wm * self.wn not in (1, 2, 4, 8, 16):
            raise ValueError(f"warps {self.wm}x{self.wn}: 1 to 16 warps, a power of two")
        if self.bm % (16 * self.wm) or self.bn % (16 * self.wn):
            raise ValueError(f"tile {self.bm}x{self.bn} with {self.wm}x{self.wn} warps: each warp needs a "
                             f"multiple of 16 rows and 16 columns (BM % {16 * self.wm}, BN % {16 * self.wn})")
        for what, rows in (("BM", self.bm),) + ((("BN", self.bn),) if not self.wq else ()):
            if (rows * self.cpr) % self.threads:
                raise ValueError(f"{what} {rows}: {rows} rows x {self.cpr} chunks must divide among "
                                 f"{self.threads} threads")
        if self.block_scale:
            if self.dtype not in FP8:
                raise ValueError(f"block scales are for FP8 (e4m3, e5m2), not {self.dtype}")
            if self.bm != 128 or self.bn != 128 or 128 % self.bk:
                raise ValueError(f"block scales need a 128x128 tile whose K tile divides 128, got "
                                 f"{self.bm}x{self.bn}x{self.bk}")
        if self.wq:
            gemm_quant.validate(self)
        if self.prefetch and (self.block_scale or self.wq):
            raise ValueError("fragment prefetch is for plain GEMMs, not block-scaled or quantized ones")
        if self.shared_bytes > 163 * 1024:
            raise ValueError(f"{self.stages} stages of {self.stage_bytes} B exceed 163 KiB of shared memory")
        if self.acc_regs * (2 if self.block_scale else 1) > 128:
            raise ValueError(f"warp tile {self.bm // self.wm}x{self.bn // self.wn} needs {self.acc_regs} "
                             "accumulator registers per thread (at most 128)")

    @property
    def esize(self) -> int:
        return DTYPES[self.dtype][0]

    @property
    def row_bytes(self) -> int:
        return self.bk * self.esize

    @property
    def cpr(self) -> int:
        return self.row_bytes // 16

    @property
    def threads(self) -> int:
        return 32 * self.wm * self.wn

    @property
    def stage_a(self) -> int:
        return self.bm * self.row_bytes

    @property
    def stage_bytes(self) -> int:
        if self.wq:
            return gemm_quant.stage_bytes(self)
        return (self.bm + self.bn) * self.row_bytes

    @property
    def shared_bytes(self) -> int:
        return self.stages * self.stage_bytes

    @property
    def mi(self) -> int:
        return self.bm // self.wm // 16

    @property
    def ni(self) -> int:
        return self.bn // self.wn // 8

    @property
    def frag_prefetch(self) -> bool:
        if self.block_scale or self.wq:
            return False
        return self.mi * self.ni >= 32 if self.prefetch is None else self.prefetch

    @property
    def acc_regs(self) -> int:
        return self.mi * self.ni * 4

    @property
    def name(self) -> str:
        return (f"gemm_tc_{self.dtype}_{self.bm}x{self.bn}x{self.bk}_s{self.stages}_w{self.wm}x{self.wn}"
                + ("_bs128" if self.block_scale else "")
                + (f"_{self.wq}" + (f"g{self.group}" if self.wq == "int4" else "") if self.wq else "")
                + ("" if self.prefetch is None or self.prefetch == (self.mi * self.ni >= 32)
                   else "_pf" if self.prefetch else "_nopf"))

    def check_problem(self, m: int, n: int, k: int) -> None:
        if m % self.bm or n % self.bn or k % self.bk:
            raise ValueError(f"problem {m}x{n}x{k}: M must be a multiple of {self.bm}, N of {self.bn} "
                             f"and K of {self.bk} (the tile)")
        if self.block_scale and k % 128:
            raise ValueError(f"K {k}: block scales need a multiple of 128")
        if self.wq:
            gemm_quant.check_problem(self, n, k)
        if k < self.bk * (self.stages - 1):
            raise ValueError(f"K {k} < {self.bk * (self.stages - 1)}: the pipeline's prologue needs "
                             f"stages-1 = {self.stages - 1} k-tiles")


def build(spec: GemmTcSpec) -> Kernel:
    spec.validate()
    es, rb, T = spec.esize, spec.row_bytes, spec.threads
    mma = DTYPES[spec.dtype][1]
    scaled = spec.dtype in FP8 and not spec.block_scale
    k = Kernel(spec.name, params="A:u64 B:u64 C:u64 M:u32 N:u32 K:u32" + (" sa:f32 sb:f32" if scaled else "")
               + (" SA:u64 SB:u64" if spec.block_scale else "")
               + (" S:u64" + QUANT[spec.wq][3] if spec.wq else ""))
    sw = Swizzle(rb)
    tid = k.s2r("SR_TID.X")
    bx, by = k.s2r("SR_CTAID.X"), k.s2r("SR_CTAID.Y")

    # ---- global -> shared copy assignment: chunk t + i*T of a tile is (row t/cpr + i*T/cpr, chunk t%cpr)
    row = k.shr(tid, spec.cpr.bit_length() - 1, name="row")
    chunk = k.and_(tid, spec.cpr - 1, name="chunk")
    swz = sw.emit(k, row, chunk, name="swz")     # + i*T*16 for copy i: the swizzle repeats every 128 B
    kbytes = k.imad(k.c("K"), es, name="kbytes")  # bytes per row of A / B
    own = k.imad(row, kbytes, name="own")
    own = k.lea(chunk, own, 4)
    ptrs = []
    for op, blk, rows in (("A", by, spec.bm),) + ((("B", bx, spec.bn),) if not spec.wq else ()):
        first = k.imad(blk, rows, name="first")
        off = k.imad(first, kbytes, own)
        p0 = k.imad_wide(off, 1, k.c(op), name=f"g{op}0")
        step = k.imad(kbytes, T // spec.cpr, name="step")
        ps = [p0]
        for _ in range(1, rows * spec.cpr // T):
            ps.append(k.add64(ps[-1], step))
        ptrs.append(ps)
    copies = [(p, i * T * 16) for i, p in enumerate(ptrs[0])]
    if not spec.wq:
        copies += [(p, spec.stage_a + i * T * 16) for i, p in enumerate(ptrs[1])]

    # ---- LDSM lane offsets per k-step (warp and lane part; + i*16 rows per m16 tile)
    lane = k.and_(tid, 31, name="lane")
    warp = k.shr(tid, 5, name="warp")
    wm_i = k.and_(warp, spec.wm - 1) if spec.wm > 1 else "RZ"
    wn_i = k.shr(warp, spec.wm.bit_length() - 1) if spec.wn > 1 else "RZ"
    arow = k.and_(lane, 15)
    if spec.wm > 1:
        arow = k.imad(wm_i, spec.bm // spec.wm, arow, name="arow")
    ahalf = k.shr(lane, 4)
    brow = k.lea(k.shr(lane, 4), k.and_(lane, 7), 3)
    if spec.wn > 1:
        brow = k.imad(wn_i, spec.bn // spec.wn, brow, name="brow")
    bhalf = k.and_(k.shr(lane, 3), 1)
    ksteps = rb // 32
    ofa, ofb = [], []
    for ks in range(ksteps):
        ofa.append(sw.emit(k, arow, k.iadd(ahalf, 2 * ks), name=f"ofa{ks}"))
        if not spec.wq:
            ofb.append(k.iadd(sw.emit(k, brow, k.iadd(bhalf, 2 * ks)), spec.stage_a, name=f"ofb{ks}"))
    # 4-bit B: packed k-tiles by LDGSTS, dequantised in registers (gemm_quant.py)
    qb = gemm_quant.QuantB(k, spec, tid, bx, lane, wn_i) if spec.wq else None

    acc = [[k.reg(f"acc{i}_{j}", 4) for j in range(spec.ni)] for i in range(spec.mi)]
    for row_ in acc:
        for a in row_:
            for w in range(4):
                k.mov("RZ", dst=a[w])
    rs = k.mov("RZ", name="rs")          # byte offset of the stage being read
    ws = k.mov("RZ", name="ws")          # ... being written
    left = k.shr(k.c("K"), spec.bk.bit_length() - 1, name="left")   # k-tiles still to load
    more = k.pred("more")

    def load_tile(guard=None):
        dst = k.iadd(ws, swz)
        for p, off in copies:
            k.op("LDGSTS.E.BYPASS.128", [], [Mem(dst, off), Mem(p)], guard=guard)
        if qb:
            qb.load(ws, guard)
        k.op("LDGDEPBAR")
        for p, _ in copies:
            k.add64(p, rb, dst=p)
        if qb:
            qb.advance()
        k.iadd(ws, spec.stage_bytes, dst=ws)
        wrap = k.isetp("GE.U32", ws, spec.shared_bytes)
        k.op("IADD3", [ws], [ws, -spec.shared_bytes, "RZ"], guard=wrap)

    for _ in range(spec.stages - 1):
        load_tile()
    k.iadd(left, -(spec.stages - 1), dst=left)
    def ktile(target, first: bool):
        """One k-tile: wait for it, refill the stage freed last time, MMAs into `target`
        (from zero when `first`)."""
        k.op("DEPBAR.LE", [], ["SB0", spec.stages - 2], comment="k-tile kt has landed")
        k.bar()
        k.isetp("GT", left, "RZ", dst=more)
        load_tile(guard=more)
        k.iadd(left, -1, dst=left)
        if qb:
            qb.begin_tile(rs)
        for ks in range(ksteps):
            fa = k.iadd(rs, ofa[ks])
            fb = k.iadd(rs, ofb[ks]) if not qb else None
            afr = [k.reg(f"a{i}", 4) for i in range(spec.mi)]
            bfr = [k.reg(f"b{j}", 4) for j in range(spec.ni // 2)] if not qb else None
            for i, r in enumerate(afr):
                k.op("LDSM.16.M88.4", [r], [Mem(fa, i * 16 * rb)])
            if qb:          # B fragments dequantised in registers from packed words
                bfr = qb.fragments(ks)
            else:
                for j, r in enumerate(bfr):
                    k.op("LDSM.16.M88.4", [r], [Mem(fb, j * 16 * rb)])
            for i in range(spec.mi):
                for j in range(spec.ni):
                    c = "RZ" if first and ks == 0 else target[i][j]
                    k.op(mma, [target[i][j]], [afr[i], bfr[j // 2][2 * (j % 2)], c])
        k.iadd(rs, spec.stage_bytes, dst=rs)
        wrap = k.isetp("GE.U32", rs, spec.shared_bytes)
        k.op("IADD3", [rs], [rs, -spec.shared_bytes, "RZ"], guard=wrap)

    def frags(ks, afr, bfr):
        """LDSM the A and B fragments of k-step ks of the stage at rs into afr, bfr."""
        fa = k.iadd(rs, ofa[ks])
        fb = k.iadd(rs, ofb[ks])
        for i, r in enumerate(afr):
            k.op("LDSM.16.M88.4", [r], [Mem(fa, i * 16 * rb)])
        for j, r in enumerate(bfr):
            k.op("LDSM.16.M88.4", [r], [Mem(fb, j * 16 * rb)])

    def pipelined():
        """The plain GEMM's K loop with its fragments one k-step ahead, across k-tiles too:
        the last k-step of tile kt waits for tile kt+1 and loads its first fragments before its
        own MMAs, so no k-step starts on an LDSM's latency; the refill of the freed stage is
        spread over the tile's k-steps instead of issued at once."""
        nf = lambda: ([k.reg("a", 4) for _ in range(spec.mi)], [k.reg("b", 4) for _ in range(spec.ni // 2)])
        k.max_in_flight = max(k.max_in_flight, spec.mi + spec.ni // 2)   # a k-step's fragments
        first = nf()                         # k-step 0 of the next tile: carried across iterations
        k.op("DEPBAR.LE", [], ["SB0", spec.stages - 2], comment="k-tile 0 has landed")
        k.bar()
        frags(0, *first)
        per = -(-len(copies) // ksteps)      # refill copies issued per k-step
        with k.loop(k.shr(k.c("K"), spec.bk.bit_length() - 1)):
            k.isetp("GT", left, "RZ", dst=more)
            dst = k.iadd(ws, swz)
            cur = first
            for ks in range(ksteps):
                for p, off in copies[ks * per:(ks + 1) * per]:
                    k.op("LDGSTS.E.BYPASS.128", [], [Mem(dst, off), Mem(p)], guard=more)
                if ks + 1 < ksteps:
                    nxt = nf()
                    frags(ks + 1, *nxt)
                else:                        # commit the refill; wait for tile kt+1; its k-step 0
                    k.op("LDGDEPBAR")
                    for p, _ in copies:
                        k.add64(p, rb, dst=p)
                    k.iadd(ws, spec.stage_bytes, dst=ws)
                    wrap = k.isetp("GE.U32", ws, spec.shared_bytes)
                    k.op("IADD3", [ws], [ws, -spec.shared_bytes, "RZ"], guard=wrap)
                    k.iadd(left, -1, dst=left)
                    k.iadd(rs, spec.stage_bytes, dst=rs)
                    wrap = k.isetp("GE.U32", rs, spec.shared_bytes)
                    k.op("IADD3", [rs], [rs, -spec.shared_bytes, "RZ"], guard=wrap)
                    k.op("DEPBAR.LE", [], ["SB0", spec.stages - 2], comment="k-tile kt+1 has landed")
                    k.bar()
                    nxt = first
                    if cur is first:         # one k-step per tile: keep it before `first` is reloaded
                        hold = nf()
                        for a, b in zip(cur[0] + cur[1], hold[0] + hold[1]):
                            for w in range(4):
                                k.mov(a[w], dst=b[w])
                        cur = hold
                    frags(0, *nxt)
                # A block boundary keeps the next fragments' LDSMs ahead of these MMAs: the list
                # scheduler sees one issue per cycle, not the tensor pipe's interval, and would
                # sink them below the MMAs (docs/kernels.md section 2.3).
                if spec.kstep_label:
                    k.label(f"KSTEP{ks}")
                afr, bfr = cur
                for i in range(spec.mi):
                    for j in range(spec.ni):
                        k.op(mma, [acc[i][j]], [afr[i], bfr[j // 2][2 * (j % 2)], acc[i][j]])
                cur = nxt

    if spec.frag_prefetch:
        pipelined()
    elif not spec.block_scale:
        with k.loop(k.shr(k.c("K"), spec.bk.bit_length() - 1)):
            ktile(acc, False)
    else:
        # 128 x 128 blocks: the CTA's tile is one block of A's rows and of B's columns, so the
        # scale of k-block kb is SA[by, kb] * SB[bx, kb] for the whole CTA. Each k-block is
        # accumulated apart and added into acc scaled: acc += part * s.
        kblocks = k.shr(k.c("K"), 7, name="kblocks")
        psa = k.imad_wide(k.imad(by, kblocks), 4, k.c("SA"), name="psa")
        psb = k.imad_wide(k.imad(bx, kblocks), 4, k.c("SB"), name="psb")
        part = [[k.reg(f"part{i}_{j}", 4) for j in range(spec.ni)] for i in range(spec.mi)]
        with k.loop(kblocks):
            for sub in range(128 // spec.bk):
                ktile(part, sub == 0)
            sa, sb = k.reg("sa"), k.reg("sb")
            k.op("LDG.E", [sa], [Mem(psa)])
            k.op("LDG.E", [sb], [Mem(psb)])
            sc = k.f("FMUL", sa, sb, name="sc")
            for i in range(spec.mi):
                for j in range(spec.ni):
                    for w in range(4):
                        k.op("FFMA", [acc[i][j][w]], [part[i][j][w], sc, acc[i][j][w]])
            k.add64(psa, 4, dst=psa)
            k.add64(psb, 4, dst=psb)

    # ---- epilogue: C[row, col..col+1] from c0,c1 (row g) and c2,c3 (row g+8)
    s = k.f("FMUL", k.mov(k.c("sa")), k.c("sb"), name="scale") if scaled else qb and qb.epilogue_scale()
    if s:
        for row_ in acc:
            for a in row_:
                for w in range(4):
                    k.op("FMUL", [a[w]], [a[w], s])
    g = k.shr(lane, 2)
    q2 = k.shl(k.and_(lane, 3), 1)
    crow = k.imad(by, spec.bm, g)
    if spec.wm > 1:
        crow = k.imad(wm_i, spec.bm // spec.wm, crow)
    ccol = k.imad(bx, spec.bn, q2)
    if spec.wn > 1:
        ccol = k.imad(wn_i, spec.bn // spec.wn, ccol)
    cptr = k.imad_wide(k.imad(crow, k.c("N"), ccol), 4, k.c("C"), name="cptr")
    rows8 = k.shl(k.mov(k.c("N")), 5, name="rows8")     # 8 rows of C in bytes
    lo = hi = cptr
    for i in range(spec.mi):                 # m16 tile i: rows 16 i + g and 16 i + g + 8
        if i:
            lo = k.add64(hi, rows8)
        hi = k.add64(lo, rows8)
        for j in range(spec.ni):
            k.op("STG.E.64", [], [Mem(lo, j * 32), acc[i][j][0]])
            k.op("STG.E.64", [], [Mem(hi, j * 32), acc[i][j][2]])
    k.exit()
    wopt = (f" --weights {spec.wq}" + (f" --group {spec.group}" if spec.wq == "int4" else "")) if spec.wq else ""
    bdesc = (f"{spec.wq}, pre-shuffled, dequantised in registers (gemm_quant.py)" if spec.wq
             else f"{spec.dtype}, column-major")
    k.header = [f"# Generated by `python3 -m xpusim.gen gemm --dtype {spec.dtype}{wopt} --tile {spec.bm}x{spec.bn}x{spec.bk} "
                f"--stages {spec.stages} --warps {spec.wm}x{spec.wn}` (traces/xpusim/gen/gemm_tc.py); do not edit.",
                f"# C (FP32/INT32) = A[M,K] ({spec.dtype}, row-major) @ B[K,N] ({bdesc})"
                + (" * sa * sb" if scaled else "") + (" with 128x128 block scales SA, SB" if spec.block_scale else "") + f"; {T} threads, {spec.shared_bytes} B dynamic shared memory.",
                f"# Needs M % {spec.bm} == 0, N % {spec.bn} == 0, K % {spec.bk} == 0, K >= {spec.bk * (spec.stages - 1)}"
                + (f", K % {gemm_quant.group_of(spec)} == 0." if spec.wq else ".")]
    return k


def workload(spec: GemmTcSpec, m: int, n: int, k: int, kernel_path: str, name: str = "") -> str:
    spec.check_problem(m, n, k)
    _, _, din, dout, init = DTYPES[spec.dtype]
    size = f"{m}" if m == n == k else f"{m}x{n}x{k}"
    w = Workload(name or f"gemm_tc_{spec.dtype}_{size}",
                 f"C = A @ B, A {m}x{k} {spec.dtype} row-major, B {k}x{n} column-major, C {dout}.")
    w.buffer("A", din, [m, k], init)
    w.buffer("B", din, [k, n], init, col_major=True)
    w.buffer("C", dout, [m, n])
    args = [("buffer", "A"), ("buffer", "B"), ("buffer", "C"), ("u32", m), ("u32", n), ("u32", k)]
    ref = 'gemm { a: "A"  b: "B" }'
    if spec.dtype in FP8:
        args += [("f32", 0.5), ("f32", 0.25)]
        ref = 'gemm { a: "A"  b: "B"  alpha: 0.125 }'
    w.launch(kernel_path, (n // spec.bn, m // spec.bm, 1), (spec.threads, 1, 1), args, spec.shared_bytes)
    if dout == "INT32":
        w.check("C", ref, rtol=0, atol=0, elementwise=True)
    else:
        w.check("C", ref)
    return w.text(f"python3 -m xpusim.gen gemm --dtype {spec.dtype} --m {m} --n {n} --k {k} "
                  f"--tile {spec.bm}x{spec.bn}x{spec.bk} --stages {spec.stages}")


def generate(spec: GemmTcSpec, latencies: LatencyTable | None = None) -> str:
    return build(spec).xasm(latencies)


# ---- FP8 with 128 x 128 block scales -----------------------------------------------------------
# The workload reference: C = sum over k-blocks kb of SA[m/128, kb] * SB[n/128, kb] *
# (A[:, kb] @ B[kb, :]), in float64 from the stored values, as .npy (the format's gemm
# reference has one scalar alpha). Inputs are drawn on the FP8 grid so they store exactly.

def _fp8_values(rng, shape, dtype: str):
    import numpy as np
    mant = 8 if dtype == "e4m3" else 4                    # 3 or 2 mantissa bits
    m = rng.integers(mant, 2 * mant, shape) / mant        # 1.xxx
    e = rng.integers(-4, 4, shape).astype(np.float64)
    return rng.choice([-1.0, 1.0], shape) * m * 2.0 ** e


def write_workload_block_scaled(spec: GemmTcSpec, m: int, n: int, kdim: int, out_dir: str, kernel_path: str,
                                name: str = "", seed: int = 0) -> str:
    import os

    import numpy as np
    spec.validate()
    spec.check_problem(m, n, kdim)
    name = name or f"gemm_tc_{spec.dtype}_bs128_{m}x{n}x{kdim}"
    rng = np.random.default_rng(seed)
    a = _fp8_values(rng, (m, kdim), spec.dtype)
    b = _fp8_values(rng, (kdim, n), spec.dtype)
    sa = (2.0 ** rng.integers(-3, 4, (m // 128, kdim // 128)) * rng.uniform(0.5, 1, (m // 128, kdim // 128))).astype(np.float32)
    sb = (2.0 ** rng.integers(-3, 4, (n // 128, kdim // 128)) * rng.uniform(0.5, 1, (n // 128, kdim // 128))).astype(np.float32)
    c = np.zeros((m, n))
    for kb in range(kdim // 128):
        ks = slice(128 * kb, 128 * kb + 128)
        scale = np.repeat(np.repeat(sa[:, kb:kb + 1].astype(np.float64), 128, 0), n, 1) * \
            np.repeat(sb[:, kb].astype(np.float64), 128)[None, :]
        c += scale * (a[:, ks] @ b[ks, :])
    data = os.path.join(out_dir, "data")
    os.makedirs(data, exist_ok=True)
    for key, arr in (("A", a.astype(np.float32)), ("B", b.astype(np.float32)), ("SA", sa), ("SB", sb),
                     ("expected", c)):      # FP8 values are exact in float32
        np.save(os.path.join(data, f"{name}.{key}.npy"), arr)
    din = DTYPES[spec.dtype][2]
    w = Workload(name, f"FP8 GEMM with 128x128 block scales, {m}x{n}x{kdim}; inputs and the float64 "
                 f"reference in data/{name}.*.npy (seed {seed}).")
    w.buffer("A", din, [m, kdim], f'npy {{ path: "data/{name}.A.npy" }}')
    w.buffer("B", din, [kdim, n], f'npy {{ path: "data/{name}.B.npy" }}', col_major=True)
    w.buffer("SA", "FP32", [m // 128, kdim // 128], f'npy {{ path: "data/{name}.SA.npy" }}')
    w.buffer("SB", "FP32", [n // 128, kdim // 128], f'npy {{ path: "data/{name}.SB.npy" }}')
    w.buffer("C", "FP32", [m, n])
    w.launch(kernel_path, (n // spec.bn, m // spec.bm, 1), (spec.threads, 1, 1),
             [("buffer", "A"), ("buffer", "B"), ("buffer", "C"), ("u32", m), ("u32", n), ("u32", kdim),
              ("buffer", "SA"), ("buffer", "SB")], spec.shared_bytes)
    w.check("C", f'npy {{ path: "data/{name}.expected.npy" }}')
    return w.text(f"python3 -m xpusim.gen gemm --dtype {spec.dtype} --block-scale --m {m} --n {n} --k {kdim}")
