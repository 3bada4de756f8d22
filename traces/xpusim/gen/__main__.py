"""`python3 -m xpusim.gen KERNEL [options] --out DIR`: generate a builder kernel (.xasm) and a
workload that runs and checks it. Bad parameters are refused with a message and exit code 2.

    python3 -m xpusim.gen gemm --dtype fp16 --m 4096 --n 4096 --k 4096 --tile 128x128x32 --stages 3 --out DIR
    python3 -m xpusim.gen softmax --rows 4096 --n 4096 --out DIR
    python3 -m xpusim.gen layernorm|rmsnorm --rows R --n N --out DIR
    python3 -m xpusim.gen gemv --batch 1 --n 4096 --k 4096 --out DIR
    python3 -m xpusim.gen attention --dtype fp16 --head-dim 128 --bh 16 --seq 2048 --causal --out DIR
    python3 -m xpusim.gen sgemm --m 1024 --n 1056 --k 992 [--alpha 1.5 --beta -0.5] --out DIR
"""

from __future__ import annotations

import argparse
import os
import sys

from ..builder import BuildError, LatencyTable
from . import attention, gemm_tc, gemv, rowwise, sgemm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEFAULT_CONFIG = os.path.join(ROOT, "configs", "gpu", "a100.textproto")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):        # argparse's own errors: also exit code 2, one line
        self.exit(2, f"{self.prog}: error: {message}\n")


def _tile(text: str) -> tuple[int, int, int]:
    try:
        parts = tuple(int(x) for x in text.lower().split("x"))
    except ValueError:
        parts = ()
    if len(parts) != 3 or min(parts) <= 0:
        raise argparse.ArgumentTypeError(f"tile {text!r}: expected BMxBNxBK, e.g. 128x128x32")
    return parts


def _warps(text: str) -> tuple[int, int]:
    try:
        wm, wn = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"warps {text!r}: expected WMxWN, e.g. 2x4")
    return wm, wn


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python3 -m xpusim.gen", description="generate a kernel and its workload")
    sub = p.add_subparsers(dest="kernel", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", required=True, help="directory for the .xasm and the workload")
    common.add_argument("--name", default="", help="workload name (default from the parameters)")
    common.add_argument("--config", default=DEFAULT_CONFIG,
                        help="machine config whose latencies drive the scheduler ('' for none)")
    g = sub.add_parser("gemm", parents=[common], help="tensor-core GEMM (gemm_tc.py)")
    g.add_argument("--dtype", default="fp16", help=f"one of {', '.join(gemm_tc.DTYPES)}")
    g.add_argument("--m", type=int, required=True)
    g.add_argument("--n", type=int, required=True)
    g.add_argument("--k", type=int, required=True)
    g.add_argument("--tile", type=_tile, default=None, help="BMxBNxBK (default 128x128x(64 bytes of K))")
    g.add_argument("--stages", type=int, default=3)
    g.add_argument("--warps", type=_warps, default=(2, 4), help="WMxWN warps per CTA (default 2x4)")
    g.add_argument("--block-scale", action="store_true", help="FP8: FP32 scales per 128x128 block of A and B")
    g.add_argument("--weights", default="", help="quantized B with fp16 A: int4, mxfp4 or nvfp4")
    g.add_argument("--group", type=int, default=128, help="int4 weights: K elements per scale and zero point")
    g.add_argument("--seed", type=int, default=0, help="seed of the .npy inputs (block scales, quantized)")
    g.add_argument("--prefetch", choices=("auto", "on", "off"), default="auto",
                   help="fragments one k-step ahead across k-tiles (auto: warp tiles of 64x64 and up)")
    v = sub.add_parser("gemv", parents=[common], help="FP16 GEMV for decode (gemv.py)")
    v.add_argument("--n", type=int, required=True, help="output features (rows of W)")
    v.add_argument("--k", type=int, required=True, help="input features")
    v.add_argument("--batch", type=int, default=1, help="1..16")
    v.add_argument("--warps", type=int, default=4, help="output columns (warps) per CTA")
    v.add_argument("--wbits", type=int, default=16, help="16 (FP16 weights) or 4 (UINT4, group scales and zeros)")
    v.add_argument("--group", type=int, default=128, help="K elements per scale and zero point (4-bit)")
    v.add_argument("--seed", type=int, default=0, help="seed of the .npy inputs (4-bit)")
    a = sub.add_parser("attention", parents=[common], help="FlashAttention-2 forward (attention.py)")
    a.add_argument("--dtype", default="fp16", help="fp16 or bf16")
    a.add_argument("--head-dim", type=int, default=128, help="64, 128 or 256")
    a.add_argument("--bh", type=int, required=True, help="batch x heads")
    a.add_argument("--seq", type=int, required=True, help="sequence length (multiple of 64)")
    a.add_argument("--causal", action="store_true")
    a.add_argument("--no-data", action="store_true",
                   help="random inputs from the workload seed and no check (large sizes)")
    a.add_argument("--seed", type=int, default=0, help="seed of the .npy inputs")
    s = sub.add_parser("sgemm", parents=[common], help="FP32 SIMT SGEMM, Parboil mysgemmNT's algorithm (sgemm.py)")
    s.add_argument("--m", type=int, required=True, help="rows of A and C (multiple of 128)")
    s.add_argument("--n", type=int, required=True, help="columns of B and C (multiple of 16)")
    s.add_argument("--k", type=int, required=True, help="inner dimension (multiple of 8)")
    s.add_argument("--alpha", type=float, default=None,
                   help="with --beta: .npy inputs with nonzero C and a float64 reference (default: alpha 1, beta 0, "
                        "random inputs from the run's seed, as Parboil calls it)")
    s.add_argument("--beta", type=float, default=None)
    s.add_argument("--seed", type=int, default=0, help="seed of the .npy inputs (with --alpha/--beta)")
    for kind in rowwise.KINDS:
        r = sub.add_parser(kind, parents=[common], help=f"{kind} over FP16 rows (rowwise.py)")
        r.add_argument("--rows", type=int, required=True)
        r.add_argument("--n", type=int, required=True)
        r.add_argument("--warps", type=int, default=4, help="rows (warps) per CTA")
        r.add_argument("--seed", type=int, default=0, help="seed of the .npy inputs")
    return p


def generate(args) -> dict[str, str]:
    """{file name: text} for the request; raises ValueError on bad parameters."""
    lat = LatencyTable.from_config(args.config) if args.config else None
    if args.kernel == "gemm":
        if args.dtype not in gemm_tc.DTYPES:
            raise ValueError(f"unsupported dtype {args.dtype!r}: one of {', '.join(gemm_tc.DTYPES)}")
        es = gemm_tc.DTYPES[args.dtype][0]
        bm, bn, bk = args.tile or (128, 128, 64 // es)
        spec = gemm_tc.GemmTcSpec(args.dtype, bm, bn, bk, args.stages, *args.warps, block_scale=args.block_scale,
                                  wq=args.weights, group=args.group,
                                  prefetch={"auto": None, "on": True, "off": False}[args.prefetch])
        spec.validate()
        spec.check_problem(args.m, args.n, args.k)
        kfile = spec.name + ".xasm"
        size = f"{args.m}" if args.m == args.n == args.k else f"{args.m}x{args.n}x{args.k}"
        if spec.wq:
            name = args.name or f"gemm_tc_{args.weights}_{size}"
            return {kfile: gemm_tc.generate(spec, lat),
                    name + ".textproto": gemm_tc.write_workload_quant(
                        spec, args.m, args.n, args.k, args.out, kfile, name, args.seed)}
        if spec.block_scale:
            name = args.name or f"gemm_tc_{args.dtype}_bs128_{size}"
            return {kfile: gemm_tc.generate(spec, lat),
                    name + ".textproto": gemm_tc.write_workload_block_scaled(
                        spec, args.m, args.n, args.k, args.out, kfile, name, args.seed)}
        name = args.name or f"gemm_tc_{args.dtype}_{size}"
        return {kfile: gemm_tc.generate(spec, lat),
                name + ".textproto": gemm_tc.workload(spec, args.m, args.n, args.k, kfile, name)}
    if args.kernel == "attention":
        spec = attention.AttentionSpec(args.dtype, args.head_dim, args.causal)
        spec.validate()
        spec.check_problem(args.bh, args.seq)
        kfile = spec.name + ".xasm"
        name = args.name or f"{spec.name.replace('flash_attn_fwd', 'attn')}_{args.bh}x{args.seq}"
        return {kfile: attention.build(spec).xasm(lat),
                name + ".textproto": attention.write_workload(spec, args.bh, args.seq, args.out, kfile, name,
                                                              args.seed, data=not args.no_data)}
    if args.kernel == "gemv":
        spec = gemv.GemvSpec(args.batch, args.warps, args.wbits, args.group)
        spec.validate()
        spec.check_problem(args.n, args.k)
        kfile = spec.name + ".xasm"
        if spec.wbits == 4:
            name = args.name or f"gemv_w4g{args.group}_b{args.batch}_{args.n}x{args.k}"
            wl = gemv.write_workload_w4(spec, args.n, args.k, args.out, kfile, name, args.seed)
        else:
            name = args.name or f"gemv_fp16_b{args.batch}_{args.n}x{args.k}"
            wl = gemv.workload(spec, args.n, args.k, kfile, name)
        return {kfile: gemv.build(spec).xasm(lat), name + ".textproto": wl}
    if args.kernel == "sgemm":
        spec = sgemm.SgemmSpec()
        spec.check_problem(args.m, args.n, args.k)
        kfile = spec.name + ".xasm"
        if args.alpha is None and args.beta is None:
            name = args.name or f"sgemm_fp32_{args.m}x{args.n}x{args.k}"
            wl = sgemm.workload(spec, args.m, args.n, args.k, kfile, name)
        else:
            alpha = 1.0 if args.alpha is None else args.alpha
            beta = 0.0 if args.beta is None else args.beta
            name = args.name or f"sgemm_fp32_ab_{args.m}x{args.n}x{args.k}"
            wl = sgemm.write_workload(spec, args.m, args.n, args.k, args.out, kfile, name, args.seed, alpha, beta)
        return {kfile: sgemm.generate(spec), name + ".textproto": wl}
    spec = rowwise.RowwiseSpec(args.kernel, args.warps)
    spec.validate()
    spec.check_problem(args.rows, args.n)
    kfile = spec.name + ".xasm"
    name = args.name or f"{spec.kind}_fp16_{args.rows}x{args.n}"
    return {kfile: rowwise.build(spec).xasm(lat),
            name + ".textproto": rowwise.write_workload(spec, args.rows, args.n, args.out, kfile, name, args.seed)}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        files = generate(args)
    except (ValueError, BuildError, OSError, RuntimeError) as e:
        print(f"python3 -m xpusim.gen {args.kernel}: error: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    for fname, text in files.items():
        path = os.path.join(args.out, fname)
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
