"""Virtual registers, predicates and operand wrappers of the kernel builder.

A `VReg` is a run of `width` consecutive 32-bit registers (1, 2 or 4: a 64-bit pointer, an
LDG.128 destination, an MMA fragment) that the allocator maps to a physical base register
aligned to its width, as xasm requires of register ranges (docs/isa.md section 4.1). `v[i]` is
its i-th 32-bit word as an operand; using or writing a word counts as using or writing the
whole virtual register, which keeps liveness simple and is exact for how kernels use them.
"""

from __future__ import annotations

from dataclasses import dataclass


class VReg:
    """A virtual 32-bit register run (width 1, 2 or 4)."""

    __slots__ = ("id", "width", "name")

    def __init__(self, id: int, width: int, name: str) -> None:
        if width not in (1, 2, 4):
            raise ValueError(f"register width must be 1, 2 or 4, got {width}")
        self.id, self.width, self.name = id, width, name

    def __getitem__(self, i: int) -> "Word":
        if not 0 <= i < self.width:
            raise IndexError(f"{self.name} has {self.width} words, no word {i}")
        return Word(self, i)

    def sel(self, suffix: str) -> "Word":
        """A selector on word 0 (`.H0`, `.H1`, `.B2`, `.H1_H1`, ...)."""
        return Word(self, 0, suffix=suffix)

    def __neg__(self) -> "Word":
        return Word(self, 0, prefix="-")

    def __invert__(self) -> "Word":
        return Word(self, 0, prefix="~")

    def abs(self) -> "Word":
        return Word(self, 0, prefix="|")

    def __repr__(self) -> str:
        return f"%{self.name}" + (f"x{self.width}" if self.width > 1 else "")


@dataclass(frozen=True)
class Word:
    """An operand naming a word of a virtual register, with optional prefix and suffix."""
    reg: VReg
    index: int = 0
    prefix: str = ""     # "-", "~", "|" (absolute value, closed by the writer)
    suffix: str = ""     # ".H1", ".B0", ".reuse", ...

    def sel(self, suffix: str) -> "Word":
        return Word(self.reg, self.index, self.prefix, suffix)

    def __neg__(self) -> "Word":
        return Word(self.reg, self.index, "-", self.suffix)


class VPred:
    """A virtual predicate register (P0..P6 after allocation)."""

    __slots__ = ("id", "name")

    def __init__(self, id: int, name: str) -> None:
        self.id, self.name = id, name

    def __invert__(self) -> "NotPred":
        return NotPred(self)

    def __repr__(self) -> str:
        return f"%{self.name}"


@dataclass(frozen=True)
class NotPred:
    pred: VPred

    def __invert__(self) -> VPred:
        return self.pred


@dataclass(frozen=True)
class Mem:
    """A memory operand `[base + offset]`. A global address's base is a width-2 register
    (the 64-bit pointer); a shared or local address's base a width-1 one (a byte offset).
    `base` None gives an absolute offset; `symbol` adds a `.shared` block's name."""
    base: VReg | None = None
    offset: int = 0
    symbol: str = ""

    def __add__(self, off: int) -> "Mem":
        return Mem(self.base, self.offset + off, self.symbol)


def regs_of(x) -> list[VReg]:
    """The virtual registers an operand names."""
    if isinstance(x, VReg):
        return [x]
    if isinstance(x, Word):
        return [x.reg]
    if isinstance(x, Mem):
        return [x.base] if x.base is not None else []
    return []


def preds_of(x) -> list[VPred]:
    if isinstance(x, VPred):
        return [x]
    if isinstance(x, NotPred):
        return [x.pred]
    return []
