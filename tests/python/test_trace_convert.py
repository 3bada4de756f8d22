"""Our binary trace format and `xpusim trace-convert` (docs/traces.md "Our binary format"):
Accel-Sim -> ours -> Accel-Sim keeps every header field, instruction, mask, register and
address (checked by an independent parser of the text grammar, on the real sm_80 trace and on
generated ones); replay and trace-info give the same answers for a trace and its conversion;
the file is what proto/trace.proto says; malformed input exits 2 naming file:line or
file:record."""

import json
import re

import pytest

from conftest import ROOT
from sass_trace_gen import write_trace

A100 = ROOT / "configs" / "gpu" / "a100.textproto"
REAL = ROOT.parent / "shared" / "reference" / "traces" / "mgpusim_vecadd_sm80" / "kernelslist.g"
MAGIC = b"\x89XPUTRC\n"


# ---- an independent reader of the Accel-Sim text grammar ----------------------------------------

def parse_inst(line, lineinfo):
    """Every field of an instruction line, raw (the address format and its numbers as written)."""
    t = line.split()
    i = 0
    num = None
    if lineinfo:
        num, i = int(t[0]), 1
    pc, mask = int(t[i], 16), int(t[i + 1], 16)
    nd = int(t[i + 2])
    dst = tuple(t[i + 3:i + 3 + nd])
    i += 3 + nd
    op, ns = t[i], int(t[i + 1])
    src = tuple(t[i + 2:i + 2 + ns])
    i += 2 + ns
    width = int(t[i])
    i += 1
    addr = None
    if width:
        fmt = int(t[i])
        n = bin(mask).count("1")
        if fmt == 0:
            addr = (0, tuple(int(x, 16) for x in t[i + 1:i + 1 + n]))
            i += 1 + n
        elif fmt == 1:
            addr = (1, int(t[i + 1], 16), int(t[i + 2]))
            i += 3
        else:
            k = max(n - 1, 0)
            addr = (2, int(t[i + 1], 16), tuple(int(x) for x in t[i + 2:i + 2 + k]))
            i += 2 + k
    imm = int(t[i]) if i < len(t) else None
    assert i + (imm is not None) == len(t), line
    return (num, pc, mask, dst, op, src, width, addr, imm)


def parse_traceg(path):
    """(header fields, {cta: {warp: [instructions]}}, cta order)."""
    hdr, blocks, order = {}, {}, []
    cta = warp = None
    for raw in path.read_text().splitlines():
        s = raw.strip()
        if not s or (s.startswith("#") and s not in ("#BEGIN_TB", "#END_TB")):
            continue
        if s.startswith("-") and not blocks and "=" in s:
            k, v = s[1:].split("=", 1)
            hdr[k.strip()] = v.strip()
        elif s.startswith("thread block"):
            cta = tuple(int(x) for x in s.split("=")[1].split(","))
            blocks[cta] = {}
            order.append(cta)
        elif s.startswith("warp ="):
            warp = int(s.split("=")[1])
            blocks[cta][warp] = []
        elif s.startswith("insts ="):
            pass
        elif s in ("#BEGIN_TB", "#END_TB"):
            pass
        else:
            blocks[cta][warp].append(parse_inst(s, hdr.get("enable lineinfo") == "1"))
    return hdr, blocks, order


def parse_list(kernelslist):
    """The list's copies and, per kernel, its parsed trace."""
    out = []
    for line in kernelslist.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("Memcpy"):
            cmd, a, b = line.split(",")
            out.append(("copy", cmd, int(a, 16), int(b)))
        else:
            out.append(("kernel", line, parse_traceg(kernelslist.parent / line)))
    return out


def normalise_header(h):
    """Header values as numbers where they are numbers (0x00001000 == 0x1000)."""
    out = {}
    for k, v in h.items():
        out[k] = int(v, 16) if v.startswith("0x") else v
    return out


def assert_same_trace(a, b):
    la, lb = parse_list(a), parse_list(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        if x[0] == "copy":
            assert x == y
            continue
        (ha, ba, oa), (hb, bb, ob) = x[2], y[2]
        assert normalise_header(ha) == normalise_header(hb)
        assert oa == ob  # thread blocks in the same order
        assert ba == bb  # every warp, instruction, mask, register, address and immediate


def convert(xpusim, src, dst):
    r = xpusim("trace-convert", src, dst)
    assert r.returncode == 0, r.stderr
    return r


def replay(xpusim, trace, out):
    r = xpusim("run", "-c", A100, "--trace", trace, "-o", out, "--no-progress", "-q")
    assert r.returncode == 0, r.stderr
    rep = json.loads((out / "report.json").read_text())
    rep.pop("workload")  # the input path
    return rep


# ---- tests --------------------------------------------------------------------------------------

def test_real_trace_round_trip_and_replay(xpusim, tmp_path):
    if not REAL.exists():
        pytest.skip("the shared reference trace is not on this machine")
    binf = tmp_path / "vecadd.xtrace"
    r = convert(xpusim, REAL, binf)
    assert "1 kernels, 2 copies, 26601 warp instructions" in r.stdout
    assert binf.read_bytes()[:8] == MAGIC
    text_bytes = REAL.stat().st_size + (REAL.parent / "kernel-1.traceg").stat().st_size
    assert binf.stat().st_size * 5 < text_bytes  # measured: about 11x smaller
    back = tmp_path / "back"
    convert(xpusim, binf, back)
    assert_same_trace(REAL, back / "kernelslist.g")
    assert (back / "kernel-1.traceg").exists()
    # replay: the same report from either format
    assert replay(xpusim, REAL, tmp_path / "a") == replay(xpusim, binf, tmp_path / "b")


def test_generated_round_trip_reports_and_info(xpusim, tmp_path):
    t = write_trace(tmp_path / "tr", ctas=20, warps=5, kernels=2, seed=3)
    kl = tmp_path / "tr" / "kernelslist.g"
    binf = tmp_path / "tr.xtrace"
    convert(xpusim, kl, binf)
    back = tmp_path / "back"
    convert(xpusim, binf, back)
    assert_same_trace(kl, back / "kernelslist.g")
    # converting the converted text again gives the same bytes (deterministic)
    bin2 = tmp_path / "tr2.xtrace"
    convert(xpusim, back / "kernelslist.g", bin2)
    assert bin2.read_bytes() == binf.read_bytes()
    ra, rb = replay(xpusim, kl, tmp_path / "a"), replay(xpusim, binf, tmp_path / "b")
    assert ra == rb
    assert int(rb["warp_instructions"]) == t["warp_instructions"]
    ia, ib = xpusim("trace-info", kl), xpusim("trace-info", binf)
    assert ia.returncode == 0 and ib.returncode == 0, ib.stderr

    def strip(s):  # apart from the path, and lines vs records
        return re.sub(r"\): \S+", "): PATH", re.sub(r"\d+ (lines|records)", "N", s))
    assert strip(ia.stdout) == strip(ib.stdout)


def test_file_is_what_the_schema_says(xpusim, tmp_path):
    trace_pb2 = pytest.importorskip("trace_pb2")
    from google.protobuf.internal.decoder import _DecodeVarint32
    t = write_trace(tmp_path / "tr", ctas=4, warps=3)
    binf = tmp_path / "tr.xtrace"
    convert(xpusim, tmp_path / "tr" / "kernelslist.g", binf)
    data = binf.read_bytes()
    assert data[:8] == MAGIC
    pos, kinds, insts, steps = 8, [], 0, 0
    while pos < len(data):
        n, pos = _DecodeVarint32(data, pos)
        rec = trace_pb2.Record()
        rec.ParseFromString(data[pos:pos + n])
        pos += n
        kinds.append(rec.WhichOneof("kind"))
        if kinds[-1] == "warp":
            insts += rec.warp.insts
        elif kinds[-1] == "insts":
            steps += len(rec.insts.step)
    assert kinds[0] == "file_header" and kinds[-1] == "file_end"
    assert kinds[1] == "memcpy" and kinds[2] == "kernel"
    assert kinds.count("block") == 4 and kinds.count("warp") == 12
    assert insts == steps == t["warp_instructions"]


def test_malformed_binary_exit_2_with_record(xpusim, tmp_path):
    write_trace(tmp_path / "tr", ctas=3, warps=2)
    binf = tmp_path / "tr.xtrace"
    convert(xpusim, tmp_path / "tr" / "kernelslist.g", binf)
    data = binf.read_bytes()
    cut = tmp_path / "cut.xtrace"
    cut.write_bytes(data[: len(data) * 2 // 3])
    for args in (("trace-info", cut), ("trace-convert", cut, tmp_path / "o"),
                 ("run", "-c", A100, "--trace", cut, "-o", tmp_path / "r")):
        r = xpusim(*args)
        assert r.returncode == 2, r.stderr
        assert re.search(r"cut\.xtrace:record \d+ \(byte \d+\): .*truncated", r.stderr), r.stderr
        assert "simulator error" not in r.stderr
    assert not (tmp_path / "o" / "kernelslist.g").exists()


def test_malformed_text_exit_2_with_line(xpusim, tmp_path):
    write_trace(tmp_path / "tr", ctas=3, warps=2)
    k = tmp_path / "tr" / "kernel-1.traceg"
    lines = k.read_text().split("\n")
    at = next(i for i, l in enumerate(lines) if l.startswith("0060"))
    lines[at] = lines[at].replace("FFMA 3 R6 R7 R8", "FFMA 3 R6 R7")
    k.write_text("\n".join(lines))
    out = tmp_path / "x.xtrace"
    r = xpusim("trace-convert", tmp_path / "tr" / "kernelslist.g", out)
    assert r.returncode == 2
    assert f"kernel-1.traceg:{at + 1}:" in r.stderr, r.stderr
    assert not out.exists() and not (tmp_path / "x.xtrace.tmp").exists()
