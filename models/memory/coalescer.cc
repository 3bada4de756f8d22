#include "models/memory/coalescer.h"

#include <bit>

#include "src/engine/error.h"

namespace xpusim::mem {

namespace {

// Adds bytes [first, last] of one line (both within the line) for one lane.
void touch(uint64_t line, uint32_t first, uint32_t last, CoalescedLines& out, uint32_t& n) {
  uint8_t mask = 0;
  for (uint32_t k = first / kSectorBytes; k <= last / kSectorBytes; ++k) mask |= static_cast<uint8_t>(1u << k);
  uint32_t i = 0;
  while (i < n && out[i].line_addr != line) ++i;
  if (i == n) out[n++] = LineAccess{line, 0, 0};
  out[i].sector_mask |= mask;
  ++out[i].lanes;
}

}  // namespace

uint32_t coalesce(const uint64_t* addr, uint32_t lane_mask, uint32_t width, CoalescedLines& out) {
  SIM_CHECK(width >= 1 && width <= 16, "coalescer: access width {} bytes", width);
  uint32_t n = 0;
  for (uint32_t m = lane_mask; m; m &= m - 1) {
    const int l = std::countr_zero(m);
    const uint64_t a = addr[l];
    const uint64_t end = a + width - 1;  // last byte
    const uint64_t line = a & ~uint64_t{kLineBytes - 1};
    const uint64_t end_line = end & ~uint64_t{kLineBytes - 1};
    if (line == end_line) {
      touch(line, static_cast<uint32_t>(a - line), static_cast<uint32_t>(end - line), out, n);
    } else {  // straddles a line boundary: the tail of one line, the head of the next
      touch(line, static_cast<uint32_t>(a - line), kLineBytes - 1, out, n);
      touch(end_line, 0, static_cast<uint32_t>(end - end_line), out, n);
    }
  }
  return n;
}

}  // namespace xpusim::mem
