"""FlashAttention-2 forward on the builder: O = softmax(Q K^T / sqrt(D) [+ causal mask]) V for
FP16 or BF16 Q, K, V, O of shape [batch*heads, S, D], FP32 accumulation, D = 64, 128 or 256.

Grid: x = S / 64 query blocks, y = batch*heads; 4 warps per CTA, each owning 16 query rows.
A CTA copies its 64 x D Q tile and the first K block into shared memory by cp.async (LDGSTS,
one commit group each), then walks the key/value blocks of BN rows (`TILING`: 64 for
D <= 128, 32 for D = 256), each K and V tile a swizzled shared buffer, pipelined as
FlashAttention-2 does on Ampere:

    DEPBAR.LE SB0, 0; BAR.SYNC   K block kb has landed, for every warp; V kb-1 is free
    LDGSTS V block kb; commit    ... it lands during S = QK^T and the softmax
    S = Q K^T             per warp: 16 x BN, m16n8k16 MMAs, K fragments by LDSM
    online softmax        per row: m' = max(m, rowmax(S) * log2e/sqrt(D)); P = 2^(S*c - m') (MUFU.EX2);
                          alpha = 2^(m - m'); l = l * alpha + rowsum(P); O *= alpha
    DEPBAR.LE SB0, 0; BAR.SYNC   V block kb has landed, for every warp; K kb is free
    LDGSTS K block kb+1; commit  ... it lands during O += P V (predicated off after the last)
    O += P V              P re-packed from the S accumulators into A fragments (the C layout of
                          two m16n8 tiles is the A layout of one m16n8k16), V by LDSM.MT88

`Tiling.stages = 2` doubles the K and V buffers instead: K and V of block kb+1 are copied right
after the first barrier and land during all of block kb. Measured on the A100 config it is
slower than one stage (docs/kernels.md 1.4), so no head dim uses it by default.

For D <= 128 the Q fragments are loaded into registers once (LDSM) and kept. For D = 256 the
O accumulator alone is 128 registers per thread, so Q stays in its own shared tile (sQ) and
each k-step of S = Q K^T re-reads its Q fragment by LDSM, as FlashAttention-2's d256 kernels do.

Row maxima combine across the 4 lanes of a row with SHFL.BFLY 1, 2; row sums stay per lane
until the end (alpha is the same across those lanes). Causal: query block qb visits the key
blocks below key 64 qb unmasked and the 64 / BN blocks of the diagonal with a mask (key >
query gives -inf, so P = 0; a row whose keys in a diagonal block are all masked keeps its
maximum from the earlier keys, so it gets P = 0 and alpha = 1).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ..builder import Kernel, Mem, Swizzle, Workload

BM = 64                                          # query rows per CTA (16 per warp)
WARPS = 4


@dataclass(frozen=True)
class Tiling:
    """How a head dim is tiled. Registers per thread that live through the key loop: the O
    accumulator D/2 (16 x D FP32 per warp), S BN/2, Q fragments kept in registers D/4, and
    LDSM offsets: one per 16 columns of K and of V (D/8), or 4 each for Q, K and V (12) when
    compact."""
    bn: int                  # keys (and values) per block
    q_in_regs: bool          # Q fragments loaded once and kept, or re-loaded (LDSM) per k-step
    compact_offsets: bool    # 4 LDSM offset registers per operand, the rest as immediates
    stages: int = 1          # K/V buffers: 1 (V lands during S, K kb+1 during P V) or 2 (block kb+1 during kb)

    def __post_init__(self) -> None:
        if self.bn not in (16, 32, 64):
            raise ValueError(f"key block {self.bn}: must be 16, 32 or 64 (a divisor of the {BM} query rows)")
        if self.stages not in (1, 2):
            raise ValueError(f"stages {self.stages}: must be 1 or 2")


# d64/d128 keep Q in registers (D/4 = 16 or 32 words) with 64-key blocks. d256 cannot: O alone
# is 128 words and Q would be 64 more, so Q stays in shared memory (sQ, 32 KiB) and is re-read
# per k-step, blocks are 32 keys (S is 16 words) and the fragment offsets are compact.
TILING = {64: Tiling(64, True, False), 128: Tiling(64, True, False), 256: Tiling(32, False, True)}
DTYPES = {"fp16": ("HMMA.16816.F32", "F2FP.F16.F32.PACK_AB", "FP16", ""),
          "bf16": ("HMMA.16816.F32.BF16", "F2FP.BF16.F32.PACK_AB", "BF16", ".BF16_V2")}


@dataclass
class AttentionSpec:
    dtype: str = "fp16"
    head_dim: int = 64
    causal: bool = False

    def validate(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"unsupported dtype {self.dtype!r}: one of {', '.join(DTYPES)}")
        if self.head_dim not in TILING:
            raise ValueError(f"head dim must be 64, 128 or 256, got {self.head_dim}")

    @property
    def name(self) -> str:
        return f"flash_attn_fwd_{self.dtype}_d{self.head_dim}" + ("_causal" if self.causal else "")

    def check_problem(self, bh: int, seq: int) -> None:
        if seq % BM or seq <= 0:
            raise ValueError(f"sequence length {seq}: must be a positive multiple of {BM}")
        if bh <= 0 or bh > 65535:
            raise ValueError(f"batch*heads {bh}: must be 1..65535")


def build(spec: AttentionSpec) -> Kernel:
    spec.validate()
    D = spec.head_dim
    tl = TILING[D]
    BN = tl.bn
    rb = 2 * D                                   # bytes per row of a tile
    mma, pack, _, _ = DTYPES[spec.dtype]
    sw = Swizzle(rb)
    k = Kernel(spec.name, params="Q:u64 K:u64 V:u64 O:u64 S:u32 scale_log2e:f32")
    # Q re-read per k-step has its own tile; Q loaded into registers is staged through sV
    sQ = "" if tl.q_in_regs else k.shared_block("sQ", BM * rb)
    T = BN * rb                                  # bytes of a K or V stage
    two = tl.stages == 2
    sK = k.shared_block("sK", tl.stages * T)
    sV = k.shared_block("sV", max(tl.stages * T, 0 if sQ else BM * rb))
    tid = k.s2r("SR_TID.X")
    lane = k.and_(tid, 31, name="lane")
    warp = k.shr(tid, 5, name="warp")
    qb, bh = k.s2r("SR_CTAID.X"), k.s2r("SR_CTAID.Y")

    # copy assignment of a tile: 16-byte chunk t + 128 i is row (t / (D/8)) + i (2048/rb),
    # chunk t % (D/8); every copy i is + 2048 bytes in global. A copy covers 2048/rb rows: with
    # 8 or more (D <= 128) the swizzle (row & 7) is the same for every copy, one shared offset;
    # with 4 (D = 256) copies alternate between two, rows crow and crow + 4.
    cpr = D // 8
    crow = k.shr(tid, cpr.bit_length() - 1)
    cchunk = k.and_(tid, cpr - 1)
    cs = [sw.emit(k, crow, cchunk, name="cs")]
    per = max(1, 8 * rb // 2048)                 # copies per 8 rows: shared offsets to keep
    for i in range(1, per):
        cs.append(sw.emit(k, k.iadd(crow, i * 2048 // rb), cchunk, name=f"cs{i}"))
    seq_bytes = k.imad(k.mov(k.c("S")), rb, name="seq_bytes")     # one head's rows, in bytes
    own = k.lea(cchunk, k.imad(crow, rb), 4)
    head = k.imad(bh, seq_bytes, own, name="head")                # this thread's chunk in the head

    def copy_tile(ptr, sym, rows, guard=None, base=0):
        """LDGSTS (cp.async) of a rows x D tile to `sym` + base, committed as one group."""
        for i in range(rows * rb // 2048):
            k.op("LDGSTS.E.BYPASS.128", [], [Mem(cs[i % per], base + 2048 * per * (i // per), sym),
                                             Mem(ptr, 2048 * i)], guard=guard)
        k.op("LDGDEPBAR")

    def frag_offsets(row, half, n, stem):
        """(register, immediate) shared offsets of chunk 2 i + half of `row`, i < n. With rows
        of 256 bytes or more the swizzle only permutes chunks within each 128-byte group, so
        when the tiling asks for it, 4 registers serve every i (i >= 4 is + 128 (i / 4) bytes)."""
        if not tl.compact_offsets:
            return [(sw.emit(k, row, k.iadd(half, 2 * i), name=f"{stem}{i}"), 0) for i in range(n)]
        regs = [sw.emit(k, row, k.iadd(half, 2 * i), name=f"{stem}{i}") for i in range(min(n, 4))]
        return [(regs[i % 4], 128 * (i // 4)) for i in range(n)]

    # ---- Q, then K block 0, by cp.async (two groups). Q loaded into registers is staged
    # through sV: the first block's wait and BAR.SYNC order its LDSMs before V block 0 lands.
    qrow0 = k.imad(qb, BM * rb, head)
    qbase = T if two and not sQ else 0          # two stages: Q passes through V's second
    copy_tile(k.imad_wide(qrow0, 1, k.c("Q")), sQ or sV, BM, base=qbase)
    pk = k.imad_wide(head, 1, k.c("K"), name="pk")
    pv = k.imad_wide(head, 1, k.c("V"), name="pv")
    copy_tile(pk, sK, BN)
    if two:                          # V block 0 too; the copy offsets move to stage 1
        copy_tile(pv, sV, BN)
        for p in (pk, pv):
            k.add64(p, T, dst=p)
        for r in cs:
            k.xor(r, T, dst=r)
    # Q fragments: rows 16 * warp + (lane & 15), chunk 2 kk + (lane >> 4)
    arow = k.lea(warp, k.and_(lane, 15), 4)
    ahalf = k.shr(lane, 4)
    qf = []
    if tl.q_in_regs:                 # loaded once, kept for the whole kernel
        k.op("DEPBAR.LE", [], ["SB0", 2 if two else 1], comment="Q has landed")
        k.bar()
        for kk in range(D // 16):
            off = sw.emit(k, arow, k.iadd(ahalf, 2 * kk))
            r = k.reg(f"q{kk}", 4)
            k.op("LDSM.16.M88.4", [r], [Mem(off, qbase, sV)])
            qf.append(r)
    else:                            # re-loaded from sQ per k-step (the first block's wait orders it)
        qof = frag_offsets(arow, ahalf, D // 16, "qof")

    # ---- lane offsets: K as GEMM's B (row 8 (lane >> 4) + (lane & 7), chunk 2 kk + ((lane >> 3) & 1));
    # V transposed (row (lane & 7) + 8 ((lane >> 3) & 1), chunk 2 dp + (lane >> 4))
    brow = k.lea(k.shr(lane, 4), k.and_(lane, 7), 3)
    bhalf = k.and_(k.shr(lane, 3), 1)
    kof = frag_offsets(brow, bhalf, D // 16, "kof")
    vrow = k.lea(bhalf, k.and_(lane, 7), 3)
    vof = frag_offsets(vrow, ahalf, D // 16, "vof")

    m = [k.mov(-math.inf, name="m_lo"), k.mov(-math.inf, name="m_hi")]   # rows g and g + 8
    lsum = [k.mov("RZ", name="l_lo"), k.mov("RZ", name="l_hi")]
    o = [k.reg(f"o{j}", 4) for j in range(D // 8)]
    for r in o:
        for w in range(4):
            k.mov("RZ", dst=r[w])
    g = k.shr(lane, 2)
    qrow = k.lea(warp, k.imad(qb, BM, g), 4, name="qrow")              # query index of row g
    kcol = k.shl(k.and_(lane, 3), 1, name="kcol")                      # key offset 2q in a tile
    kb0 = k.mov("RZ", name="kb0")                                      # first key of the block
    diag = BM // BN                  # causal: key blocks on the diagonal, all masked in part
    nblocks = k.imad(k.iadd(qb, 1), diag) if spec.causal else k.shr(k.c("S"), BN.bit_length() - 1)
    left = k.mov(nblocks, name="left")                                 # key blocks still to run
    more = k.pred("more")

    def block(masked: bool):
        # in flight: K kb, V kb (two stages) or K kb alone (one)
        k.op("DEPBAR.LE", [], ["SB0", 1 if two else 0], comment="K block kb has landed")
        k.bar()                          # ... for every warp, and every warp is done with block kb-1
        if two:                          # block kb+1 into the other stage, during all of block kb
            k.isetp("GT.U32", left, 1, dst=more)
            copy_tile(pk, sK, BN, guard=more)
            copy_tile(pv, sV, BN, guard=more)
            k.add64(pk, T, dst=pk)
        else:
            copy_tile(pv, sV, BN)        # V kb lands during S = Q K^T and the softmax
        k.add64(pv, T, dst=pv)
        s = [k.reg(f"s{j}", 4) for j in range(BN // 8)]
        for kk in range(D // 16):
            if tl.q_in_regs:
                qa = qf[kk]
            else:
                qa = k.reg("qf", 4)
                k.op("LDSM.16.M88.4", [qa], [Mem(qof[kk][0], qof[kk][1], sQ)])
            bf = []
            for jp in range(BN // 16):
                r = k.reg("kf", 4)
                k.op("LDSM.16.M88.4", [r], [Mem(kof[kk][0], 16 * jp * rb + kof[kk][1], sK)])
                bf.append(r)
            for j in range(BN // 8):
                k.op(mma, [s[j]], [qa, bf[j // 2][2 * (j % 2)], s[j] if kk else "RZ"])
        if masked:                       # key kb0 + 8 j + 2q + e > query row: -inf
            for j in range(BN // 8):
                for e in range(4):
                    key = k.iadd(kb0, kcol, 8 * j + (e & 1))
                    row = qrow if e < 2 else k.iadd(qrow, 8)
                    ok = k.isetp("LE", key, row)
                    k.op("FSEL", [s[j][e]], [s[j][e], -math.inf, ok])
        c = k.c("scale_log2e")
        alpha = []
        for h in range(2):               # h = 0: values 0, 1 (row g); h = 1: values 2, 3 (row g + 8)
            mx = s[0][2 * h]
            for j in range(BN // 8):
                for e in (2 * h, 2 * h + 1):
                    if (j, e) != (0, 2 * h):
                        mx = k.f("FMNMX", mx, s[j][e], "!PT")
            for off in (1, 2):
                t = k.reg("shfl")
                k.op("SHFL.BFLY", [t], [mx, off, 0x1F])
                mx = k.f("FMNMX", mx, t, "!PT")
            mnew = k.f("FMNMX", k.f("FMUL", mx, c), m[h], "!PT")
            alpha.append(k.f("MUFU.EX2", k.f("FADD", m[h], -mnew)))
            k.mov(mnew, dst=m[h])
            part = k.mov("RZ")
            for j in range(BN // 8):
                for e in (2 * h, 2 * h + 1):
                    k.op("FFMA", [s[j][e]], [s[j][e], c, -mnew])
                    k.op("MUFU.EX2", [s[j][e]], [s[j][e]])
                    k.op("FADD", [part], [part, s[j][e]])
            k.op("FFMA", [lsum[h]], [lsum[h], alpha[h], part])
        for r in o:
            for w in range(4):
                k.op("FMUL", [r[w]], [r[w], alpha[w // 2]])
        # A block boundary: the list scheduler would hoist the wait for V above the softmax
        k.label(k.new_label("PV"))
        k.op("DEPBAR.LE", [], ["SB0", 2 if two else 0], comment="V block kb has landed")
        k.bar()                          # ... for every warp, and (one stage) every warp is done with K kb
        if not two:
            k.isetp("GT.U32", left, 1, dst=more)
            k.add64(pk, T, dst=pk)
            copy_tile(pk, sK, BN, guard=more)  # K kb+1 lands during O += P V
        for kk in range(BN // 16):       # O += P V, P k-step kk = S tiles 2 kk and 2 kk + 1
            pa = k.reg("p", 4)
            for r_, (j, e) in enumerate([(2 * kk, 0), (2 * kk, 2), (2 * kk + 1, 0), (2 * kk + 1, 2)]):
                k.op(pack, [pa[r_]], [s[j][e + 1], s[j][e]])
            for dp in range(D // 16):
                vf = k.reg("vf", 4)
                k.op("LDSM.16.MT88.4", [vf], [Mem(vof[dp][0], 16 * kk * rb + vof[dp][1], sV)])
                for h in range(2):
                    k.op(mma, [o[2 * dp + h]], [pa, vf[2 * h], o[2 * dp + h]])
        if two:                          # swap stages: reads to kb+1's, copies to kb+2's
            for r in dict.fromkeys(r for r, _ in kof + vof + [(c, 0) for c in cs]):
                k.xor(r, T, dst=r)
        k.iadd(left, -1, dst=left)
        k.iadd(kb0, BN, dst=kb0)

    # query block qb: keys below 64 qb unmasked; the BM/BN blocks of keys 64 qb .. 64 qb + 63 masked
    if spec.causal:
        with k.if_(k.isetp("NE", qb, "RZ")):
            with k.loop(qb if diag == 1 else k.imad(qb, diag)):
                block(False)
        if diag == 1:
            block(True)
        else:
            with k.loop(diag, name="DIAG"):
                block(True)
    else:
        with k.loop(k.shr(k.c("S"), BN.bit_length() - 1)):
            block(False)

    # ---- O = acc / l, as 16-bit pairs: row g values 0, 1, row g + 8 values 2, 3
    inv = []
    for h in range(2):
        t = lsum[h]
        for off in (1, 2):
            u = k.reg("shfl")
            k.op("SHFL.BFLY", [u], [t, off, 0x1F])
            t = k.f("FADD", t, u)
        inv.append(k.f("MUFU.RCP", t))
    po = k.imad_wide(k.lea(k.imad(qrow, rb, k.shl(kcol, 1)), k.imad(bh, seq_bytes), 0), 1, k.c("O"), name="po")
    for j, r in enumerate(o):
        for h in range(2):
            v = k.reg("out")
            k.op(pack, [v], [k.f("FMUL", r[2 * h + 1], inv[h]), k.f("FMUL", r[2 * h], inv[h])])
            k.op("STG.E", [], [Mem(po, 16 * j + 8 * rb * h), v])
    k.exit()
    k.header = [f"# Generated by `python3 -m xpusim.gen attention --dtype {spec.dtype} --head-dim {D}"
                + (" --causal" if spec.causal else "") + "` (traces/xpusim/gen/attention.py); do not edit.",
                f"# FlashAttention-2 forward, [batch*heads, S, {D}] {spec.dtype}; grid (S/64, batch*heads), 128 threads."]
    return k


def reference(q, kk, v, causal: bool):
    import numpy as np
    q, kk, v = (x.astype(np.float64) for x in (q, kk, v))
    s = q @ kk.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
    if causal:
        n = s.shape[-1]
        s = np.where(np.tril(np.ones((n, n), dtype=bool)), s, -np.inf)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


def write_workload(spec: AttentionSpec, bh: int, seq: int, out_dir: str, kernel_path: str,
                   name: str = "", seed: int = 0, data: bool = True) -> str:
    """The workload; with `data`, random inputs and the float64 reference as .npy under
    out_dir/data (without: random inputs from the workload's seed and no check, for the large
    sizes whose reference would be too big to ship)."""
    import numpy as np
    spec.check_problem(bh, seq)
    name = name or f"{spec.name.replace('flash_attn_fwd', 'attn')}_{bh}x{seq}"
    _, _, dt, _ = DTYPES[spec.dtype]
    w = Workload(name, f"FlashAttention-2 forward, {bh} heads x {seq} x {spec.head_dim} {spec.dtype}"
                 + (", causal" if spec.causal else "") + (f"; inputs and float64 reference in data/{name}.*.npy" if data else ""))
    shape = [bh, seq, spec.head_dim]
    if data:
        rng = np.random.default_rng(seed)
        arrs = {x: rng.standard_normal(shape).astype(np.float32) for x in "QKV"}
        if spec.dtype == "fp16":
            arrs = {x: a.astype(np.float16) for x, a in arrs.items()}
        else:                            # BF16: truncate to bf16-representable float32 values
            arrs = {x: (a.view(np.uint32) & 0xFFFF0000).view(np.float32) for x, a in arrs.items()}
        os.makedirs(os.path.join(out_dir, "data"), exist_ok=True)
        for x, a in arrs.items():
            np.save(os.path.join(out_dir, "data", f"{name}.{x}.npy"), a)
            w.buffer(x, dt, shape, f'npy {{ path: "data/{name}.{x}.npy" }}')
        np.save(os.path.join(out_dir, "data", f"{name}.expected.npy"),
                reference(arrs["Q"], arrs["K"], arrs["V"], spec.causal))
    else:
        for x in "QKV":
            w.buffer(x, dt, shape, "normal { std: 1 }")
    w.buffer("O", dt, shape)
    w.launch(kernel_path, (seq // BM, bh, 1), (32 * WARPS, 1, 1),
             [("buffer", "Q"), ("buffer", "K"), ("buffer", "V"), ("buffer", "O"), ("u32", seq),
              ("f32", 1.4426950408889634 / math.sqrt(spec.head_dim))])
    if data:
        w.check("O", f'npy {{ path: "data/{name}.expected.npy" }}')
    return w.text(f"python3 -m xpusim.gen attention --dtype {spec.dtype} --head-dim {spec.head_dim} "
                  f"--bh {bh} --seq {seq}" + (" --causal" if spec.causal else ""))
