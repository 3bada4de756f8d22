// The SM's per-warp and per-memory-instruction timing state (internal to models/gpu/sm).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "models/gpu/sm/sm.h"

namespace xpusim::gpu {

inline constexpr int kRegSlots = 256 + 8;  // R0..R254 (index 255 unused), then P0..P7
inline constexpr uint8_t kNoCounter = isa::kNoBarrier;

enum EventKind : uint8_t {
  kSbInc = 0,   // a dependence counter increment becomes visible (Control stage, one cycle after issue)
  kSbDec = 1,   // a dependence counter decrements (write-back or operand read)
  kMemDone = 2, // a shared-memory access (or SHFL) completes
};

struct Sm::WarpSlot {
  bool used = false;
  uint16_t cta = 0;
  uint16_t subcore = 0;
  exec::Warp* w = nullptr;
  uint64_t age = 0;                  // launch order: larger is younger
  engine::Cycle stall_until = 0;     // control bits: the stall count / yield
  std::array<uint8_t, 6> sb{};       // dependence counters as the scheduler sees them
  uint8_t sb_long = 0;               // counters last incremented by a global/local access
  // Cycle at which each register/predicate holds its newest value (RAW/WAW). The scoreboard
  // waits on it; in control-bits mode it only detects hazards (a too-short stall count).
  std::array<engine::Cycle, kRegSlots> ready{};
  std::array<uint8_t, (kRegSlots + 7) / 8> ready_long{};  // bit: the pending write is a global/local load
  // Scoreboard mode: when the pending reads of each register by variable-latency instructions end.
  std::vector<std::array<engine::Cycle, 4>> war;
  uint32_t open_group = 0;           // LDGSTS issued since the last LDGDEPBAR
  uint32_t group_seq = 0;            // sequence number of the open group
  std::array<Group, 32> groups{};
  uint32_t groups_head = 0, groups_count = 0;
  Stall reason = Stall::NoInstruction; // what the warp did or waited for in the last processed cycle
  bool redirected = false;           // refetching after a branch or a divergence switch
  engine::Cycle retry = 0;           // scoreboard: when the registers it waits for are ready
                                     // (UINT64_MAX: a memory access, which wakes the SM itself)

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

// Registers (and predicates, at 256+p) an instruction reads and writes.
template <typename F>
void for_each_read(const isa::Inst& in, F f) {
  for (int i = 0; i < in.nreads; ++i)
    for (int r = 0; r < in.reads[i].count; ++r) f(in.reads[i].reg + r);
  for (int p = 0; p < 7; ++p)
    if (in.pred_reads & (1 << p)) f(256 + p);
}

template <typename F>
void for_each_write(const isa::Inst& in, F f) {
  for (int i = 0; i < in.nwrites; ++i)
    for (int r = 0; r < in.writes[i].count; ++r) f(in.writes[i].reg + r);
  for (int p = 0; p < 7; ++p)
    if (in.pred_writes & (1 << p)) f(256 + p);
}

}  // namespace xpusim::gpu
