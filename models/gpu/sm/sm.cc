#include "models/gpu/sm/sm.h"

#include "src/exec/lanes.h"

#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <map>

namespace xpusim::gpu {

using engine::Cycle;
using engine::Tick;

namespace {
constexpr uint8_t kNone = isa::kNoBarrier;
constexpr size_t kOutq = 4096;
}  // namespace

Sm::Sm(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, const SmParams& p, uint16_t id)
    : Component(name, env, clk), p_(p), id_(id) {
  ctas_.resize(p_.max_ctas);
  warps_.resize(p_.max_warps);
  subcores_.resize(p_.subcores);
  for (auto& sc : subcores_) sc.warps.reserve(p_.max_warps);
  inflight_.resize(p_.max_inflight);
  outq_.resize(kOutq);
  doneq_.reserve(p_.max_ctas);
  std::vector<Event> ev;
  ev.reserve(1024);
  events_ = decltype(events_)(std::greater<Event>(), std::move(ev));
  auto& st = env.stats();
  stat_.warp_insts = &st.counter(path(), "warp_instructions");
  stat_.thread_insts = &st.counter(path(), "thread_instructions");
  for (size_t u = 0; u < kNumUnits; ++u) {
    const std::string un = isa::unit_name(static_cast<isa::Unit>(u));
    stat_.unit_warp_insts[u] = &st.counter(path(), "inst." + un);
    stat_.unit_thread_insts[u] = &st.counter(path(), "thread_inst." + un);
  }
  stat_.active_cycles = &st.counter(path(), "active_cycles");
  stat_.ctas = &st.counter(path(), "ctas");
  stat_.mem_lines = &st.counter(path(), "mem_line_requests");
  stat_.mem_sectors = &st.counter(path(), "mem_sector_requests");
  energy_.issue = &energy_counter("issue");
  energy_.rf_reads = &energy_counter("rf_read");
  energy_.rf_writes = &energy_counter("rf_write");
  energy_.shared_accesses = &energy_counter("shared_access");
}

void Sm::begin_kernel(const exec::Launch* launch, exec::Executor* ex) {
  launch_ = launch;
  ex_ = ex;
}

bool Sm::do_cycle(Cycle now) {
  // back to front: results first, then issue, then new requests and new work
  bool progress = receive_memory(now);
  progress |= retire_events(now);
  progress |= issue(now);
  progress |= send_memory(now);
  progress |= receive_ctas(now);
  return progress;
}

// ---- CTAs ---------------------------------------------------------------------------------

bool Sm::receive_ctas(Cycle now) {
  bool any = false;
  const Tick t = clk_.edge(now);
  while (cta_in.can_recv(t)) {
    start_cta(cta_in.front().cta, now);
    cta_in.pop(t);
    any = true;
  }
  while (!doneq_.empty() && done_out.can_send(t)) {
    done_out.send(t, doneq_.back());
    doneq_.pop_back();
    any = true;
  }
  return any;
}

void Sm::start_cta(uint32_t linear, Cycle now) {
  SIM_CHECK(launch_ && ex_, "CTA {} assigned before a kernel began", linear);
  uint16_t ci = 0;
  while (ci < ctas_.size() && ctas_[ci].used) ++ci;
  SIM_CHECK(ci < ctas_.size(), "SM {} has no free CTA slot", id_);
  CtaSlot& c = ctas_[ci];
  c.used = true;
  c.inflight = 0;
  c.warp_slots.clear();
  const exec::Dim3 g = launch_->grid;
  const exec::Dim3 ctaid{linear % g.x, (linear / g.x) % g.y, static_cast<uint32_t>(linear / (uint64_t{g.x} * g.y))};
  ex_->start_cta(c.cta, *launch_, ctaid, linear, id_);
  for (exec::Warp& w : c.cta.warps) {
    uint16_t wi = 0;
    while (wi < warps_.size() && warps_[wi].used) ++wi;
    SIM_CHECK(wi < warps_.size(), "SM {} has no free warp slot", id_);
    WarpSlot& s = warps_[wi];
    s = WarpSlot{};
    s.used = true;
    s.cta = ci;
    s.w = &w;
    s.subcore = static_cast<uint16_t>(wi % p_.subcores);
    s.age = next_age_++;
    s.ready = now;
    subcores_[s.subcore].warps.push_back(wi);
    c.warp_slots.push_back(wi);
  }
  if (resident_ctas_++ == 0) busy_since_ = now;
  ++*stat_.ctas;
}

void Sm::warp_exited(uint16_t slot, Cycle now) {
  WarpSlot& s = warps_[slot];
  CtaSlot& c = ctas_[s.cta];
  if (!c.cta.done() || c.inflight) return;
  // every warp of the CTA has exited and its memory traffic has drained
  for (uint16_t wi : c.warp_slots) {
    auto& v = subcores_[warps_[wi].subcore].warps;
    v.erase(std::find(v.begin(), v.end(), wi));
    if (subcores_[warps_[wi].subcore].greedy == wi) subcores_[warps_[wi].subcore].greedy = UINT16_MAX;
    warps_[wi].used = false;
    warps_[wi].w = nullptr;
  }
  c.used = false;
  doneq_.push_back({id_, c.cta.linear_id});
  if (--resident_ctas_ == 0) *stat_.active_cycles += now + 1 - busy_since_;
}

// ---- issue ----------------------------------------------------------------------------------

bool Sm::eligible(const WarpSlot& s, Cycle now) const {
  if (!s.used || now < s.ready) return false;
  const exec::Warp& w = *s.w;
  if (!w.runnable()) return false;
  const isa::Inst& in = launch_->kernel->code[exec::Executor::next_pc(w)];
  for (int k = 0; k < 6; ++k)
    if ((in.ctrl.wait & (1 << k)) && s.sb[k]) return false;
  if (in.op == isa::Op::DEPBAR && s.sb[in.src[0].reg] > in.src[1].imm) return false;
  if (subcores_[s.subcore].unit_free[static_cast<size_t>(in.unit)] > now) return false;
  if (in.unit == isa::Unit::LSU && inflight_used_ >= inflight_.size()) return false;
  return true;
}

uint16_t Sm::pick(Subcore& sc, Cycle now) const {
  const auto& ws = sc.warps;
  if (ws.empty()) return UINT16_MAX;
  switch (p_.policy) {
    case proto::LRR: {
      for (size_t i = 0; i < ws.size(); ++i) {
        const uint16_t cand = ws[(sc.rr + i) % ws.size()];
        if (eligible(warps_[cand], now)) return cand;
      }
      return UINT16_MAX;
    }
    case proto::CGGTY:  // greedy, then youngest
      if (sc.greedy != UINT16_MAX && eligible(warps_[sc.greedy], now)) return sc.greedy;
      for (auto it = ws.rbegin(); it != ws.rend(); ++it)
        if (eligible(warps_[*it], now)) return *it;
      return UINT16_MAX;
    default:  // GTO: greedy, then oldest
      if (sc.greedy != UINT16_MAX && eligible(warps_[sc.greedy], now)) return sc.greedy;
      for (uint16_t cand : ws)
        if (eligible(warps_[cand], now)) return cand;
      return UINT16_MAX;
  }
}

bool Sm::issue(Cycle now) {
  bool any = false;
  for (Subcore& sc : subcores_) {
    const uint16_t slot = pick(sc, now);
    if (slot == UINT16_MAX) continue;
    if (p_.policy == proto::LRR) {
      const auto it = std::find(sc.warps.begin(), sc.warps.end(), slot);
      sc.rr = static_cast<uint32_t>(it - sc.warps.begin() + 1);
    }
    sc.greedy = slot;
    issue_one(slot, now);
    any = true;
  }
  return any;
}

void Sm::schedule(Cycle at, uint16_t warp, uint8_t counter) { events_.push({at, warp, counter}); }

void Sm::issue_one(uint16_t slot, Cycle now) {
  WarpSlot& s = warps_[slot];
  CtaSlot& c = ctas_[s.cta];
  exec::DynInst& d = dyn_;
  ex_->step(c.cta, *s.w, d, now);
  const isa::Inst& in = *d.inst;
  const size_t u = static_cast<size_t>(in.unit);
  ++*stat_.warp_insts;
  ++*stat_.unit_warp_insts[u];
  const uint64_t threads = static_cast<uint64_t>(std::popcount(d.exec));
  *stat_.thread_insts += threads;
  *stat_.unit_thread_insts[u] += threads;
  ++*energy_.issue;
  for (int i = 0; i < in.nreads; ++i) *energy_.rf_reads += in.reads[i].count;
  for (int i = 0; i < in.nwrites; ++i) *energy_.rf_writes += in.writes[i].count;
  if (d.space == exec::Space::Shared || in.op == isa::Op::LDGSTS) ++*energy_.shared_accesses;

  const UnitTiming& t = p_.timing(in);
  const uint32_t stall = std::max<uint32_t>(in.ctrl.stall, in.ctrl.yield ? 2 : 1);
  s.ready = now + stall;
  subcores_[s.subcore].unit_free[u] = now + t.interval;

  const bool global = d.exec && (d.space == exec::Space::Global || d.space == exec::Space::Local);
  if (in.op == isa::Op::LDGDEPBAR) {
    if (in.ctrl.wbar != kNone) {
      SIM_CHECK(s.groups_count < s.groups.size(), "warp has more than {} LDGSTS groups pending", s.groups.size());
      s.groups[(s.groups_head + s.groups_count++) % s.groups.size()] = {s.open_group, in.ctrl.wbar};
      ++s.sb[in.ctrl.wbar];
    }
    s.open_group = 0;
    ++s.group_seq;
    drain_groups(s);
  } else if (in.ctrl.wbar != kNone) {
    ++s.sb[in.ctrl.wbar];
    if (!global) {
      const uint32_t lat = d.space == exec::Space::Shared ? p_.shared_latency : t.latency;
      schedule(now + lat, slot, in.ctrl.wbar);
    }
  }
  if (in.ctrl.rbar != kNone) {
    ++s.sb[in.ctrl.rbar];
    schedule(now + (in.unit == isa::Unit::LSU ? p_.lsu_war_cycles : p_.war_cycles), slot, in.ctrl.rbar);
  }
  if (global) memory_access(slot, d, now);
  if (s.w->done()) warp_exited(slot, now);
}

// ---- memory -------------------------------------------------------------------------------

void Sm::memory_access(uint16_t slot, const exec::DynInst& d, Cycle now) {
  const isa::Inst& in = *d.inst;
  WarpSlot& s = warps_[slot];
  // Coalesce the executing lanes into 128-byte lines with 32-byte sector masks.
  std::array<uint64_t, 32> lines;
  std::array<uint8_t, 32> masks;
  uint32_t n = 0;
  exec::for_lanes(d.exec, [&](int l) {
    uint64_t a = d.addr[l];
    if (d.space == exec::Space::Local)  // per-thread local memory lives in a per-SM DRAM window
      a = (uint64_t{0xfe} << 40) | (uint64_t{id_} << 28) | ((uint64_t{slot} * 32 + l) << 14) | (a & 0x3fff);
    const uint64_t line = a & ~uint64_t{127};
    const uint8_t sec = static_cast<uint8_t>(((a & 127) >> 5) | 0);
    const uint32_t last_sec = static_cast<uint32_t>(((a & 127) + d.bytes - 1) >> 5);
    uint8_t m = 0;
    for (uint32_t k = sec; k <= last_sec && k < 4; ++k) m |= static_cast<uint8_t>(1u << k);
    uint32_t i = 0;
    while (i < n && lines[i] != line) ++i;
    if (i == n) lines[n] = line, masks[n++] = 0;
    masks[i] |= m;
  });
  uint32_t idx = 0;
  while (inflight_[idx].used) ++idx;
  Inflight& f = inflight_[idx];
  f = Inflight{true, slot, in.ctrl.wbar, in.op == isa::Op::LDGSTS, s.group_seq, n};
  ++inflight_used_;
  ++ctas_[s.cta].inflight;
  if (f.ldgsts) ++s.open_group;
  const engine::MemOp op = d.atomic ? engine::MemOp::Atomic : (d.store ? engine::MemOp::Store : engine::MemOp::Load);
  for (uint32_t i = 0; i < n; ++i) {
    SIM_CHECK(outq_size_ < outq_.size(), "SM {} request queue overflow", id_);
    outq_[(outq_head_ + outq_size_++) % outq_.size()] = {lines[i], masks[i], op, id_, idx, clk_.edge(now)};
    *stat_.mem_sectors += static_cast<uint64_t>(std::popcount(masks[i]));
  }
  *stat_.mem_lines += n;
}

bool Sm::send_memory(Cycle now) {
  const Tick t = clk_.edge(now);
  uint32_t sent = 0;
  while (outq_size_ && sent < p_.lines_per_cycle && mem_out.can_send(t)) {
    mem_out.send(t, outq_[outq_head_]);
    outq_head_ = (outq_head_ + 1) % outq_.size();
    --outq_size_;
    ++sent;
  }
  return sent != 0;
}

bool Sm::receive_memory(Cycle now) {
  const Tick t = clk_.edge(now);
  bool any = false;
  while (mem_in.can_recv(t)) {
    const uint32_t idx = mem_in.front().tag;
    mem_in.pop(t);
    Inflight& f = inflight_[idx];
    SIM_CHECK(f.used && f.lines > 0, "response for idle request {}", idx);
    if (--f.lines == 0) complete_inflight(idx, now);
    any = true;
  }
  return any;
}

void Sm::complete_inflight(uint32_t idx, Cycle now) {
  Inflight& f = inflight_[idx];
  WarpSlot& s = warps_[f.warp];
  if (f.wbar != kNone) {
    SIM_CHECK(s.sb[f.wbar] > 0, "counter SB{} underflow", f.wbar);
    --s.sb[f.wbar];
  }
  if (f.ldgsts) {
    // the group is the open one, or a committed one still in the FIFO
    const uint32_t pending_committed = s.groups_count;
    const uint32_t back = s.group_seq - f.group_seq;  // 0 = open group, 1 = newest committed, ...
    if (back == 0) {
      --s.open_group;
    } else {
      SIM_CHECK(back <= pending_committed, "LDGSTS completion for a retired group");
      --s.groups[(s.groups_head + pending_committed - back) % s.groups.size()].remaining;
      drain_groups(s);
    }
  }
  f.used = false;
  --inflight_used_;
  CtaSlot& c = ctas_[s.cta];
  --c.inflight;
  if (c.cta.done() && c.inflight == 0) warp_exited(f.warp, now);
}

void Sm::drain_groups(WarpSlot& s) {
  while (s.groups_count && s.groups[s.groups_head].remaining == 0) {
    --s.sb[s.groups[s.groups_head].counter];
    s.groups_head = (s.groups_head + 1) % s.groups.size();
    --s.groups_count;
  }
}

bool Sm::retire_events(Cycle now) {
  bool any = false;
  while (!events_.empty() && events_.top().at <= now) {
    const Event e = events_.top();
    events_.pop();
    WarpSlot& s = warps_[e.warp];
    SIM_CHECK(s.sb[e.counter] > 0, "counter SB{} underflow", e.counter);
    --s.sb[e.counter];
    any = true;
  }
  return any;
}

// ---- sleeping and reporting -----------------------------------------------------------------

// The earliest future cycle at which something can change without new input: a counter
// decrement, a stall count running out, a unit becoming free. Memory responses and freed
// port slots wake the SM themselves.
Tick Sm::next_event() const {
  const Cycle now = clk_.cycle(engine::now_tick());
  Cycle c = UINT64_MAX;
  auto consider = [&](Cycle at) {
    if (at > now) c = std::min(c, at);
  };
  if (!events_.empty()) c = std::min(c, std::max(events_.top().at, now + 1));
  for (const WarpSlot& s : warps_)
    if (s.used && s.w->runnable()) consider(s.ready);
  for (const Subcore& sc : subcores_)
    for (Cycle f : sc.unit_free) consider(f);
  return c == UINT64_MAX ? engine::kNever : clk_.edge(c);
}

bool Sm::only_barrier_waits() const {
  for (const WarpSlot& w : warps_)
    if (w.used && !w.w->done() && w.w->runnable()) return false;
  return inflight_used_ == 0 && outq_size_ == 0;
}

bool Sm::busy() const { return resident_ctas_ > 0 || outq_size_ > 0 || !doneq_.empty(); }

std::string Sm::describe() const {
  std::string s = fmt::format("{}: {} CTAs, {} memory instructions in flight, {} line requests queued\n", path(),
                              resident_ctas_, inflight_used_, outq_size_);
  // Warps grouped by what they wait for, so a dump of a full SM stays a few lines long.
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < warps_.size(); ++i) {
    const WarpSlot& w = warps_[i];
    if (!w.used || w.w->done()) continue;
    std::string why;
    if (w.w->bar_wait) why = fmt::format("at BAR.SYNC {}", w.w->bar_id);
    else if (w.w->bsync_wait) why = "at BSYNC";
    else why = fmt::format("counters SB0-5 = {} {} {} {} {} {}", w.sb[0], w.sb[1], w.sb[2], w.sb[3], w.sb[4], w.sb[5]);
    const uint32_t pc = exec::Executor::next_pc(*w.w);
    const isa::Inst& in = launch_->kernel->code[pc];
    groups[fmt::format("pc {} (line {}: {}), {}", pc, in.line, in.text, why)]
        .push_back(i);
  }
  for (const auto& [what, slots] : groups)
    s += fmt::format("  {} warp(s) {}: {}\n", slots.size(),
                     slots.size() <= 4 ? fmt::format("{}", fmt::join(slots, ",")) : fmt::format("{}..{}", slots.front(), slots.back()),
                     what);
  return s;
}

}  // namespace xpusim::gpu
