// A streaming multiprocessor after Huerta et al., "Dissecting and Modeling the Architecture of
// Modern GPU Cores" (MICRO'25): sub-cores with a front end (instruction buffers, L0/L1
// instruction caches, stream-buffer prefetcher), one issue scheduler each (LRR, GTO, CGGTY),
// dependences by control bits or by a scoreboard, Control and Allocate stages with
// register-file bank conflicts and the RF cache, functional units with latency and initiation
// interval, and a memory pipeline of per-sub-core queues feeding shared structures.
// docs/models/sm.md describes the model, its parameters and its sources.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <queue>
#include <string>
#include <vector>

#include "config.pb.h"
#include "models/gpu/sm/front_end.h"
#include "models/gpu/sm/regfile.h"
#include "models/gpu/sm/sm_params.h"
#include "models/gpu/sm/stall.h"
#include "src/engine/component.h"
#include "src/engine/messages.h"
#include "src/engine/port.h"
#include "src/exec/executor.h"

namespace xpusim::gpu {

class PipelineTrace;

class Sm final : public engine::Component {
 public:
  Sm(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, const SmParams& p, uint16_t id);
  ~Sm() override;  // out of line: WarpSlot and MemInst are defined in sm_state.h

  engine::InPort<engine::CtaAssign> cta_in;
  engine::OutPort<engine::CtaDone> done_out;
  engine::OutPort<engine::MemReq> mem_out;
  engine::InPort<engine::MemResp> mem_in;

  // A new kernel: the launch, its per-instruction timing, where its code lives (instruction
  // cache addresses) and the functional executor.
  void begin_kernel(const exec::Launch* launch, const std::vector<InstTiming>* timing, uint64_t code_base,
                    exec::Executor* ex);
  void set_trace(PipelineTrace* t) { trace_ = t; }

  bool do_cycle(engine::Cycle now) override;
  engine::Tick next_event() const override;
  bool busy() const override;
  std::string describe() const override;
  // Every resident, unfinished warp waits at BAR.SYNC or BSYNC (true when none is resident).
  bool only_barrier_waits() const;

 private:
  struct CtaSlot {
    bool used = false;
    exec::Cta cta;
    uint32_t inflight = 0;        // memory instructions not yet complete
    std::vector<uint16_t> warp_slots;
  };
  struct Group {                  // a committed LDGSTS group (cp.async.commit_group)
    uint32_t remaining;
    uint8_t counter;
  };
  struct WarpSlot;
  struct MemInst;                 // a memory instruction in the LSU
  struct Event {                  // something due at a future cycle
    engine::Cycle at;
    uint32_t idx;                 // memory instruction (kMemDone)
    uint16_t warp;
    uint8_t kind;                 // EventKind
    uint8_t arg;
    // at equal cycles increments come before decrements
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : kind > o.kind; }
  };
  struct Subcore {
    std::vector<uint16_t> warps;  // resident warp slots, oldest first
    uint16_t greedy = UINT16_MAX; // last warp issued
    uint32_t rr = 0;              // LRR position
    std::array<engine::Cycle, kNumUnits> unit_free{};
    engine::Cycle alloc_free = 0; // the Allocate stage takes a new instruction from this cycle
    std::deque<uint32_t> lsu_queue;  // memory instructions not yet in the SM's shared pipeline
    engine::Cycle addr_free = 0;  // the sub-core's address unit takes its next instruction
    // Sleeping. Each warp's classification holds until its `wake` cycle unless an event that
    // can change it (a counter, a memory completion, a barrier, a new or finished CTA, a queue
    // slot, a refilled instruction buffer) marks the warp dirty; only those warps are
    // re-examined. `wake` and `dirty` here summarise the sub-core's warps.
    engine::Cycle wake = 0;
    bool dirty = true;
  };

  // stages, run back to front each cycle
  bool retire_events(engine::Cycle now);
  bool receive_memory(engine::Cycle now);
  bool lsu_cycle(engine::Cycle now);
  bool issue(engine::Cycle now);
  bool send_memory(engine::Cycle now);
  bool receive_ctas(engine::Cycle now);

  // Stall::NotSelected if eligible; lowers `wake` to the cycle the answer may change by time
  // alone (UINT64_MAX: only an event can change it).
  Stall blocked_by(WarpSlot& s, engine::Cycle now, engine::Cycle& wake) const;
  void mark_dirty(uint16_t slot);   // the warp in this slot
  void mark_all_dirty();
  uint16_t pick(Subcore& sc, engine::Cycle now);
  void account(engine::Cycle now);
  void issue_one(uint16_t slot, engine::Cycle now);
  void fixed_pipeline(WarpSlot& s, const isa::Inst& in, const InstTiming& t, engine::Cycle now);
  void enqueue_memory(uint16_t slot, const exec::DynInst& d, engine::Cycle now);
  void start_memory(uint32_t idx, engine::Cycle now);
  void complete_memory(uint32_t idx, engine::Cycle now);
  void drain_groups(WarpSlot& s);
  void check_hazards(WarpSlot& s, const isa::Inst& in, engine::Cycle now);
  void warp_exited(uint16_t slot, engine::Cycle now);
  void start_cta(uint32_t linear, engine::Cycle now);
  void schedule(engine::Cycle at, uint16_t warp, uint8_t kind, uint8_t arg, uint32_t idx = 0);
  void issue_counters(WarpSlot& s, uint16_t slot, const isa::Inst& in, engine::Cycle now, engine::Cycle read_done,
                      engine::Cycle done, engine::Cycle nominal);
  void set_resident(int delta, engine::Cycle now);
  void set_reason(WarpSlot& s, Stall r, engine::Cycle now);  // keeps the histogram (and the pipeline view)

  SmParams p_;
  uint16_t id_;
  const exec::Launch* launch_ = nullptr;
  const std::vector<InstTiming>* timing_ = nullptr;
  exec::Executor* ex_ = nullptr;
  PipelineTrace* trace_ = nullptr;
  FrontEnd fe_;
  std::vector<RegFileBanks> rf_;  // per sub-core
  std::vector<CtaSlot> ctas_;
  std::vector<WarpSlot> warps_;
  std::vector<Subcore> subcores_;
  std::vector<MemInst> mem_;      // LSU entries (pending request table)
  std::vector<uint32_t> mem_free_;
  std::vector<engine::MemReq> outq_;  // ring of line requests waiting for the port
  size_t outq_head_ = 0, outq_size_ = 0;
  std::vector<engine::CtaDone> doneq_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  exec::DynInst dyn_;
  engine::Cycle shared_free_ = 0; // the SM's shared memory pipeline takes its next instruction
  engine::Cycle accounted_ = 0;   // stall reasons are counted up to this cycle
  std::array<uint32_t, static_cast<size_t>(Stall::kCount)> reasons_{};  // warps in each state now
  uint64_t next_age_ = 0;
  uint32_t resident_ctas_ = 0;
  uint32_t resident_warps_ = 0;
  engine::Cycle busy_since_ = 0, occ_since_ = 0;
  uint64_t code_base_ = 0;
  bool track_registers_ = true;   // keep WarpSlot::ready: the scoreboard, or checking control bits

  struct Counters {
    uint64_t* warp_insts;
    uint64_t* thread_insts;
    std::array<uint64_t*, kNumUnits> unit_warp_insts;
    std::array<uint64_t*, kNumUnits> unit_thread_insts;
    std::array<uint64_t*, static_cast<size_t>(Stall::kCount)> stall;
    uint64_t* active_cycles;
    uint64_t* resident_warp_cycles;  // sum over cycles of resident warps (achieved occupancy)
    uint64_t* ctas;
    uint64_t* mem_lines;
    uint64_t* mem_sectors;
    uint64_t* shared_wavefronts;     // bank passes of shared accesses (LDS/STS/ATOMS/LDSM, LDGSTS writes)
    uint64_t* shared_conflicts;      // ... beyond the conflict-free minimum (replays)
    uint64_t* hazards;
    uint64_t* rf_conflict_cycles;
    uint64_t* rf_cache_hits;
    uint64_t* tensor_busy;           // sub-core-cycles a tensor pipe is busy
    uint64_t* processed_cycles;      // cycles the SM was evaluated (the rest it slept through)
  } stat_;
  struct EnergyActions {       // counted per event; docs/models/sm.md lists them
    uint64_t* issue;           // warp instructions issued
    uint64_t* rf_reads;        // warp-wide (1024-bit) register reads through a port
    uint64_t* rf_cache_reads;  // ... served by the RF cache
    uint64_t* rf_writes;       // warp-wide register writes
    uint64_t* shared_accesses; // warp shared-memory instructions (LDS, STS, LDSM, ATOMS, LDGSTS)
    uint64_t* icache_accesses; // L0/L1 instruction-cache lookups
    // datapath operations by kind ("energy.fp32_fma", "energy.mac_fp16", ...): registered when a
    // kernel using the kind starts (null until then), so unused kinds add no counters
    std::array<uint64_t*, energy::kNumOpKinds> ops{};
    uint64_t* shared_bytes;    // bytes moved by shared-memory instructions (roofline L1 level)
  } energy_;
  std::vector<RegFileStats> rf_seen_;  // sub-unit statistics already copied into the counters
  FrontEndStats fe_seen_;
  void sync_substats(uint16_t subcore);
  uint32_t hazard_warnings_ = 0;
};

}  // namespace xpusim::gpu
