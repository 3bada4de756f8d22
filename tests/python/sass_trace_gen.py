"""Writes synthetic but well-formed Accel-Sim traces (kernelslist.g + kernel-N.traceg) for the
trace-replay tests: several CTAs and warps, a loop (backward BRA), a CTA barrier, every address
format (list, base+stride, base+delta as the tracer writes it), partial masks and an opcode
replay does not know. It returns what the trace holds so tests can check the replay against it.
"""

import pathlib
import random

HEADER = """-kernel name = {name}
-kernel id = {kid}
-grid dim = ({gx},1,1)
-block dim = ({bx},1,1)
-shmem = 4096
-nregs = 32
-binary version = 80
-cuda stream id = 0
-shmem base_addr = 0x00007f0000000000
-local mem base_addr = 0x00007e0000000000
-nvbit version = 1.7
-accelsim tracer version = 5
-enable lineinfo = 0

#traces format = [line_num] PC mask dest_num [reg_dests] opcode src_num [reg_srcs] mem_width [adrrescompress?] [mem_addresses] immediate

"""


def _addresses(rng, mask, base, width):
    """One memory access in a random one of the three formats; returns (text, lanes)."""
    lanes = [l for l in range(32) if mask >> l & 1]
    fmt = rng.randrange(3)
    if fmt == 1 or not lanes:  # base + stride
        return f"{width} 1 0x{base:x} {width}"
    if fmt == 0:  # list of addresses, one per executing lane
        return f"{width} 0 " + " ".join(f"0x{base + 4 * l * 3:016x}" for l in lanes)
    # base + delta: as the tracer writes it, one delta per executing lane after the first
    addrs = [base + 8 * ((l * 7) % 32) for l in lanes]
    deltas = [addrs[i] - addrs[i - 1] for i in range(1, len(addrs))]
    return f"{width} 2 0x{addrs[0]:x}" + "".join(f" {d}" for d in deltas)


def warp_program(rng, cta, warp, iters, mask):
    """(pc, line) pairs of one warp: a prologue, `iters` loop trips with loads, math and a
    barrier, and an exit."""
    g = 0x7F1000000000 + (cta * 8 + warp) * 4096
    out = []
    out.append((0x00, "0000 ffffffff 1 R1 S2R 0 0 0"))
    out.append((0x10, "0010 ffffffff 1 R2 IMAD.WIDE 2 R1 R1 0 0"))
    for i in range(iters):
        out.append((0x20, f"0020 {mask:08x} 1 R4 LDG.E 1 R2 {_addresses(rng, mask, g + 128 * i, 4)} 0"))
        out.append((0x30, f"0030 {mask:08x} 0 STS 2 R1 R4 {_addresses(rng, mask, 256 * warp, 4)} 0"))
        out.append((0x40, "0040 ffffffff 0 BAR.SYNC.DEFER_BLOCKING 0 0 0"))
        out.append((0x50, f"0050 {mask:08x} 1 R6 LDS.64 1 R1 {_addresses(rng, mask, 512 + 64 * i, 8)} 0"))
        out.append((0x60, "0060 ffffffff 1 R8 FFMA 3 R6 R7 R8 0 0"))
        out.append((0x70, "0070 ffffffff 1 R9 FOOBAR.X 1 R8 0 0"))  # not a SASS opcode replay knows
        out.append((0x80, "0080 ffffffff 0 ISETP.GE.AND 1 R1 0 0"))
        out.append((0x90, "0090 ffffffff 0 BRA 0 0 0"))
    out.append((0xA0, f"00a0 {mask:08x} 0 STG.E 2 R2 R8 {_addresses(rng, mask, g + 2048, 4)} 0"))
    out.append((0xB0, "00b0 ffffffff 0 EXIT 0 0 0"))
    # a partial warp's lanes beyond the block never execute
    return [(pc, text.replace(" ffffffff ", f" {mask:08x} ", 1)) for pc, text in out]


def write_trace(directory, ctas=6, warps=4, kernels=1, seed=1, partial_last_warp=True):
    """Writes the trace and returns its totals: warp and thread instructions, unknown opcode count."""
    d = pathlib.Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    threads = warps * 32 - (16 if partial_last_warp else 0)
    totals = {"warp_instructions": 0, "thread_instructions": 0, "unknown": 0, "kernels": kernels}
    listing = ["MemcpyHtoD,0x00007f1000000000,65536"]
    for k in range(1, kernels + 1):
        lines = [HEADER.format(name=f"_Z6synth{k}v", kid=k, gx=ctas, bx=threads)]
        for c in range(ctas):
            lines.append("#BEGIN_TB\n\n" f"thread block = {c},0,0\n\n")
            iters = 1 + (c % 3)  # every warp of a CTA loops alike: the barrier needs them all
            for w in range(warps):
                lanes = min(32, threads - 32 * w)
                mask = (1 << lanes) - 1
                prog = warp_program(rng, c, w, iters, mask)
                lines.append(f"warp = {w}\ninsts = {len(prog)}\n")
                lines.extend(text + "\n" for _, text in prog)
                totals["warp_instructions"] += len(prog)
                for _, text in prog:
                    m = int(text.split()[1], 16)
                    totals["thread_instructions"] += bin(m).count("1")
                    totals["unknown"] += "FOOBAR" in text
            lines.append("\n#END_TB\n\n")
        (d / f"kernel-{k}.traceg").write_text("".join(lines))
        listing.append(f"kernel-{k}.traceg")
    (d / "kernelslist.g").write_text("\n".join(listing) + "\n")
    return totals
