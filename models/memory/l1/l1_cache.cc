#include "models/memory/l1/l1_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "src/engine/error.h"

namespace xpusim::mem {

using engine::Cycle;
using engine::MemOp;
using engine::MemReq;
using engine::MemResp;
using engine::Tick;

namespace {
constexpr uint32_t kHistBuckets = 16;  // load latency < 2, < 4, ..., < 32768 cycles, and above
}

L1Params L1Params::from(const proto::GpuSpec& gpu) {
  const proto::L1Spec& l1 = gpu.l1();
  L1Params p;
  if (l1.has_capacity_kb()) p.capacity_bytes = l1.capacity_kb() * 1024;
  if (l1.has_line_bytes()) p.line_bytes = l1.line_bytes();
  if (l1.has_sector_bytes()) p.sector_bytes = l1.sector_bytes();
  if (l1.has_hit_latency_cycles()) p.hit_latency = l1.hit_latency_cycles();
  if (l1.has_bytes_per_cycle()) p.bytes_per_cycle = l1.bytes_per_cycle();
  if (l1.has_ways()) p.ways = l1.ways();
  if (l1.has_mshrs()) p.mshrs = l1.mshrs();
  if (l1.has_mshr_merges()) p.mshr_merges = l1.mshr_merges();
  if (l1.write_policy() != proto::WRITE_POLICY_UNSPECIFIED) p.write_policy = l1.write_policy();
  for (uint32_t kb : l1.carveout_kb()) p.carveout_bytes.push_back(kb * 1024);
  std::sort(p.carveout_bytes.begin(), p.carveout_bytes.end());
  if (l1.has_tag_lookups_per_cycle()) p.tag_lookups_per_cycle = l1.tag_lookups_per_cycle();
  if (l1.has_enabled()) p.enabled = l1.enabled();
  if (l1.has_miss_queue()) p.miss_queue = l1.miss_queue();
  return p;
}

uint32_t L1Params::carveout_for(uint32_t shared_bytes) const {
  // The driver picks the smallest supported carve-out that holds the shared memory of the
  // CTAs it makes resident (CUDA C++ Programming Guide, "Shared Memory" for 7.x/8.x/9.x:
  // cudaFuncAttributePreferredSharedMemoryCarveout is a hint, rounded up to a supported size).
  for (uint32_t c : carveout_bytes)
    if (c >= shared_bytes) return std::min(c, capacity_bytes);
  if (carveout_bytes.empty()) return std::min(shared_bytes, capacity_bytes);
  return std::min(carveout_bytes.back(), capacity_bytes);
}

L1Cache::L1Cache(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, const L1Params& p,
                 uint16_t sm)
    : Component(name, env, clk), p_(p), sm_(sm) {
  SIM_CHECK(p_.line_bytes == 128 && p_.sector_bytes == 32, "{}: L1 lines must be 128 bytes of 32-byte sectors", path());
  SIM_CHECK(p_.ways >= 1 && p_.mshrs >= 1 && p_.mshr_merges >= 1 && p_.tag_lookups_per_cycle >= 1 &&
                p_.bytes_per_cycle >= 1 && p_.miss_queue >= 1,
            "{}: L1 parameters must be positive", path());
  lines_.resize(std::max<uint32_t>(1, p_.capacity_bytes / p_.line_bytes));
  mshrs_.resize(p_.mshrs);
  active_.reserve(p_.mshrs);
  for (uint32_t i = p_.mshrs; i-- > 0;) free_ids_.push_back(i);  // lowest id first
  waiters_.resize(static_cast<size_t>(p_.mshrs) * p_.mshr_merges);
  // Every MSHR sends at most one request per sector of its line, and every write-through one.
  miss_q_.buf.resize(p_.miss_queue);
  hit_q_.buf.resize(std::max<uint32_t>(p_.response_queue, 1));
  fill_q_.buf.resize(waiters_.size());  // every waiter of every MSHR
  engine::Stats& st = env.stats();
  requests_ = &st.counter(path(), "requests");
  accesses_ = &st.counter(path(), "accesses");
  hits_ = &st.counter(path(), "hits");
  misses_ = &st.counter(path(), "misses");
  sector_hits_ = &st.counter(path(), "sector_hits");
  sector_misses_ = &st.counter(path(), "sector_misses");
  mshr_merges_ = &st.counter(path(), "mshr_merges");
  mshr_full_stalls_ = &st.counter(path(), "mshr_full_stall_cycles");
  bytes_to_l2_ = &st.counter(path(), "bytes_to_l2");
  bytes_from_l2_ = &st.counter(path(), "bytes_from_l2");
  bypasses_ = &st.counter(path(), "bypasses");
  stores_ = &st.counter(path(), "stores");
  atomics_ = &st.counter(path(), "atomics");
  loads_done_ = &st.counter(path(), "loads");
  load_latency_sum_ = &st.counter(path(), "load_latency_cycles");
  for (uint32_t i = 0; i < kHistBuckets; ++i)
    latency_hist_.push_back(i + 1 < kHistBuckets ? &st.counter(path(), fmt::format("load_latency_lt_{}", 2u << i))
                                                 : &st.counter(path(), fmt::format("load_latency_ge_{}", 1u << i)));
  e_tag_ = &energy_counter("tag_lookup");
  e_sector_read_ = &energy_counter("sector_read");
  e_sector_write_ = &energy_counter("sector_write");
  set_carveout(0);
}

void L1Cache::set_carveout(uint32_t shared_bytes) {
  // Write-throughs of the previous kernel may still be queued for L2: they do not depend on
  // the cache's contents, and a fill still in flight lands in the new geometry.
  carveout_ = p_.carveout_for(shared_bytes);  // a size from the list is kept as it is
  const uint32_t data = p_.capacity_bytes - carveout_;
  const uint32_t lines = data / p_.line_bytes;
  // Fixed associativity; the number of sets follows the capacity (not necessarily a power
  // of two: the set is the line number modulo the sets). Below one full set the cache is a
  // single set of whatever lines fit.
  ways_eff_ = std::min(p_.ways, lines);
  sets_ = ways_eff_ ? lines / ways_eff_ : 0;
  invalidate();
}

void L1Cache::invalidate() {
  // L1 is not coherent: the driver invalidates it at every kernel boundary so a kernel sees
  // the stores of the previous ones (PTX ISA "Memory consistency model": L1 caches of
  // different SMs are kept consistent only at kernel boundaries and fences).
  for (Line& l : lines_) l = Line{};
  lru_clock_ = 0;
}

L1Cache::Line* L1Cache::find_line(uint64_t line_addr) {
  if (!sets_) return nullptr;
  const uint64_t set = (line_addr / p_.line_bytes) % sets_;
  Line* base = &lines_[set * ways_eff_];
  for (uint32_t w = 0; w < ways_eff_; ++w)
    if (base[w].valid && base[w].tag == line_addr) return &base[w];
  return nullptr;
}

void L1Cache::fill(uint64_t line_addr, uint8_t sectors) {
  if (!sets_ || !sectors) return;
  *e_sector_write_ += static_cast<uint64_t>(std::popcount(sectors));
  Line* l = find_line(line_addr);
  if (!l) {  // a free way, else the least recently used one
    const uint64_t set = (line_addr / p_.line_bytes) % sets_;
    Line* base = &lines_[set * ways_eff_];
    l = base;
    for (uint32_t w = 0; w < ways_eff_; ++w) {
      if (!base[w].valid) {
        l = &base[w];
        break;
      }
      if (base[w].lru < l->lru) l = &base[w];
    }
    *l = Line{line_addr, 0, 0};
  }
  l->valid |= sectors;
  l->lru = ++lru_clock_;
}

int L1Cache::find_mshr(uint64_t line_addr) const {
  for (uint32_t id : active_)
    if (mshrs_[id].fill && mshrs_[id].line_addr == line_addr) return static_cast<int>(id);
  return -1;
}

uint32_t L1Cache::alloc_mshr() {
  const uint32_t id = free_ids_.back();
  free_ids_.pop_back();
  mshrs_[id].pos = static_cast<uint32_t>(active_.size());
  active_.push_back(id);  // capacity reserved: no allocation
  ++mshrs_used_;
  return id;
}

void L1Cache::release_mshr(uint32_t id) {
  const uint32_t pos = mshrs_[id].pos;
  active_[pos] = active_.back();
  mshrs_[active_[pos]].pos = pos;
  active_.pop_back();
  mshrs_[id].used = false;
  free_ids_.push_back(id);
  --mshrs_used_;
}

// The data array moves bytes_per_cycle bytes a cycle. Returns the edge at which `bytes` have
// been moved, booking them after everything booked before.
Tick L1Cache::data_slot(Cycle now, uint32_t bytes) {
  const uint64_t start = std::max<uint64_t>(data_booked_, now * p_.bytes_per_cycle);
  data_booked_ = start + bytes;
  return clk_.edge((data_booked_ + p_.bytes_per_cycle - 1) / p_.bytes_per_cycle);
}

void L1Cache::record_latency(Tick issued, Tick done) {
  const uint64_t cycles = (done - std::min(done, issued)) / clk_.period();
  ++*loads_done_;
  *load_latency_sum_ += cycles;
  const uint32_t b = cycles < 2 ? 0 : std::min<uint32_t>(kHistBuckets - 1, std::bit_width(cycles) - 1);
  ++*latency_hist_[b];
}

L1Cache::Block L1Cache::try_accept(Cycle now) {
  const MemReq& r = from_sm.front();
  const uint8_t mask = r.sector_mask;
  const uint32_t nsec = static_cast<uint32_t>(std::popcount(mask));
  const bool bypass = !p_.enabled || (r.flags & MemReq::kBypassL1);
  const MemResp resp{r.tag, r.source, mask, r.op};

  if (r.op == MemOp::Store) {
    // Write-through: the store is accepted once its data is written (or not) here and queued
    // for L2; the SM is answered after the hit latency, the L2 acknowledgement is dropped.
    if (miss_q_.full()) return Block::MissQueue;
    if (hit_q_.full()) return Block::RespQueue;
    ++*requests_, ++*stores_, ++*e_tag_;
    Line* l = bypass ? nullptr : find_line(r.line_addr);
    if (!bypass && p_.write_policy != proto::WRITE_THROUGH_NO_ALLOCATE) {
      fill(r.line_addr, mask);  // write-allocate at sector granularity
    } else if (l) {
      l->valid &= static_cast<uint8_t>(~mask);  // no-allocate: the stale sectors go
    }
    MemReq out = r;
    out.source = sm_;
    out.tag = kNoTag;
    miss_q_.push(out);
    *bytes_to_l2_ += uint64_t{nsec} * p_.sector_bytes;
    hit_q_.push(Resp{data_slot(now, nsec * p_.sector_bytes) + clk_.period() * p_.hit_latency, resp, r.issued});
    ++in_flight_;
    return Block::None;
  }

  const bool fillable = r.op == MemOp::Load && !bypass;
  Line* l = fillable ? find_line(r.line_addr) : nullptr;
  const uint8_t have = l ? static_cast<uint8_t>(l->valid & mask) : 0;
  if (fillable && have == mask) {  // a hit
    if (hit_q_.full()) return Block::RespQueue;
    ++*requests_, ++*accesses_, ++*hits_, ++*e_tag_;
    *sector_hits_ += nsec;
    *e_sector_read_ += nsec;
    l->lru = ++lru_clock_;
    hit_q_.push(Resp{data_slot(now, nsec * p_.sector_bytes) + clk_.period() * p_.hit_latency, resp, r.issued});
    ++in_flight_;
    return Block::None;
  }

  // A miss (or a partial hit), an atomic or a bypassing load: an MSHR answers it.
  const uint8_t need = static_cast<uint8_t>(mask & ~have);
  int id = fillable ? find_mshr(r.line_addr) : -1;
  if (id >= 0) {  // merge into the line's entry, asking L2 only for sectors not yet asked
    Mshr& m = mshrs_[static_cast<size_t>(id)];
    if (m.nwaiters == p_.mshr_merges) return Block::Mshr;
    const uint8_t extra = static_cast<uint8_t>(need & ~m.requested);
    if (extra && miss_q_.full()) return Block::MissQueue;
    ++*mshr_merges_;
    if (extra) {
      MemReq out = r;
      out.sector_mask = extra;
      out.source = sm_;
      out.tag = static_cast<uint32_t>(id);
      miss_q_.push(out);
      m.requested |= extra;
    }
  } else {
    if (free_ids_.empty()) return Block::Mshr;
    if (miss_q_.full()) return Block::MissQueue;
    id = static_cast<int>(alloc_mshr());
    Mshr& m = mshrs_[static_cast<size_t>(id)];
    const uint32_t pos = m.pos;
    m = Mshr{true, r.line_addr, need, 0, fillable, 0, pos};
    MemReq out = r;
    out.sector_mask = fillable ? need : mask;
    out.source = sm_;
    out.tag = static_cast<uint32_t>(id);
    miss_q_.push(out);
    m.requested = out.sector_mask;
  }
  Mshr& m = mshrs_[static_cast<size_t>(id)];
  waiters_[static_cast<size_t>(id) * p_.mshr_merges + m.nwaiters++] = Waiter{r.tag, r.source, mask, r.op, r.issued};
  ++*requests_, ++*e_tag_;
  if (r.op == MemOp::Atomic) {
    ++*atomics_;
    // performed at L2: a cached copy of these sectors would be stale
    if (Line* c = find_line(r.line_addr)) c->valid &= static_cast<uint8_t>(~mask);
  } else if (!fillable) {
    ++*bypasses_;
  } else {
    ++*accesses_, ++*misses_;
    *sector_hits_ += static_cast<uint64_t>(std::popcount(have));
    *sector_misses_ += static_cast<uint64_t>(std::popcount(need));
    if (l) l->lru = ++lru_clock_;
  }
  ++in_flight_;
  return Block::None;
}

bool L1Cache::handle_l2(Tick t) {
  bool any = false;
  while (from_l2.can_recv(t)) {
    const MemResp r = from_l2.front();  // a copy: popped below
    if (r.tag == kNoTag) {  // a write-through's acknowledgement
      from_l2.pop(t);
      any = true;
      continue;
    }
    SIM_CHECK(r.tag < mshrs_.size() && mshrs_[r.tag].used, "{}: L2 response for idle MSHR {}", path(), r.tag);
    Mshr& m = mshrs_[r.tag];
    // room to answer every waiter of the entry (it may complete now)
    if (fill_q_.buf.size() - fill_q_.size < m.nwaiters) break;
    *bytes_from_l2_ += uint64_t{static_cast<uint32_t>(std::popcount(r.sector_mask))} * p_.sector_bytes;
    m.arrived |= r.sector_mask;
    from_l2.pop(t);
    any = true;
    // a bypass or atomic entry sent one request: its one answer completes it
    if (m.fill && (m.arrived & m.requested) != m.requested) continue;
    if (m.fill) fill(m.line_addr, m.arrived);
    for (uint32_t i = 0; i < m.nwaiters; ++i) {
      const Waiter& w = waiters_[static_cast<size_t>(r.tag) * p_.mshr_merges + i];
      fill_q_.push(Resp{t, MemResp{w.tag, w.source, w.sector_mask, w.op}, w.op == MemOp::Load ? w.issued : engine::kNever});
    }
    release_mshr(r.tag);
  }
  return any;
}

bool L1Cache::send_responses(Tick t) {
  bool any = false;
  to_sm_blocked_ = false;
  for (;;) {
    const bool h = !hit_q_.empty() && hit_q_.front().ready <= t;
    const bool f = !fill_q_.empty() && fill_q_.front().ready <= t;
    if (!h && !f) break;
    if (!to_sm.can_send(t)) {
      to_sm_blocked_ = true;
      break;
    }
    Ring<Resp>& q = f && (!h || fill_q_.front().ready <= hit_q_.front().ready) ? fill_q_ : hit_q_;
    const Resp& r = q.front();
    to_sm.send(t, r.resp);
    if (r.resp.op == MemOp::Load && r.issued != engine::kNever) record_latency(r.issued, t);
    q.pop();
    --in_flight_;
    any = true;
  }
  return any;
}

bool L1Cache::send_misses(Tick t) {
  bool any = false;
  to_l2_blocked_ = false;
  while (!miss_q_.empty()) {
    if (!to_l2.can_send(t)) {
      to_l2_blocked_ = true;
      break;
    }
    to_l2.send(t, miss_q_.front());
    miss_q_.pop();
    any = true;
  }
  return any;
}

bool L1Cache::do_cycle(Cycle now) {
  const Tick t = clk_.edge(now);
  bool any = handle_l2(t);
  any |= send_responses(t);
  // Tag lookups: up to tag_lookups_per_cycle requests, while the data array is not booked
  // beyond this cycle (bytes_per_cycle).
  Block why = Block::None;
  for (uint32_t n = 0; n < p_.tag_lookups_per_cycle && from_sm.can_recv(t); ++n) {
    if (data_booked_ > (now + 1) * p_.bytes_per_cycle) {
      why = Block::Data;
      break;
    }
    why = try_accept(now);
    if (why != Block::None) break;
    from_sm.pop(t);
    any = true;
  }
  if (why == Block::Mshr && blocked_ != Block::Mshr) stall_since_ = now;
  if (why != Block::Mshr && blocked_ == Block::Mshr) *mshr_full_stalls_ += now - stall_since_;
  blocked_ = why;
  any |= send_misses(t);
  any |= send_responses(t);  // hits with no latency (tests) leave in the same cycle
  return any;
}

Tick L1Cache::next_event() const {
  Tick next = engine::kNever;
  if (!to_sm_blocked_) {
    if (!hit_q_.empty()) next = std::min(next, hit_q_.front().ready);
    if (!fill_q_.empty()) next = std::min(next, fill_q_.front().ready);
  }
  if (!to_l2_blocked_ && !miss_q_.empty()) next = std::min(next, clk_.next_edge(engine::now_tick()));
  // a request waiting for the data array: the cycle the array frees
  if (blocked_ == Block::Data)
    next = std::min(next, clk_.edge((data_booked_ + p_.bytes_per_cycle - 1) / p_.bytes_per_cycle - 1));
  return next;
}

bool L1Cache::busy() const {
  return in_flight_ > 0 || !miss_q_.empty() || (from_sm.connected() && from_sm.size() > 0);
}

std::string L1Cache::describe() const {
  return fmt::format("{}: {} sets x {} ways, {} requests in flight, {}/{} MSHRs, miss queue {}, responses {}+{}{}\n",
                     path(), sets_, ways_eff_, in_flight_, mshrs_used_, mshrs_.size(), miss_q_.size, hit_q_.size,
                     fill_q_.size, blocked_ == Block::Mshr ? ", stalled on MSHRs" : "");
}

}  // namespace xpusim::mem
