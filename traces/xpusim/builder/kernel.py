"""The kernel builder: instructions over virtual registers, structured control flow, and the
passes that turn them into xasm (list scheduling, register allocation, text).

    k = Kernel("axpy", params="x:u64 y:u64 a:f32 n:u32")
    i = k.imad(k.s2r("SR_CTAID.X"), k.c("ntid.x"), k.s2r("SR_TID.X"))
    with k.if_(k.isetp("LT.U32", i, k.c("n"))):
        px = k.imad_wide(i, 4, k.c("x"))
        ...
    text = k.xasm()

Instructions are `k.op(opcode, dsts, srcs, guard=...)`: destinations and sources are given
apart, so the builder knows every def and use without an operand table. Control bits are
left to the assembler's pass (src/isa/ctrl_pass.cc), which computes them from the same
machine table the SM uses (docs/isa.md section 10); the builder's own job is the order:
a list scheduler over each basic block driven by the config's latencies (`latency.py`).
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, field

from .latency import UNIT_OF, LatencyTable
from .regalloc import allocate
from .regs import Mem, NotPred, VPred, VReg, Word, preds_of, regs_of


class BuildError(ValueError):
    """A kernel the builder cannot emit (bad operand, out of registers, ...)."""


@dataclass(frozen=True)
class Const:
    """A constant-bank operand `c[expr]` (a parameter name, `ntid.x`, `A+4`, ...)."""
    expr: str


@dataclass
class Inst:
    op: str
    dsts: list
    srcs: list
    guard: VPred | NotPred | None = None
    comment: str = ""
    labels: list[str] = field(default_factory=list)   # labels defined at this instruction
    target: str = ""                                   # BRA's label

    @property
    def head(self) -> str:
        return self.op.split(".")[0]

    def partial_defs(self) -> list[VReg]:
        """Registers written in part (one word of a wider register): still live before."""
        return [d.reg for d in self.dsts if isinstance(d, Word) and d.reg.width > 1]

    def reg_defs(self) -> list[VReg]:
        return [r for d in self.dsts for r in regs_of(d)]

    def reg_uses(self) -> list[VReg]:
        out = [r for s in self.srcs for r in regs_of(s)]
        if self.guard is not None:            # a guarded write keeps the old value elsewhere
            out += self.reg_defs()
        return out + self.partial_defs()

    def pred_defs(self) -> list[VPred]:
        return [p for d in self.dsts for p in preds_of(d)]

    def pred_uses(self) -> list[VPred]:
        out = [p for s in self.srcs for p in preds_of(s)] + preds_of(self.guard)
        if self.guard is not None:
            out += self.pred_defs()
        return out

    @property
    def wide(self) -> bool:
        """Touches a multi-register operand: its destination may not overlap its sources."""
        return any(r.width > 1 for r in self.reg_defs() + self.reg_uses())


# Scheduling classes: loads may pass each other; side effects keep their order with every
# other memory or synchronising instruction; a block's terminator stays last.
LOADS = {"LDG", "LDS", "LDSM", "LDL"}
PURE_UNITS = {"INT", "FP32", "FP16", "FP64", "SFU", "TENSOR"}
TERMINATORS = {"BRA", "EXIT"}
MAX_IN_FLIGHT = 4        # variable-latency results the scheduler hoists ahead of their consumers


def _kind(head: str) -> str:
    if head in LOADS:
        return "load"
    if head in TERMINATORS:
        return "term"
    if UNIT_OF.get(head) in PURE_UNITS or head in ("S2R", "CS2R"):
        return "pure"
    return "side"


class Kernel:
    """One kernel under construction."""

    def __init__(self, name: str, params: str = "", max_regs: int = 255) -> None:
        self.name = name
        self.params = params.split()
        self.param_names = [p.split(":")[0] for p in self.params]
        self.max_regs = max_regs
        # variable-latency results the scheduler may hoist ahead of their consumers; a kernel
        # that loads a whole step's operands one step ahead raises it (gemm_tc.py)
        self.max_in_flight = MAX_IN_FLIGHT
        self.insts: list[Inst] = []
        self.shared: list[str] = []
        self.header: list[str] = []
        self._nregs = self._npreds = self._nlabels = 0
        self._pending_labels: list[str] = []
        self._guard: VPred | NotPred | None = None

    # ---- values -------------------------------------------------------------------------
    def reg(self, name: str = "", width: int = 1) -> VReg:
        self._nregs += 1
        return VReg(self._nregs, width, name or f"v{self._nregs}")

    def pred(self, name: str = "") -> VPred:
        self._npreds += 1
        return VPred(self._npreds, name or f"p{self._npreds}")

    def c(self, expr: str) -> Const:
        base = expr.split("+")[0].split("-")[0].strip()
        if base not in self.param_names and not base.startswith(("ntid", "nctaid")) and not base[0].isdigit():
            raise BuildError(f"{self.name}: no parameter {base!r} (have {', '.join(self.param_names)})")
        return Const(expr)

    def shared_block(self, name: str, nbytes: int, align: int = 128) -> str:
        self.shared.append(f".shared {name} {nbytes} align {align}")
        return name

    def new_label(self, stem: str = "L") -> str:
        self._nlabels += 1
        return f"{stem}{self._nlabels}"

    def label(self, name: str) -> None:
        self._pending_labels.append(name)

    # ---- instructions -------------------------------------------------------------------
    def op(self, opcode: str, dsts=(), srcs=(), guard=None, comment: str = "", target: str = "") -> Inst:
        g = guard if guard is not None else self._guard
        for x in list(dsts) + list(srcs):
            if not isinstance(x, (VReg, Word, VPred, NotPred, Mem, Const, str, int, float)):
                raise BuildError(f"{opcode}: unsupported operand {x!r}")
        inst = Inst(opcode, list(dsts), list(srcs), g, comment, self._pending_labels, target)
        self._pending_labels = []
        self.insts.append(inst)
        return inst

    def _d(self, dst: VReg | None, name: str = "", width: int = 1) -> VReg:
        return dst if dst is not None else self.reg(name, width)

    def as_reg(self, x):
        """x itself if it names a register, else a MOV of it (for slots that need one)."""
        return x if isinstance(x, (VReg, Word)) or x == "RZ" else self.mov(x)

    def mov(self, src, dst: VReg | None = None, name: str = "") -> VReg:
        d = self._d(dst, name)
        self.op("MOV", [d], [src])
        return d

    def s2r(self, sr: str, name: str = "") -> VReg:
        d = self.reg(name or sr.split("_", 1)[1].lower().replace(".", ""))
        self.op("S2R", [d], [sr])
        return d

    def iadd(self, a, b, c="RZ", dst=None, name="") -> VReg:
        d = self._d(dst, name)
        self.op("IADD3", [d], [a, b, c])
        return d

    def imad(self, a, b, c="RZ", dst=None, name="", mod="") -> VReg:
        d = self._d(dst, name)
        if not isinstance(a, (VReg, Word)) and isinstance(b, (VReg, Word)):
            a, b = b, a
        self.op("IMAD" + mod, [d], [self.as_reg(a), b, c])
        return d

    def imad_wide(self, a, b, c, dst=None, name="", signed=False) -> VReg:
        """dst:dst+1 = a * b + c (c a 64-bit pair or `c[ptr]`)."""
        d = self._d(dst, name, 2)
        self.op("IMAD.WIDE" + ("" if signed else ".U32"), [d], [self.as_reg(a), b, c])
        return d

    def add64(self, ptr: VReg, off, dst: VReg | None = None) -> VReg:
        """A 64-bit pointer plus a 32-bit unsigned offset (register or immediate)."""
        d = self._d(dst, ptr.name, 2)
        if isinstance(off, (VReg, Word)):
            self.op("IMAD.WIDE.U32", [d], [off, 1, ptr])
        else:                                   # an immediate: add with carry
            carry = self.pred("carry")
            self.op("IADD3", [d[0], carry], [ptr[0], off, "RZ"])
            self.op("IADD3.X", [d[1]], [ptr[1], "RZ", "RZ", carry])
        return d

    def shl(self, a, s: int, dst=None, name="") -> VReg:
        d = self._d(dst, name)
        self.op("SHF.L.U32", [d], [a, s, "RZ"])
        return d

    def shr(self, a, s: int, dst=None, name="") -> VReg:
        d = self._d(dst, name)
        self.op("SHF.R.U32.HI", [d], ["RZ", s, a])
        return d

    def lop(self, a, b, lut: int, c="RZ", dst=None, name="") -> VReg:
        d = self._d(dst, name)
        self.op("LOP3.LUT", [d], [a, b, c, hex(lut)])
        return d

    def and_(self, a, b, dst=None, name="") -> VReg:
        return self.lop(a, b, 0xC0, dst=dst, name=name)

    def xor(self, a, b, dst=None, name="") -> VReg:
        return self.lop(a, b, 0x3C, dst=dst, name=name)

    def lea(self, a, b, shift: int, dst=None, name="") -> VReg:
        """(a << shift) + b."""
        d = self._d(dst, name)
        self.op("LEA", [d], [self.as_reg(a), b, shift])
        return d

    def isetp(self, cmp: str, a, b, dst: VPred | None = None, name="") -> VPred:
        p = dst if dst is not None else self.pred(name)
        self.op(f"ISETP.{cmp}.AND", [p], ["PT", self.as_reg(a), b, "PT"])
        return p

    def fsetp(self, cmp: str, a, b, dst: VPred | None = None, name="") -> VPred:
        p = dst if dst is not None else self.pred(name)
        self.op(f"FSETP.{cmp}.AND", [p], ["PT", self.as_reg(a), b, "PT"])
        return p

    def f(self, opcode: str, *srcs, dst=None, name="", width=1) -> VReg:
        """A one-destination value instruction: `k.f("FFMA", a, b, c)`."""
        d = self._d(dst, name, width)
        self.op(opcode, [d], list(srcs))
        return d

    def bra(self, target: str, guard=None) -> None:
        self.op("BRA", [], [], guard=guard, target=target)

    def exit(self, guard=None) -> None:
        self.op("EXIT", [], [], guard=guard)

    def bar(self) -> None:
        self.op("BAR.SYNC", [], ["0"])

    # ---- structure ----------------------------------------------------------------------
    @contextlib.contextmanager
    def guarded(self, p):
        """Predication: every instruction emitted inside runs under `@p`."""
        if self._guard is not None:
            raise BuildError("guarded() blocks do not nest; combine the predicates first")
        self._guard = p
        try:
            yield
        finally:
            self._guard = None

    @contextlib.contextmanager
    def if_(self, p):
        """A branch around the body where `p` is false (lanes reconverge after it)."""
        end = self.new_label("ENDIF")
        self.bra(end, guard=~p if isinstance(p, VPred) else p.pred)
        yield
        self.label(end)

    @contextlib.contextmanager
    def loop(self, trips, name: str = "LOOP"):
        """A real loop: the body runs `trips` times (a register or an integer, at least 1),
        counted down in a register and closed by a conditional branch."""
        n = self.mov(trips, name="trips")
        top = self.new_label(name)
        self.label(top)
        yield n
        self.iadd(n, -1, dst=n)
        more = self.isetp("NE", n, "RZ")
        self.bra(top, guard=more)

    # ---- passes -------------------------------------------------------------------------
    def blocks(self) -> list[tuple[int, int]]:
        """Basic blocks [start, end) of the instruction list."""
        starts = {0}
        for i, inst in enumerate(self.insts):
            if inst.labels:
                starts.add(i)
            if inst.head in TERMINATORS or inst.head in ("BSSY", "BSYNC"):
                starts.add(i + 1)
        s = sorted(x for x in starts if x < len(self.insts))
        return list(zip(s, s[1:] + [len(self.insts)]))

    def schedule(self, lat: LatencyTable) -> None:
        """Reorders each basic block by a list scheduler: among the instructions whose
        operands are ready, the one with the longest latency path to the block's end first
        (original order breaks ties)."""
        out: list[Inst] = []
        for b, e in self.blocks():
            out += _schedule_block(self.insts[b:e], lat, self.max_in_flight)
        self.insts = out

    def xasm(self, latencies: LatencyTable | None = None, schedule: bool = True) -> str:
        """The kernel's xasm text: scheduled (if a latency table is given), allocated."""
        if not self.insts or self.insts[-1].head not in TERMINATORS or self.insts[-1].guard is not None:
            raise BuildError(f"{self.name}: the last instruction must be an unconditional EXIT or BRA")
        if self._pending_labels:
            raise BuildError(f"{self.name}: label {self._pending_labels[0]} is not followed by an instruction")
        original = [(inst, list(inst.labels)) for inst in self.insts]
        tables = []
        if latencies is not None and schedule:
            tables.append(latencies)
            if latencies.unit_intervals:     # over max_regs: try one issue per cycle next
                tables.append(copy.copy(latencies))
                tables[-1].unit_intervals = False
        for lat in tables:
            self.schedule(lat)
            try:
                regs, preds, nregs = allocate(self.insts, self.max_regs, self.name)
                break
            except BuildError:      # the schedule raised register pressure too far
                self.insts = [inst for inst, _ in original]
                for inst, labels in original:
                    inst.labels = labels
        else:                       # not scheduled, or no schedule fits: program order
            regs, preds, nregs = allocate(self.insts, self.max_regs, self.name)
        lines = list(self.header) + [f".kernel {self.name}"]
        if self.params:
            lines.append(".param " + " ".join(self.params))
        lines.append(f".regs {max(nregs, 1)}")
        lines += self.shared
        for inst in self.insts:
            for lab in inst.labels:
                lines.append(f"{lab}:")
            lines.append(_render(inst, regs, preds))
        return "\n".join(lines) + "\n"


def _render(inst: Inst, regs: dict[int, int], preds: dict[int, int]) -> str:
    def reg(r: VReg, i: int = 0) -> str:
        return f"R{regs[r.id] + i}"

    def one(x) -> str:
        if isinstance(x, VReg):
            return reg(x)
        if isinstance(x, Word):
            t = reg(x.reg, x.index) + x.suffix
            return f"|{t}|" if x.prefix == "|" else x.prefix + t
        if isinstance(x, VPred):
            return f"P{preds[x.id]}"
        if isinstance(x, NotPred):
            return f"!P{preds[x.pred.id]}"
        if isinstance(x, Const):
            return f"c[{x.expr}]"
        if isinstance(x, Mem):
            terms = [x.symbol] if x.symbol else []
            if x.base is not None:
                terms.append(reg(x.base) + (".64" if x.base.width == 2 else ""))
            body = "+".join(terms) or "0"
            if x.offset:
                body += f"{x.offset:+d}" if terms else str(x.offset)
            return f"[{body}]"
        return str(x)

    ops = [one(x) for x in inst.dsts + inst.srcs] + ([inst.target] if inst.target else [])
    guard = f"@{one(inst.guard)} " if inst.guard is not None else ""
    text = f"        {guard}{inst.op} {', '.join(ops)}".rstrip()
    return f"{text:<56}# {inst.comment}" if inst.comment else text


def _schedule_block(block: list[Inst], lat: LatencyTable, max_in_flight: int = MAX_IN_FLIGHT) -> list[Inst]:
    n = len(block)
    preds: list[set[int]] = [set() for _ in range(n)]
    last_def: dict = {}
    uses_since: dict = {}
    last_side = -1
    loads_since: list[int] = []
    for i, inst in enumerate(block):
        kind = _kind(inst.head)
        keys_use = [("r", r.id) for r in inst.reg_uses()] + [("p", p.id) for p in inst.pred_uses()]
        keys_def = [("r", r.id) for r in inst.reg_defs()] + [("p", p.id) for p in inst.pred_defs()]
        for k in keys_use:                       # RAW
            if k in last_def:
                preds[i].add(last_def[k])
        for k in keys_def:                       # WAW, WAR
            if k in last_def:
                preds[i].add(last_def[k])
            preds[i].update(uses_since.get(k, ()))
        if kind == "load":
            if last_side >= 0:
                preds[i].add(last_side)
            loads_since.append(i)
        elif kind in ("side", "term"):
            if last_side >= 0:
                preds[i].add(last_side)
            preds[i].update(loads_since)
            loads_since = []
            last_side = i
        if kind == "term":
            preds[i].update(range(i))
        for k in keys_use:
            uses_since.setdefault(k, []).append(i)
        for k in keys_def:
            last_def[k] = i
            uses_since[k] = []
    latency = [lat.of(inst.op) for inst in block]
    # With lat.unit_intervals, an issue holds its unit for its interval (as the SM's sub-core
    # units do, docs/models/sm.md "Units"), so instructions of other units fill the gap.
    unit = [UNIT_OF.get(inst.head, "MISC") for inst in block]
    interval = [lat.interval_of(inst.op) if lat.unit_intervals else 1 for inst in block]
    unit_free: dict[str, int] = {}
    start = lambda i: max(ready_at[i], unit_free.get(unit[i], 0))   # earliest issue cycle
    succs: list[list[int]] = [[] for _ in range(n)]
    for i in range(n):
        preds[i].discard(i)
        for p in preds[i]:
            succs[p].append(i)
    height = [0] * n
    for i in reversed(range(n)):
        height[i] = latency[i] + max((height[s] for s in succs[i]), default=0)
    waiting = [len(preds[i]) for i in range(n)]
    ready_at = [0] * n
    ready = [i for i in range(n) if waiting[i] == 0]
    order: list[int] = []
    # A variable-latency result is waited for through one of the warp's few dependence
    # counters (docs/isa.md 3.4), which the assembler shares once they run out, so a consumer
    # would wait for every load on its counter: at most MAX_IN_FLIGHT such results whose
    # consumers are not yet scheduled are hoisted ahead.
    var = [UNIT_OF.get(inst.head) in ("LSU", "SFU") or inst.head in ("S2R", "CS2R") for inst in block]
    var = [v and bool(block[i].reg_defs() or block[i].pred_defs()) for i, v in enumerate(var)]
    unconsumed = [sum(1 for s in succs[i]) for i in range(n)]
    in_flight: set[int] = set()
    cycle = 0
    while ready:
        now = [i for i in ready if start(i) <= cycle]
        if not now:
            cycle = min(start(i) for i in ready)
            continue
        if len(in_flight) >= max_in_flight and all(var[i] for i in now):
            later = [start(i) for i in ready if not var[i]]
            if later:                    # wait for a consumer rather than hoist another load
                cycle = max(cycle + 1, min(later))
                continue
        full = len(in_flight) >= max_in_flight
        pick = max(now, key=lambda i: (not (full and var[i]), height[i], -i))
        ready.remove(pick)
        order.append(pick)
        for p in preds[pick]:
            if p in in_flight:
                unconsumed[p] -= 1
                if unconsumed[p] == 0:
                    in_flight.discard(p)
        if var[pick] and unconsumed[pick]:
            in_flight.add(pick)
        unit_free[unit[pick]] = cycle + interval[pick]
        for s in succs[pick]:
            ready_at[s] = max(ready_at[s], cycle + latency[pick])
            waiting[s] -= 1
            if waiting[s] == 0:
                ready.append(s)
        cycle += 1
    assert len(order) == n, "dependence cycle in a basic block"
    out = [block[i] for i in order]
    labels = [lab for inst in block for lab in inst.labels]
    if labels and out[0] is not block[0]:        # the block's labels stay on its first instruction
        for inst in block:
            inst.labels = []
        out[0].labels = labels
    return out
