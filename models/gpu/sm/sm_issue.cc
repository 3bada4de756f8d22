// Issue: which warps may issue (and why the others may not), the scheduling policies, and
// what issuing an instruction does to the pipeline, the dependence state and the units.
#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "models/gpu/sm/pipeline_trace.h"
#include "models/gpu/sm/sm.h"
#include "models/gpu/sm/sm_state.h"

namespace xpusim::gpu {

using engine::Cycle;

namespace {

bool global_space(isa::Op op) {
  switch (op) {
    case isa::Op::LDG:
    case isa::Op::STG:
    case isa::Op::LDL:
    case isa::Op::STL:
    case isa::Op::ATOM:
    case isa::Op::RED:
    case isa::Op::LDGSTS: return true;
    default: return false;
  }
}

// Reasons that depend on the sub-core's shared structures (Allocate, units, memory queues).
bool structural(Stall r) {
  return r == Stall::DispatchStall || r == Stall::MathPipeThrottle || r == Stall::LgThrottle ||
         r == Stall::MioThrottle;
}

}  // namespace

// Why the warp cannot issue at `now` (Stall::NotSelected: it can), and from when the answer
// may differ without an event (see Subcore::wake).
Stall Sm::blocked_by(WarpSlot& s, Cycle now, Cycle& wake) const {
  const exec::Warp& w = *s.w;
  const uint16_t slot = static_cast<uint16_t>(&s - warps_.data());
  auto until = [&](Cycle c) { wake = std::min(wake, c); };
  if (w.done()) return Stall::Drain;        // events: the CTA's memory drains
  if (!w.runnable()) return Stall::Barrier; // events: a barrier completes
  if (!fe_.ready(slot, now)) {
    until(fe_.head_ready(slot));  // an empty buffer's refill is an event
    return s.redirected ? Stall::BranchResolving : Stall::NoInstruction;
  }
  const uint32_t pc = fe_.head_pc(slot);
  const isa::Inst& in = launch_->kernel->code[pc];
  const InstTiming& t = (*timing_)[pc];
  if (p_.dependence == proto::CONTROL_BITS) {
    if (now < s.stall_until) {
      until(s.stall_until);
      return Stall::Wait;
    }
    const uint8_t blocked = in.ctrl.wait & s.sb_nonzero();
    if (blocked) return (blocked & s.sb_long) ? Stall::LongScoreboard : Stall::ShortScoreboard;  // events
  } else {
    // Every register condition that blocks the warp, and when the last of them clears.
    Stall r = Stall::NotSelected;
    Cycle clear = now;
    auto block = [&](Cycle at, bool long_latency) {
      clear = std::max(clear, at);
      if (long_latency) r = Stall::LongScoreboard;
      else if (r == Stall::NotSelected) r = Stall::ShortScoreboard;
    };
    auto raw = [&](int sl) {
      if (s.ready[sl] > now) block(s.ready[sl], s.is_long(sl));
    };
    for_each_read(in, raw);
    for_each_write(in, raw);
    for_each_write(in, [&](int sl) {  // WAR: a pending read by a variable-latency instruction
      for (Cycle c : s.war[sl])
        if (c > now) block(c, false);
    });
    if (t.variable && p_.scoreboard_war_consumers) {  // room to track this instruction's reads
      for_each_read(in, [&](int sl) {
        uint32_t pending = 0;
        Cycle first = UINT64_MAX;
        for (Cycle c : s.war[sl])
          if (c > now) ++pending, first = std::min(first, c);
        if (pending >= std::min<uint32_t>(p_.scoreboard_war_consumers, 4)) block(first, false);
      });
    }
    if (r != Stall::NotSelected) {
      until(clear);  // UINT64_MAX while a load is outstanding: its completion is an event
      return r;
    }
  }
  if (in.op == isa::Op::DEPBAR && s.sb[in.src[0].reg] > in.src[1].imm) return Stall::LongScoreboard;  // events
  const Subcore& sc = subcores_[s.subcore];
  if (now + 2 < sc.alloc_free) {
    until(sc.alloc_free - 2);
    return Stall::DispatchStall;
  }
  if (sc.unit_free[t.unit] > now) {
    until(sc.unit_free[t.unit]);
    return Stall::MathPipeThrottle;
  }
  if (t.memory && (sc.lsu_queue.size() >= p_.lsu.subcore_queue || mem_free_.empty()))  // events
    return global_space(in.op) ? Stall::LgThrottle : Stall::MioThrottle;
  until(now + 1);
  return Stall::NotSelected;
}

// Classifies every warp of the sub-core and picks one eligible warp by the policy.
uint16_t Sm::pick(Subcore& sc, Cycle now) {
  Cycle wake = UINT64_MAX;
  for (uint16_t wi : sc.warps) {
    WarpSlot& s = warps_[wi];
    if (s.dirty || now >= s.wake) {
      s.wake = UINT64_MAX;
      set_reason(s, blocked_by(s, now, s.wake), now);
      s.dirty = false;
    }
    wake = std::min(wake, s.wake);
  }
  sc.wake = wake;
  sc.dirty = false;
  auto eligible = [&](uint16_t wi) { return warps_[wi].reason == Stall::NotSelected; };
  const auto& ws = sc.warps;
  switch (p_.policy) {
    case proto::LRR:
      for (size_t i = 0; i < ws.size(); ++i) {
        const uint16_t cand = ws[(sc.rr + i) % ws.size()];
        if (eligible(cand)) return cand;
      }
      return UINT16_MAX;
    case proto::CGGTY:  // greedy, then youngest
      if (sc.greedy != UINT16_MAX && eligible(sc.greedy)) return sc.greedy;
      for (auto it = ws.rbegin(); it != ws.rend(); ++it)
        if (eligible(*it)) return *it;
      return UINT16_MAX;
    default:  // GTO: greedy, then oldest
      if (sc.greedy != UINT16_MAX && eligible(sc.greedy)) return sc.greedy;
      for (uint16_t cand : ws)
        if (eligible(cand)) return cand;
      return UINT16_MAX;
  }
}

bool Sm::issue(Cycle now) {
  bool any = false;
  for (Subcore& sc : subcores_) {
    if (sc.warps.empty() || (!sc.dirty && now < sc.wake)) continue;  // nothing can have changed
    const uint16_t slot = pick(sc, now);
    if (slot == UINT16_MAX) continue;
    if (p_.policy == proto::LRR) {
      const auto it = std::find(sc.warps.begin(), sc.warps.end(), slot);
      sc.rr = static_cast<uint32_t>(it - sc.warps.begin() + 1);
    }
    sc.greedy = slot;
    set_reason(warps_[slot], Stall::Selected, now);
    warps_[slot].wake = sc.wake = now + 1;
    issue_one(slot, now);
    // The issue moved the sub-core's Allocate stage, a unit and maybe its memory queue: warps
    // held by those structures may now be held by another (the checks' order decides).
    for (uint16_t wi : sc.warps)
      if (structural(warps_[wi].reason)) mark_dirty(wi);
    any = true;
  }
  return any;
}

void Sm::mark_dirty(uint16_t slot) {
  warps_[slot].dirty = true;
  subcores_[warps_[slot].subcore].dirty = true;
}

void Sm::mark_all_dirty() {
  for (Subcore& sc : subcores_) {
    sc.dirty = true;
    for (uint16_t wi : sc.warps) warps_[wi].dirty = true;
  }
}

void Sm::set_reason(WarpSlot& s, Stall r, Cycle now) {
  if (r == s.reason) return;
  --reasons_[static_cast<size_t>(s.reason)];
  ++reasons_[static_cast<size_t>(r)];
  if (trace_ && s.reason != Stall::Selected && now > s.reason_since &&
      trace_->wants(id_, ctas_[s.cta].cta.linear_id, s.w->index))
    trace_->stall(id_, ctas_[s.cta].cta.linear_id, s.w->index, kStallNames[static_cast<size_t>(s.reason)],
                  s.reason_since, now);
  s.reason = r;
  s.reason_since = now;
}

// ---- issuing one instruction ----------------------------------------------------------------

void Sm::check_hazards(WarpSlot& s, const isa::Inst& in, Cycle now) {
  bool hazard = false;
  for_each_read(in, [&](int sl) { hazard |= s.ready[sl] > now; });
  for_each_write(in, [&](int sl) { hazard |= s.ready[sl] > now; });
  if (!hazard) return;
  ++*stat_.hazards;
  if (hazard_warnings_++ < 3)
    env_.warn("hazard", fmt::format("{}:{}: '{}' issued at cycle {} before a register it uses was written: its "
                                    "control bits (stall count or wait mask) are too short; on hardware it would "
                                    "read a stale value ({})",
                                    launch_->kernel->file, in.line, in.text, now, path()));
}

// Dependence counters (control bits) and the scoreboard's record of pending writes and reads.
void Sm::issue_counters(WarpSlot& s, uint16_t slot, const isa::Inst& in, Cycle now, Cycle read_done, Cycle done,
                        Cycle nominal) {
  const bool bits = p_.dependence == proto::CONTROL_BITS;
  // (LDGDEPBAR's write counter counts LDGSTS groups: issue_one handles it.)
  if (bits && in.ctrl.wbar != kNoCounter && done != UINT64_MAX && in.op != isa::Op::LDGDEPBAR) {
    schedule(now + 2, slot, kSbInc, in.ctrl.wbar);  // visible one cycle after Control
    schedule(std::max(done, now + 2), slot, kSbDec, in.ctrl.wbar);
  }
  if (bits && in.ctrl.rbar != kNoCounter) {
    schedule(now + 2, slot, kSbInc, in.ctrl.rbar);
    schedule(std::max(read_done, now + 2), slot, kSbDec, in.ctrl.rbar);
  }
  // When each written register holds its value. The scoreboard waits for the actual time; the
  // control-bit hazard check uses the nominal latency, since a producer's register-port delay
  // delays its consumers in the same in-order pipeline too (Huerta et al. §5.3: bank conflicts
  // never change the stall counts a program needs).
  if (!track_registers_) return;
  const Cycle when = bits && done != UINT64_MAX ? std::min(done, nominal) : done;
  for_each_write(in, [&](int sl) {
    s.ready[sl] = when;  // UINT64_MAX until a memory access completes
    s.set_long(sl, false);
  });
  if (!bits && !in.fixed_latency)
    for_each_read(in, [&](int sl) {  // replace the earliest-ending pending read
      auto& w = s.war[sl];
      *std::min_element(w.begin(), w.end()) = read_done;
    });
}

// A fixed-latency instruction: Control, Allocate (register ports, RF cache), read, execute.
void Sm::fixed_pipeline(WarpSlot& s, const isa::Inst& in, const InstTiming& t, Cycle now) {
  Subcore& sc = subcores_[s.subcore];
  const uint16_t slot = static_cast<uint16_t>(&s - warps_.data());
  const Cycle a0 = std::max(now + 2, sc.alloc_free);
  const Cycle a = rf_[s.subcore].allocate(in, slot, a0);
  sync_substats(s.subcore);
  sc.alloc_free = a + 1;
  const Cycle delay = a - (now + 2);
  const Cycle done = now + t.latency + delay;
  sc.unit_free[t.unit] = now + t.interval + delay;
  if (in.unit == isa::Unit::TENSOR) *stat_.tensor_busy += t.interval;
  issue_counters(s, slot, in, now, a + p_.rf.read_cycles, done, now + t.latency);
  if (trace_ && trace_->wants(id_, ctas_[s.cta].cta.linear_id, s.w->index))
    trace_->inst(id_, ctas_[s.cta].cta.linear_id, s.w->index, dyn_.pc, in.text, now, a + 1, done,
                 isa::unit_name(in.unit));
}

void Sm::issue_one(uint16_t slot, Cycle now) {
  WarpSlot& s = warps_[slot];
  CtaSlot& c = ctas_[s.cta];
  const uint32_t pc = fe_.head_pc(slot);
  exec::DynInst& d = dyn_;
  const uint32_t live = s.w->live;
  ex_->step(c.cta, *s.w, d, now);
  // A barrier arrival, or exiting threads a barrier was waiting for, can release other warps.
  if (d.inst->op == isa::Op::BAR || s.w->live != live) mark_all_dirty();
  SIM_CHECK(d.pc == pc, "{}: warp slot {} ran pc {} but its instruction buffer held pc {}", path(), slot, d.pc, pc);
  const isa::Inst& in = *d.inst;
  const InstTiming& t = (*timing_)[pc];
  fe_.pop(slot);
  s.redirected = false;
  if (!s.w->done() && s.w->runnable()) {
    const uint32_t next = exec::Executor::next_pc(*s.w);
    if (next != fe_.head_pc(slot)) {
      fe_.redirect(slot, next);
      s.redirected = true;
    }
  }
  const size_t u = t.unit;
  ++*stat_.warp_insts;
  ++*stat_.unit_warp_insts[u];
  const uint64_t threads = static_cast<uint64_t>(std::popcount(d.exec));
  *stat_.thread_insts += threads;
  *stat_.unit_thread_insts[u] += threads;
  ++*energy_.issue;
  for (int i = 0; i < in.nwrites; ++i) *energy_.rf_writes += in.writes[i].count;
  if (t.cost.kind != energy::OpKind::kNone)  // datapath operations (energy, FLOPs): src/energy/op_class.h
    *energy_.ops[static_cast<size_t>(t.cost.kind)] += t.cost.ops(static_cast<uint32_t>(threads));

  if (p_.dependence == proto::CONTROL_BITS) {
    if (track_registers_) check_hazards(s, in, now);
    s.stall_until = now + std::max<uint32_t>(in.ctrl.stall, in.ctrl.yield ? 2 : 1);
  } else {
    s.stall_until = now + 1;
  }
  if (in.op == isa::Op::LDGDEPBAR) {  // commit the open LDGSTS group on the instruction's counter
    if (in.ctrl.wbar != kNoCounter) {
      SIM_CHECK(s.groups_count < s.groups.size(), "warp has more than {} LDGSTS groups pending", s.groups.size());
      s.groups[(s.groups_head + s.groups_count++) % s.groups.size()] = {s.open_group, in.ctrl.wbar};
      ++s.sb[in.ctrl.wbar];
      s.sb_long |= static_cast<uint8_t>(1 << in.ctrl.wbar);
    }
    s.open_group = 0;
    ++s.group_seq;
    drain_groups(s);
  }
  if (t.memory) {
    subcores_[s.subcore].unit_free[u] = now + t.interval;
    enqueue_memory(slot, d, now);
  } else if (t.variable) {  // SFU, S2R: operands read with low priority, no Allocate
    const Cycle read = rf_[s.subcore].read_late(in, now + 2);
    sync_substats(s.subcore);
    subcores_[s.subcore].unit_free[u] = now + t.interval;
    const Cycle done = std::max<Cycle>(now + t.latency, read + 1);
    issue_counters(s, slot, in, now, read + 1, done, now + t.latency);
    if (trace_ && trace_->wants(id_, c.cta.linear_id, s.w->index))
      trace_->inst(id_, c.cta.linear_id, s.w->index, pc, in.text, now, read + 1, done, isa::unit_name(in.unit));
  } else {
    fixed_pipeline(s, in, t, now);
  }
  if (s.w->done()) warp_exited(slot, now);
}

}  // namespace xpusim::gpu
