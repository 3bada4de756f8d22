"""Shared-memory layouts with XOR swizzles.

A tile stored as rows of `row_bytes` (a multiple of 16) is addressed in 16-byte chunks. The
swizzle stores chunk c of row r at chunk c ^ f(r), with f(r) = (byte offset of the row / 128)
mod chunks-per-row: in byte terms

    swizzled(off) = off ^ (((off >> 7) & (cpr - 1)) << 4)        (cpr = row_bytes / 16)

(CUTLASS calls this Swizzle<log2 cpr, 4, 3>). Rows of 256 or 512 bytes (cpr 16, 32) XOR the
low three bits of the chunk index with row & 7 instead (off >> log2(row_bytes)). The eight rows an LDSM phase reads at the same
logical chunk then fall on eight different 16-byte bank groups of the 128-byte bank line, so
LDSM and the 16-byte LDGSTS writes are free of bank conflicts, and the map is a bijection
within every 128-byte-aligned group of rows (it only permutes chunks inside a row).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Swizzle:
    row_bytes: int

    def __post_init__(self) -> None:
        cpr = self.row_bytes // 16
        if self.row_bytes % 16 or cpr & (cpr - 1) or not 1 <= cpr <= 32:
            raise ValueError(f"swizzled rows must be 16 to 512 bytes, a power of two, got {self.row_bytes}")

    @property
    def mask(self) -> int:
        return min(self.row_bytes // 16, 8) - 1

    @property
    def shift(self) -> int:
        return max(7, self.row_bytes.bit_length() - 1)

    def offset(self, row: int, col_byte: int) -> int:
        """Byte offset of (row, byte column) in the swizzled tile."""
        off = row * self.row_bytes + col_byte
        return off ^ (((off >> self.shift) & self.mask) << 4)

    def emit(self, k, row, chunk, name: str = "swz"):
        """Device code: the swizzled byte offset of 16-byte `chunk` (a register or an int)
        of `row` (a register). Returns a register."""
        off = k.shl(row, self.row_bytes.bit_length() - 1)
        if self.mask == 0:
            return off if chunk == 0 else k.lea(chunk, off, 4, name=name)
        f = k.shr(off, self.shift)
        f = k.and_(f, self.mask)
        x = k.xor(f, chunk) if not isinstance(chunk, int) else k.lop(f, chunk, 0x3C)
        return k.lea(x, off, 4, name=name)


def ldsm_phase_conflicts(addrs: list[int]) -> int:
    """Bank conflicts of one LDSM phase: 8 row addresses of 16 bytes each. Returns the number
    of extra wavefronts (0 = conflict-free): rows sharing a 16-byte bank group of the
    128-byte line serialise."""
    groups: dict[int, int] = {}
    for a in addrs:
        g = (a // 16) % 8
        groups[g] = groups.get(g, 0) + 1
    return max(groups.values()) - 1
