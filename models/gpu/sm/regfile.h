// One sub-core's register-file read ports and register-file cache (Huerta et al., MICRO'25,
// §5.3 and §5.3.1; ../shared/reference/nvidia_sm_core.md §6). A plain class run inside the
// SM's cycle, not a SystemC component.
//
// Ports. Register r lives in bank r % banks. Each bank has `read_ports` 1024-bit read ports
// per cycle. A fixed-latency instruction reads its operands in the `read_cycles` cycles after
// it leaves Allocate: at Allocate cycle a it must reserve, in every bank, one port-cycle per
// distinct register it reads from that bank (registers served by the RF cache need none)
// within cycles a+1 .. a+read_cycles. If that is impossible it stays in Allocate (a bubble).
// Variable-latency instructions read with lower priority: they take whatever port-cycles are
// left, from a given cycle on, with no window.
//
// RF cache. Entries [slot][bank] hold (warp, register). For each regular register source, in
// operand order (slot = its position among the instruction's register sources, only slots
// < cache_slots take part), for each 32-bit register it covers: look up [slot][bank(r)] — a
// hit (same warp and register) needs no port; then the entry is invalidated whatever the
// outcome; then, if the operand carries a reuse flag, the entry is filled with (warp, r).
// Only fixed-latency instructions use the cache (memory and SFU instructions neither read nor
// invalidate it). With the cache disabled, every register needs a port.
//
// Details fixed by the implementation: RZ occupies a slot (as the assembler counts reuse
// bits) but needs no port; address registers of memory operands need ports but take no slot;
// a bank needing more than read_ports x read_cycles port-cycles (wide tensor operands) reads
// over a window stretched to ceil(n / read_ports) cycles. Port occupancy is kept as one 64-bit
// mask per bank and port over a sliding window of cycles: a call may start at most
// kLookback cycles before an earlier call's start, and reservations must fall within the 64
// cycles from the window's base (both checked; the SM's calls start at its issue cycle + 2,
// which never goes back).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "src/engine/types.h"
#include "src/isa/inst.h"

namespace xpusim::gpu {

struct RegFileParams {
  uint32_t banks = 2;
  uint32_t read_ports = 1;
  uint32_t read_cycles = 3;
  bool cache = true;
  uint32_t cache_slots = 3;
};

struct RegFileStats {
  uint64_t reads = 0;           // 32-bit-register x warp reads through a port
  uint64_t cache_hits = 0;      // register reads served by the RF cache
  uint64_t conflict_cycles = 0; // Allocate cycles lost waiting for ports
};

class RegFileBanks {
 public:
  explicit RegFileBanks(const RegFileParams& p);

  // A fixed-latency instruction of `warp` reaches Allocate at cycle `a0`. Returns the cycle
  // a >= a0 at which it leaves Allocate, with its reads reserved in a+1 .. a+read_cycles, and
  // applies the RF-cache rules. Never fails: the reservation horizon covers any delay.
  engine::Cycle allocate(const isa::Inst& in, uint16_t warp, engine::Cycle a0);

  // A variable-latency instruction reads its register sources from cycle `from` on, taking
  // free port-cycles (one per register, earliest first). Returns the cycle of its last read.
  engine::Cycle read_late(const isa::Inst& in, engine::Cycle from);

  // Forget cached values of a warp (it exited; its slot may be reused).
  void invalidate_warp(uint16_t warp);

  const RegFileStats& stats() const { return stats_; }
  const RegFileParams& params() const { return p_; }

 private:
  static constexpr uint32_t kMaxBanks = 8;
  static constexpr uint32_t kMaxPorts = 8;
  static constexpr uint32_t kLookback = 16;  // see the header comment
  using BankCounts = std::array<uint16_t, kMaxBanks>;  // port-cycles needed per bank
  struct CacheEntry {
    bool valid = false;
    uint16_t warp = 0;
    uint8_t reg = 0;
  };

  // Slides the window so that `start` is near its base (start must not be before it).
  void rebase(engine::Cycle start);
  // Bits of the window covering cycles first .. first+len-1 (checked to fit).
  uint64_t span(engine::Cycle first, uint32_t len) const;
  uint64_t& plane(uint32_t bank, uint32_t port) { return busy_[bank * kMaxPorts + port]; }
  uint64_t plane(uint32_t bank, uint32_t port) const { return busy_[bank * kMaxPorts + port]; }
  // Distinct registers per bank that need a port; applies the RF-cache rules if use_cache.
  BankCounts port_reads(const isa::Inst& in, uint16_t warp, bool use_cache);
  // The [slot][bank] rule for one 32-bit register: look up, invalidate, refill if reuse.
  bool cache_access(uint32_t slot, uint32_t reg, uint16_t warp, bool reuse);
  // Whether every bank has its port-cycles free within first .. first+window-1.
  bool fits(const BankCounts& n, engine::Cycle first, uint32_t window) const;
  // Takes `count` earliest free port-cycles of `bank` from `first` on; returns the last.
  engine::Cycle take(uint32_t bank, uint32_t count, engine::Cycle first);

  RegFileParams p_;
  std::array<uint8_t, 256> bank_of_{};  // r % banks, without a division per register
  // busy_[bank][port] bit k: that port reads at cycle base_ + k. Ports are taken lowest
  // first, so at any cycle the busy ports of a bank are 0 .. u-1.
  std::array<uint64_t, kMaxBanks * kMaxPorts> busy_{};
  engine::Cycle base_ = 0;
  std::vector<CacheEntry> cache_;  // [slot * banks + bank]
  RegFileStats stats_;
};

}  // namespace xpusim::gpu
