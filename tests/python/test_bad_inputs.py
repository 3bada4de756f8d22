"""Bad input never crashes: every malformed config, workload, kernel or command line gives
exit code 2 and a message naming the file, line and column — also under ASan/UBSan."""

import re

import pytest

from conftest import ROOT, binaries, run_xpusim

A100 = ROOT / "configs" / "gpu" / "a100.textproto"
VECADD = ROOT / "traces" / "kernels" / "vector_add.xasm"

GOOD_WORKLOAD = f"""
buffer {{ name: "a"  dtype: FP32  shape: [64]  init {{ zeros {{}} }} }}
launch {{
  kernel: "{VECADD}"
  grid {{ x: 1 }}  block {{ x: 64 }}
  arg {{ buffer: "a" }}  arg {{ buffer: "a" }}  arg {{ buffer: "a" }}  arg {{ u32: 64 }}
}}
"""

GOOD_KERNEL = """.kernel k
.regs 8
        S2R R0, SR_TID.X
        EXIT
"""


def config_case(body, message, line, col):
    return ("config", f'base: "{A100}"\n' + body, message, line, col)


# (what is bad, file text, expected message fragment, line, column). Line and column are where
# the error must point inside the bad file: the field or token at fault.
CASES = [
    config_case("gpu { num_sms: }", "expected", 2, 16),
    config_case("gpu { num_smz: 4 }", 'unknown field "num_smz"', 2, 7),
    config_case("gpu { sm { scheduler: FOO } }", "FOO", 2, 23),
    config_case("gpu { num_sms: 0 }", "gpu.num_sms: must be at least 1, got 0", 2, 7),
    config_case("gpu { sm { shared_memory_bytes: 400000 } }", "exceed the 192 KB L1/shared SRAM", 2, 12),
    config_case("gpu { l1 { line_bytes: 96 } }", "gpu.l1.line_bytes: must be a power of two, got 96", 2, 12),
    config_case('gpu { sm { unit { kind: FP32  interval_cycles: 1 } } }',
                "16 lanes cannot take a 32-thread warp every 1 cycle", 2, 31),
    config_case('gpu { sm { tensor { shape: "m16n8k24"  dtype: FP16  latency_cycles: 9 } } }',
                "is not an mma.sync shape", 2, 21),
    config_case("gpu { num_sms: 5000000000 }", "out of range", 2, 16),
    ("workload", GOOD_WORKLOAD.replace('arg { buffer: "a" }  arg', 'arg { buffer: "nope" }  arg', 1),
     "no buffer named 'nope'", 6, 9),
    ("workload", GOOD_WORKLOAD.replace(str(VECADD), "/no/such/kernel.xasm"), "not found", 4, 3),
    ("workload", GOOD_WORKLOAD + 'buffer { name: "a"  dtype: FP32  shape: [4] }', "declared twice", 8, 10),
    ("workload", GOOD_WORKLOAD.replace("shape: [64]", "shape: [64, 0]"), "dimensions must be positive", 2, 46),
    ("workload", GOOD_WORKLOAD.replace('  arg { u32: 64 }', ''), "takes 4 parameters, the launch passes 3 args", 3, 1),
    ("workload", GOOD_WORKLOAD.replace("arg { u32: 64 }", "arg { f32: 1.5 }"), "is a u32 parameter", 6, 66),
    ("workload", GOOD_WORKLOAD.replace("block { x: 64 }", "block { x: 4096 }"), "4096 threads per block exceed", 3, 1),
    ("kernel", GOOD_KERNEL.replace("S2R R0", "SR2 R0"), "unknown opcode 'SR2'", 3, 9),
    ("kernel", GOOD_KERNEL.replace("S2R R0, SR_TID.X", "IADD3.FOO R0, R1, R2, RZ"), "does not take modifier .FOO", 3, 15),
    ("kernel", GOOD_KERNEL.replace("S2R R0, SR_TID.X", "MOV R9, RZ"), "uses R9 but the kernel declares .regs 8", 3, 9),
    ("kernel", GOOD_KERNEL.replace("S2R R0, SR_TID.X", "LDS.128 R3, [RZ]"), "must start at a multiple of 4", 3, 9),
    ("kernel", GOOD_KERNEL.replace("S2R R0", "[------:-:9:-:S01] S2R R0"), "write barrier must be 0-5", 3, 9),
    ("kernel", GOOD_KERNEL.replace("S2R R0, SR_TID.X", "BRA NOWHERE"), "unknown label or symbol 'NOWHERE'", 3, 13),
    ("kernel", GOOD_KERNEL.replace(".regs 8\n", ""), "has no .regs directive", 1, 1),
    ("kernel", GOOD_KERNEL.replace("        EXIT\n", "        NOP\n"), "last instruction must be an unconditional EXIT", 4, 9),
    ("kernel", GOOD_KERNEL.replace("S2R R0, SR_TID.X", "HMMA.16824.F32 R0, R4, R4, R0"), "does not take modifier .16824", 3, 14),
    ("kernel", GOOD_KERNEL.replace("S2R R0, SR_TID.X", "LDS R0, [RZ+4]"), "out-of-bounds shared load", 3, 9),
]


def write_case(tmp_path, kind, text):
    """Writes the bad file and returns the command-line arguments that use it."""
    if kind == "config":
        cfg = tmp_path / "bad.textproto"
        cfg.write_text(text)
        wl = tmp_path / "ok.textproto"
        wl.write_text(GOOD_WORKLOAD)
        return cfg, ["run", "-c", cfg, "-w", wl, "-o", tmp_path / "out"]
    if kind == "workload":
        wl = tmp_path / "bad.textproto"
        wl.write_text(text)
        return wl, ["run", "-c", A100, "-w", wl, "-o", tmp_path / "out"]
    k = tmp_path / "bad.xasm"
    k.write_text(text)
    wl = tmp_path / "ok.textproto"
    wl.write_text(f'launch {{ kernel: "{k}"  grid {{ x: 1 }}  block {{ x: 32 }} }}\n')
    return k, ["run", "-c", A100, "-w", wl, "-o", tmp_path / "out"]


def check_clean_exit(r):
    assert "AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
    assert r.returncode == 2, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"


@pytest.mark.parametrize("binary", binaries())
@pytest.mark.parametrize("kind,text,message,line,col", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_is_located_and_exits_2(binary, tmp_path, kind, text, message, line, col):
    bad, args = write_case(tmp_path, kind, text)
    r = run_xpusim(binary, *args)
    check_clean_exit(r)
    assert message in r.stderr, r.stderr
    m = re.search(re.escape(str(bad)) + r":(\d+)(?::(\d+))?:", r.stderr)
    assert m, f"no {bad}:line:col in: {r.stderr}"
    assert int(m.group(1)) == line, r.stderr
    if col is not None:
        assert int(m.group(2)) == col, r.stderr


@pytest.mark.parametrize("binary", binaries())
@pytest.mark.parametrize("args,message", [
    (["run", "-c", A100], "--workload is required"),
    (["run", "-c", A100, "-w", A100, "--frobnicate"], "frobnicate"),
    (["info", "-c", A100, "--set", "gpu.sm.warps=8"], 'unknown field "warps"'),
    (["info", "-c", A100, "--set", "gpu.num_sms=lots"], "gpu.num_sms=lots"),
    (["info", "-c", "/no/such/config.textproto"], "not found"),
])
def test_bad_command_line_exits_2(binary, args, message):
    r = run_xpusim(binary, *args)
    check_clean_exit(r)
    assert message in r.stderr, r.stderr


@pytest.mark.parametrize("binary", binaries())
def test_barrier_deadlock_is_reported_with_the_stuck_warps(binary, tmp_path):
    k = tmp_path / "stuck.xasm"
    k.write_text(""".kernel stuck
.regs 4
        S2R R0, SR_TID.X
        ISETP.LT P0, R0, 32
  @P0   BRA OTHER
        BAR.SYNC 1
        EXIT
OTHER:  BAR.SYNC 0
        EXIT
""")
    wl = tmp_path / "w.textproto"
    wl.write_text(f'launch {{ kernel: "{k}"  grid {{ x: 1 }}  block {{ x: 64 }} }}\n')
    r = run_xpusim(binary, "run", "-c", A100, "-w", wl, "-o", tmp_path / "out")
    check_clean_exit(r)
    assert "deadlocked" in r.stderr
    assert "line 6: BAR.SYNC 1" in r.stderr and "line 8: BAR.SYNC 0" in r.stderr, r.stderr


@pytest.mark.parametrize("binary", binaries())
def test_timing_only_refuses_data_dependent_control_flow(binary, tmp_path):
    # The shipped divergent kernel loops until a float halves below 1: timing-only mode does
    # not compute the FMUL, so it must stop at the loop's branch instead of looping forever.
    r = run_xpusim(binary, "run", "-c", A100, "-w", ROOT / "traces" / "workloads" / "divergent_fp32_64k.textproto",
                   "-o", tmp_path / "out", "--timing-only", "-q")
    check_clean_exit(r)
    kernel = ROOT / "traces" / "kernels" / "divergent.xasm"
    line = next(i for i, t in enumerate(kernel.read_text().splitlines(), 1) if "@!P3" in t)
    assert f"divergent.xasm:{line}:" in r.stderr and "control flow" in r.stderr, r.stderr
    assert "Warning" not in r.stderr, r.stderr  # one clean message, no SystemC noise


@pytest.mark.parametrize("binary", binaries())
def test_timing_only_refuses_an_address_computed_from_float_results(binary, tmp_path):
    k = tmp_path / "gather.xasm"
    k.write_text(""".kernel gather
.param  x:u64
.regs   8
        S2R       R0, SR_TID.X
        I2F.F32.S32 R1, R0
        FMUL      R1, R1, 2
        F2I.S32.F32.TRUNC R2, R1
        IMAD.WIDE R4, R2, 4, c[x]
        LDG       R6, [R4]
        EXIT
""")
    wl = tmp_path / "w.textproto"
    wl.write_text(f'buffer {{ name: "x"  dtype: FP32  shape: [64]  init {{ zeros {{}} }} }}\n'
                  f'launch {{ kernel: "{k}"  grid {{ x: 1 }}  block {{ x: 32 }}  arg {{ buffer: "x" }} }}\n')
    r = run_xpusim(binary, "run", "-c", A100, "-w", wl, "-o", tmp_path / "out", "--timing-only", "-q")
    check_clean_exit(r)
    assert f"{k}:9:" in r.stderr and "address" in r.stderr, r.stderr
    # functionally the same kernel runs
    r = run_xpusim(binary, "run", "-c", A100, "-w", wl, "-o", tmp_path / "out2", "-q")
    assert r.returncode == 0, r.stderr
