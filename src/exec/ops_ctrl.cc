// Special registers, warp-wide operations, branches, convergence barriers, CTA barriers
// and EXIT (docs/isa.md "SIMT execution").
#include <bit>

#include "src/exec/ctx.h"

namespace xpusim::exec {
namespace {

using isa::SReg;

uint32_t sreg_value(const Ctx& x, SReg r, int lane) {
  const Launch& L = *x.cta.launch;
  const uint32_t t = x.w.index * 32 + static_cast<uint32_t>(lane);
  switch (r) {
    case SReg::TID_X: return t % L.block.x;
    case SReg::TID_Y: return (t / L.block.x) % L.block.y;
    case SReg::TID_Z: return t / (L.block.x * L.block.y);
    case SReg::CTAID_X: return x.cta.ctaid.x;
    case SReg::CTAID_Y: return x.cta.ctaid.y;
    case SReg::CTAID_Z: return x.cta.ctaid.z;
    case SReg::NTID_X: return L.block.x;
    case SReg::NTID_Y: return L.block.y;
    case SReg::NTID_Z: return L.block.z;
    case SReg::NCTAID_X: return L.grid.x;
    case SReg::NCTAID_Y: return L.grid.y;
    case SReg::NCTAID_Z: return L.grid.z;
    case SReg::LANEID: return static_cast<uint32_t>(lane);
    case SReg::WARPID: return x.w.index;
    case SReg::SMID: return x.cta.sm_id;
    case SReg::CLOCKLO: return static_cast<uint32_t>(x.cycle);
    case SReg::CLOCKHI: return static_cast<uint32_t>(x.cycle >> 32);
    case SReg::LANEMASK_EQ: return 1u << lane;
    case SReg::LANEMASK_LT: return (1u << lane) - 1;
    case SReg::LANEMASK_LE: return lane == 31 ? ~0u : (2u << lane) - 1;
    case SReg::LANEMASK_GT: return lane == 31 ? 0u : ~((2u << lane) - 1);
    case SReg::LANEMASK_GE: return ~((1u << lane) - 1);
    case SReg::kCount: break;
  }
  return 0;
}

void op_s2r(Ctx& x) {
  const auto r = static_cast<SReg>(x.in.src[0].reg);
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) { d[l] = sreg_value(x, r, l); });
}

// shfl.sync semantics (PTX ISA): c packs the clamp value (bits 0-4) and the segment mask
// (bits 8-12). A lane whose source is out of its segment keeps its own value; Pd says
// whether the source was in range.
void op_shfl(Ctx& x) {
  uint32_t tb[32], tc[32];
  const uint32_t* a = x.w.regs + static_cast<size_t>(x.in.src[0].reg) * 32;
  static const uint32_t kZero[32] = {};
  if (x.in.src[0].reg == isa::kRZ) a = kZero;
  const uint32_t *b = x.u32(1, tb), *c = x.u32(2, tc);
  uint32_t vals[32];
  uint32_t in_range = 0;
  const uint8_t mode = x.in.m.func;
  for_lanes(x.exec, [&](int l) {
    const uint32_t lane = static_cast<uint32_t>(l), bv = b[l] & 31, cv = c[l] & 31, seg = (c[l] >> 8) & 31;
    const uint32_t max_lane = (lane & seg) | (cv & ~seg), min_lane = lane & seg;
    uint32_t j = lane;
    bool p = false;
    switch (mode) {
      case 2: j = lane - bv, p = static_cast<int32_t>(j) >= static_cast<int32_t>(max_lane); break;  // UP
      case 3: j = lane + bv, p = j <= max_lane; break;                                               // DOWN
      case 4: j = lane ^ bv, p = j <= max_lane; break;                                               // BFLY
      default: j = min_lane | (bv & ~seg), p = j <= max_lane; break;                                 // IDX
    }
    if (!p) j = lane;
    vals[l] = a[j & 31];
    if (p) in_range |= 1u << l;
  });
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) { d[l] = vals[l]; });
  if (x.in.ndst > 1) x.set_pred(1, in_range, x.exec);
}

void op_vote(Ctx& x) {
  const uint32_t p = x.pred(0) & x.exec;
  const uint8_t mode = x.in.m.func;
  const bool r = mode == 1 ? p == x.exec : mode == 2 ? p != 0 : (p == 0 || p == x.exec);
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) { d[l] = p; });
  x.set_pred(1, r ? 0xffffffffu : 0u, x.exec);
}

void op_redux(Ctx& x) {
  uint32_t t[32];
  const uint32_t* a = x.u32(0, t);
  const bool sgn = static_cast<isa::DataType>(x.in.m.type) == isa::DataType::S32;
  const uint8_t op = x.in.m.func;
  uint32_t acc = 0;
  bool first = true;
  for_lanes(x.exec, [&](int l) {
    const uint32_t v = a[l];
    if (first) {
      acc = v, first = false;
      return;
    }
    switch (op) {
      case 1: acc += v; break;
      case 2: acc = sgn ? static_cast<uint32_t>(std::min(static_cast<int32_t>(acc), static_cast<int32_t>(v))) : std::min(acc, v); break;
      case 3: acc = sgn ? static_cast<uint32_t>(std::max(static_cast<int32_t>(acc), static_cast<int32_t>(v))) : std::max(acc, v); break;
      case 4: acc &= v; break;
      case 5: acc |= v; break;
      case 6: acc ^= v; break;
    }
  });
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) { d[l] = acc; });
}

void op_bra(Ctx& x) {
  x.taken = x.exec;
  x.target = static_cast<uint32_t>(x.in.src[0].imm);
}

void op_bssy(Ctx& x) { x.w.breg[x.in.src[0].reg] = x.exec; }

void op_bsync(Ctx& x) {
  Warp& w = x.w;
  const uint32_t expected = w.breg[x.in.src[0].reg] & w.live;
  uint32_t here = 0;  // lanes already waiting at this BSYNC
  if (w.diverged)
    for_lanes(w.bsync_wait, [&](int l) {
      if (w.lane_pc[l] == x.pc) here |= 1u << l;
    });
  if ((expected & ~(here | x.exec)) == 0) {  // everyone expected is here: all continue
    w.bsync_wait &= ~here;
    for_lanes(here, [&](int l) { w.lane_pc[l] = x.pc + 1; });
    return;
  }
  w.bsync_wait |= x.exec;
  x.stay = x.exec;
}

void op_exit(Ctx& x) { x.exited = x.exec; }

// BAR.SYNC [id [, count]]: the executing lanes wait until `count` threads (default: every
// live thread of the CTA) have arrived at barrier id.
void op_bar(Ctx& x) {
  uint32_t id = 0, count = 0;
  uint32_t t[32];
  const int first = std::countr_zero(x.exec);
  if (x.in.nsrc >= 1) id = x.u32(0, t)[first];
  if (x.in.nsrc >= 2) count = x.u32(1, t)[first];
  if (id > 15) x.faultf("barrier id {} out of range 0..15", id);
  if (count % 32 != 0 || count > x.cta.launch->threads_per_cta() + 31)
    x.faultf("barrier thread count {} must be a multiple of 32 no larger than the CTA", count);
  if (x.w.bar_wait && x.w.bar_id != id)
    x.faultf("warp {} waits on barriers {} and {} at once", x.w.index, x.w.bar_id, id);
  CtaBarrier& b = x.cta.bars[id];
  if (b.arrived && b.expected != count)
    x.faultf("barrier {} used with thread counts {} and {} in one phase", id, b.expected, count);
  b.expected = count;
  b.arrived += static_cast<uint32_t>(std::popcount(x.exec));
  x.w.bar_wait |= x.exec;
  x.w.bar_id = static_cast<uint8_t>(id);
  x.stay = x.exec;
  if (complete_barrier(x.cta, id)) {
    // The release moved this warp's lanes to pc + 1, which is also where the generic pc
    // update sends lanes that do not stay.
    x.out.released = true;
    x.stay = 0;
  }
}

void op_nop(Ctx&) {}

// LDGDEPBAR closes the warp's open cp.async commit group; DEPBAR.LE SBx, n waits until at most
// n of its groups are in flight (the copies were made at issue: this records which may be read).
void op_ldgdepbar(Ctx& x) { ++x.w.groups_committed; }
void op_depbar(Ctx& x) {
  const int64_t n = x.in.nsrc >= 2 ? x.in.src[1].imm : 0;
  const uint32_t in_flight = static_cast<uint32_t>(std::max<int64_t>(n, 0));
  if (x.w.groups_committed > in_flight)
    x.w.groups_done = std::max(x.w.groups_done, x.w.groups_committed - in_flight);
}

}  // namespace

void register_ctrl_handlers(Handler* t) {
  using isa::Op;
  auto set = [&](Op op, Handler h) { t[static_cast<size_t>(op)] = h; };
  set(Op::S2R, op_s2r);
  set(Op::SHFL, op_shfl);
  set(Op::VOTE, op_vote);
  set(Op::REDUX, op_redux);
  set(Op::BRA, op_bra);
  set(Op::BSSY, op_bssy);
  set(Op::BSYNC, op_bsync);
  set(Op::EXIT, op_exit);
  set(Op::BAR, op_bar);
  set(Op::NOP, op_nop);
  set(Op::WARPSYNC, op_nop);
  set(Op::LDGDEPBAR, op_ldgdepbar);
  set(Op::DEPBAR, op_depbar);
}

}  // namespace xpusim::exec
