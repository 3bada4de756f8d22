// The L1 data cache of one SM: sectored (128-byte lines, 32-byte sectors), set-associative
// with LRU, MSHRs that merge misses to a line already in flight, a limited number of tag
// lookups and data bytes per cycle, and a write policy for global stores. It shares one SRAM
// with shared memory: the data cache gets what the kernel's shared-memory carve-out leaves.
//
//   SM (LSU) --from_sm--> L1Cache --to_l2--> crossbar / L2
//   SM (LSU) <--to_sm---- L1Cache <--from_l2-- crossbar / L2
//
// Every request is one 128-byte line with a sector mask (the coalescer's output). It gets
// exactly one response, carrying its own tag and source, when all its sectors are available
// (loads) or it has been accepted (stores, atomics, which L2 answers). Requests the L1 cannot
// take (MSHRs full, miss queue full) stay in from_sm: back-pressure, never a drop.
// docs/models/l1_shared.md describes the policies and their sources.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.pb.h"
#include "src/engine/component.h"
#include "src/engine/messages.h"
#include "src/engine/port.h"

namespace xpusim::mem {

struct L1Params {
  // gpu.l1 with defaults already applied (src/io/defaults.cc).
  static L1Params from(const proto::GpuSpec& gpu);

  uint32_t capacity_bytes = 128 * 1024;  // unified L1 + shared SRAM
  uint32_t line_bytes = 128;
  uint32_t sector_bytes = 32;
  uint32_t hit_latency = 28;          // cycles, request accepted to response sent
  uint32_t bytes_per_cycle = 128;     // data array bandwidth
  uint32_t ways = 4;
  uint32_t mshrs = 256;
  uint32_t mshr_merges = 8;           // requests one MSHR entry holds (the first included)
  proto::WritePolicy write_policy = proto::WRITE_THROUGH_NO_ALLOCATE;
  std::vector<uint32_t> carveout_bytes; // allowed shared-memory sizes, ascending
  uint32_t tag_lookups_per_cycle = 1;
  bool enabled = true;
  uint32_t miss_queue = 8;            // requests waiting for the to_l2 channel
  uint32_t response_queue = 256;      // hits and stores waiting out the hit latency

  // The smallest allowed carve-out holding `shared_bytes` (the CUDA driver's rule); the
  // largest one if none does.
  uint32_t carveout_for(uint32_t shared_bytes) const;
};

class L1Cache final : public engine::Component {
 public:
  L1Cache(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, const L1Params& p,
          uint16_t sm);

  engine::InPort<engine::MemReq> from_sm;    // line requests from the SM's LSU
  engine::OutPort<engine::MemResp> to_sm;    // one response per request
  engine::OutPort<engine::MemReq> to_l2;     // misses, write-throughs, atomics (source = sm, tag = MSHR id)
  engine::InPort<engine::MemResp> from_l2;   // their responses

  // Before each kernel: the shared-memory carve-out chosen for it (bytes); the data cache gets
  // the rest of the SRAM. Given the shared memory the resident CTAs need, it rounds up to an
  // allowed carve-out itself (L1Params::carveout_for; an allowed size stays as it is). Also
  // invalidates the cache (L1 is not coherent across kernels).
  void set_carveout(uint32_t shared_bytes);
  uint32_t carveout() const { return carveout_; }

  bool do_cycle(engine::Cycle now) override;
  engine::Tick next_event() const override;
  bool busy() const override;
  std::string describe() const override;

  // Introspection for tests and reports.
  uint32_t sets() const { return sets_; }
  uint32_t ways() const { return ways_eff_; }
  uint32_t data_bytes() const { return sets_ * ways_eff_ * p_.line_bytes; }

 private:
  static constexpr uint32_t kNoTag = UINT32_MAX;  // to_l2 tag of a write-through (no waiter)

  struct Line {
    uint64_t tag = 0;         // line address
    uint8_t valid = 0;        // valid sectors; 0: the way is free
    uint64_t lru = 0;         // last use stamp
  };
  struct Waiter {             // a request merged into an MSHR entry
    uint32_t tag = 0;
    uint16_t source = 0;
    uint8_t sector_mask = 0;
    engine::MemOp op = engine::MemOp::Load;
    engine::Tick issued = 0;
  };
  struct Mshr {
    bool used = false;
    uint64_t line_addr = 0;
    uint8_t requested = 0;    // sectors asked of L2
    uint8_t arrived = 0;
    bool fill = true;         // a cacheable load miss: fill the cache, accept merges
    uint32_t nwaiters = 0;    // waiters at [id * merges, id * merges + nwaiters)
    uint32_t pos = 0;         // index in active_
  };
  struct Resp {               // a response to the SM, due at `ready`
    engine::Tick ready = 0;
    engine::MemResp resp;
    engine::Tick issued = 0;
  };
  template <typename T>
  struct Ring {               // a fixed FIFO (no allocation after construction)
    std::vector<T> buf;
    size_t head = 0, size = 0;
    bool full() const { return size == buf.size(); }
    bool empty() const { return size == 0; }
    T& front() { return buf[head]; }
    const T& front() const { return buf[head]; }
    void push(const T& v) { buf[(head + size++) % buf.size()] = v; }
    void pop() { head = (head + 1) % buf.size(), --size; }
  };

  enum class Block : uint8_t { None, Mshr, MissQueue, RespQueue, Data };
  Block try_accept(engine::Cycle now);      // one request from from_sm
  bool handle_l2(engine::Tick t);
  bool send_responses(engine::Tick t);
  bool send_misses(engine::Tick t);
  Line* find_line(uint64_t line_addr);
  void fill(uint64_t line_addr, uint8_t sectors);
  int find_mshr(uint64_t line_addr) const;
  uint32_t alloc_mshr();
  void release_mshr(uint32_t id);
  engine::Tick data_slot(engine::Cycle now, uint32_t bytes);  // books the data array
  void record_latency(engine::Tick issued, engine::Tick done);
  void invalidate();

  L1Params p_;
  uint16_t sm_;
  uint32_t carveout_ = 0;             // shared-memory bytes of the SRAM
  uint32_t sets_ = 0;
  uint32_t ways_eff_ = 0;             // ways per set in use (fewer when the data cache is tiny)
  std::vector<Line> lines_;           // sets_ x ways_eff_, sized for the whole SRAM once
  std::vector<Mshr> mshrs_;
  std::vector<Waiter> waiters_;       // mshrs x mshr_merges
  uint32_t mshrs_used_ = 0;
  std::vector<uint32_t> free_ids_;    // free MSHRs (a stack)
  std::vector<uint32_t> active_;      // MSHRs in use: a miss searches only these
  Ring<engine::MemReq> miss_q_;       // requests for to_l2
  Ring<Resp> hit_q_;                  // hits and stores, in ready order
  Ring<Resp> fill_q_;                 // answers from L2, ready at once
  uint64_t lru_clock_ = 0;
  uint64_t data_booked_ = 0;          // data array booked up to this many byte-slots (cycle x bytes_per_cycle)
  uint32_t lookups_this_cycle_ = 0;
  engine::Cycle lookup_cycle_ = UINT64_MAX;
  uint32_t in_flight_ = 0;            // requests accepted, not yet answered
  bool to_sm_blocked_ = false, to_l2_blocked_ = false;
  Block blocked_ = Block::None;
  engine::Cycle stall_since_ = 0;

  // Counters ("<path>.<name>"; docs/models/l1_shared.md).
  uint64_t* requests_;                // every request looked up
  uint64_t* accesses_;                // cacheable loads: hits + misses
  uint64_t* hits_;
  uint64_t* misses_;
  uint64_t* sector_hits_;
  uint64_t* sector_misses_;
  uint64_t* mshr_merges_;
  uint64_t* mshr_full_stalls_;
  uint64_t* bytes_to_l2_;
  uint64_t* bytes_from_l2_;
  uint64_t* bypasses_;
  uint64_t* stores_;
  uint64_t* atomics_;
  uint64_t* loads_done_;
  uint64_t* load_latency_sum_;
  std::vector<uint64_t*> latency_hist_;  // load latency in cycles, power-of-two buckets
  uint64_t* e_tag_;
  uint64_t* e_sector_read_;
  uint64_t* e_sector_write_;
};

}  // namespace xpusim::mem
