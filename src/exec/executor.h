// The functional executor: runs one warp instruction at a time with real values. The
// timing model decides *when* each warp steps; the executor decides *what* it does and
// reports what the timing model needs (DynInst): which lanes ran, the addresses touched,
// whether a barrier released other warps.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "src/engine/error.h"
#include "src/exec/memory.h"
#include "src/exec/state.h"
#include "src/isa/inst.h"

namespace xpusim::exec {

enum class Space : uint8_t { None, Global, Shared, Local };

// What one step did, for the timing model. Reused across steps: no allocation.
struct DynInst {
  const isa::Inst* inst = nullptr;
  uint32_t pc = 0;
  uint32_t active = 0;          // lanes at this pc (before the guard predicate)
  uint32_t exec = 0;            // lanes that executed (guard true)
  Space space = Space::None;
  uint8_t bytes = 0;            // bytes per lane of the memory access
  bool store = false;           // writes memory (stores, atomics, LDGSTS's shared side)
  bool atomic = false;
  std::array<uint64_t, 32> addr{};  // per executing lane (global: device address)
  bool released = false;        // a CTA barrier completed: other warps may run again
};

// A fault in a user's kernel (out-of-bounds or misaligned access, barrier misuse,
// deadlock): an input error located at the faulting instruction's source line.
class KernelFault : public InputErrors {
 public:
  using InputErrors::InputErrors;
};

// The timing model asks an Executor what each warp does next. This one computes it; trace
// replay (src/trace) derives from it and reads it from a recorded trace instead, so the
// timing model has one seam for both.
class Executor {
 public:
  explicit Executor(GlobalMemory& gmem) : gmem_(gmem) {}
  virtual ~Executor() = default;

  // Sets up a CTA of `launch` (registers zeroed, shared memory zeroed, all lanes at pc 0).
  virtual void start_cta(Cta& cta, const Launch& launch, Dim3 ctaid, uint32_t linear_id, uint32_t sm_id) const;

  // Executes the warp's next instruction. `cycle` feeds SR_CLOCKLO/HI.
  virtual void step(Cta& cta, Warp& w, DynInst& out, uint64_t cycle = 0);

  // The pc of the instruction the warp would run next (its lowest runnable pc).
  static uint32_t next_pc(const Warp& w);

  // Timing only: skip arithmetic whose results only feed values (FP and tensor math, MUFU,
  // conversions); memory accesses, addresses and control flow are
  // still computed. The executor follows which registers, predicates and memory spaces hold
  // values it did not compute, and stops with a KernelFault at the first branch, barrier,
  // guarded memory access or address that depends on one, so a kernel whose control flow or
  // addresses depend on data is refused, never run wrongly. Outputs are meaningless.
  void set_timing_only(bool on) { timing_only_ = on; }
  bool timing_only() const { return timing_only_; }

  // Runs a whole CTA to completion, warps in round-robin order (tests and timing-free runs).
  void run_cta(Cta& cta);

  GlobalMemory& gmem() { return gmem_; }

 protected:
  // What every front end sets up for a CTA: its ids, its warps (index, launched and live lanes,
  // PT), no barrier arrivals. start_cta adds registers and memories; trace replay its cursors.
  static void init_cta(Cta& cta, const Launch& launch, Dim3 ctaid, uint32_t linear_id, uint32_t sm_id);

 private:
  void check_unknown(const Cta& cta, const Warp& w, const isa::Inst& in) const;
  void track_unknown(Cta& cta, Warp& w, const isa::Inst& in, const DynInst& out);

  GlobalMemory& gmem_;
  bool timing_only_ = false;
  bool global_unknown_ = false;  // timing only: global or local memory may hold values not computed
};

// Builds a launch's constant bank from its geometry and packed parameter bytes.
std::vector<uint8_t> make_cbank(const isa::Kernel& k, Dim3 grid, Dim3 block, const std::vector<uint8_t>& params);

}  // namespace xpusim::exec
