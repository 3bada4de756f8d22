"""4-bit weights for the tensor-core GEMM, MARLIN-style: FP16 A, B quantized, dequantised in
registers straight into HMMA fragments (docs/kernels.md 1.1, "Quantized weights").

The weights are stored pre-shuffled so that one 32-bit word is what one lane needs for one
m16n8k16 step over 16 columns of N, and the kernel never writes dequantised weights to
shared memory:

    global Bq[N/16][K/16][32 lanes] uint32      word of lane (g, q) for n16 block nb, k16 block kb
    nibbles of a word: the lane's B fragments of the two n8 tiles t = 0, 1 (n = 16nb + 8t + g),
        fragment register r = 0, 1 and half e = 0, 1 (k = 16kb + 2q + e + 8r), pair P = 2t + r:
        int4           nibble P + 4e       (pairs (0,4) (1,5) (2,6) (3,7))
        mxfp4, nvfp4   nibble [0,4,1,5][P] + 2e   (pairs (0,2) (4,6) (1,3) (5,7))
    scales S[K/group][N], zero points Z[K/group][N] (int4): columns permuted inside each 16 as
        0, 8, 1, 9, ..., 7, 15, so lane g finds the values of columns g and 8 + g side by side

A k-tile of B (BN/16 runs of BK/16 * 128 contiguous bytes) and its scale rows are copied into
the stage with LDGSTS, in the same commit group as A, so B is pipelined like A. Per k-step a
lane loads one word per 16 columns with LDS.32 and turns it into four FP16x2 registers:

    int4   h = (w & 0x000f000f) | 0x64006400          = 1024 + q           (pair 0; pair 2 from w >> 8)
           h = (w & 0x00f000f0) | 0x64006400          = 1024 + 16 q        (pair 1; pair 3 from w >> 8)
           x = h - (1024 + z)  or  x = h / 16 - (64 + z)                   (HADD2 / HFMA2, exact)
           b = x * s                                                        (HMUL2)
    fp4    H = sign and magnitude of each code as an FP16 high byte: s000 eem0 (SHF, LOP3)
           h = PRMT(H, 0x1404 | 0x3424, RZ) = v * 2^-14                    (one per pair)
           b = h * s (NVFP4, 2^14 * ts applied to C) or h * 2^14 * s (MXFP4)   (HMUL2)
    scales (once per k-tile and 16 columns): int4 zero points become 1024 + z by PRMT with the
    magic number; UE4M3 codes shifted to bits 7..13 of an FP16 are s * 2^-8 (PRMT, SHF, LOP3,
    then HMUL2 by 256); UE8M0 goes through F2F.F16.UE8M0.
"""

from __future__ import annotations

from ..builder import Mem, Word

# name -> (group along K (None: --group), scale dtype, scale bytes, extra kernel parameters)
QUANT = {
    "int4": (None, "FP16", 2, " Z:u64"),       # W = (q - Z) * S, q UINT4, Z UINT8, S FP16
    "mxfp4": (32, "UE8M0", 1, ""),             # W = e2m1 * 2^(S - 127)   (OCP MX block of 32)
    "nvfp4": (16, "UE4M3", 1, " ts:f32"),      # W = e2m1 * ue4m3 S * ts  (block of 16 + tensor scale)
}
INT4_GROUPS = (32, 64, 128, 256)
MAGIC16 = "0x64006400"   # 1024.0 in both FP16 halves: (n | 0x6400) is 1024 + n for n < 1024
PERM16 = [c for g in range(8) for c in (g, 8 + g)]   # stored column -> logical column in a block of 16
FP4_PAIR_NIBBLE = [0, 4, 1, 5]      # first nibble of FP4 pair P; its second is 2 further
E2M1 = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]


def group_of(spec) -> int:
    return QUANT[spec.wq][0] or spec.group


def _rows(spec) -> int:
    """Scale rows per k-tile: one per group the k-tile covers (one if a group spans tiles)."""
    return max(1, spec.bk // group_of(spec))


def b_bytes(spec) -> int:
    return spec.bn * spec.bk // 2


def scale_row_bytes(spec) -> tuple[int, int]:
    """(S bytes, Z bytes) of one scale row of the CTA's BN columns."""
    return spec.bn * QUANT[spec.wq][2], spec.bn if spec.wq == "int4" else 0


def stage_bytes(spec) -> int:
    s, z = scale_row_bytes(spec)
    total = spec.stage_a + b_bytes(spec) + _rows(spec) * (s + z)
    return (total + 127) // 128 * 128       # stages stay 128-byte aligned for the A swizzle


def _b_copy(spec) -> tuple[int, int]:
    """(bytes per LDGSTS, LDGSTS per thread) of a B k-tile, or (0, 0) if it does not divide."""
    nb, t = b_bytes(spec), spec.threads
    if nb % (16 * t) == 0:
        return 16, nb // (16 * t)
    if nb in (8 * t, 4 * t):
        return nb // t, 1
    return 0, 0


def validate(spec) -> None:
    """Raises ValueError for a quantized GEMM the kernel cannot run."""
    if spec.wq not in QUANT:
        raise ValueError(f"unknown weight format {spec.wq!r}: one of {', '.join(QUANT)}")
    if spec.dtype != "fp16":
        raise ValueError(f"quantized weights take fp16 activations, not {spec.dtype}")
    if spec.wq == "int4" and spec.group not in INT4_GROUPS:
        raise ValueError(f"int4 group must be one of {', '.join(map(str, INT4_GROUPS))}, got {spec.group}")
    if spec.bn & (spec.bn - 1):
        raise ValueError(f"tile N {spec.bn}: quantized weights need a power of two")
    if _b_copy(spec) == (0, 0):
        raise ValueError(f"tile {spec.bn}x{spec.bk}: its {b_bytes(spec)} B of 4-bit weights must split into "
                         f"4, 8 or 16k bytes for each of {spec.threads} threads")
    s, z = scale_row_bytes(spec)
    chunks = _rows(spec) * (s + z) // 16
    if chunks > spec.threads:
        raise ValueError(f"tile {spec.bn}x{spec.bk}: {chunks} 16-byte scale chunks per k-tile exceed "
                         f"{spec.threads} threads")


def check_problem(spec, n: int, k: int) -> None:
    g = group_of(spec)
    if k % g:
        raise ValueError(f"K {k}: must be a multiple of the {spec.wq} group {g}")


class QuantB:
    """Device code of the B operand: LDGSTS of the packed tile and its scales, and the
    dequantisation of each k-step's fragments in registers."""

    def __init__(self, k, spec, tid, bx, lane, wn_i) -> None:
        self.k, self.spec, self.tid = k, spec, tid
        self.group = group_of(spec)
        self.rows = _rows(spec)
        srow, _ = scale_row_bytes(spec)
        self.s_at = spec.stage_a + b_bytes(spec)             # scale rows inside a stage
        self.z_at = self.s_at + self.rows * srow
        self._b_copy_setup(bx)
        self._scale_copy_setup(bx)
        self.kload = k.mov("RZ", name="kload")              # first K element of the tile being loaded
        self._read_setup(lane, wn_i)
        self.magic = k.mov(MAGIC16, name="magic") if spec.wq == "int4" else None
        self.scales = []

    def _b_copy_setup(self, bx) -> None:
        """Thread t moves bytes [t*cs, t*cs + cs) (+ i*T*cs) of each k-tile of B."""
        k, spec, tid = self.k, self.spec, self.tid
        T, bn, run = spec.threads, spec.bn, spec.bk * 8      # run: bytes of one n16 block per k-tile
        self.cs, ncopy = _b_copy(spec)
        self.bcopy = []
        for i in range(ncopy):
            b = k.imad(tid, self.cs, i * T * self.cs, name="bbyte")
            nb = k.imad(bx, bn // 16, k.shr(b, run.bit_length() - 1), name="nb")
            off = k.lop(b, run - 1, 0xC0)
            off = k.imad(nb, k.shl(k.mov(k.c("K")), 3), off)  # + nb * K/16 * 128
            self.bcopy.append((k.imad_wide(off, 1, k.c("B"), name=f"gq{i}"), k.iadd(b, spec.stage_a, name=f"sq{i}")))

    def _scale_copy_setup(self, bx) -> None:
        """The first threads move 16 bytes each of the k-tile's S rows, the next ones of its Z rows."""
        k, spec, tid = self.k, self.spec, self.tid
        sbytes = QUANT[spec.wq][2]
        srow, zrow = scale_row_bytes(spec)
        sc, zc = srow // 16, zrow // 16
        self.copiers = self.rows * (sc + zc)
        is_s = k.isetp("LT.U32", tid, self.rows * sc)
        u = k.iadd(tid, -self.rows * sc) if zc else tid
        row = k.shr(tid, sc.bit_length() - 1)
        col = k.and_(tid, sc - 1)
        rowbytes = k.mov(k.c("N"), name="srowb")
        if sbytes == 2:
            rowbytes = k.shl(rowbytes, 1, name="srowb")
        goff = k.imad(row, rowbytes, k.imad(bx, srow, k.shl(col, 4)))
        soff = k.imad(row, srow, k.lea(col, self.s_at, 4))
        if zc:
            zrow_i = k.shr(u, zc.bit_length() - 1)
            zcol = k.and_(u, zc - 1)
            zgoff = k.imad(zrow_i, k.c("N"), k.imad(bx, zrow, k.shl(zcol, 4)))
            zsoff = k.imad(zrow_i, zrow, k.lea(zcol, self.z_at, 4))
            sbase, zbase = k.imad_wide(goff, 1, k.c("S")), k.imad_wide(zgoff, 1, k.c("Z"))
            self.sc_base = k.reg("scbase", 2)
            k.op("SEL", [self.sc_base[0]], [sbase[0], zbase[0], is_s])
            k.op("SEL", [self.sc_base[1]], [sbase[1], zbase[1], is_s])
            self.sc_soff = k.f("SEL", soff, zsoff, is_s, name="scsoff")
            self.sc_rowb = k.f("SEL", rowbytes, k.mov(k.c("N")), is_s, name="scrowb")
        else:
            self.sc_base = k.imad_wide(goff, 1, k.c("S"), name="scbase")
            self.sc_soff, self.sc_rowb = soff, rowbytes

    def _read_setup(self, lane, wn_i) -> None:
        """Per-lane offsets inside a stage of the warp's packed words and scale pairs."""
        k, spec = self.k, self.spec
        sbytes, run = QUANT[spec.wq][2], spec.bk * 8
        g = k.shr(lane, 2, name="g")
        nj = spec.ni // 2                                    # n16 blocks of this warp
        w0 = k.imad(wn_i, nj, "RZ") if spec.wn > 1 else "RZ"  # the warp's first n16 block in the tile
        self.nj = nj
        self.off_b = k.lea(lane, k.imad(w0, run, spec.stage_a) if spec.wn > 1 else spec.stage_a, 2, name="offb")
        self.off_s = k.imad(w0, 16 * sbytes, k.lea(g, self.s_at, sbytes.bit_length()), name="offs") \
            if spec.wn > 1 else k.lea(g, self.s_at, sbytes.bit_length(), name="offs")
        if spec.wq == "int4":
            self.off_z = k.imad(w0, 16, k.lea(g, self.z_at, 1), name="offz") if spec.wn > 1 \
                else k.lea(g, self.z_at, 1, name="offz")

    # ---- global -> shared ----------------------------------------------------------------
    def load(self, ws, guard) -> None:
        """LDGSTS the next k-tile of B and its scale rows into the stage at `ws` (the caller
        commits the group with A's copies)."""
        k, spec = self.k, self.spec
        op = {16: "LDGSTS.E.BYPASS.128", 8: "LDGSTS.E.64", 4: "LDGSTS.E.32"}[self.cs]
        for gp, sp in self.bcopy:
            k.op(op, [], [Mem(k.iadd(ws, sp)), Mem(gp)], guard=guard)
        kg = k.shr(self.kload, self.group.bit_length() - 1)
        ptr = k.imad_wide(kg, self.sc_rowb, self.sc_base)
        p = k.pred("sccopy")
        k.op("ISETP.LT.U32.AND", [p], ["PT", self.tid, self.copiers, guard if guard is not None else "PT"])
        k.op("LDGSTS.E.BYPASS.128", [], [Mem(k.iadd(ws, self.sc_soff)), Mem(ptr)], guard=p)
        k.iadd(self.kload, spec.bk, dst=self.kload)

    def advance(self) -> None:
        for gp, _ in self.bcopy:
            self.k.add64(gp, self.spec.bk * 8, dst=gp)

    # ---- shared -> registers -------------------------------------------------------------
    def begin_tile(self, rs) -> None:
        """Loads this k-tile's scales (and zero points) for the lane's columns as FP16 pairs:
        self.scales[row][j] = (s, zh, zl) with zh = 1024 + z, zl = 64 + z (int4)."""
        k, spec = self.k, self.spec
        self.rb = k.iadd(rs, self.off_b, name="rb")
        s_at = k.iadd(rs, self.off_s)
        z_at = k.iadd(rs, self.off_z) if spec.wq == "int4" else None
        srow, zrow = scale_row_bytes(spec)
        self.scales = []
        for r in range(self.rows):
            row = []
            for j in range(self.nj):
                if spec.wq == "int4":
                    s, z = k.reg("s"), k.reg("z")
                    k.op("LDS", [s], [Mem(s_at, r * srow + j * 32)])
                    k.op("LDS.U16", [z], [Mem(z_at, r * zrow + j * 16)])
                    zh = k.f("PRMT", z, "0x5150", self.magic, name="zh")     # bytes z0 64 z1 64
                    zl = k.f("HADD2", zh, -960.0, name="zl")
                    row.append((s, zh, zl))
                elif spec.wq == "nvfp4":
                    # UE4M3 code c << 7 read as FP16 is c's value * 2^-8, subnormals included
                    raw = k.reg("sraw")
                    k.op("LDS.U16", [raw], [Mem(s_at, r * srow + j * 16)])
                    c2 = k.and_(k.shr(k.f("PRMT", raw, "0x1404", "RZ"), 1), "0x3f803f80")
                    row.append((k.f("HMUL2", c2, 256.0, name="s"), None, None))
                else:
                    raw = k.reg("sraw")
                    k.op("LDS.U16", [raw], [Mem(s_at, r * srow + j * 16)])
                    cvt = "F2F.F16." + QUANT[spec.wq][1]
                    lo, hi = k.f(cvt, raw.sel(".B0")), k.f(cvt, raw.sel(".B1"))
                    row.append((k.f("PRMT", lo, "0x5410", hi, name="s"), None, None))
            self.scales.append(row)

    def fragments(self, ks: int) -> list:
        """The B fragments of k-step ks: one 4-register value per n16 block, registers
        (tile 0, k 0-7), (tile 0, k 8-15), (tile 1, k 0-7), (tile 1, k 8-15), as LDSM.x4 gives."""
        k, spec = self.k, self.spec
        row = self.scales[(ks * 16) // self.group if self.group < spec.bk else 0]
        out = []
        for j in range(self.nj):
            w = k.reg("bq")
            k.op("LDS", [w], [Mem(self.rb, (j * (spec.bk // 16) + ks) * 128)])
            frag = k.reg(f"bf{j}", 4)
            s, zh, zl = row[j]
            if spec.wq == "int4":
                w8 = k.shr(w, 8)
                for p in range(4):
                    t, r = p >> 1, p & 1
                    h = k.lop(w8 if t else w, "0xf000f0" if r else "0xf000f", 0xEA, c=self.magic)
                    sel = ".H1_H1" if t else ".H0_H0"
                    if r:      # 1024 + 16q: /16 - (64 + z)
                        x = k.f("HFMA2", h, 0.0625, Word(zl, 0, "-", sel))
                    else:      # 1024 + q - (1024 + z)
                        x = k.f("HADD2", h, Word(zh, 0, "-", sel))
                    k.op("HMUL2", [frag[p]], [x, s.sel(sel)])
            else:
                hh = k.lop(w, "0x80808080", 0xEA, c=k.lop(k.shr(w, 3), "0x0e0e0e0e", 0xC0))  # high nibbles
                hl = k.lop(k.shl(w, 4), "0x80808080", 0xEA, c=k.lop(k.shl(w, 1), "0x0e0e0e0e", 0xC0))
                for p in range(4):
                    src = hh if FP4_PAIR_NIBBLE[p] & 1 else hl
                    h = k.f("PRMT", src, "0x3424" if FP4_PAIR_NIBBLE[p] & 4 else "0x1404", "RZ")
                    sel = ".H1_H1" if p >> 1 else ".H0_H0"
                    if spec.wq == "mxfp4":
                        h = k.f("HMUL2", h, 16384.0)
                    k.op("HMUL2", [frag[p]], [h, s.sel(sel)])
            out.append(frag)
        return out

    def epilogue_scale(self):
        """The FP32 factor C needs (NVFP4: ts * 2^14), or None."""
        if self.spec.wq != "nvfp4":
            return None
        return self.k.f("FMUL", self.k.mov(self.k.c("ts")), 16384.0, name="cscale")


# ---- host side: the pre-shuffled layout ------------------------------------------------------

def _lane_coords():
    """(n offset in the n16 block, k offset in the k16 block) of each (lane, pair, half)."""
    import numpy as np
    lane = np.arange(32)[:, None, None]
    p = np.arange(4)[None, :, None]
    e = np.arange(2)[None, None, :]
    n = 8 * (p >> 1) + (lane >> 2)
    kk = 2 * (lane & 3) + e + 8 * (p & 1)
    return np.broadcast_to(n, (32, 4, 2)), np.broadcast_to(kk, (32, 4, 2))


def nibble_of(wq: str):
    """Nibble position of (pair, half) in a word: [4][2]."""
    import numpy as np
    if wq == "int4":
        return np.array([[p, p + 4] for p in range(4)])
    return np.array([[FP4_PAIR_NIBBLE[p], FP4_PAIR_NIBBLE[p] + 2] for p in range(4)])


def pack_weights(codes, wq: str):
    """codes [N, K] of 4-bit values (uint8 0..15) -> the kernel's words [N/16, K/16, 32] uint32."""
    import numpy as np
    n, kdim = codes.shape
    if n % 16 or kdim % 16:
        raise ValueError(f"weights {n}x{kdim}: N and K must be multiples of 16")
    blocks = codes.reshape(n // 16, 16, kdim // 16, 16).transpose(0, 2, 1, 3)   # [nb, kb, n16, k16]
    nn, kk = _lane_coords()
    vals = blocks[:, :, nn, kk].astype(np.uint32)                                # [nb, kb, 32, 4, 2]
    shift = (4 * nibble_of(wq)).astype(np.uint32)
    return (vals << shift).sum(axis=(3, 4), dtype=np.uint64).astype(np.uint32)


def unpack_weights(words, wq: str):
    """The inverse of pack_weights: [N/16, K/16, 32] uint32 -> codes [N, K]."""
    import numpy as np
    nb, kb, _ = words.shape
    shift = (4 * nibble_of(wq)).astype(np.uint32)
    vals = (words[:, :, :, None, None] >> shift) & 15
    blocks = np.zeros((nb, kb, 16, 16), np.uint8)
    nn, kk = _lane_coords()
    blocks[:, :, nn, kk] = vals
    return blocks.transpose(0, 2, 1, 3).reshape(nb * 16, kb * 16)


def permute_columns(x):
    """[rows, N] -> the stored order: columns 0, 8, 1, 9, ... inside each 16."""
    import numpy as np
    n = x.shape[1]
    return x[:, (np.arange(n) // 16) * 16 + np.array(PERM16 * (n // 16))]


def random_weights(rng, wq: str, n: int, kdim: int, group: int) -> dict:
    """Random 4-bit weights whose dequantised values are exact in FP16 (so the float64 check
    measures the kernel, not the format): {"codes", "S", "Z" (int4), "ts" (nvfp4), "W"}, with
    W [N, K] the logical dequantised weights in float64 and S, Z as [N, K/group]."""
    import numpy as np
    ng = kdim // group
    out = {"codes": rng.integers(0, 16, (n, kdim), dtype=np.uint8)}
    if wq == "int4":
        z = rng.integers(0, 16, (n, ng), dtype=np.uint8)
        # 6 significant bits and |q - z| < 16: every (q - z) * s is an FP16 value
        s = (rng.integers(32, 64, (n, ng)) / 64 * 2.0 ** rng.integers(-8, 0, (n, ng))).astype(np.float16)
        out.update(S=s, Z=z)
        w = (out["codes"].astype(np.float64) - np.repeat(z, group, 1)) * np.repeat(s.astype(np.float64), group, 1)
    else:
        codes = out["codes"]
        v = np.where(codes >= 8, -1.0, 1.0) * np.array(E2M1)[codes % 8]
        if wq == "mxfp4":      # powers of two from 2^-12 to 2^4: v * s stays an FP16 value
            s = 2.0 ** rng.integers(-12, 5, (n, ng)).astype(np.float64)
            ts = 1.0
        else:                  # every finite UE4M3 value but 0 (codes 1..126), tensor scale 0.5
            e, m = rng.integers(0, 16, (n, ng)), rng.integers(0, 8, (n, ng))
            m = np.where((e == 0) & (m == 0), 1, np.where((e == 15) & (m == 7), 6, m))
            s = np.where(e == 0, m / 8 * 2.0 ** -6, (1 + m / 8) * 2.0 ** (e - 7))
            ts = 0.5
            out["ts"] = ts
        out["S"] = s.astype(np.float32)
        w = v * np.repeat(s, group, 1) * ts
    out["W"] = w
    return out


def write_workload(spec, m: int, n: int, kdim: int, out_dir: str, kernel_path: str, name: str = "",
                   seed: int = 0) -> str:
    """Random FP16 activations and 4-bit weights, the weights packed and the scales permuted as
    the kernel reads them, with the float64 reference of A @ W^T from the logical weights, as
    .npy under out_dir/data; returns the workload text."""
    import os

    import numpy as np

    from ..builder import Workload
    spec.validate()
    spec.check_problem(m, n, kdim)
    group = group_of(spec)
    name = name or f"gemm_tc_{spec.wq}_{m}x{n}x{kdim}"
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, kdim)).astype(np.float16)
    q = random_weights(rng, spec.wq, n, kdim, group)
    files = {"A": a, "B": pack_weights(q["codes"], spec.wq), "S": permute_columns(q["S"].T.copy())}
    if spec.wq == "int4":
        files["Z"] = permute_columns(q["Z"].T.copy())
    files["expected"] = a.astype(np.float64) @ q["W"].T
    data = os.path.join(out_dir, "data")
    os.makedirs(data, exist_ok=True)
    for key, arr in files.items():
        np.save(os.path.join(data, f"{name}.{key}.npy"), arr)
    ng = kdim // group
    wl = Workload(name, f"FP16 x {spec.wq} GEMM {m}x{n}x{kdim} (group {group}), weights pre-shuffled for register "
                  f"dequantisation (gen/gemm_quant.py); inputs and the float64 reference of the logical weights in "
                  f"data/{name}.*.npy (seed {seed}).")
    wl.buffer("A", "FP16", [m, kdim], f'npy {{ path: "data/{name}.A.npy" }}')
    wl.buffer("B", "UINT32", [n // 16, kdim // 16, 32], f'npy {{ path: "data/{name}.B.npy" }}')
    wl.buffer("S", QUANT[spec.wq][1], [ng, n], f'npy {{ path: "data/{name}.S.npy" }}')
    if spec.wq == "int4":
        wl.buffer("Z", "UINT8", [ng, n], f'npy {{ path: "data/{name}.Z.npy" }}')
    wl.buffer("C", "FP32", [m, n])
    args = [("buffer", "A"), ("buffer", "B"), ("buffer", "C"), ("u32", m), ("u32", n), ("u32", kdim), ("buffer", "S")]
    if spec.wq == "int4":
        args.append(("buffer", "Z"))
    if spec.wq == "nvfp4":
        args.append(("f32", q["ts"]))
    wl.launch(kernel_path, (n // spec.bn, m // spec.bm, 1), (spec.threads, 1, 1), args, spec.shared_bytes)
    wl.check("C", f'npy {{ path: "data/{name}.expected.npy" }}')
    extra = f" --group {group}" if spec.wq == "int4" else ""
    return wl.text(f"python3 -m xpusim.gen gemm --dtype fp16 --weights {spec.wq}{extra} --m {m} --n {n} --k {kdim} "
                   f"--tile {spec.bm}x{spec.bn}x{spec.bk} --stages {spec.stages} --warps {spec.wm}x{spec.wn}")
