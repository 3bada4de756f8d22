// A streaming multiprocessor: resident CTAs and their warps, sub-cores with one issue
// scheduler each, dependence tracking by NVIDIA-style control bits (stall counts and six
// dependence counters per warp), functional units with latency and initiation interval,
// and a load/store path that coalesces global accesses into 128-byte line requests.
// docs/models/sm.md describes the model and its sources.
#pragma once

#include <array>
#include <cstdint>
#include <queue>
#include <string>
#include <vector>

#include "config.pb.h"
#include "models/gpu/sm/sm_params.h"
#include "src/engine/component.h"
#include "src/engine/messages.h"
#include "src/engine/port.h"
#include "src/exec/executor.h"

namespace xpusim::gpu {

class Sm final : public engine::Component {
 public:
  Sm(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, const SmParams& p, uint16_t id);

  engine::InPort<engine::CtaAssign> cta_in;
  engine::OutPort<engine::CtaDone> done_out;
  engine::OutPort<engine::MemReq> mem_out;
  engine::InPort<engine::MemResp> mem_in;

  // A new kernel: the launch and the functional executor (null: timing only).
  void begin_kernel(const exec::Launch* launch, exec::Executor* ex);

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
    uint32_t inflight = 0;       // memory requests not yet answered
    std::vector<uint16_t> warp_slots;
  };
  struct Group {                 // a committed LDGSTS group (cp.async.commit_group)
    uint32_t remaining;
    uint8_t counter;
  };
  struct WarpSlot {
    bool used = false;
    uint16_t cta = 0;            // CtaSlot index
    uint16_t subcore = 0;
    exec::Warp* w = nullptr;
    uint64_t age = 0;            // launch order: larger is younger
    engine::Cycle ready = 0;     // the stall counter: earliest cycle of the next issue
    std::array<uint8_t, 6> sb{};  // dependence counters
    uint32_t open_group = 0;     // LDGSTS issued since the last LDGDEPBAR
    uint32_t group_seq = 0;      // sequence number of the open group
    std::array<Group, 32> groups{};
    uint32_t groups_head = 0, groups_count = 0;
  };
  struct Inflight {              // one warp memory instruction waiting for its lines
    bool used = false;
    uint16_t warp = 0;
    uint8_t wbar = 7;
    bool ldgsts = false;
    uint32_t group_seq = 0;
    uint32_t lines = 0;
  };
  struct Event {                 // a dependence-counter decrement at a future cycle
    engine::Cycle at;
    uint16_t warp;
    uint8_t counter;
    bool operator>(const Event& o) const { return at > o.at; }
  };
  struct Subcore {
    std::vector<uint16_t> warps;  // resident warp slots, oldest first
    uint16_t greedy = UINT16_MAX; // last warp issued
    uint32_t rr = 0;              // LRR position
    std::array<engine::Cycle, kNumUnits> unit_free{};
  };

  // stages, run back to front each cycle
  bool receive_memory(engine::Cycle now);
  bool retire_events(engine::Cycle now);
  bool issue(engine::Cycle now);
  bool send_memory(engine::Cycle now);
  bool receive_ctas(engine::Cycle now);

  bool eligible(const WarpSlot& s, engine::Cycle now) const;
  uint16_t pick(Subcore& sc, engine::Cycle now) const;
  void issue_one(uint16_t slot, engine::Cycle now);
  void memory_access(uint16_t slot, const exec::DynInst& d, engine::Cycle now);
  void complete_inflight(uint32_t idx, engine::Cycle now);
  void drain_groups(WarpSlot& s);
  void warp_exited(uint16_t slot, engine::Cycle now);
  void start_cta(uint32_t linear, engine::Cycle now);
  void schedule(engine::Cycle at, uint16_t warp, uint8_t counter);

  SmParams p_;
  uint16_t id_;
  const exec::Launch* launch_ = nullptr;
  exec::Executor* ex_ = nullptr;
  std::vector<CtaSlot> ctas_;
  std::vector<WarpSlot> warps_;
  std::vector<Subcore> subcores_;
  std::vector<Inflight> inflight_;
  uint32_t inflight_used_ = 0;
  std::vector<engine::MemReq> outq_;   // ring of line requests waiting for the port
  size_t outq_head_ = 0, outq_size_ = 0;
  std::vector<engine::CtaDone> doneq_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  exec::DynInst dyn_;
  uint64_t next_age_ = 0;
  uint32_t resident_ctas_ = 0;
  engine::Cycle busy_since_ = 0;

  struct Counters {
    uint64_t* warp_insts;
    uint64_t* thread_insts;
    std::array<uint64_t*, kNumUnits> unit_warp_insts;
    std::array<uint64_t*, kNumUnits> unit_thread_insts;
    uint64_t* active_cycles;
    uint64_t* ctas;
    uint64_t* mem_lines;
    uint64_t* mem_sectors;
  } stat_;
  struct EnergyActions {       // counted per event; docs/models/sm.md lists them
    uint64_t* issue;           // warp instructions issued
    uint64_t* rf_reads;        // warp-wide (1024-bit) register reads
    uint64_t* rf_writes;       // warp-wide register writes
    uint64_t* shared_accesses; // warp shared-memory instructions (LDS, STS, LDSM, ATOMS, LDGSTS)
  } energy_;
};

}  // namespace xpusim::gpu
