// One L2 slice: a sectored, set-associative, write-back write-allocate cache in front of one
// DRAM controller (docs/models/l2_noc.md).
//
//   crossbar --req_in--> L2Slice --to_dram--> DramController
//   crossbar <-resp_out- L2Slice <-from_dram- DramController
//
// * Lines of 128 bytes in 32-byte sectors; sets x ways from the capacity per slice; LRU.
// * One tag lookup per cycle; the data array moves `bytes_per_cycle` per cycle, so a request
//   holds the pipeline for ceil(sector bytes / bytes_per_cycle) cycles (at least one).
// * Loads and atomics that miss any requested sector get an MSHR per line; later requests to
//   the line merge into it (up to mshr_merges), asking DRAM only for sectors not yet asked.
//   Lines are allocated when the fill returns (the LRU victim's dirty sectors are written back).
// * Stores write whole sectors: they allocate the line at once, mark the sectors valid and
//   dirty and fetch nothing (byte masks are not tracked).
// * Atomics are performed here: each of MemReq::atomics lane operations holds the slice for
//   atomic_cycles (a read-modify-write of the line), so atomics to one slice serialise.
// * Back-pressure: a request that cannot get an MSHR, a merge slot, a response slot or a DRAM
//   request slot stays in req_in; the crossbar then stops sending to this slice.
// Every request gets exactly one response echoing its tag and source.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.pb.h"
#include "src/engine/component.h"
#include "src/engine/messages.h"
#include "src/engine/port.h"

namespace xpusim::mem {

struct L2Params {
  // gpu.l2 with defaults applied (src/io/defaults_memory.cc).
  static L2Params from(const proto::GpuSpec& gpu);

  uint32_t slices = 1;
  uint32_t sets = 64;                 // per slice
  uint32_t ways = 16;
  uint32_t line_bytes = 128;
  uint32_t sector_bytes = 32;
  uint32_t mshrs = 32;                // per slice
  uint32_t mshr_merges = 4;           // requests one MSHR holds (the first included)
  uint32_t access_latency = 100;      // cycles from lookup to response on a hit
  uint32_t atomic_cycles = 1;         // per lane operation
  uint32_t bytes_per_cycle = 32;      // data array, per slice
  uint32_t queue = 16;                // requests waiting in front of the slice
  proto::L2Hash hash = proto::XOR;
  // DRAM requests (reads and write-backs) a slice keeps outstanding; also the capacity of
  // the response channel from DRAM, so the controller never blocks on it.
  uint32_t dram_outstanding() const { return mshrs * 2; }
  uint32_t response_slots() const { return mshrs * mshr_merges + access_latency + 16; }
};

// Latency histogram buckets, shared by all slices: kBucketCycles wide, the last open-ended.
inline constexpr uint32_t kL2LatencyBuckets = 129;
inline constexpr uint32_t kL2LatencyBucketCycles = 16;

class L2Slice final : public engine::Component {
 public:
  // `dram_port`: this slice's port number at its DRAM controller (the source of its requests).
  L2Slice(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, const L2Params& p,
          uint16_t dram_port);

  engine::InPort<engine::MemReq> req_in;
  engine::OutPort<engine::MemResp> resp_out;
  engine::OutPort<engine::MemReq> to_dram;
  engine::InPort<engine::MemResp> from_dram;

  bool do_cycle(engine::Cycle now) override;
  engine::Tick next_event() const override;
  bool busy() const override;
  std::string describe() const override;

  // Introspection for tests.
  bool holds(uint64_t line_addr, uint8_t* valid = nullptr, uint8_t* dirty = nullptr) const;
  const L2Params& params() const { return p_; }

  static constexpr uint32_t kWriteBackTag = 0x80000000u;

 private:
  struct Line {
    uint64_t tag = 0;
    uint8_t valid = 0;   // sectors present
    uint8_t dirty = 0;   // sectors to write back
    uint64_t lru = 0;
  };
  struct Waiter {
    engine::MemReq req;
    engine::Tick accepted = 0;
  };
  struct Mshr {
    bool used = false;
    uint64_t line_addr = 0;
    uint8_t requested = 0;   // sectors asked of DRAM
    uint32_t reads_out = 0;  // DRAM reads not yet answered
    uint32_t nwaiters = 0;
  };
  struct Pending {
    engine::Tick ready = 0;
    uint64_t seq = 0;        // tie-break: deterministic order
    engine::MemResp resp;
  };

  bool accept(engine::Tick t);
  bool lookup_store(const engine::MemReq& r, engine::Tick t);
  bool lookup_read(const engine::MemReq& r, engine::Tick t);
  bool handle_dram(engine::Tick t);
  void fill(uint32_t mshr, engine::Tick t);
  bool send_responses(engine::Tick t);
  void drain_dram(engine::Tick t);
  uint64_t set_of(uint64_t line_addr) const;
  int find_line(uint64_t line_addr) const;
  uint32_t allocate(uint64_t line_addr);  // victim way (written back if dirty); needs a DRAM slot
  int find_mshr(uint64_t line_addr) const;
  void dram_request(uint64_t line_addr, uint8_t mask, engine::MemOp op, uint32_t tag, engine::Tick t);
  void respond(const engine::MemReq& r, engine::Tick ready, engine::Tick accepted);
  uint32_t data_cycles(uint8_t mask) const;

  L2Params p_;
  uint16_t dram_port_;
  std::vector<Line> lines_;        // sets x ways
  std::vector<Mshr> mshrs_;
  std::vector<Waiter> waiters_;    // mshrs x mshr_merges
  std::vector<Pending> heap_;      // min-heap on (ready, seq); capacity reserved
  std::vector<engine::MemReq> dram_q_;  // ring of DRAM requests not yet sent
  size_t dram_head_ = 0, dram_size_ = 0;
  uint32_t dram_out_ = 0;          // DRAM requests queued or in flight
  uint32_t waiting_ = 0;           // requests held in MSHRs (their responses are reserved)
  uint64_t lru_clock_ = 0;
  uint64_t seq_ = 0;
  engine::Tick pipe_free_ = 0;     // first tick the lookup/data pipeline takes a request
  engine::Tick blocked_since_ = engine::kNever;
  struct Stat {
    uint64_t *accesses, *hits, *misses, *load_hits, *load_misses, *store_hits, *store_misses, *atomic_hits,
        *atomic_misses, *sector_hits, *sector_misses, *mshr_merges, *evictions, *write_backs, *atomics,
        *dram_read_bytes, *dram_write_bytes, *blocked_cycles, *latency_sum, *responses;
    uint64_t *e_tag, *e_read, *e_write, *e_atomic;
    std::vector<uint64_t*> hist;
  } s_;
};

}  // namespace xpusim::mem
