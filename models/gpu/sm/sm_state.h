// The SM's per-warp and per-memory-instruction timing state (internal to models/gpu/sm).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "models/gpu/sm/sm.h"

namespace xpusim::gpu {

inline constexpr uint8_t kNoCounter = isa::kNoBarrier;
using isa::for_each_read;
using isa::for_each_write;
using isa::kRegSlots;

enum EventKind : uint8_t {
  kSbInc = 0,   // a dependence counter increment becomes visible (Control stage, one cycle after issue)
  kSbDec = 1,   // a dependence counter decrements (write-back or operand read)
  kMemDone = 2, // a shared-memory access (or SHFL) completes
};

struct Sm::WarpSlot {
  // Read by the scheduler every processed cycle: kept together at the front (one cache line).
  bool used = false;
  bool redirected = false;           // refetching after a branch or a divergence switch
  Stall reason = Stall::NoInstruction; // what the warp did or waited for in the last processed cycle
  bool dirty = true;                 // an event may have changed `reason` (see Subcore::wake)
  uint8_t sb_long = 0;               // counters last incremented by a global/local access
  std::array<uint8_t, 6> sb{};       // dependence counters as the scheduler sees them
  uint16_t cta = 0;
  uint16_t subcore = 0;
  exec::Warp* w = nullptr;
  engine::Cycle stall_until = 0;     // control bits: the stall count / yield
  engine::Cycle wake = 0;            // `reason` holds until this cycle unless an event comes
  uint64_t age = 0;                  // launch order: larger is younger
  engine::Cycle reason_since = 0;    // pipeline view: when `reason` began
  uint32_t open_group = 0;           // LDGSTS issued since the last LDGDEPBAR
  uint32_t group_seq = 0;            // sequence number of the open group
  uint32_t groups_head = 0, groups_count = 0;
  std::array<Group, 32> groups{};
  // Cycle at which each register/predicate holds its newest value (RAW/WAW). The scoreboard
  // waits on it; in control-bits mode it only detects hazards (a too-short stall count).
  std::array<engine::Cycle, kRegSlots> ready{};
  std::array<uint8_t, (kRegSlots + 7) / 8> ready_long{};  // bit: the pending write is a global/local load
  // Scoreboard mode: when the pending reads of each register by variable-latency instructions end.
  std::vector<std::array<engine::Cycle, 4>> war;

  uint8_t sb_nonzero() const {
    uint8_t m = 0;
    for (int k = 0; k < 6; ++k)
      if (sb[k]) m |= static_cast<uint8_t>(1 << k);
    return m;
  }
  bool is_long(int r) const { return ready_long[r >> 3] & (1 << (r & 7)); }
  void set_long(int r, bool v) {
    if (v) ready_long[r >> 3] |= static_cast<uint8_t>(1 << (r & 7));
    else ready_long[r >> 3] &= static_cast<uint8_t>(~(1 << (r & 7)));
  }
};

// A memory instruction between issue and completion (the pending request table).
struct Sm::MemInst {
  bool used = false;
  uint16_t warp = 0;
  uint16_t cta = 0;
  uint32_t pc = 0;
  exec::DynInst d;
  uint8_t wbar = kNoCounter;
  bool global = false;               // global or local memory (through the memory port)
  bool ldgsts = false;
  uint32_t group_seq = 0;
  uint32_t lines = 0;                // line requests still unanswered
  engine::Cycle issued = 0;
  engine::Cycle addr_done = 0;       // leaves the sub-core's address unit
  uint8_t addr_cycles = 0;
};

}  // namespace xpusim::gpu
