"""End-to-end runs of the shipped workloads: checks pass, reports are deterministic and
conform to report.proto, dumped buffers are what numpy expects."""

import json

import numpy as np
import pytest
from google.protobuf import json_format

import report_pb2
from conftest import ROOT

A100 = ROOT / "configs" / "gpu" / "a100.textproto"
WORKLOADS = ROOT / "traces" / "workloads"

# The kernels issue 2 ships, each at the size its workload names.
SHIPPED = [
    "vector_add_fp32_1m",
    "reduce_sum_fp32_1m",
    "divergent_fp32_64k",
    "gemm_fp16_256",
    "gemm_fp16_1024",
    "gemm_bf16_256",
    "gemm_bf16_1024",
    "gemm_int8_256",
    "gemm_int8_1024",
]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_workload_passes_its_check(xpusim, tmp_path, name):
    r = xpusim("run", "-c", A100, "-w", WORKLOADS / f"{name}.textproto", "-o", tmp_path, "--quiet")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "report.json").read_text())
    assert rep["checks"], "the workload checks its output"
    assert all(c["passed"] for c in rep["checks"]) and rep["checks_passed"]
    assert rep["cycles"] > 0 and rep["warp_instructions"] > 0
    assert rep["kernels"][0]["cycles"] == rep["cycles"]


def test_gemm_1024_report_fields(xpusim, tmp_path):
    r = xpusim("run", "-c", A100, "-w", WORKLOADS / "gemm_fp16_1024.textproto", "-o", tmp_path)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "report.json").read_text())
    check = rep["checks"][0]
    assert check["reference"] == "gemm" and check["error"] < 1e-2
    k = rep["kernels"][0]
    # 1024^3 / (16*8*16) m16n8k16 MMAs, one warp instruction each
    mix = {e["name"]: e["warp_instructions"] for e in k["instruction_mix"]}
    assert mix["TENSOR"] == 1024 ** 3 // (16 * 8 * 16)
    assert k["ctas"] == 64 and k["threads_per_cta"] == 256
    assert rep["time_s"] == pytest.approx(rep["cycles"] / 1410e6)
    assert "gemm_fp16_1024" in r.stdout and "PASS" in r.stdout  # the summary table


def test_same_inputs_give_byte_identical_reports(xpusim, tmp_path):
    outs = []
    for i in range(2):
        d = tmp_path / f"run{i}"
        r = xpusim("run", "-c", A100, "-w", WORKLOADS / "gemm_fp16_256.textproto", "-o", d, "--quiet")
        assert r.returncode == 0, r.stderr
        outs.append((d / "report.json").read_bytes())
    assert outs[0] == outs[1]


def test_seed_changes_inputs_not_the_schedule(xpusim, tmp_path):
    reps = []
    for seed in (1, 2):
        d = tmp_path / f"s{seed}"
        r = xpusim("run", "-c", A100, "-w", WORKLOADS / "gemm_fp16_256.textproto", "-o", d, "--seed", seed,
                   "--dump-buffers", d / "bufs", "--quiet")
        assert r.returncode == 0, r.stderr
        reps.append((json.loads((d / "report.json").read_text()), np.load(d / "bufs" / "A.npy")))
    assert reps[0][0]["seed"] == 1 and reps[1][0]["seed"] == 2
    assert not np.array_equal(reps[0][1], reps[1][1])
    assert reps[0][0]["cycles"] == reps[1][0]["cycles"]  # a GEMM's timing does not depend on values


def test_report_conforms_to_report_proto(xpusim, tmp_path):
    r = xpusim("run", "-c", A100, "-w", WORKLOADS / "reduce_sum_fp32_1m.textproto", "-o", tmp_path, "--quiet")
    assert r.returncode == 0, r.stderr
    rep = json_format.Parse((tmp_path / "report.json").read_text(), report_pb2.Report())
    assert rep.config == "a100" and rep.workload == "reduce_sum_fp32_1m"
    names = [c.name for c in rep.counters]
    assert names == sorted(names) and "gpu.sm[0].warp_instructions" in names
    assert rep.warp_instructions == sum(c.value for c in rep.counters if c.name.endswith(".warp_instructions"))


def test_dumped_buffers_are_numpy_arrays_of_the_result(xpusim, tmp_path):
    r = xpusim("run", "-c", A100, "-w", WORKLOADS / "gemm_fp16_256.textproto", "-o", tmp_path,
               "--dump-buffers", tmp_path / "bufs", "--quiet")
    assert r.returncode == 0, r.stderr
    a = np.load(tmp_path / "bufs" / "A.npy")
    b = np.load(tmp_path / "bufs" / "B.npy")
    c = np.load(tmp_path / "bufs" / "C.npy")
    assert a.dtype == np.float16 and a.shape == (256, 256)
    assert b.dtype == np.float16 and b.shape == (256, 256) and b.flags.f_contiguous  # COL_MAJOR
    assert c.dtype == np.float32
    ref = a.astype(np.float64) @ b.astype(np.float64)
    assert np.max(np.abs(c - ref)) / np.max(np.abs(ref)) < 1e-5


def test_failed_check_exits_3_and_still_writes_the_report(xpusim, tmp_path):
    wl = tmp_path / "w.textproto"
    wl.write_text((WORKLOADS / "vector_add_fp32_1m.textproto").read_text()
                  .replace('"../kernels/', f'"{ROOT}/traces/kernels/').replace('expr: "a + b"', 'expr: "a - b"'))
    r = xpusim("run", "-c", A100, "-w", wl, "-o", tmp_path / "out")
    assert r.returncode == 3, r.stderr
    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    assert rep["checks_passed"] is False and "FAIL" in r.stdout


def test_info_derives_peaks_from_the_config(xpusim):
    r = xpusim("info", "-c", A100)
    assert r.returncode == 0, r.stderr
    assert "peak_tensor_fp16_m16n8k16_flops" in r.stdout and "311.9 TFLOP/s" in r.stdout
    assert "19.49 TFLOP/s" in r.stdout  # FP32
    assert "2.039 TB/s" in r.stdout      # DRAM
    r2 = xpusim("info", "-c", A100, "--set", "gpu.num_sms=54", "--set", "gpu.sm.unit[FP32].interval_cycles=4")
    assert r2.returncode == 0, r2.stderr
    assert "4.873 TFLOP/s" in r2.stdout  # 19.49 / 2 SMs / 2 rate
    assert "num_sms: 54" in r2.stdout


@pytest.mark.parametrize("workload", ["gemm_fp16_256", "reduce_sum_fp32_1m", "vector_add_fp32_1m"])
def test_timing_only_gives_the_functional_timing(xpusim, tmp_path, workload):
    # Kernels whose control flow and addresses do not depend on values: skipping the value
    # arithmetic changes no cycle, stall or counter; only the checks are not run.
    reps = []
    for extra in ([], ["--timing-only"]):
        d = tmp_path / ("t" if extra else "f")
        r = xpusim("run", "-c", A100, "-w", WORKLOADS / f"{workload}.textproto", "-o", d, "--quiet", *extra)
        assert r.returncode == 0, r.stderr
        reps.append(json.loads((d / "report.json").read_text()))
    f, t = reps
    assert f["functional"] and not t.get("functional", False)
    assert f["checks"] and not t.get("checks")
    assert t["cycles"] == f["cycles"] and t["warp_instructions"] == f["warp_instructions"]
    assert t["stalls"] == f["stalls"]
    assert t["counters"] == f["counters"]


def test_pipeline_trace_is_valid_bounded_chrome_json(xpusim, tmp_path):
    trace = tmp_path / "views" / "trace.json"  # the directory is created
    r = xpusim("run", "-c", A100, "-w", WORKLOADS / "gemm_fp16_256.textproto", "-o", tmp_path / "o", "-q",
               "--pipeline-trace", trace, "--trace-sm", 0, "--trace-warps", "0-1")
    assert r.returncode == 0, r.stderr
    events = json.loads(trace.read_text())["traceEvents"]
    insts = [e for e in events if e["cat"] != "stall"]
    stalls = [e for e in events if e["cat"] == "stall"]
    assert {e["tid"] for e in events} <= {0, 1} and insts and stalls
    for e in insts:
        a = e["args"]
        assert e["ph"] == "X" and a["sm"] == 0 and a["issue"] < a["execute"] and a["issue"] < a["writeback"]
    assert any(e["name"].startswith("HMMA") and e["cat"] == "TENSOR" for e in insts)
    assert {"stall: math_pipe_throttle", "stall: wait"} <= {e["name"] for e in stalls}
    assert all(e["dur"] > 0 for e in stalls)
    # bounded: the file stops growing at the limit and says so
    r = xpusim("run", "-c", A100, "-w", WORKLOADS / "gemm_fp16_256.textproto", "-o", tmp_path / "o2", "-q",
               "--pipeline-trace", trace, "--trace-limit", 100)
    assert r.returncode == 0, r.stderr
    t = json.loads(trace.read_text())
    assert len(t["traceEvents"]) == 100 and "truncated" in t
    r = xpusim("run", "-c", A100, "-w", WORKLOADS / "gemm_fp16_256.textproto", "-o", tmp_path / "o3", "-q",
               "--pipeline-trace", trace, "--trace-sm", 500)
    assert r.returncode == 2 and "--trace-sm 500" in r.stderr


def test_asm_prints_registers_shared_control_bits_and_the_static_mix(xpusim):
    """`xpusim asm` inspects a kernel: its header line, every instruction with its control bits,
    and the static instruction mix by unit (counted here from the listing itself)."""
    r = xpusim("asm", "--config", A100, ROOT / "traces" / "kernels" / "vector_add.xasm")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith(".kernel vector_add") and "registers" in lines[0] and "B shared" in lines[0]
    body = [l for l in lines if l.strip().startswith("/*")]
    assert all("[" in l and ":S" in l for l in body)  # control bits: [wait:rd:wr:yield:stall]
    mix = lines[-1]
    assert mix.startswith(f"# {len(body)} instructions:")
    counts = dict(zip(mix.split(":", 1)[1].split()[::2], map(int, mix.split(":", 1)[1].split()[1::2])))
    assert sum(counts.values()) == len(body)
    assert counts["LSU"] == sum(1 for l in body if "LDG" in l or "STG" in l)
    assert counts["BRANCH"] == sum(1 for l in body if "EXIT" in l or "BRA " in l)
