// The SM: construction, CTAs, the per-cycle stage order, sleeping and dumps. Issue lives in
// sm_issue.cc, the memory pipeline in sm_lsu.cc.
#include "models/gpu/sm/sm.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <map>

#include "models/gpu/sm/sm_state.h"

namespace xpusim::gpu {

using engine::Cycle;
using engine::Tick;


Sm::Sm(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, const SmParams& p, uint16_t id)
    : Component(name, env, clk), p_(p), id_(id), fe_(p.fe) {
  rf_.assign(p_.subcores, RegFileBanks(p_.rf));
  rf_seen_.assign(p_.subcores, RegFileStats{});
  ctas_.resize(p_.max_ctas);
  warps_.resize(p_.max_warps);
  if (p_.dependence == proto::SCOREBOARD)
    for (WarpSlot& w : warps_) w.war.assign(kRegSlots, {});
  subcores_.resize(p_.subcores);
  for (auto& sc : subcores_) sc.warps.reserve(p_.max_warps);
  mem_.resize(p_.lsu.pending);
  for (uint32_t i = static_cast<uint32_t>(mem_.size()); i-- > 0;) mem_free_.push_back(i);
  outq_.resize(static_cast<size_t>(p_.lsu.pending) * 32);  // every line of every pending instruction
  doneq_.reserve(p_.max_ctas);
  std::vector<Event> ev;
  ev.reserve(4096);
  events_ = decltype(events_)(std::greater<Event>(), std::move(ev));
  auto& st = env.stats();
  stat_.warp_insts = &st.counter(path(), "warp_instructions");
  stat_.thread_insts = &st.counter(path(), "thread_instructions");
  for (size_t u = 0; u < kNumUnits; ++u) {
    const std::string un = isa::unit_name(static_cast<isa::Unit>(u));
    stat_.unit_warp_insts[u] = &st.counter(path(), "inst." + un);
    stat_.unit_thread_insts[u] = &st.counter(path(), "thread_inst." + un);
  }
  for (size_t r = 0; r < kStallNames.size(); ++r)
    stat_.stall[r] = &st.counter(path(), std::string("stall.") + kStallNames[r]);
  stat_.active_cycles = &st.counter(path(), "active_cycles");
  stat_.resident_warp_cycles = &st.counter(path(), "resident_warp_cycles");
  stat_.ctas = &st.counter(path(), "ctas");
  stat_.mem_lines = &st.counter(path(), "mem_line_requests");
  stat_.mem_sectors = &st.counter(path(), "mem_sector_requests");
  stat_.shared_wavefronts = &st.counter(path(), "shared_wavefronts");
  stat_.shared_conflicts = &st.counter(path(), "shared_bank_conflicts");
  stat_.hazards = &st.counter(path(), "control_bit_hazards");
  stat_.rf_conflict_cycles = &st.counter(path(), "rf_bank_conflict_cycles");
  stat_.rf_cache_hits = &st.counter(path(), "rf_cache_hits");
  stat_.tensor_busy = &st.counter(path(), "tensor_pipe_busy_cycles");
  stat_.processed_cycles = &st.counter(path(), "processed_cycles");
  energy_.issue = &energy_counter("issue");
  energy_.rf_reads = &energy_counter("rf_read");
  energy_.rf_cache_reads = &energy_counter("rf_cache_read");
  energy_.rf_writes = &energy_counter("rf_write");
  energy_.shared_accesses = &energy_counter("shared_access");
  energy_.icache_accesses = &energy_counter("icache_access");
  energy_.shared_bytes = &st.counter(path(), "shared_bytes");
}

Sm::~Sm() = default;

void Sm::begin_kernel(const exec::Launch* launch, const std::vector<InstTiming>* timing, uint64_t code_base,
                      exec::Executor* ex) {
  launch_ = launch;
  timing_ = timing;
  code_base_ = code_base;
  ex_ = ex;
  // Control bits the assembler computed from this machine's own latencies cannot be too
  // short; hand-written ones (or traces) are checked.
  track_registers_ = p_.dependence != proto::CONTROL_BITS || launch->kernel->ctrl_given;
  for (const InstTiming& t : *timing) {
    uint64_t*& c = energy_.ops[static_cast<size_t>(t.cost.kind)];
    if (t.cost.kind != energy::OpKind::kNone && !c) c = &energy_counter(energy::op_kind_name(t.cost.kind));
  }
}

bool Sm::do_cycle(Cycle now) {
  ++*stat_.processed_cycles;
  account(now);
  // back to front: results first, then the memory pipeline, issue, new requests and new work
  bool progress = retire_events(now);
  progress |= receive_memory(now);
  progress |= lsu_cycle(now);
  progress |= issue(now);
  progress |= send_memory(now);
  uint16_t greedy[8];
  for (size_t s = 0; s < subcores_.size() && s < 8; ++s) greedy[s] = subcores_[s].greedy;
  if (fe_.fetch(now, greedy)) {
    progress = true;
    for (uint16_t w : fe_.refilled()) mark_dirty(w);
    fe_.clear_refilled();
    const FrontEndStats& f = fe_.stats();
    *energy_.icache_accesses += (f.l0_hits + f.l0_misses) - (fe_seen_.l0_hits + fe_seen_.l0_misses);
    fe_seen_ = f;
  }
  progress |= receive_ctas(now);
  return progress;
}

// Copies a sub-core's register-file statistics into the SM's counters.
void Sm::sync_substats(uint16_t subcore) {
  const RegFileStats& st = rf_[subcore].stats();
  RegFileStats& seen = rf_seen_[subcore];
  *energy_.rf_reads += st.reads - seen.reads;
  *energy_.rf_cache_reads += st.cache_hits - seen.cache_hits;
  *stat_.rf_cache_hits += st.cache_hits - seen.cache_hits;
  *stat_.rf_conflict_cycles += st.conflict_cycles - seen.conflict_cycles;
  seen = st;
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

void Sm::set_resident(int delta, Cycle now) {
  *stat_.resident_warp_cycles += static_cast<uint64_t>(resident_warps_) * (now - occ_since_);
  occ_since_ = now;
  resident_warps_ = static_cast<uint32_t>(static_cast<int>(resident_warps_) + delta);
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
    std::vector<std::array<Cycle, 4>> war = std::move(s.war);
    s = WarpSlot{};
    s.war = std::move(war);
    for (auto& a : s.war) a.fill(0);
    s.used = true;
    s.cta = ci;
    s.w = &w;
    s.subcore = static_cast<uint16_t>(wi % p_.subcores);
    s.age = next_age_++;
    s.stall_until = now;
    s.reason_since = now;
    ++reasons_[static_cast<size_t>(s.reason)];
    subcores_[s.subcore].warps.push_back(wi);
    mark_dirty(wi);
    c.warp_slots.push_back(wi);
    fe_.start_warp(wi, code_base_, 0, s.age);
  }
  if (resident_ctas_++ == 0) busy_since_ = now;
  set_resident(static_cast<int>(c.cta.warps.size()), now);
  ++*stat_.ctas;
}

void Sm::warp_exited(uint16_t slot, Cycle now) {
  WarpSlot& s = warps_[slot];
  CtaSlot& c = ctas_[s.cta];
  if (!c.cta.done() || c.inflight) return;
  // every warp of the CTA has exited and its memory traffic has drained
  for (uint16_t wi : c.warp_slots) {
    Subcore& sc = subcores_[warps_[wi].subcore];
    sc.warps.erase(std::find(sc.warps.begin(), sc.warps.end(), wi));
    sc.dirty = true;
    if (sc.greedy == wi) sc.greedy = UINT16_MAX;
    rf_[warps_[wi].subcore].invalidate_warp(wi);
    fe_.stop_warp(wi);
    set_reason(warps_[wi], Stall::Selected, now);  // closes the pipeline view's last interval
    --reasons_[static_cast<size_t>(Stall::Selected)];
    warps_[wi].used = false;
    warps_[wi].w = nullptr;
  }
  c.used = false;
  doneq_.push_back({id_, c.cta.linear_id});
  set_resident(-static_cast<int>(c.cta.warps.size()), now + 1);
  if (--resident_ctas_ == 0) *stat_.active_cycles += now + 1 - busy_since_;
}

// ---- events ---------------------------------------------------------------------------------

void Sm::schedule(Cycle at, uint16_t warp, uint8_t kind, uint8_t arg, uint32_t idx) {
  events_.push({at, idx, warp, kind, arg});
}

bool Sm::retire_events(Cycle now) {
  bool any = false;
  while (!events_.empty() && events_.top().at <= now) {
    const Event e = events_.top();
    events_.pop();
    any = true;
    if (e.kind == kMemDone) {
      complete_memory(e.idx, now);
      continue;
    }
    WarpSlot& s = warps_[e.warp];
    mark_dirty(e.warp);
    if (e.kind == kSbInc) {
      ++s.sb[e.arg];
    } else {
      SIM_CHECK(s.sb[e.arg] > 0, "{}: counter SB{} of warp slot {} underflows", path(), e.arg, e.warp);
      --s.sb[e.arg];
    }
  }
  return any;
}

// ---- stall accounting -------------------------------------------------------------------------

// Every resident warp is classified every cycle: the reason decided in the last processed
// cycle also holds for the cycles the SM slept through (nothing changed meanwhile).
void Sm::account(Cycle now) {
  if (now <= accounted_) return;
  const Cycle gap = now - accounted_;
  for (size_t r = 0; r < reasons_.size(); ++r)
    if (reasons_[r]) *stat_.stall[r] += gap * reasons_[r];
  accounted_ = now;
}

// ---- sleeping and reporting -----------------------------------------------------------------

// The earliest future cycle at which something can change without new input. Memory
// responses, new CTAs and freed port slots wake the SM themselves.
Tick Sm::next_event() const {
  const Cycle now = clk_.cycle(engine::now_tick());
  Cycle c = UINT64_MAX;
  auto consider = [&](Cycle at) {
    if (at > now) c = std::min(c, at);
  };
  if (!events_.empty()) c = std::min(c, std::max(events_.top().at, now + 1));
  consider(fe_.next_event(now));
  for (const Subcore& sc : subcores_) {
    if (sc.warps.empty()) continue;
    consider(sc.dirty ? now + 1 : sc.wake);
    if (!sc.lsu_queue.empty()) consider(std::max(sc.addr_free, now + 1));
  }
  return c == UINT64_MAX ? engine::kNever : clk_.edge(c);
}

bool Sm::busy() const { return resident_ctas_ > 0 || outq_size_ > 0 || !doneq_.empty(); }

bool Sm::only_barrier_waits() const {
  for (const WarpSlot& w : warps_)
    if (w.used && !w.w->done() && w.w->runnable()) return false;
  return mem_free_.size() == mem_.size() && outq_size_ == 0;
}

std::string Sm::describe() const {
  std::string s = fmt::format("{}: {} CTAs, {} memory instructions in flight, {} line requests queued\n", path(),
                              resident_ctas_, mem_.size() - mem_free_.size(), outq_size_);
  // Warps grouped by what they wait for, so a dump of a full SM stays a few lines long.
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < warps_.size(); ++i) {
    const WarpSlot& w = warps_[i];
    if (!w.used || w.w->done()) continue;
    std::string why;
    if (w.w->bar_wait) why = fmt::format("at BAR.SYNC {}", w.w->bar_id);
    else if (w.w->bsync_wait) why = "at BSYNC";
    else why = fmt::format("{}, counters SB0-5 = {} {} {} {} {} {}", kStallNames[static_cast<size_t>(w.reason)],
                           w.sb[0], w.sb[1], w.sb[2], w.sb[3], w.sb[4], w.sb[5]);
    const uint32_t pc = exec::Executor::next_pc(*w.w);
    const isa::Inst& in = launch_->kernel->code[pc];
    groups[fmt::format("pc {} (line {}: {}), {}", pc, in.line, in.text, why)].push_back(i);
  }
  for (const auto& [what, slots] : groups)
    s += fmt::format("  {} warp(s) {}: {}\n", slots.size(),
                     slots.size() <= 4 ? fmt::format("{}", fmt::join(slots, ","))
                                       : fmt::format("{}..{}", slots.front(), slots.back()),
                     what);
  return s;
}

}  // namespace xpusim::gpu
