// Functional state of a launch, a CTA and a warp: registers, predicates, per-lane program
// counters for divergence, barriers, shared and local memory.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "src/isa/inst.h"

namespace xpusim::exec {

struct Dim3 {
  uint32_t x = 1, y = 1, z = 1;
  uint64_t count() const { return uint64_t{x} * y * z; }
};

// One kernel launch: the program, its geometry and its constant bank (parameters).
struct Launch {
  const isa::Kernel* kernel = nullptr;
  std::string name;
  Dim3 grid;
  Dim3 block;
  uint32_t dynamic_shared_bytes = 0;
  std::vector<uint8_t> cbank;  // built-ins then parameters (isa::kCbNtid ...)

  uint32_t threads_per_cta() const { return static_cast<uint32_t>(block.count()); }
  uint32_t warps_per_cta() const { return (threads_per_cta() + 31) / 32; }
  uint32_t shared_bytes_per_cta() const { return kernel->shared_bytes + dynamic_shared_bytes; }
};

struct Warp {
  // What the scheduler reads every cycle comes first (one cache line).
  uint32_t live = 0;            // lanes not exited
  uint32_t bsync_wait = 0;      // lanes waiting at a BSYNC
  uint32_t bar_wait = 0;        // lanes waiting at a CTA barrier
  uint32_t pc = 0;              // the warp's pc while converged
  bool diverged = false;
  uint8_t bar_id = 0;           // the barrier those lanes wait on
  uint32_t index = 0;           // warp index within the CTA
  uint32_t launched = 0;        // lanes that exist (the last warp of a CTA may be partial)
  uint32_t* regs = nullptr;     // [nregs][32]: register r of lane l at regs[r * 32 + l]
  uint8_t* local = nullptr;     // [32][local_bytes]
  std::array<uint32_t, 8> pred{};  // one bit per lane; pred[7] (PT) is all ones
  std::array<uint32_t, 32> lane_pc{};  // per-lane pcs while diverged
  std::array<uint32_t, 16> breg{};  // convergence barrier registers B0..B15
  // Timing-only runs: a bit per dependence slot (isa::kRegSlots: registers, then predicates)
  // whose value, in some live lane, this mode did not compute.
  std::array<uint64_t, (isa::kRegSlots + 63) / 64> unknown{};
  uint32_t cursor = UINT32_MAX;  // trace replay (src/trace): the warp's trace cursor
  // cp.async bookkeeping (the copy happens at issue; these say when a kernel may read it):
  // commit groups closed by LDGDEPBAR, groups a DEPBAR waited for, and groups a barrier made
  // visible to the CTA's other warps.
  uint32_t groups_committed = 0, groups_done = 0, groups_visible = 0;

  bool done() const { return live == 0; }
  uint32_t runnable() const { return live & ~bsync_wait & ~bar_wait; }
};

struct CtaBarrier {
  uint32_t arrived = 0;   // threads arrived in the current phase
  uint32_t expected = 0;  // thread count given by BAR.SYNC id, count (0 = every live thread)
};

struct Cta {
  Dim3 ctaid;
  uint32_t linear_id = 0;
  uint32_t sm_id = 0;
  const Launch* launch = nullptr;
  std::vector<Warp> warps;
  std::vector<uint32_t> regfile;   // every warp's registers
  std::vector<uint8_t> shared;
  // Per 16-byte chunk of shared memory: 1 + the warp whose LDGSTS last wrote it (0: written
  // synchronously or never) and that copy's commit group. Sized only for kernels with LDGSTS.
  std::vector<uint16_t> async_warp;
  std::vector<uint32_t> async_group;
  std::vector<uint8_t> local;
  uint32_t live_threads = 0;
  uint32_t warps_done = 0;
  std::array<CtaBarrier, 16> bars{};
  bool shared_unknown = false;     // timing only: shared memory may hold values not computed

  bool done() const { return warps_done == warps.size(); }
};

}  // namespace xpusim::exec
