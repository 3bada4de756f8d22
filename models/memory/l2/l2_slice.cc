#include "models/memory/l2/l2_slice.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

namespace xpusim::mem {

using engine::kNever;
using engine::MemOp;
using engine::MemReq;
using engine::Tick;

L2Params L2Params::from(const proto::GpuSpec& gpu) {
  const proto::L2Spec& l2 = gpu.l2();
  L2Params p;
  p.slices = std::max(1u, l2.slices());
  p.ways = std::max(1u, l2.ways());
  p.line_bytes = l2.line_bytes();
  p.sector_bytes = l2.sector_bytes();
  const double per_slice = l2.capacity_mb() * 1024.0 * 1024.0 / p.slices;
  p.sets = std::max(1u, static_cast<uint32_t>(per_slice / (p.line_bytes * p.ways)));
  p.mshrs = std::max(1u, l2.mshrs());
  p.mshr_merges = std::max(1u, l2.mshr_merges());
  p.access_latency = std::max(1u, l2.access_latency_cycles());
  p.atomic_cycles = std::max(1u, l2.atomic_cycles());
  p.bytes_per_cycle = std::max(1u, l2.bytes_per_cycle() / p.slices);
  p.queue = std::max(1u, l2.queue());
  p.hash = l2.hash();
  return p;
}

L2Slice::L2Slice(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, const L2Params& p,
                 uint16_t dram_port)
    : Component(name, env, clk), p_(p), dram_port_(dram_port) {
  SIM_CHECK(p.line_bytes == 128 && p.sector_bytes == 32, "{}: lines are 128 bytes of 32-byte sectors", path());
  lines_.resize(static_cast<size_t>(p.sets) * p.ways);
  mshrs_.resize(p.mshrs);
  waiters_.resize(static_cast<size_t>(p.mshrs) * p.mshr_merges);
  heap_.reserve(p.response_slots() + 1);
  dram_q_.resize(p.dram_outstanding());
  engine::Stats& st = env.stats();
  auto c = [&](const char* n) { return &st.counter(path(), n); };
  s_.accesses = c("accesses");
  s_.hits = c("hits");
  s_.misses = c("misses");
  s_.load_hits = c("load_hits");
  s_.load_misses = c("load_misses");
  s_.store_hits = c("store_hits");
  s_.store_misses = c("store_misses");
  s_.atomic_hits = c("atomic_hits");
  s_.atomic_misses = c("atomic_misses");
  s_.sector_hits = c("sector_hits");
  s_.sector_misses = c("sector_misses");
  s_.mshr_merges = c("mshr_merges");
  s_.evictions = c("evictions");
  s_.write_backs = c("write_backs");
  s_.atomics = c("atomics");
  s_.dram_read_bytes = c("dram_read_bytes");
  s_.dram_write_bytes = c("dram_write_bytes");
  s_.blocked_cycles = c("blocked_cycles");
  s_.latency_sum = c("latency_sum_cycles");
  s_.responses = c("responses");
  s_.e_tag = &energy_counter("tag_lookup");
  s_.e_read = &energy_counter("sector_read");
  s_.e_write = &energy_counter("sector_write");
  s_.e_atomic = &energy_counter("atomic");
  // one histogram for all slices: "gpu.memory.l2[3]" -> "gpu.memory.l2"
  const std::string group = path().substr(0, path().rfind('['));
  for (uint32_t b = 0; b < kL2LatencyBuckets; ++b)
    s_.hist.push_back(&st.counter(group, b + 1 < kL2LatencyBuckets
                                             ? fmt::format("latency_lt_{:05}", (b + 1) * kL2LatencyBucketCycles)
                                             : fmt::format("latency_ge_{:05}", b * kL2LatencyBucketCycles)));
}

// ---- tags and MSHRs ----

// A slice sees every `slices`-th line or so (slice_map.h), so the set comes from the line
// index divided by the slice count: indexing by the raw line index would use only the few sets
// that are congruent to this slice's lines.
uint64_t L2Slice::set_of(uint64_t line_addr) const { return ((line_addr >> 7) / p_.slices) % p_.sets; }

int L2Slice::find_line(uint64_t line_addr) const {
  const uint64_t set = set_of(line_addr);
  for (uint32_t w = 0; w < p_.ways; ++w) {
    const Line& l = lines_[set * p_.ways + w];
    if (l.valid && l.tag == line_addr) return static_cast<int>(set * p_.ways + w);
  }
  return -1;
}

uint32_t L2Slice::allocate(uint64_t line_addr) {
  const uint64_t set = set_of(line_addr);
  uint32_t v = static_cast<uint32_t>(set * p_.ways);
  for (uint32_t w = 0; w < p_.ways; ++w) {
    const uint32_t i = static_cast<uint32_t>(set * p_.ways + w);
    if (!lines_[i].valid) {
      v = i;
      break;
    }
    if (lines_[i].lru < lines_[v].lru) v = i;
  }
  Line& l = lines_[v];
  if (l.valid) {
    ++*s_.evictions;
    if (l.dirty) {
      ++*s_.write_backs;
      *s_.e_read += static_cast<uint64_t>(std::popcount(l.dirty));
      dram_request(l.tag, l.dirty, MemOp::Store, kWriteBackTag, 0);
    }
  }
  l = Line{line_addr, 0, 0, ++lru_clock_};
  return v;
}

int L2Slice::find_mshr(uint64_t line_addr) const {
  for (size_t i = 0; i < mshrs_.size(); ++i)
    if (mshrs_[i].used && mshrs_[i].line_addr == line_addr) return static_cast<int>(i);
  return -1;
}

bool L2Slice::holds(uint64_t line_addr, uint8_t* valid, uint8_t* dirty) const {
  const int i = find_line(line_addr);
  if (i < 0) return false;
  if (valid) *valid = lines_[static_cast<size_t>(i)].valid;
  if (dirty) *dirty = lines_[static_cast<size_t>(i)].dirty;
  return true;
}

void L2Slice::dram_request(uint64_t line_addr, uint8_t mask, MemOp op, uint32_t tag, Tick t) {
  SIM_CHECK(dram_size_ < dram_q_.size(), "{}: DRAM request queue overflow", path());
  MemReq& r = dram_q_[(dram_head_ + dram_size_++) % dram_q_.size()];
  r = MemReq{};
  r.line_addr = line_addr;
  r.sector_mask = mask;
  r.op = op;
  r.source = dram_port_;
  r.tag = tag;
  r.issued = t;
  ++dram_out_;
  const uint64_t bytes = static_cast<uint64_t>(std::popcount(mask)) * p_.sector_bytes;
  *(op == MemOp::Store ? s_.dram_write_bytes : s_.dram_read_bytes) += bytes;
}

uint32_t L2Slice::data_cycles(uint8_t mask) const {
  const uint32_t bytes = static_cast<uint32_t>(std::popcount(mask)) * p_.sector_bytes;
  return std::max(1u, (bytes + p_.bytes_per_cycle - 1) / p_.bytes_per_cycle);
}

// ---- responses ----

void L2Slice::respond(const MemReq& r, Tick ready, Tick accepted) {
  Pending p;
  p.ready = ready;
  p.seq = seq_++;
  p.resp.tag = r.tag;
  p.resp.source = r.source;
  p.resp.sector_mask = r.sector_mask;
  p.resp.op = r.op;
  heap_.push_back(p);
  std::push_heap(heap_.begin(), heap_.end(), [](const Pending& a, const Pending& b) {
    return a.ready != b.ready ? a.ready > b.ready : a.seq > b.seq;
  });
  const uint64_t lat = (ready - accepted) / clk_.period();
  *s_.latency_sum += lat;
  ++*s_.responses;
  ++*s_.hist[std::min<uint64_t>(lat / kL2LatencyBucketCycles, kL2LatencyBuckets - 1)];
}

bool L2Slice::send_responses(Tick t) {
  bool any = false;
  auto later = [](const Pending& a, const Pending& b) { return a.ready != b.ready ? a.ready > b.ready : a.seq > b.seq; };
  while (!heap_.empty() && heap_.front().ready <= t && resp_out.can_send(t)) {
    resp_out.send(t, heap_.front().resp);
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
    any = true;
  }
  return any;
}

// ---- requests ----

bool L2Slice::lookup_store(const MemReq& r, Tick t) {
  int i = find_line(r.line_addr);
  if (i < 0) {
    if (dram_out_ >= dram_q_.size()) return false;  // the victim may need a write-back slot
    ++*s_.store_misses;
    ++*s_.misses;
    i = static_cast<int>(allocate(r.line_addr));
  } else {
    ++*s_.store_hits;
    ++*s_.hits;
  }
  Line& l = lines_[static_cast<size_t>(i)];
  l.valid |= r.sector_mask;
  l.dirty |= r.sector_mask;
  l.lru = ++lru_clock_;
  *s_.e_write += static_cast<uint64_t>(std::popcount(r.sector_mask));
  pipe_free_ = t + data_cycles(r.sector_mask) * clk_.period();
  respond(r, t + p_.access_latency * clk_.period(), t);
  return true;
}

bool L2Slice::lookup_read(const MemReq& r, Tick t) {
  const bool atomic = r.op == MemOp::Atomic;
  const int i = find_line(r.line_addr);
  const uint8_t have = i >= 0 ? lines_[static_cast<size_t>(i)].valid : 0;
  const uint8_t missing = r.sector_mask & ~have;
  if (!missing) {
    Line& l = lines_[static_cast<size_t>(i)];
    l.lru = ++lru_clock_;
    ++*s_.hits;
    ++*(atomic ? s_.atomic_hits : s_.load_hits);
    *s_.sector_hits += static_cast<uint64_t>(std::popcount(r.sector_mask));
    *s_.e_read += static_cast<uint64_t>(std::popcount(r.sector_mask));
    Tick done = t + data_cycles(r.sector_mask) * clk_.period();
    if (atomic) {
      const uint32_t ops = std::max<uint32_t>(1, r.atomics);
      done = t + static_cast<Tick>(ops) * p_.atomic_cycles * clk_.period();
      l.dirty |= r.sector_mask;
      *s_.atomics += ops;
      *s_.e_atomic += ops;
      *s_.e_write += static_cast<uint64_t>(std::popcount(r.sector_mask));
    }
    pipe_free_ = done;
    respond(r, done - clk_.period() + p_.access_latency * clk_.period(), t);
    return true;
  }
  int m = find_mshr(r.line_addr);
  uint8_t ask = missing;
  if (m >= 0) {
    if (mshrs_[static_cast<size_t>(m)].nwaiters >= p_.mshr_merges) return false;
    ask &= static_cast<uint8_t>(~mshrs_[static_cast<size_t>(m)].requested);
  } else {
    for (size_t k = 0; k < mshrs_.size() && m < 0; ++k)
      if (!mshrs_[k].used) m = static_cast<int>(k);
    if (m < 0) return false;
  }
  if (ask && dram_out_ >= dram_q_.size()) return false;
  Mshr& e = mshrs_[static_cast<size_t>(m)];
  if (!e.used) {
    e = Mshr{true, r.line_addr, 0, 0, 0};
  } else {
    ++*s_.mshr_merges;
  }
  if (ask) {
    dram_request(r.line_addr, ask, MemOp::Load, static_cast<uint32_t>(m), t);
    e.requested |= ask;
    ++e.reads_out;
  }
  waiters_[static_cast<size_t>(m) * p_.mshr_merges + e.nwaiters++] = Waiter{r, t};
  ++waiting_;
  ++*s_.misses;
  ++*(atomic ? s_.atomic_misses : s_.load_misses);
  *s_.sector_hits += static_cast<uint64_t>(std::popcount(static_cast<uint8_t>(r.sector_mask & have)));
  *s_.sector_misses += static_cast<uint64_t>(std::popcount(missing));
  pipe_free_ = t + clk_.period();
  return true;
}

bool L2Slice::accept(Tick t) {
  if (pipe_free_ > t || !req_in.can_recv(t)) return false;
  const MemReq& r = req_in.front();
  bool ok = heap_.size() + waiting_ < p_.response_slots();
  if (ok) {
    ++*s_.e_tag;
    ok = r.op == MemOp::Store ? lookup_store(r, t) : lookup_read(r, t);
    if (!ok) --*s_.e_tag;
  }
  if (!ok) {
    if (blocked_since_ == kNever) blocked_since_ = t;
    return false;
  }
  ++*s_.accesses;
  if (blocked_since_ != kNever) {
    *s_.blocked_cycles += (t - blocked_since_) / clk_.period();
    blocked_since_ = kNever;
  }
  req_in.pop(t);
  return true;
}

// ---- DRAM side ----

void L2Slice::fill(uint32_t m, Tick t) {
  Mshr& e = mshrs_[m];
  int i = find_line(e.line_addr);
  if (i < 0) i = static_cast<int>(allocate(e.line_addr));
  Line& l = lines_[static_cast<size_t>(i)];
  l.valid |= e.requested;
  l.lru = ++lru_clock_;
  *s_.e_write += static_cast<uint64_t>(std::popcount(e.requested));
  // The fill passes through the slice's pipeline like a hit, so a miss costs the hit latency
  // plus the DRAM round trip (as measured: A100 L2 hit 200, DRAM 290 cycles).
  Tick ready = t + p_.access_latency * clk_.period();
  for (uint32_t k = 0; k < e.nwaiters; ++k) {
    const Waiter& w = waiters_[static_cast<size_t>(m) * p_.mshr_merges + k];
    if (w.req.op == MemOp::Atomic) {
      const uint32_t ops = std::max<uint32_t>(1, w.req.atomics);
      pipe_free_ = std::max(pipe_free_, t) + static_cast<Tick>(ops) * p_.atomic_cycles * clk_.period();
      l.dirty |= w.req.sector_mask;
      *s_.atomics += ops;
      *s_.e_atomic += ops;
      ready = std::max(ready, pipe_free_);
    }
    *s_.e_read += static_cast<uint64_t>(std::popcount(w.req.sector_mask));
    respond(w.req, ready, w.accepted);
  }
  waiting_ -= e.nwaiters;
  e = Mshr{};
}

bool L2Slice::handle_dram(Tick t) {
  bool any = false;
  while (from_dram.can_recv(t)) {
    const engine::MemResp& r = from_dram.front();
    if (r.tag != kWriteBackTag) {
      SIM_CHECK(r.tag < mshrs_.size() && mshrs_[r.tag].used && mshrs_[r.tag].reads_out > 0,
                "{}: DRAM answered idle MSHR {}", path(), r.tag);
      Mshr& e = mshrs_[r.tag];
      // a fill may evict a dirty line: it needs a DRAM request slot (freed by this response)
      if (e.reads_out == 1 && dram_size_ >= dram_q_.size()) break;
      if (--e.reads_out == 0) {
        --dram_out_;
        fill(r.tag, t);
      } else {
        --dram_out_;
      }
    } else {
      --dram_out_;
    }
    from_dram.pop(t);
    any = true;
  }
  return any;
}

void L2Slice::drain_dram(Tick t) {
  while (dram_size_ && to_dram.can_send(t)) {
    MemReq& r = dram_q_[dram_head_];
    r.issued = t;
    to_dram.send(t, r);
    dram_head_ = (dram_head_ + 1) % dram_q_.size();
    --dram_size_;
  }
}

bool L2Slice::do_cycle(engine::Cycle now) {
  const Tick t = clk_.edge(now);
  bool progress = send_responses(t);
  progress |= handle_dram(t);
  const size_t queued = dram_size_;
  progress |= accept(t);
  drain_dram(t);
  return progress || dram_size_ != queued;
}

Tick L2Slice::next_event() const {
  const Tick now = engine::now_tick();
  Tick t = kNever;
  if (!heap_.empty() && heap_.front().ready > now) t = heap_.front().ready;
  if (req_in.next_ready() <= now && pipe_free_ > now) t = std::min(t, pipe_free_);
  return t;
}

bool L2Slice::busy() const {
  return !heap_.empty() || waiting_ || dram_out_ || req_in.size() || from_dram.size();
}

std::string L2Slice::describe() const {
  std::string s = fmt::format("{}: {} requests queued, {} responses pending, {} requests in MSHRs, {} DRAM requests out",
                              path(), req_in.size(), heap_.size(), waiting_, dram_out_);
  for (size_t i = 0; i < mshrs_.size(); ++i)
    if (mshrs_[i].used)
      s += fmt::format("\n  mshr {}: line {:#x} sectors {:#x}, {} reads out, {} waiters", i, mshrs_[i].line_addr,
                       mshrs_[i].requested, mshrs_[i].reads_out, mshrs_[i].nwaiters);
  return s + "\n";
}

}  // namespace xpusim::mem
