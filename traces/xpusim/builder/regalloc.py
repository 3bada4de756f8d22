"""Register allocation: liveness over the kernel's control-flow graph, then greedy colouring.

Liveness is computed per instruction as bit sets over virtual registers (backward, to a fixed
point over the branches, so values carried around a loop stay live across its back edge) and
intersected with the registers that may already hold a value (forward), so a register
written word by word is not live before its first write. A register occupies slot 2i (read by
instruction i or live into it) and 2i+1 (written by i or live out of it). Two registers
interfere when their slot sets meet; an instruction with a multi-register operand also
occupies its destinations' slot 2i, so a destination range never overlaps a source (a
one-word instruction may reuse its source's register, as compilers do).

Registers are coloured largest first, then by first slot, each at the lowest base aligned to
its width. More than `max_regs` registers is an error naming the instruction where the most
words are live: the builder does not spill.
"""

from __future__ import annotations

from .regs import VPred, VReg


def _cfg(insts) -> list[list[int]]:
    labels = {lab: i for i, inst in enumerate(insts) for lab in inst.labels}
    succ = []
    for i, inst in enumerate(insts):
        s = []
        if inst.head == "BRA":
            if inst.target not in labels:
                from .kernel import BuildError
                raise BuildError(f"BRA to undefined label {inst.target!r}")
            s.append(labels[inst.target])
        falls = inst.guard is not None or inst.head not in ("BRA", "EXIT")
        if falls and i + 1 < len(insts):
            s.append(i + 1)
        succ.append(s)
    return succ


def _sets(insts, uses_of, defs_of, kills_of):
    """Per instruction: uses, defs, kills as bit masks over register ids."""
    def mask(rs):
        m = 0
        for r in rs:
            m |= 1 << r.id
        return m
    return ([mask(uses_of(x)) for x in insts], [mask(defs_of(x)) for x in insts],
            [mask(kills_of(x)) for x in insts])


def _liveness(insts, succ, use, dfn, kill):
    n = len(insts)
    pred = [[] for _ in range(n)]
    for i, ss in enumerate(succ):
        for s in ss:
            pred[s].append(i)
    live_in, live_out = [0] * n, [0] * n
    changed = True
    while changed:
        changed = False
        for i in reversed(range(n)):
            out = 0
            for s in succ[i]:
                out |= live_in[s]
            inn = use[i] | (out & ~kill[i])
            if out != live_out[i] or inn != live_in[i]:
                live_out[i], live_in[i], changed = out, inn, True
    def_in, def_out = [0] * n, [0] * n
    changed = True
    while changed:
        changed = False
        for i in range(n):
            inn = 0
            for p in pred[i]:
                inn |= def_out[p]
            out = inn | dfn[i]
            if inn != def_in[i] or out != def_out[i]:
                def_in[i], def_out[i], changed = inn, out, True
    return [a & b for a, b in zip(live_in, def_in)], [a & b for a, b in zip(live_out, def_out)]


def _color(objs: dict, slots: dict, limit: int, what: str, kernel: str, insts, live_words):
    from .kernel import BuildError
    occupied: list[int] = []
    assign: dict[int, int] = {}
    order = sorted(objs.values(), key=lambda r: (-getattr(r, "width", 1), (slots[r.id] & -slots[r.id]).bit_length()))
    for r in order:
        w = getattr(r, "width", 1)
        base = 0
        while True:
            if base + w > limit:
                worst = max(range(len(insts)), key=lambda i: live_words[i])
                raise BuildError(
                    f"{kernel}: register allocation needs more than {limit} {what} "
                    f"(no spilling): {live_words[worst]} words are live at instruction {worst} "
                    f"({insts[worst].op}); reduce the tile or the unrolling")
            while len(occupied) < base + w:
                occupied.append(0)
            if all(occupied[base + j] & slots[r.id] == 0 for j in range(w)):
                break
            base += w
        for j in range(w):
            occupied[base + j] |= slots[r.id]
        assign[r.id] = base
    return assign, len(occupied)


def allocate(insts, max_regs: int, kernel: str = "kernel"):
    """Maps virtual registers and predicates to physical ones.
    Returns ({vreg id: base}, {vpred id: index}, registers used)."""
    succ = _cfg(insts)
    regs: dict[int, VReg] = {}
    preds: dict[int, VPred] = {}
    for inst in insts:
        for r in inst.reg_defs() + inst.reg_uses():
            regs[r.id] = r
        for p in inst.pred_defs() + inst.pred_uses():
            preds[p.id] = p

    def full_kills(inst):
        if inst.guard is not None:
            return []
        partial = {r.id for r in inst.partial_defs()}
        return [r for r in inst.reg_defs() if r.id not in partial]

    out = {}
    for what, objs, uses, defs, kills, limit in (
        ("registers", regs, lambda x: x.reg_uses(), lambda x: x.reg_defs(), full_kills, max_regs),
        ("predicates", preds, lambda x: x.pred_uses(), lambda x: x.pred_defs(),
         lambda x: [] if x.guard is not None else x.pred_defs(), 7),
    ):
        use, dfn, kill = _sets(insts, uses, defs, kills)
        lin, lout = _liveness(insts, succ, use, dfn, kill)
        slots = {rid: 0 for rid in objs}
        for i, inst in enumerate(insts):
            before = lin[i] | use[i]
            after = lout[i] | dfn[i]
            if what == "registers" and inst.wide:
                before |= dfn[i]
            for rid in objs:
                bit = 1 << rid
                if before & bit:
                    slots[rid] |= 1 << (2 * i)
                if after & bit:
                    slots[rid] |= 1 << (2 * i + 1)
        live_words = [sum(getattr(objs[rid], "width", 1) for rid in objs if (lin[i] >> rid) & 1)
                      for i in range(len(insts))]
        out[what] = _color(objs, slots, limit, what, kernel, insts, live_words)
    (ra, nregs), (pa, _) = out["registers"], out["predicates"]
    return ra, pa, nregs
