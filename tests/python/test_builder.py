"""The kernel builder (traces/xpusim/builder): register allocation, list scheduling, control
bits from the assembler pass, swizzles, and the generators' parameter validation."""

import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from xpusim.builder import BuildError, Kernel, LatencyTable, Mem, Swizzle, ldsm_phase_conflicts
from xpusim.builder.regalloc import allocate

A100 = ROOT / "configs" / "gpu" / "a100.textproto"


def test_simultaneously_live_values_get_different_registers_and_dead_ones_are_reused():
    k = Kernel("t", params="p:u64")
    a, b, c = k.mov(1), k.mov(2), k.mov(3)
    s = k.iadd(a, b, c)                 # a, b, c all live here
    chain = s
    for _ in range(40):                 # each temporary dies at the next instruction
        chain = k.iadd(chain, 1)
    ptr = k.imad_wide(chain, 4, k.c("p"))
    k.op("STG.E", [], [Mem(ptr), chain])
    k.exit()
    regs, _, n = allocate(k.insts, 255)
    assert len({regs[a.id], regs[b.id], regs[c.id]}) == 3
    assert n <= 4, "43 short-lived values fit in a handful of registers"
    assert regs[ptr.id] % 2 == 0, "a pair starts on an even register"
    assert regs[chain.id] not in (regs[ptr.id], regs[ptr.id] + 1), "STG's data and address are both live"


def test_wide_registers_are_aligned_and_never_overlap_their_sources():
    k = Kernel("t", params="p:u64")
    q = k.reg("q", 4)
    ptr = k.imad_wide(k.mov(0), 1, k.c("p"))
    k.op("LDG.E.128", [q], [Mem(ptr)])
    r = k.reg("r", 4)
    k.op("LDG.E.128", [r], [Mem(ptr, 16)])     # ptr dies here: r must still not overlap it
    k.op("STG.E.128", [], [Mem(k.imad_wide(k.mov(0), 1, k.c("p"))), q])
    k.op("STG.E.128", [], [Mem(k.imad_wide(k.mov(16), 1, k.c("p"))), r])
    k.exit()
    regs, _, _ = allocate(k.insts, 255)
    assert regs[q.id] % 4 == 0 and regs[r.id] % 4 == 0
    assert not set(range(regs[r.id], regs[r.id] + 4)) & {regs[ptr.id], regs[ptr.id] + 1}


def test_loop_carried_value_stays_live_across_the_back_edge():
    k = Kernel("t", params="p:u64")
    acc = k.mov(0, name="acc")
    with k.loop(10):
        t = k.iadd(acc, 5, name="t")         # acc's last use in the body ...
        u = k.imad(t, 3, "RZ", name="u")     # ... but it is read again next iteration
        k.iadd(u, 1, dst=acc)
    k.op("STG.E", [], [Mem(k.imad_wide(k.mov(0), 1, k.c("p"))), acc])
    k.exit()
    regs, _, _ = allocate(k.insts, 255)
    n = [i for i in k.insts if i.op == "MOV" and i.srcs == [10]][0].dsts[0]
    assert regs[u.id] != regs[n.id], "the trip counter is live around the loop"
    assert regs[t.id] != regs[n.id]


def test_predicated_write_does_not_end_the_old_value():
    k = Kernel("t", params="p:u64")
    x = k.mov(1, name="x")
    y = k.mov(2, name="y")               # defined after x, live until the end
    p = k.isetp("GT", y, 1)
    k.op("MOV", [x], [7], guard=p)       # x keeps its old value where p is false
    other = k.iadd(y, 3, name="other")   # must not take x's register
    k.op("STG.E", [], [Mem(k.imad_wide(other, 1, k.c("p"))), x])
    k.exit()
    regs, _, _ = allocate(k.insts, 255)
    assert regs[other.id] != regs[x.id]


def test_running_out_of_registers_is_a_clear_error():
    k = Kernel("big", params="p:u64", max_regs=8)
    vals = [k.mov(i) for i in range(12)]
    s = vals[0]
    for v in vals[1:]:
        s = k.iadd(s, v)
    k.op("STG.E", [], [Mem(k.imad_wide(s, 1, k.c("p"))), s])
    k.exit()
    with pytest.raises(BuildError, match=r"big: register allocation needs more than 8 registers \(no spilling\)"):
        k.xasm()


def test_builder_refuses_bad_kernels():
    k = Kernel("t", params="n:u32")
    with pytest.raises(BuildError, match="no parameter 'm'"):
        k.c("m")
    k.mov(1)
    with pytest.raises(BuildError, match="last instruction must be an unconditional EXIT"):
        k.xasm()


def test_latency_table_reads_the_config():
    t = LatencyTable.from_config(str(A100))
    assert t.of("HMMA.16816.F32") == 16 and t.of("HMMA.16816.F32.BF16") == 16
    assert t.of("IMMA.16816.S8.S8") == 8 and t.of("HMMA.1684.F32.TF32") == 8
    assert t.of("IMAD.WIDE.U32") == 3 and t.of("IADD3") == 4 and t.of("MUFU.EX2") == 14
    assert LatencyTable().of("IMAD") == 4            # the assembler's defaults without a config


def test_list_scheduler_hides_latency_and_keeps_dependences():
    k = Kernel("t", params="p:u64")
    a = k.mov(1.0)
    b = k.f("FFMA", a, a, a)            # a dependent chain ...
    c = k.f("FFMA", b, b, b)
    d = k.f("FFMA", c, c, c)
    x = k.mov(2.0)                      # ... and independent work written after it
    y = k.f("FMUL", x, x)
    z = k.f("FADD", d, y)
    k.op("STG.E", [], [Mem(k.imad_wide(k.mov(0), 1, k.c("p"))), z])
    k.exit()
    order = list(k.insts)
    k.schedule(LatencyTable.from_config(str(A100)))
    pos = {id(i): n for n, i in enumerate(k.insts)}
    assert sorted(pos.values()) == list(range(len(order)))
    for n, inst in enumerate(k.insts):      # every source is written earlier in the new order
        for r in inst.reg_uses():
            writers = [pos[id(j)] for j in order if r in j.reg_defs() and pos[id(j)] != n]
            assert writers and min(writers) < n
    assert pos[id(order[5])] < pos[id(order[3])], "the independent FMUL moves into the chain's shadow"
    assert k.insts[-1].op == "EXIT"


def test_latency_table_reads_unit_intervals_by_the_sm_rule():
    t = LatencyTable.from_config(str(A100))
    assert t.interval_of("HMMA.16816.F32") == 8 and t.interval_of("HMMA.1684.F32.TF32") == 4   # tensor entries
    assert t.interval_of("IADD3") == 2 and t.interval_of("MUFU.EX2") == 8 and t.interval_of("BAR.SYNC") == 1
    v100 = LatencyTable.from_config(str(ROOT / "configs" / "gpu" / "v100.textproto"))
    assert v100.interval_of("HMMA.16816.F32") == 17        # an opcode entry overrides the tensor entry
    assert LatencyTable().interval_of("HMMA.16816.F32") == 1   # without a config: the default interval
    assert not t.unit_intervals and LatencyTable.from_config(str(A100), unit_intervals=True).unit_intervals


def test_list_scheduler_fills_a_busy_unit_with_other_units_only_when_asked():
    def build():
        k = Kernel("t")
        for _ in range(4):                  # independent MMAs: each holds the tensor pipe 8 cycles
            acc = k.reg("acc", 4)
            k.op("HMMA.16816.F32", [acc], [k.reg("a", 4), k.reg("b", 2), acc])
        for _ in range(4):                  # short integer work written after them
            k.iadd(k.reg("x"), 1)
        k.exit()
        return k
    heads = lambda k: [i.head for i in k.insts[:-1]]
    k = build()
    k.schedule(LatencyTable.from_config(str(A100)))           # today's default: one issue per cycle
    assert heads(k) == ["HMMA"] * 4 + ["IADD3"] * 4
    k = build()
    k.schedule(LatencyTable.from_config(str(A100), unit_intervals=True))
    # HMMA at cycle 0; the IADD3s at 1, 3, 5, 7 (INT interval 2) while the pipe is busy; the
    # next HMMAs at 8, 16, 24
    assert heads(k) == ["HMMA"] + ["IADD3"] * 4 + ["HMMA"] * 3


def test_interval_schedule_over_max_regs_falls_back_to_the_default_schedule():
    from xpusim.gen import gemm_tc
    spec = gemm_tc.GemmTcSpec("fp16", 128, 128, 32, wq="mxfp4")
    plain = gemm_tc.generate(spec, LatencyTable.from_config(str(A100)))
    regs = lambda text: int(re.search(r"^\.regs (\d+)$", text, re.M).group(1))
    ivl = LatencyTable.from_config(str(A100), unit_intervals=True)
    assert regs(gemm_tc.generate(spec, ivl)) > regs(plain)   # filling the tensor pipe's gaps costs registers
    k = gemm_tc.build(spec)
    k.max_regs = regs(plain)
    assert k.xasm(ivl) == plain             # not program order: the one-issue-per-cycle schedule


def asm_bits(xpusim, path):
    r = xpusim("asm", "--config", A100, path)
    assert r.returncode == 0, r.stderr
    rows = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*/\*[0-9a-f]+\*/ \[([-0-5]{6}):([-0-5]):([-0-5]):([-Y]):S(\d\d)\]\s+(.*)", line)
        if m:
            rows.append(dict(wait=m[1], rbar=m[2], wbar=m[3], stall=int(m[5]), text=m[6]))
    return rows


def test_control_bits_cover_dependences(xpusim, tmp_path):
    k = Kernel("dep", params="p:u64")
    v = k.mov(3, name="v")
    w = k.imad(v, v, "RZ", name="w")                # IMAD: 3 cycles on the A100
    u = k.imad(w, w, "RZ", name="u")
    ptr = k.imad_wide(u, 4, k.c("p"))
    val = k.reg("val")
    k.op("LDG.E", [val], [Mem(ptr)])                # variable latency: a write counter
    k.op("STG.E", [], [Mem(ptr), k.iadd(val, 1)])
    k.exit()
    (tmp_path / "dep.xasm").write_text(k.xasm(LatencyTable.from_config(str(A100))))
    rows = asm_bits(xpusim, tmp_path / "dep.xasm")
    texts = [r["text"] for r in rows]
    i = next(n for n, t in enumerate(texts) if t.startswith("IMAD") and "c[p]" not in t and n + 1 < len(texts)
             and texts[n + 1].startswith("IMAD") and "c[p]" not in texts[n + 1])
    assert rows[i]["stall"] >= 3, "the dependent IMAD waits out the IMAD latency"
    ld = next(n for n, t in enumerate(texts) if t.startswith("LDG"))
    use = next(n for n, t in enumerate(texts) if t.startswith("IADD3") and n > ld)
    assert rows[ld]["wbar"] != "-" and rows[ld]["wbar"] in rows[use]["wait"], "the load's consumer waits on it"


def test_swizzle_is_a_bijection_and_ldsm_phases_are_conflict_free():
    for rb in (32, 64, 128, 256, 512):
        sw = Swizzle(rb)
        rows = 64
        offs = [sw.offset(r, c * 16) for r in range(rows) for c in range(rb // 16)]
        assert sorted(offs) == [16 * i for i in range(rows * rb // 16)], f"{rb}-byte rows"
        for r0 in range(0, rows, 8):
            for c in range(rb // 16):
                assert ldsm_phase_conflicts([sw.offset(r0 + r, c * 16) for r in range(8)]) == 0
    plain = [r * 64 for r in range(8)]               # unswizzled 64-byte rows: 2 rows per bank line
    assert ldsm_phase_conflicts(plain) == 3


def test_long_row_swizzle_repeats_every_128_bytes():
    """Rows of 256 bytes or more only permute the chunks inside each 128-byte group, so chunk
    c + 8 j sits 128 j bytes after chunk c: attention's compact LDSM offsets (d256) rely on it."""
    for rb in (256, 512):
        sw = Swizzle(rb)
        for r in range(16):
            for c in range(8):
                for j in range(rb // 128):
                    assert sw.offset(r, 16 * (c + 8 * j)) == sw.offset(r, 16 * c) + 128 * j


def test_swizzle_device_code_matches_the_python_layout(xpusim, tmp_path):
    rb, rows = 64, 32
    sw = Swizzle(rb)
    k = Kernel("swz", params="out:u64")
    tid = k.s2r("SR_TID.X")
    off = sw.emit(k, k.shr(tid, 2), k.and_(tid, 3))
    k.op("STG.E", [], [Mem(k.imad_wide(tid, 4, k.c("out"))), off])
    k.exit()
    (tmp_path / "swz.xasm").write_text(k.xasm())
    expect = np.array([sw.offset(t // 4, (t % 4) * 16) for t in range(rows * 4)], dtype=np.float64)
    np.save(tmp_path / "expect.npy", expect)
    (tmp_path / "swz.textproto").write_text(
        f'name: "swz"\nbuffer {{ name: "out"  dtype: UINT32  shape: [{rows * 4}] }}\n'
        f'launch {{ kernel: "swz.xasm"  grid {{ x: 1 }}  block {{ x: {rows * 4} }}  arg {{ buffer: "out" }} }}\n'
        'check { buffer: "out"  reference { npy { path: "expect.npy" } }  rtol: 0  atol: 0  metric: ELEMENTWISE }\n')
    r = xpusim("run", "-c", A100, "-w", tmp_path / "swz.textproto", "-o", tmp_path / "out", "--quiet")
    assert r.returncode == 0, r.stdout + r.stderr


def gen(*args):
    return subprocess.run([sys.executable, "-m", "xpusim.gen", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("args,message", [
    (["gemm", "--dtype", "fp16", "--m", 4000, "--n", 256, "--k", 256], "M must be a multiple of 128"),
    (["gemm", "--dtype", "fp17", "--m", 256, "--n", 256, "--k", 256], "unsupported dtype 'fp17'"),
    (["gemm", "--m", 256, "--n", 256, "--k", 256, "--tile", "128x128x40"], "must be 32, 64 or 128"),
    (["gemm", "--m", 256, "--n", 256, "--k", 256, "--tile", "128x100x32"], "multiple of 16"),
    (["gemm", "--m", 256, "--n", 256, "--k", 256, "--tile", "12x128"], "expected BMxBNxBK"),
    (["gemm", "--m", 256, "--n", 256, "--k", 32], "K 32 < 64"),
    (["gemm", "--m", 256, "--n", 256, "--k", 256, "--stages", 9], "stages must be 2..8"),
    (["gemm", "--m", 256, "--n", 256, "--k", 256, "--tile", "256x256x64", "--stages", 8], "shared memory"),
    (["gemm", "--dtype", "fp16", "--block-scale", "--m", 256, "--n", 256, "--k", 256], "block scales are for FP8"),
    (["gemm", "--dtype", "e4m3", "--block-scale", "--m", 256, "--n", 256, "--k", 192], "K 192: block scales need a multiple of 128"),
    (["gemm", "--dtype", "fp16", "--weights", "int3", "--m", 128, "--n", 128, "--k", 256], "unknown weight format 'int3'"),
    (["gemm", "--dtype", "bf16", "--weights", "mxfp4", "--m", 128, "--n", 128, "--k", 256], "fp16 activations"),
    (["gemm", "--dtype", "e4m3", "--block-scale", "--prefetch", "on", "--m", 256, "--n", 256, "--k", 256],
     "fragment prefetch is for plain GEMMs"),
    (["gemm", "--m", 256, "--n", 256, "--k", 256, "--prefetch", "maybe"], "invalid choice: 'maybe'"),
    (["softmax", "--rows", 64, "--n", 1000], "N 1000: must be a positive multiple of 256"),
    (["rmsnorm", "--rows", 6, "--n", 256], "rows 6: must be a positive multiple of the 4"),
    (["attention", "--bh", 2, "--seq", 100], "sequence length 100: must be a positive multiple of 64"),
    (["attention", "--bh", 2, "--seq", 128, "--head-dim", 96], "head dim must be 64, 128 or 256, got 96"),
    (["attention", "--bh", 2, "--seq", 128, "--head-dim", 512], "head dim must be 64, 128 or 256, got 512"),
    (["attention", "--bh", 2, "--seq", 128, "--dtype", "fp8"], "unsupported dtype 'fp8'"),
    (["gemv", "--n", 256, "--k", 1000], "K 1000: must be a positive multiple of 256"),
    (["gemv", "--n", 256, "--k", 1024, "--batch", 17], "batch must be 1..16"),
])
def test_generator_refuses_bad_parameters(tmp_path, args, message):
    r = gen(*args, "--out", tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert not list(tmp_path.glob("*.xasm"))


def test_generator_writes_kernel_and_workload(tmp_path):
    r = gen("gemm", "--dtype", "bf16", "--m", 4096, "--n", 4096, "--k", 4096, "--tile", "128x128x32",
            "--stages", 3, "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "gemm_tc_bf16_4096.textproto").read_text()
    assert 'kernel: "gemm_tc_bf16_128x128x32_s3_w2x4.xasm"' in text and "grid { x: 32  y: 32 }" in text
    assert "HMMA.16816.F32.BF16" in (tmp_path / "gemm_tc_bf16_128x128x32_s3_w2x4.xasm").read_text()
