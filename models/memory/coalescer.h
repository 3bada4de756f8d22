// The coalescer: a warp's memory access (the executing lanes' byte addresses and the access
// width) becomes the 128-byte lines it touches, each with the mask of 32-byte sectors used and
// the number of lanes in it. This is the unit of traffic below the SM (engine::MemReq).
//
// Rules (docs/models/l1_shared.md): a lane's bytes [a, a + width) touch every sector they
// overlap, so a misaligned access that straddles a sector or a line boundary touches both
// (the ISA faults on misaligned accesses, but the coalescer does not rely on it). Lines come
// out in the order their first byte is first touched, lanes ascending, which is deterministic
// and is the order the SM sends them in. A pure function: no allocation, no state.
#pragma once

#include <array>
#include <cstdint>

namespace xpusim::mem {

inline constexpr uint32_t kLineBytes = 128;
inline constexpr uint32_t kSectorBytes = 32;

struct LineAccess {
  uint64_t line_addr = 0;   // 128-byte aligned
  uint8_t sector_mask = 0;  // bit i: bytes [32i, 32i + 32) of the line
  uint8_t lanes = 0;        // lanes with at least one byte in the line
};

// A lane of at most 16 bytes touches at most two lines.
inline constexpr uint32_t kMaxCoalescedLines = 64;
using CoalescedLines = std::array<LineAccess, kMaxCoalescedLines>;

// addr[l] is lane l's byte address, for the lanes set in lane_mask; width is 1, 2, 4, 8 or 16
// bytes. Returns the number of lines written to out.
uint32_t coalesce(const uint64_t* addr, uint32_t lane_mask, uint32_t width, CoalescedLines& out);

}  // namespace xpusim::mem
