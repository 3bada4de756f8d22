"""Regenerates the builder kernels shipped in traces/kernels and their workloads in
traces/workloads: `python3 -m xpusim.gen.ship` (from the repository root, with build*/python on
PYTHONPATH for the config's latency table).

SMALL workloads simulate in seconds and are run by tests/python/test_kernels.py; LARGE ones are
the realistic sizes for validation and benchmarks, not run in tests.
"""

from __future__ import annotations

import os

from ..builder import LatencyTable
from . import attention, gemm_tc, gemv, rowwise, sgemm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
KERNELS = os.path.join(ROOT, "traces", "kernels")
WORKLOADS = os.path.join(ROOT, "traces", "workloads")

# (dtype, tile, problem sizes) of the shipped GEMMs.
GEMMS_SMALL = [("fp16", (128, 128, 32), (256, 256, 256)), ("bf16", (128, 128, 32), (256, 256, 256)),
               ("tf32", (128, 128, 16), (256, 256, 128)), ("int8", (128, 128, 64), (256, 256, 256)),
               ("e4m3", (128, 128, 64), (256, 256, 256)), ("e5m2", (128, 128, 64), (256, 256, 256))]
GEMMS_BLOCK_SCALED = [("e4m3", (128, 128, 64), (128, 128, 256)), ("e5m2", (128, 128, 64), (128, 128, 384))]
GEMMS_QUANT = [("int4", 128, (128, 128, 256)), ("mxfp4", 0, (128, 128, 256)), ("nvfp4", 0, (128, 128, 256))]
# The large ones use the tile measured fastest at 4096^3 on A100 (docs/kernels.md, GEMM).
GEMMS_LARGE = [("fp16", (128, 256, 64), (4096, 4096, 4096)), ("fp16", (128, 256, 64), (8192, 8192, 8192))]
# (batch, N, K) of the shipped GEMVs.
GEMVS_SMALL = [(1, 256, 1024), (4, 256, 1024)]
GEMVS_LARGE = [(1, 4096, 4096), (1, 28672, 8192)]
GEMV_W4_SMALL = [(1, 128, 256, 1024), (4, 64, 256, 1024)]    # (batch, group, N, K)
# (dtype, head dim, causal, batch*heads, seq) of the shipped attention workloads.
ATTN_SMALL = [("fp16", 64, False, 1, 128), ("fp16", 128, True, 1, 128), ("bf16", 64, True, 1, 192),
              ("fp16", 256, True, 1, 128)]
ATTN_LARGE = [("fp16", 128, True, 16, 2048), ("fp16", 128, False, 16, 2048), ("fp16", 128, True, 1, 16384)]
ROWWISE_SMALL = [(kind, 32, 512) for kind in rowwise.KINDS]
# (M, N, K) of the shipped FP32 SIMT SGEMMs: a small one with .npy inputs, alpha 1.5, beta -0.5;
# and Parboil's 'medium' dataset (matrix1 1024x992, matrix2t 1056x992), the run AccelWattch
# measured on a V100 (docs/kernels.md, SGEMM), with random inputs from the run's seed.
SGEMM_SMALL = [(256, 48, 40)]
SGEMM_PARBOIL = {"medium": (1024, 1056, 992)}


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(path, ROOT)}")


def main() -> int:
    lat = LatencyTable.from_config(os.path.join(ROOT, "configs", "gpu", "a100.textproto"))
    done = set()
    for size, gemms in (("small", GEMMS_SMALL), ("large", GEMMS_LARGE)):
        for dtype, (bm, bn, bk), (m, n, k) in gemms:
            spec = gemm_tc.GemmTcSpec(dtype, bm, bn, bk)
            if spec.name not in done:
                _write(os.path.join(KERNELS, spec.name + ".xasm"), gemm_tc.generate(spec, lat))
                done.add(spec.name)
            sz = f"{m}" if m == n == k else f"{m}x{n}x{k}"
            name = f"gemm_tc_{dtype}_{sz}"
            _write(os.path.join(WORKLOADS, name + ".textproto"),
                   gemm_tc.workload(spec, m, n, k, f"../kernels/{spec.name}.xasm", name))
    for dtype, (bm, bn, bk), (m, n, k) in GEMMS_BLOCK_SCALED:
        spec = gemm_tc.GemmTcSpec(dtype, bm, bn, bk, block_scale=True)
        _write(os.path.join(KERNELS, spec.name + ".xasm"), gemm_tc.generate(spec, lat))
        name = f"gemm_tc_{dtype}_bs128_{m}x{n}x{k}"
        _write(os.path.join(WORKLOADS, name + ".textproto"), gemm_tc.write_workload_block_scaled(
            spec, m, n, k, WORKLOADS, f"../kernels/{spec.name}.xasm", name))
    for wq, group, (m, n, k) in GEMMS_QUANT:
        spec = gemm_tc.GemmTcSpec("fp16", 128, 128, 32, wq=wq, group=group or 128)
        _write(os.path.join(KERNELS, spec.name + ".xasm"), gemm_tc.generate(spec, lat))
        name = f"gemm_tc_{wq}_{m}x{n}x{k}"
        _write(os.path.join(WORKLOADS, name + ".textproto"), gemm_tc.write_workload_quant(
            spec, m, n, k, WORKLOADS, f"../kernels/{spec.name}.xasm", name))
    for batch, n, k in GEMVS_SMALL + GEMVS_LARGE:
        spec = gemv.GemvSpec(batch)
        if spec.name not in done:
            _write(os.path.join(KERNELS, spec.name + ".xasm"), gemv.build(spec).xasm(lat))
            done.add(spec.name)
        _write(os.path.join(WORKLOADS, f"gemv_fp16_b{batch}_{n}x{k}.textproto"),
               gemv.workload(spec, n, k, f"../kernels/{spec.name}.xasm"))
    for batch, group, n, k in GEMV_W4_SMALL:
        spec = gemv.GemvSpec(batch, wbits=4, group=group)
        _write(os.path.join(KERNELS, spec.name + ".xasm"), gemv.build(spec).xasm(lat))
        name = f"gemv_w4g{group}_b{batch}_{n}x{k}"
        _write(os.path.join(WORKLOADS, name + ".textproto"),
               gemv.write_workload_w4(spec, n, k, WORKLOADS, f"../kernels/{spec.name}.xasm", name))
    for i, (dtype, d, causal, bh, seq) in enumerate(ATTN_SMALL + ATTN_LARGE):
        spec = attention.AttentionSpec(dtype, d, causal)
        if spec.name not in done:
            _write(os.path.join(KERNELS, spec.name + ".xasm"), attention.build(spec).xasm(lat))
            done.add(spec.name)
        name = f"{spec.name.replace('flash_attn_fwd', 'attn')}_{bh}x{seq}"
        _write(os.path.join(WORKLOADS, name + ".textproto"),
               attention.write_workload(spec, bh, seq, WORKLOADS, f"../kernels/{spec.name}.xasm", name,
                                        data=i < len(ATTN_SMALL)))
    for kind, rows, n in ROWWISE_SMALL:
        spec = rowwise.RowwiseSpec(kind)
        _write(os.path.join(KERNELS, spec.name + ".xasm"), rowwise.build(spec).xasm(lat))
        _write(os.path.join(WORKLOADS, f"{kind}_fp16_{rows}x{n}.textproto"),
               rowwise.write_workload(spec, rows, n, WORKLOADS, f"../kernels/{spec.name}.xasm"))
    spec = sgemm.SgemmSpec()
    _write(os.path.join(KERNELS, spec.name + ".xasm"), sgemm.generate(spec))
    for m, n, k in SGEMM_SMALL:
        text = sgemm.write_workload(spec, m, n, k, WORKLOADS, f"../kernels/{spec.name}.xasm")
        _write(os.path.join(WORKLOADS, f"sgemm_fp32_ab_{m}x{n}x{k}.textproto"), text)
    for size, (m, n, k) in SGEMM_PARBOIL.items():
        name = f"sgemm_parboil_{size}"
        _write(os.path.join(WORKLOADS, name + ".textproto"),
               sgemm.workload(spec, m, n, k, f"../kernels/{spec.name}.xasm", name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
