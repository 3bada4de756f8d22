// Warp stall reasons, in the vocabulary of Nsight Compute's warp-state sampling
// (smsp__pcsamp_warps_issue_stalled_*). Every resident warp is classified every cycle.
#pragma once

#include <array>
#include <cstdint>

namespace xpusim::gpu {

enum class Stall : uint8_t {
  Selected,           // issued this cycle
  NotSelected,        // eligible, but the scheduler picked another warp
  Wait,               // the stall count of its previous instruction has not run out
  ShortScoreboard,    // waiting on a dependence counter of a shared-memory/MUFU/S2R/SHFL result
  LongScoreboard,     // waiting on a counter of a global/local memory access (L1TEX)
  MathPipeThrottle,   // the execution unit is busy (initiation interval)
  MioThrottle,        // the sub-core's memory-instruction queue is full (shared memory, SHFL)
  LgThrottle,         // ... full with global/local accesses
  DispatchStall,      // the sub-core's pipeline is blocked (register-file port conflicts)
  NoInstruction,      // the instruction buffer is empty (fetch or instruction-cache miss)
  BranchResolving,    // refetching after a taken branch or a divergence switch
  Barrier,            // waiting at BAR.SYNC for the rest of the CTA
  Drain,              // exited, waiting for its memory stores to drain
  kCount
};

inline constexpr std::array<const char*, static_cast<size_t>(Stall::kCount)> kStallNames = {
    "selected",          "not_selected", "wait",         "short_scoreboard", "long_scoreboard",
    "math_pipe_throttle", "mio_throttle", "lg_throttle", "dispatch_stall",   "no_instruction",
    "branch_resolving",  "barrier",      "drain"};

}  // namespace xpusim::gpu
