"""Instruction latencies for the builder's list scheduler, read from a machine config.

The table follows the SM's own rule (src/sim/inst_timing): an instruction's latency is its
unit's, overridden by the longest matching `gpu.sm.opcode` entry, and for HMMA/IMMA by the
`gpu.sm.tensor` entry of its shape and A type. Variable-latency units (SFU, LSU, S2R) have no
fixed figure in hardware terms; their configured latency is used as the scheduler's estimate.

It also holds each instruction's initiation interval on its unit (`interval_of`), by the same
rule. The scheduler uses it only when the table says so (`unit_intervals=True`); by default it
counts one issue per cycle whatever the unit (docs/kernels.md section 2.3).
"""

from __future__ import annotations

# Opcode -> unit class (docs/isa.md section 5.10).
UNIT_OF = {}
for _unit, _ops in {
    "INT": "MOV IADD3 LEA LOP3 SHF ISETP SEL PRMT IABS IMNMX POPC FLO BREV PLOP3",
    "FP32": "IMAD FADD FMUL FFMA FMNMX FSETP FSEL",
    "FP16": "HADD2 HMUL2 HFMA2 HMNMX2",
    "FP64": "DADD DMUL DFMA DSETP",
    "SFU": "MUFU F2F F2FP I2F F2I",
    "TENSOR": "HMMA IMMA",
    "LSU": "LDG STG LDS STS LDL STL ATOM ATOMG ATOMS RED LDGSTS LDSM SHFL",
    "BRANCH": "BRA BSSY BSYNC EXIT",
    "MISC": "VOTE REDUX BAR NOP WARPSYNC LDGDEPBAR DEPBAR S2R CS2R",
}.items():
    for _op in _ops.split():
        UNIT_OF[_op] = _unit

# Used without a config: the assembler's own defaults (docs/isa.md section 10). A unit's
# interval defaults to 1, as src/io/defaults.cc applies.
DEFAULT_UNIT_LATENCY = {"INT": 4, "FP32": 4, "FP16": 4, "FP64": 8, "SFU": 20, "TENSOR": 24,
                        "LSU": 30, "BRANCH": 2, "MISC": 2}

_TENSOR_DTYPE = {"F16": "FP16", "BF16": "BF16", "TF32": "TF32", "E4M3": "FP8_E4M3",
                 "E5M2": "FP8_E5M2", "S8": "INT8", "U8": "INT8", "S4": "INT4", "U4": "INT4"}


class LatencyTable:
    def __init__(self, unit: dict[str, int] | None = None, opcode: dict[str, int] | None = None,
                 tensor: dict[tuple[str, str], int] | None = None, *,
                 unit_interval: dict[str, int] | None = None, opcode_interval: dict[str, int] | None = None,
                 tensor_interval: dict[tuple[str, str], int] | None = None,
                 unit_intervals: bool = False) -> None:
        self.unit = dict(DEFAULT_UNIT_LATENCY, **(unit or {}))
        self.opcode = opcode or {}
        self.tensor = tensor or {}
        self.unit_interval = unit_interval or {}
        self.opcode_interval = opcode_interval or {}
        self.tensor_interval = tensor_interval or {}
        # The list scheduler models each unit's initiation interval (a unit busy for
        # `interval_of` cycles after an issue) when True; False is one issue per cycle.
        self.unit_intervals = unit_intervals

    @classmethod
    def from_config(cls, path: str, unit_intervals: bool = False) -> "LatencyTable":
        """Reads gpu.sm.unit / opcode / tensor from a machine config textproto."""
        try:
            import config_pb2  # generated into build*/python
            from google.protobuf import text_format
        except ImportError as e:
            raise RuntimeError("reading a config needs config_pb2: put build/python on PYTHONPATH") from e
        cfg = config_pb2.SystemConfig()
        with open(path) as f:
            # Fields this build does not know (a newer config) do not matter to the latencies.
            text_format.Parse(f.read(), cfg, allow_unknown_field=True)
        sm = cfg.gpu.sm
        kind = config_pb2.UnitSpec.Kind
        unit = {kind.Name(u.kind): u.latency_cycles for u in sm.unit if u.HasField("latency_cycles")}
        opcode = {o.name: o.latency_cycles for o in sm.opcode if o.HasField("latency_cycles")}
        import common_pb2
        tensor = {(t.shape, common_pb2.DType.Name(t.dtype)): t.latency_cycles
                  for t in sm.tensor if t.HasField("latency_cycles")}
        unit_iv = {kind.Name(u.kind): u.interval_cycles for u in sm.unit if u.HasField("interval_cycles")}
        opcode_iv = {o.name: o.interval_cycles for o in sm.opcode if o.HasField("interval_cycles")}
        tensor_iv = {(t.shape, common_pb2.DType.Name(t.dtype)): t.interval_cycles
                     for t in sm.tensor if t.HasField("interval_cycles")}
        return cls(unit, opcode, tensor, unit_interval=unit_iv, opcode_interval=opcode_iv,
                   tensor_interval=tensor_iv, unit_intervals=unit_intervals)

    def interval_of(self, op: str) -> int:
        """Cycles the instruction's unit (per sub-core) is busy after issuing it, by the SM's
        rule (src/sim/inst_timing.cc): the unit's interval, the `tensor` entry of the MMA's
        shape and A type, then the longest matching `opcode` entry that sets an interval."""
        parts = op.split(".")
        iv = self.unit_interval.get(UNIT_OF.get(parts[0], "MISC"), 1)
        key = _tensor_key(parts)
        if key is not None:
            iv = self.tensor_interval.get(key, iv)
        best = -1
        for name, cycles in self.opcode_interval.items():
            n = name.split(".")
            if parts[:len(n)] == n and len(n) > best:
                best, iv = len(n), cycles
        return iv

    def of(self, op: str) -> int:
        """Latency of an opcode with its modifiers, e.g. `HMMA.16816.F32.BF16`."""
        parts = op.split(".")
        lat = self.unit[UNIT_OF.get(parts[0], "MISC")]
        best = -1
        for name, cycles in self.opcode.items():   # longest matching prefix of tokens wins
            n = name.split(".")
            if parts[:len(n)] == n and len(n) > best:
                best, lat = len(n), cycles
        key = _tensor_key(parts)
        if key is not None:
            lat = self.tensor.get(key, lat)
        return lat


def _tensor_key(parts: list[str]) -> tuple[str, str] | None:
    """(shape, A dtype) of an HMMA/IMMA mnemonic split at dots, as `tensor` entries name them."""
    if parts[0] not in ("HMMA", "IMMA") or len(parts) < 2:
        return None
    s = parts[1]
    shape = f"m{s[:2]}n{s[2]}k{s[3:]}"
    types = [p for p in parts[2:] if p in _TENSOR_DTYPE or p == "F32"]
    if parts[0] == "HMMA":          # the first type is the accumulator's
        a = types[1] if len(types) > 1 else "F16"
    else:
        a = types[0] if types else "S8"
    return shape, _TENSOR_DTYPE[a]
