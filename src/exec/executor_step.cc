// Stepping a warp: choosing the lanes that run, moving program counters, SIMT divergence
// and reconvergence, CTA barriers and warp exit.
//
// Divergence (docs/isa.md "SIMT execution"): every lane has its own pc. While all live
// lanes agree the warp is "converged" and uses one pc (the fast path). Otherwise the warp
// runs, each step, the lanes at the lowest runnable pc. BSSY Bx records the lanes expected
// at the matching BSYNC Bx; a lane reaching BSYNC waits until every expected live lane has
// arrived. Lanes waiting at BSYNC or at a CTA barrier are not runnable.
#include <bit>

#include "src/exec/ctx.h"
#include "src/exec/executor.h"

namespace xpusim::exec {

namespace {

// Opcodes whose results only feed values (skipped in timing-only runs).
bool value_only(isa::Op op) {
  switch (op) {
    case isa::Op::FADD: case isa::Op::FMUL: case isa::Op::FFMA: case isa::Op::FMNMX:
    case isa::Op::HADD2: case isa::Op::HMUL2: case isa::Op::HFMA2: case isa::Op::HMNMX2:
    case isa::Op::DADD: case isa::Op::DMUL: case isa::Op::DFMA:
    case isa::Op::MUFU: case isa::Op::F2F: case isa::Op::F2FP: case isa::Op::I2F: case isa::Op::F2I:
    case isa::Op::HMMA: case isa::Op::IMMA:
      return true;
    default:
      return false;
  }
}

void try_reconverge(Warp& w) {
  if (!w.diverged || w.bsync_wait || w.bar_wait || !w.live) return;
  const uint32_t p = w.lane_pc[std::countr_zero(w.live)];
  bool same = true;
  for_lanes(w.live, [&](int l) { same &= w.lane_pc[l] == p; });
  if (same) {
    w.diverged = false;
    w.pc = p;
  }
}

// Advances waiting lanes past their barrier instruction.
void release_lanes(Warp& w, uint32_t lanes) {
  if (!w.diverged) {
    w.pc += 1;
  } else {
    for_lanes(lanes, [&](int l) { w.lane_pc[l] += 1; });
  }
  try_reconverge(w);
}

// Releases BSYNC waits in `w` whose expected lanes have all arrived (or exited).
void check_bsync(const isa::Kernel& k, Warp& w) {
  uint32_t pending = w.bsync_wait;
  while (pending) {
    const uint32_t pc = w.lane_pc[std::countr_zero(pending)];
    uint32_t here = 0;
    for_lanes(pending, [&](int l) {
      if (w.lane_pc[l] == pc) here |= 1u << l;
    });
    pending &= ~here;
    const uint32_t expected = w.breg[k.code[pc].src[0].reg] & w.live;
    if ((expected & ~here) == 0) {
      w.bsync_wait &= ~here;
      for_lanes(here, [&](int l) { w.lane_pc[l] = pc + 1; });
    }
  }
  try_reconverge(w);
}

}  // namespace

// Completes CTA barrier `id` if every expected thread has arrived. Returns whether it did.
bool complete_barrier(Cta& cta, uint32_t id) {
  CtaBarrier& b = cta.bars[id];
  const uint32_t expected = b.expected ? b.expected : cta.live_threads;
  if (b.arrived == 0 || b.arrived < expected) return false;
  b.arrived = 0;
  b.expected = 0;
  for (Warp& o : cta.warps) {
    if (!o.bar_wait || o.bar_id != id) continue;
    const uint32_t lanes = o.bar_wait;
    o.bar_wait = 0;
    o.groups_visible = o.groups_done;  // its waited-for copies are now the CTA's
    release_lanes(o, lanes);
  }
  return true;
}

void Executor::step(Cta& cta, Warp& w, DynInst& out, uint64_t cycle) {
  const isa::Kernel& k = *cta.launch->kernel;
  const uint32_t runnable = w.runnable();
  SIM_CHECK(runnable != 0, "step on warp {} with no runnable lane", w.index);
  uint32_t pc = w.pc, group = runnable;
  if (w.diverged) {
    pc = next_pc(w);
    group = 0;
    for_lanes(runnable, [&](int l) {
      if (w.lane_pc[l] == pc) group |= 1u << l;
    });
  }
  const isa::Inst& in = k.code[pc];
  uint32_t guard = in.guard == isa::kPT ? 0xffffffffu : w.pred[in.guard];
  if (in.guard_not) guard = ~guard;
  out.inst = &in;
  out.pc = pc;
  out.active = group;
  out.exec = group & guard;
  out.space = Space::None;
  out.bytes = 0;
  out.store = out.atomic = out.released = false;

  Ctx x{*this, cta, w, in, out, pc, group, out.exec, cycle, 0, 0, 0, 0, {}};
  if (timing_only_) check_unknown(cta, w, in);
  if (out.exec && !(timing_only_ && value_only(in.op))) handler_for(in.op)(x);
  if (timing_only_) track_unknown(cta, w, in, out);

  // Program counters.
  const uint32_t moving = group & ~x.stay & ~x.exited;
  const bool uniform = (x.taken == 0 || x.taken == moving) && (x.stay == 0 || x.stay == group) &&
                       (x.exited == 0 || x.exited == group);
  if (!w.diverged && uniform) {
    if (x.stay == 0) w.pc = x.taken ? x.target : pc + 1;
  } else {
    if (!w.diverged) {
      for_lanes(w.live, [&](int l) { w.lane_pc[l] = w.pc; });
      w.diverged = true;
    }
    for_lanes(moving & ~x.taken, [&](int l) { w.lane_pc[l] = pc + 1; });
    for_lanes(x.taken, [&](int l) { w.lane_pc[l] = x.target; });
  }
  if (x.exited) {
    w.live &= ~x.exited;
    cta.live_threads -= static_cast<uint32_t>(std::popcount(x.exited));
    if (w.live == 0) ++cta.warps_done;
    if (w.bsync_wait) check_bsync(k, w);
    for (uint32_t id = 0; id < cta.bars.size(); ++id)
      if (complete_barrier(cta, id)) out.released = true;
  }
  try_reconverge(w);
}

// ---- timing only: values not computed -------------------------------------------------------

namespace {

bool unknown(const Warp& w, int slot) { return (w.unknown[static_cast<size_t>(slot) >> 6] >> (slot & 63)) & 1; }

bool reads_unknown(const Warp& w, const isa::Inst& in) {
  uint64_t any = 0;
  for (size_t i = 0; i < w.unknown.size(); ++i) any |= w.unknown[i] & in.read_slots[i];
  return any != 0;
}

}  // namespace

// Refuses an instruction whose control flow, participation or address depends on a value
// this mode did not compute.
void Executor::check_unknown(const Cta& cta, const Warp& w, const isa::Inst& in) const {
  if (!reads_unknown(w, in)) return;
  const char* what = nullptr;
  if (in.unit == isa::Unit::BRANCH || in.op == isa::Op::BAR || in.op == isa::Op::WARPSYNC) {
    what = "this instruction's control flow";
  } else if (in.unit == isa::Unit::LSU && in.op != isa::Op::SHFL) {
    if (in.guard != isa::kPT && unknown(w, 256 + in.guard)) what = "whether this memory access happens";
    for (uint32_t i = 0; i < in.nsrc && i < in.src.size(); ++i) {
      const isa::Operand& o = in.src[i];
      if (o.kind != isa::Opd::Mem || o.reg == isa::kRZ) continue;
      for (int k = 0; k < o.width; ++k)
        if (unknown(w, o.reg + k)) what = "this memory access's address";
    }
  }
  if (!what) return;
  const isa::Kernel& k = *cta.launch->kernel;
  throw KernelFault(SourceLoc{k.file, static_cast<int>(in.line), in.col},
                    fmt::format("timing-only mode cannot run kernel '{}': {} depends on values that mode does not "
                                "compute (floating-point, tensor and conversion results, or memory written with "
                                "them); run it functionally (without --timing-only)",
                                k.name, what));
}

// Marks what the instruction wrote as not computed when it was skipped or read something not
// computed; a register is clean again only when every live lane wrote a computed value.
void Executor::track_unknown(Cta& cta, Warp& w, const isa::Inst& in, const DynInst& out) {
  if (out.exec == 0) return;  // no lane wrote anything
  bool u = value_only(in.op) || in.op == isa::Op::LDSM || reads_unknown(w, in);  // LDSM: rows checked, data not moved
  if (out.space != Space::None) {
    bool& mem = out.space == Space::Shared ? cta.shared_unknown : global_unknown_;
    if (in.op == isa::Op::LDGSTS) {
      if (global_unknown_) cta.shared_unknown = true;
    } else {
      if (out.store && u) mem = true;  // a store or atomic of values not computed
      if (!out.store || out.atomic) u |= mem;
    }
  }
  if (u) {
    for (size_t i = 0; i < w.unknown.size(); ++i) w.unknown[i] |= in.write_slots[i];
  } else if ((out.exec & w.live) == w.live) {
    for (size_t i = 0; i < w.unknown.size(); ++i) w.unknown[i] &= ~in.write_slots[i];
  }
}

void Executor::run_cta(Cta& cta) {
  DynInst d;
  while (!cta.done()) {
    bool any = false;
    for (Warp& w : cta.warps) {
      if (!w.runnable()) continue;
      any = true;
      step(cta, w, d);
    }
    if (!any) {
      // Nothing can run and the CTA is not finished: a barrier nobody else will reach.
      std::string who;
      for (const Warp& w : cta.warps) {
        if (w.done()) continue;
        who += fmt::format(" warp {}: {} lanes at BAR.SYNC {}, {} at BSYNC;", w.index, std::popcount(w.bar_wait),
                           w.bar_id, std::popcount(w.bsync_wait));
      }
      const isa::Kernel& k = *cta.launch->kernel;
      throw KernelFault(SourceLoc{k.file, 0, 0},
                        fmt::format("kernel '{}' deadlocked in CTA ({},{},{}): no warp can run;{}", k.name,
                                    cta.ctaid.x, cta.ctaid.y, cta.ctaid.z, who));
    }
  }
}

}  // namespace xpusim::exec
