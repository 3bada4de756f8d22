// Instruction fetch for one SM: per-warp instruction buffers, an L0 instruction cache per
// sub-core with a stream-buffer prefetcher, and an L1 instruction cache shared by the
// sub-cores (Huerta et al., MICRO'25, §5.2 and §7.3; ../shared/reference/nvidia_sm_core.md §7).
// A plain class run inside the SM's cycle, not a SystemC component.
//
// Instructions are 16 bytes; instruction pc p of kernel k sits at byte address
// code_base + 16 p (the SM gives each kernel its own code_base, so kernels never alias).
//
// Per sub-core, each cycle (fetch()):
//  * choose one warp to fetch for: the sub-core's `greedy` warp (the one the scheduler
//    issued last) if its buffer plus fetches in flight is below ibuffer_entries, else the
//    youngest (highest age) warp of the sub-core with room; none if no warp has room or is
//    waiting for a line;
//  * look up its next pc's line in the sub-core's L0I:
//      - hit: the instruction enters the warp's buffer `fetch_cycles` later;
//      - the line is at the head of the stream buffer: move it to L0I, then as a hit;
//      - miss: the warp waits for the line. If neither the line nor line+1 is at the stream
//        buffer's head, the stream buffer is flushed and restarts at line+1. The demand
//        request goes to the L1I (one request per cycle for the whole SM, round-robin over
//        sub-cores; a line already requested by this L0 is not requested twice). It arrives
//        after l1i_latency (L1I hit) or l1i_latency + l2_latency (L1I miss; the L1I is filled).
//  * the stream buffer issues one prefetch request per cycle (through the same L1I port,
//    after demand requests) while it holds fewer than prefetch_lines lines buffered or in
//    flight, stopping at a line already in the L0I. Only its head can be hit.
// With perfect_icache every lookup hits. Caches are set-associative with LRU replacement.
//
// Details fixed by the implementation: a warp waiting for a line is not a fetch candidate
// and looks up again once the line arrives (in the L0I, or at the stream buffer's head); a
// miss whose line is at the head but still in flight waits for it without a demand request;
// a flush drops prefetches in flight, and warps waiting for one look up again; a stopped
// stream stays stopped until the next flush; a request for a line whose L1I fill is still in
// flight counts as an L1I hit and arrives with the fill at the earliest; each L0 has
// warps-per-sub-core + 8 miss entries (a miss finding none retries next cycle). Lookups are
// counted once each: l0_hits (in L0I), stream_hits (at the head), l0_misses (the warp waits).
//
// The instruction buffer holds consecutive pcs starting at the warp's fetch pc. When the warp
// issues, the SM pops the head; when the pc it actually runs next is not the head's (a taken
// branch, divergence, reconvergence), the SM calls redirect(): the buffer and any fetch in
// flight for that warp are dropped and fetching restarts at the new pc.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "src/engine/types.h"

namespace xpusim::gpu {

struct CacheShape {
  uint32_t size_bytes = 32768;
  uint32_t line_bytes = 128;
  uint32_t ways = 4;
};

struct FrontEndParams {
  uint32_t subcores = 4;
  uint32_t warps = 64;               // warp slots of the SM; slot w belongs to sub-core w % subcores
  uint32_t ibuffer_entries = 3;
  uint32_t fetch_cycles = 2;
  CacheShape l0i{32768, 128, 32};
  CacheShape l1i{131072, 128, 16};
  uint32_t l1i_latency = 39;
  uint32_t l2_latency = 200;
  uint32_t prefetch_lines = 8;       // 0 disables the stream buffer
  bool perfect = false;
};

struct FrontEndStats {
  uint64_t fetches = 0;              // instructions delivered to buffers
  uint64_t l0_hits = 0, l0_misses = 0;
  uint64_t stream_hits = 0;          // L0 misses served by the stream buffer head
  uint64_t l1_hits = 0, l1_misses = 0;
  uint64_t prefetches = 0;           // lines requested by the stream buffers
  uint64_t redirects = 0;
};

class FrontEnd {
 public:
  explicit FrontEnd(const FrontEndParams& p);

  // A warp slot starts (or restarts) fetching at pc in the code at byte address code_base.
  void start_warp(uint16_t warp, uint64_t code_base, uint32_t pc, uint64_t age);
  void stop_warp(uint16_t warp);

  // One cycle of fetch for every sub-core. `greedy[s]` is sub-core s's last issued warp
  // (or UINT16_MAX). Returns whether anything happened.
  bool fetch(engine::Cycle now, const uint16_t* greedy);

  // Whether the warp's next instruction is in its buffer and decoded by `now`, and its pc.
  bool ready(uint16_t warp, engine::Cycle now) const;
  // When the head of the warp's buffer is decoded (UINT64_MAX: the buffer is empty).
  engine::Cycle head_ready(uint16_t warp) const;
  // Warps whose empty buffer received an instruction since clear_refilled().
  const std::vector<uint16_t>& refilled() const { return refilled_; }
  void clear_refilled() { refilled_.clear(); }
  uint32_t head_pc(uint16_t warp) const;
  // The issued instruction leaves the buffer.
  void pop(uint16_t warp);
  // The warp will run `pc` next and it is not the buffer's head: drop and refetch.
  void redirect(uint16_t warp, uint32_t pc);

  // Earliest future cycle at which something completes (a line arrives, an instruction
  // finishes decoding); kNever if nothing is in flight.
  engine::Cycle next_event(engine::Cycle now) const;
  // Why a warp has nothing to issue: waiting for a line (true) or just refilling (false).
  bool waiting_for_line(uint16_t warp) const;

  // Entries in the warp's buffer, decoded or still decoding (never above ibuffer_entries).
  uint32_t buffered(uint16_t warp) const;

  const FrontEndStats& stats() const { return stats_; }

 private:
  static constexpr uint32_t kMaxEntries = 8;       // ibuffer_entries limit
  static constexpr uint16_t kNoWarp = UINT16_MAX;
  struct TagCache {                                 // set-associative tags, LRU by last-use stamp
    void init(const CacheShape& s);
    int32_t find(uint64_t line) const;              // way index or -1
    uint32_t insert(uint64_t line);                 // fills the set's LRU way; returns its index
    void touch(uint32_t i) { stamp[i] = ++clock; }
    uint32_t base(uint64_t line) const {            // first way of the line's set
      return static_cast<uint32_t>(pow2 ? (line & (sets - 1)) : line % sets) * ways;
    }
    uint32_t sets = 1, ways = 1;
    bool pow2 = true;                               // sets is a power of two: no division
    uint64_t clock = 0;
    uint64_t fills = 0;                             // bumped on every fill (invalidates memos)
    std::vector<uint64_t> tag;                      // line + 1; 0 = invalid
    std::vector<uint64_t> stamp;
    std::vector<engine::Cycle> ready;               // L1I: when a line being filled arrives
  };
  struct Warp {
    bool active = false, waiting = false;
    uint16_t sub = 0, pos = 0;                      // sub-core; index in its youngest-first list
    uint32_t head_pc = 0;
    uint32_t count = 0, ring = 0;                   // buffered entries; ring index of the head
    uint64_t code_base = 0, age = 0;
    uint64_t wait_line = 0;
    uint64_t memo_line = ~uint64_t{0}, memo_fills = 0;  // last L0 hit, valid while no fill
    uint32_t memo_way = 0;
    std::array<engine::Cycle, kMaxEntries> ready_at{};
  };
  enum class Req : uint8_t { Free, Queued, InFlight };
  struct Request {                                  // one L0 miss-status entry (demand)
    uint64_t line = 0;
    engine::Cycle arrive = 0;
    Req state = Req::Free;
  };
  struct Stream {                                   // the stream buffer: a FIFO of lines
    bool active = false;
    uint64_t next_line = 0;
    uint32_t head = 0, count = 0;
    std::vector<uint64_t> line;
    std::vector<engine::Cycle> arrive;
    std::vector<uint8_t> announced;                 // its arrival has woken waiting warps
  };
  struct SubCore {
    std::vector<uint16_t> order;                    // active warps, youngest first
    uint64_t cand = 0;                              // bit i: order[i] has room and is not waiting
    TagCache l0;
    std::vector<Request> mshr;
    uint32_t mshr_used = 0;                         // entries not Free
    std::vector<uint16_t> queue;                    // FIFO of Queued mshr indices
    uint32_t q_head = 0, q_count = 0;
    engine::Cycle next_arrival = engine::kNever;    // earliest pending arrival
    Stream sb;
  };

  bool process_arrivals(uint32_t s, engine::Cycle now);
  void wake(uint32_t s, uint64_t line);
  uint16_t choose(uint32_t s, uint16_t greedy) const;
  bool fetch_one(uint32_t s, uint16_t w, engine::Cycle now);
  bool lookup(uint32_t s, Warp& w, uint64_t line, engine::Cycle now);
  void update_stream(uint32_t s);
  bool miss(uint32_t s, uint16_t w, uint64_t line);
  int32_t find_request(const SubCore& sc, uint64_t line) const;
  void flush_stream(uint32_t s, uint64_t restart_line);
  bool grant_port(engine::Cycle now);
  bool stream_ready(uint32_t s);
  engine::Cycle send_l1(uint64_t line, engine::Cycle now);
  void update_cand(uint16_t w);
  void rebuild_order(uint32_t s);
  uint64_t line_of(const Warp& w) const;

  FrontEndParams p_;
  FrontEndStats stats_;
  std::vector<Warp> warps_;
  std::vector<SubCore> subs_;
  TagCache l1_;
  uint32_t line_shift_ = 7;                         // log2(line_bytes)
  uint32_t rr_demand_ = 0, rr_prefetch_ = 0;        // L1I port round-robin pointers
  uint32_t demand_mask_ = 0;                        // sub-cores with queued demand requests
  uint32_t stream_mask_ = 0;                        // sub-cores whose stream may prefetch
  std::vector<uint16_t> refilled_;                  // see refilled() (capacity: every warp)
};

// Called for every warp every cycle by the SM: inline.
inline bool FrontEnd::ready(uint16_t warp, engine::Cycle now) const {
  const Warp& w = warps_[warp];
  return w.active && w.count > 0 && w.ready_at[w.ring] <= now;
}
inline engine::Cycle FrontEnd::head_ready(uint16_t warp) const {
  const Warp& w = warps_[warp];
  return w.active && w.count > 0 ? w.ready_at[w.ring] : UINT64_MAX;
}
inline uint32_t FrontEnd::head_pc(uint16_t warp) const { return warps_[warp].head_pc; }
inline uint32_t FrontEnd::buffered(uint16_t warp) const { return warps_[warp].count; }
inline bool FrontEnd::waiting_for_line(uint16_t warp) const { return warps_[warp].waiting; }

}  // namespace xpusim::gpu
