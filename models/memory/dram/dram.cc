// DramController: queues, FR-FCFS/FCFS scheduling, row policy, write draining, refresh and
// statistics for one (pseudo-)channel. Timing legality lives in DramTimingState.
#include "models/memory/dram/dram.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "models/memory/dram/dram_timing.h"

namespace xpusim::mem {

namespace {

constexpr int kHistBuckets = 32;
constexpr uint8_t kUnclassified = 0, kHit = 1, kMiss = 2, kConflict = 3;

// Latency histogram: [0,16), then two buckets per octave up to 2^19 cycles.
int hist_bucket(uint64_t lat) {
  if (lat < 16) return 0;
  const int o = std::bit_width(lat) - 5;  // lat in [2^(o+4), 2^(o+5))
  const int half = static_cast<int>((lat >> (o + 3)) & 1);
  return std::min(kHistBuckets - 1, 1 + 2 * o + half);
}
uint64_t hist_lower(int b) {
  if (b == 0) return 0;
  const int o = (b - 1) / 2;
  return ((b - 1) % 2 ? 3ull : 2ull) << (o + 3);
}

}  // namespace

struct DramController::Impl {
  struct Entry {
    uint64_t arrival = 0;     // DRAM cycle it entered the queue
    uint32_t tag = 0;
    uint16_t source = 0;
    uint16_t port = 0;
    uint8_t mask = 0;         // sectors, echoed in the response
    uint8_t chunks = 0;       // column accesses still to issue (bit k: bytes [kG, kG+G) of the line)
    bool write = false;
    uint8_t cls = kUnclassified;
    DramParams::Loc loc;
  };
  struct Resp {
    uint64_t ready = 0, arrival = 0;
    uint32_t tag = 0;
    uint16_t source = 0, port = 0;
    uint8_t mask = 0;
    bool read = false;
  };
  struct BankState {
    bool open = false;
    uint32_t row = 0;
  };
  struct Cand {
    DramCmd cmd = DramCmd::Act;
    int entry = -1;           // index in the active queue, or -1 (refresh, closed-row precharge)
    uint32_t rank = 0, group = 0, bank = 0;
  };
  struct Counters {
    uint64_t *reads, *writes, *activates, *precharges, *refreshes, *row_hits, *row_misses, *row_conflicts;
    uint64_t *bytes_read, *bytes_written, *bus_busy, *rq_occ, *wq_occ, *read_requests, *write_requests;
    uint64_t *lat_sum, *e_act, *e_read, *e_write, *e_ref, *e_io;
    std::array<uint64_t*, kHistBuckets> hist;
  };

  Impl(DramController& o, const DramParams& p, uint32_t index)
      : owner(o), p(p), index(index), timing(p), chunk_bytes(p.bytes_per_access()),
        chunks_per_line(static_cast<uint8_t>(std::max(1u, 128 / p.bytes_per_access()))),
        banks(p.banks()), hits(p.banks(), 0), hits_any(p.banks(), 0), ref_due(std::max(1u, p.ranks), p.t.refi),
        ref_pending(std::max(1u, p.ranks), false) {
    rq.reserve(p.read_queue);
    wq.reserve(p.write_queue);
    resp.reserve(size_t{p.read_queue} + p.write_queue);
  }

  uint32_t flat(const DramParams::Loc& l) const { return (l.rank * p.bank_groups + l.bank_group) * p.banks_per_group + l.bank; }
  uint32_t flat(uint32_t r, uint32_t g, uint32_t b) const { return (r * p.bank_groups + g) * p.banks_per_group + b; }

  uint8_t chunks_of(uint8_t sectors) const {
    const uint32_t per = chunk_bytes / 32;  // sectors per column access (validated: 1, 2 or 4)
    uint8_t c = 0;
    for (uint32_t k = 0; k < chunks_per_line; ++k)
      if (sectors & (((1u << per) - 1) << (k * per))) c |= static_cast<uint8_t>(1u << k);
    return c;
  }

  bool write_mode() const { return drain ? !wq.empty() : (rq.empty() && !wq.empty()); }
  std::vector<Entry>& active() { return write_mode() ? wq : rq; }

  void update_mode() {
    if (!drain && wq.size() >= p.write_high) drain = true;
    if (drain && wq.size() <= p.write_low) drain = false;
  }

  // Every command that could issue next, in priority order; the first legal at `now` goes
  // into *pick (and *picked is set). Returns the earliest cycle after `now` at which any of
  // them is legal: when to wake if nothing else happens.
  uint64_t plan(uint64_t now, Cand* pick, bool* picked);
  void issue(const Cand& c, uint64_t now);
  bool accept(uint64_t now, engine::Tick tick);
  bool respond(uint64_t now, engine::Tick tick);
  void catch_up_refresh(uint64_t now);

  DramController& owner;
  const DramParams p;
  const uint32_t index;
  DramTimingState timing;
  const uint32_t chunk_bytes;
  const uint8_t chunks_per_line;
  const uint32_t banks;
  std::vector<Entry> rq, wq;          // arrival order; capacity fixed at construction
  std::vector<Resp> resp;
  std::vector<BankState> bank_state = std::vector<BankState>(banks);
  std::vector<uint16_t> hits, hits_any;  // scratch for plan(): requests hitting each open row
  std::vector<uint64_t> ref_due;      // per rank: cycle the next REF is due
  std::vector<bool> ref_pending;
  bool drain = false;
  uint64_t last_now = 0;              // cycle of the latest do_cycle (next_event counts from it)
  uint64_t plan_best = 0;             // plan()'s answer in the latest do_cycle, valid while no
  bool plan_valid = false;            // command issued since (the state it saw is unchanged)
  uint64_t occ_from = 0;              // occupancy integrated up to this cycle
  size_t rr = 0;                      // round-robin start over ports
  Counters n{};
};

uint64_t DramController::Impl::plan(uint64_t now, Cand* pick, bool* picked) {
  uint64_t best = engine::kNever;
  *picked = false;
  auto offer = [&](const Cand& c) {
    const uint64_t at = timing.earliest(c.cmd, c.rank, c.group, c.bank);
    if (at <= now && !*picked) {
      *pick = c;
      *picked = true;
    }
    best = std::min(best, std::max(at, now + 1));
  };
  // 1. Refresh: a rank with a REF due precharges its open banks, then refreshes.
  for (uint32_t r = 0; r < ref_pending.size(); ++r) {
    if (!ref_pending[r]) continue;
    bool all_closed = true;
    for (uint32_t g = 0; g < p.bank_groups; ++g)
      for (uint32_t b = 0; b < p.banks_per_group; ++b)
        if (bank_state[flat(r, g, b)].open) {
          all_closed = false;
          offer({DramCmd::Pre, -1, r, g, b});
        }
    if (all_closed) offer({DramCmd::Ref, -1, r, 0, 0});
  }
  // Queued requests hitting each bank's open row: the active queue's (a conflict waits for
  // them under FR-FCFS) and both queues' (closed-row policy keeps such rows open).
  std::fill(hits.begin(), hits.end(), 0);
  std::fill(hits_any.begin(), hits_any.end(), 0);
  std::vector<Entry>& q = active();
  for (const std::vector<Entry>* qq : {&rq, &wq})
    for (const Entry& e : *qq) {
      const BankState& b = bank_state[flat(e.loc)];
      if (b.open && b.row == e.loc.row) {
        ++hits_any[flat(e.loc)];
        if (qq == &q) ++hits[flat(e.loc)];
      }
    }
  const bool wr = &q == &wq;
  const size_t considered = p.frfcfs ? q.size() : std::min<size_t>(q.size(), 1);
  // 2. Column commands to open rows, oldest first (FR-FCFS: "first ready").
  for (size_t i = 0; i < considered; ++i) {
    const Entry& e = q[i];
    const BankState& b = bank_state[flat(e.loc)];
    if (ref_pending[e.loc.rank] || !b.open || b.row != e.loc.row) continue;
    offer({wr ? DramCmd::Wr : DramCmd::Rd, static_cast<int>(i), e.loc.rank, e.loc.bank_group, e.loc.bank});
  }
  // 3. Closed-row policy: close every open bank no queued request still hits.
  if (!p.open_row)
    for (uint32_t i = 0; i < banks; ++i)
      if (bank_state[i].open && hits_any[i] == 0 && !ref_pending[i / (p.bank_groups * p.banks_per_group)])
        offer({DramCmd::Pre, -1, i / (p.bank_groups * p.banks_per_group), (i / p.banks_per_group) % p.bank_groups,
               i % p.banks_per_group});
  // 4. Row misses (ACT) and conflicts (PRE; under FR-FCFS only once no request of the active
  // queue hits the open row, under FCFS at once: the oldest request goes first).
  for (size_t i = 0; i < considered; ++i) {
    const Entry& e = q[i];
    const uint32_t fb = flat(e.loc);
    const BankState& b = bank_state[fb];
    if (ref_pending[e.loc.rank] || (b.open && b.row == e.loc.row)) continue;
    if (!b.open) offer({DramCmd::Act, static_cast<int>(i), e.loc.rank, e.loc.bank_group, e.loc.bank});
    else if (hits[fb] == 0 || !p.frfcfs) offer({DramCmd::Pre, static_cast<int>(i), e.loc.rank, e.loc.bank_group, e.loc.bank});
  }
  return best;
}

void DramController::Impl::issue(const Cand& c, uint64_t now) {
  timing.issue(c.cmd, now, c.rank, c.group, c.bank);
  BankState& b = bank_state[flat(c.rank, c.group, c.bank)];
  std::vector<Entry>& q = active();
  Entry* e = c.entry >= 0 ? &q[static_cast<size_t>(c.entry)] : nullptr;
  uint32_t column = 0;
  switch (c.cmd) {
    case DramCmd::Act:
      b.open = true;
      b.row = e->loc.row;
      ++*n.activates;
      ++*n.e_act;
      if (e->cls == kUnclassified) e->cls = kMiss;
      break;
    case DramCmd::Pre:
      b.open = false;
      ++*n.precharges;
      if (e && e->cls == kUnclassified) e->cls = kConflict;
      break;
    case DramCmd::Ref:
      ++*n.refreshes;
      ++*n.e_ref;
      ref_pending[c.rank] = false;
      ref_due[c.rank] += p.t.refi;
      break;
    case DramCmd::Rd:
    case DramCmd::Wr: {
      const bool read = c.cmd == DramCmd::Rd;
      const int k = std::countr_zero(e->chunks);
      e->chunks = static_cast<uint8_t>(e->chunks & (e->chunks - 1));
      column = e->loc.column * chunks_per_line + static_cast<uint32_t>(k);
      if (e->cls == kUnclassified) e->cls = kHit;
      ++*(read ? n.reads : n.writes);
      ++*(read ? n.e_read : n.e_write);
      *(read ? n.bytes_read : n.bytes_written) += chunk_bytes;
      *n.e_io += chunk_bytes;
      *n.bus_busy += p.t.bl;
      if (e->chunks == 0) {
        ++*(e->cls == kHit ? n.row_hits : e->cls == kMiss ? n.row_misses : n.row_conflicts);
        const uint64_t ready = now + (read ? p.t.cl : p.t.cwl) + p.t.bl + p.frontend_latency;
        resp.push_back({ready, e->arrival, e->tag, e->source, e->port, e->mask, read});
        if (read) {
          *n.lat_sum += ready - e->arrival;
          ++*n.hist[static_cast<size_t>(hist_bucket(ready - e->arrival))];
        }
        q.erase(q.begin() + c.entry);  // keeps arrival order; no allocation
      }
      break;
    }
  }
  if (owner.on_command) [[unlikely]]
    owner.on_command({now, c.cmd, c.rank, c.group, c.bank, c.cmd == DramCmd::Ref ? 0 : b.row, column});
}

bool DramController::Impl::accept(uint64_t now, engine::Tick tick) {
  bool any = false;
  const size_t ports = owner.req_in.size();
  for (size_t j = 0; j < ports; ++j) {
    const size_t i = (rr + j) % ports;
    engine::InPort<engine::MemReq>& in = owner.req_in[i];
    while (in.can_recv(tick)) {
      const engine::MemReq& r = in.front();
      const bool write = r.op == engine::MemOp::Store;
      std::vector<Entry>& q = write ? wq : rq;
      // A request leaves its queue as a pending response: bounding both keeps every buffer
      // within the capacity reserved at construction (no allocation in steady state).
      if (q.size() >= (write ? p.write_queue : p.read_queue) || rq.size() + wq.size() + resp.size() >= resp.capacity())
        break;
      Entry e;
      e.arrival = now;
      e.tag = r.tag;
      e.source = r.source;
      e.port = static_cast<uint16_t>(i);
      e.mask = r.sector_mask;
      e.write = write;
      e.loc = p.decode(r.line_addr);
      SIM_CHECK(e.loc.controller == index, "line {:#x} belongs to DRAM controller {}, not {}", r.line_addr,
                e.loc.controller, index);
      e.chunks = chunks_of(r.sector_mask);
      SIM_CHECK(e.chunks != 0, "request tag {} moves no sector", r.tag);
      ++*(write ? n.write_requests : n.read_requests);
      q.push_back(e);
      in.pop(tick);
      any = true;
    }
  }
  rr = ports ? (rr + 1) % ports : 0;
  return any;
}

bool DramController::Impl::respond(uint64_t now, engine::Tick tick) {
  bool any = false;
  for (size_t i = 0; i < resp.size();) {
    const Resp& r = resp[i];
    if (r.ready <= now && owner.resp_out[r.port].can_send(tick)) {
      owner.resp_out[r.port].send(tick, {r.tag, r.source, r.mask});
      resp[i] = resp.back();
      resp.pop_back();
      any = true;
    } else {
      ++i;
    }
  }
  return any;
}

// An idle controller sleeps through refresh intervals; when it wakes, the REFs it would have
// issued meanwhile are accounted at their due times (counters, energy, the rank blocked for
// tRFC after each), as a real controller refreshes an idle rank in the background: an access
// arriving later waits only if it falls inside the last refresh's tRFC. A controller with
// queued work issues a due REF through the scheduler (precharges first, then REF).
void DramController::Impl::catch_up_refresh(uint64_t now) {
  if (!p.refresh) return;
  const bool idle = rq.empty() && wq.empty();
  for (uint32_t r = 0; r < ref_due.size(); ++r) {
    while (!ref_pending[r] && (idle ? ref_due[r] <= now : ref_due[r] + p.t.refi <= now)) {
      for (uint32_t g = 0; g < p.bank_groups; ++g)
        for (uint32_t b = 0; b < p.banks_per_group; ++b) {
          BankState& s = bank_state[flat(r, g, b)];
          if (s.open) ++*n.precharges;
          s.open = false;
        }
      timing.refreshed(r, ref_due[r]);
      ++*n.refreshes;
      ++*n.e_ref;
      ref_due[r] += p.t.refi;
    }
    if (now >= ref_due[r]) ref_pending[r] = true;
  }
}

DramController::DramController(sc_core::sc_module_name name, engine::Env& env, const DramParams& p, uint32_t index,
                               uint32_t ports)
    : Component(name, env, p.clock), req_in(ports), resp_out(ports), impl_(std::make_unique<Impl>(*this, p, index)) {
  Impl::Counters& n = impl_->n;
  engine::Stats& s = env.stats();
  const std::string& me = path();
  n.reads = &s.counter(me, "reads");
  n.writes = &s.counter(me, "writes");
  n.activates = &s.counter(me, "activates");
  n.precharges = &s.counter(me, "precharges");
  n.refreshes = &s.counter(me, "refreshes");
  n.row_hits = &s.counter(me, "row_hits");
  n.row_misses = &s.counter(me, "row_misses");
  n.row_conflicts = &s.counter(me, "row_conflicts");
  n.bytes_read = &s.counter(me, "bytes_read");
  n.bytes_written = &s.counter(me, "bytes_written");
  n.bus_busy = &s.counter(me, "data_bus_busy_cycles");
  n.rq_occ = &s.counter(me, "read_queue_occupancy_cycles");
  n.wq_occ = &s.counter(me, "write_queue_occupancy_cycles");
  n.read_requests = &s.counter(me, "read_requests");
  n.write_requests = &s.counter(me, "write_requests");
  n.lat_sum = &s.counter(me, "read_latency_sum_cycles");
  for (int b = 0; b < kHistBuckets; ++b)
    n.hist[static_cast<size_t>(b)] = &s.counter(me, fmt::format("read_latency_hist.ge_{:06d}", hist_lower(b)));
  n.e_act = &energy_counter("activate");
  n.e_read = &energy_counter("read");
  n.e_write = &energy_counter("write");
  n.e_ref = &energy_counter("refresh");
  n.e_io = &energy_counter("io_bytes");
}

DramController::~DramController() = default;

bool DramController::do_cycle(engine::Cycle now) {
  Impl& m = *impl_;
  const engine::Tick tick = clk_.edge(now);
  if (now > m.occ_from) {  // time-weighted occupancy, integrated lazily over the cycles slept
    *m.n.rq_occ += m.rq.size() * (now - m.occ_from);
    *m.n.wq_occ += m.wq.size() * (now - m.occ_from);
    m.occ_from = now;
  }
  m.last_now = now;
  m.catch_up_refresh(now);
  bool progress = m.respond(now, tick);
  progress |= m.accept(now, tick);
  m.update_mode();
  Impl::Cand c;
  bool picked = false;
  m.plan_best = m.plan(now, &c, &picked);
  m.plan_valid = !picked;  // next_event reuses it unless a command changes the state
  if (picked) {
    m.issue(c, now);
    progress = true;
  }
  return progress;
}

engine::Tick DramController::next_event() const {
  Impl& m = *impl_;
  engine::Cycle at = engine::kNever;
  for (const Impl::Resp& r : m.resp)
    if (r.ready > m.last_now) at = std::min<engine::Cycle>(at, r.ready);
  // Work to schedule: queued requests, a refresh under way, or (closed-row policy) a row
  // still to close.
  bool work = !m.rq.empty() || !m.wq.empty() ||
              std::find(m.ref_pending.begin(), m.ref_pending.end(), true) != m.ref_pending.end();
  if (!m.p.open_row)
    for (const Impl::BankState& b : m.bank_state) work |= b.open;
  if (work) {
    Impl::Cand c;
    bool picked = false;
    at = std::min(at, m.plan_valid ? m.plan_best : m.plan(m.last_now, &c, &picked));
    if (m.p.refresh)
      for (uint64_t due : m.ref_due)
        if (due > m.last_now) at = std::min<engine::Cycle>(at, due);
  }
  return at == engine::kNever ? engine::kNever : clk_.edge(at);
}

bool DramController::busy() const {
  const Impl& m = *impl_;
  if (!m.rq.empty() || !m.wq.empty() || !m.resp.empty()) return true;
  for (const auto& in : req_in)
    if (in.size()) return true;
  return false;
}

std::string DramController::describe() const {
  const Impl& m = *impl_;
  std::string s = fmt::format("{}: cycle {}, {} reads / {} writes queued, {} responses pending, {} mode\n", path(),
                              m.last_now, m.rq.size(), m.wq.size(), m.resp.size(), m.write_mode() ? "write" : "read");
  for (const std::vector<Impl::Entry>* q : {&m.rq, &m.wq})
    for (size_t i = 0; i < q->size() && i < 16; ++i) {
      const Impl::Entry& e = (*q)[i];
      s += fmt::format("  {} tag {} port {} rank {} bg {} bank {} row {} line {} chunks {:#x} since {}\n",
                       e.write ? "WR" : "RD", e.tag, e.port, e.loc.rank, e.loc.bank_group, e.loc.bank, e.loc.row,
                       e.loc.column, e.chunks, e.arrival);
    }
  s += "  banks:";
  for (uint32_t i = 0; i < m.banks; ++i)
    s += m.bank_state[i].open ? fmt::format(" {}:row {}", i, m.bank_state[i].row) : fmt::format(" {}:closed", i);
  for (size_t r = 0; r < m.ref_due.size(); ++r)
    s += fmt::format("\n  rank {}: refresh due at {}{}", r, m.ref_due[r], m.ref_pending[r] ? " (pending)" : "");
  return s + "\n";
}

}  // namespace xpusim::mem
