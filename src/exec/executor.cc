#include "src/exec/executor.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "src/exec/ctx.h"

namespace xpusim::exec {

using isa::Inst;
using isa::Opd;

// ---- handler table ------------------------------------------------------------------------

namespace {

struct HandlerTable {
  std::array<Handler, static_cast<size_t>(isa::Op::kCount)> h{};
  HandlerTable() {
    register_int_handlers(h.data());
    register_float_handlers(h.data());
    register_sfu_handlers(h.data());
    register_mem_handlers(h.data());
    register_ctrl_handlers(h.data());
    register_tensor_handlers(h.data());
  }
};

}  // namespace

Handler handler_for(isa::Op op) {
  static const HandlerTable t;
  return t.h[static_cast<size_t>(op)];
}

// ---- Ctx sources --------------------------------------------------------------------------

namespace {

uint32_t select(uint32_t v, isa::Sel s) {
  switch (s) {
    case isa::Sel::None: return v;
    case isa::Sel::H0: return v & 0xffff;
    case isa::Sel::H1: return v >> 16;
    case isa::Sel::H0_H0: return (v & 0xffff) | (v << 16);
    case isa::Sel::H1_H1: return (v >> 16) | (v & 0xffff0000u);
    case isa::Sel::B0: return v & 0xff;
    case isa::Sel::B1: return (v >> 8) & 0xff;
    case isa::Sel::B2: return (v >> 16) & 0xff;
    case isa::Sel::B3: return v >> 24;
  }
  return v;
}

// Raw 32-lane source vector, before '-', '~' and '| |'.
const uint32_t* raw(const Ctx& x, const isa::Operand& o, uint32_t* tmp) {
  static const uint32_t kZero[32] = {};
  switch (o.kind) {
    case Opd::Reg:
      if (o.reg == isa::kRZ) return kZero;
      if (o.sel == isa::Sel::None) return x.w.regs + static_cast<size_t>(o.reg) * 32;
      for (int l = 0; l < 32; ++l) tmp[l] = select(x.w.regs[o.reg * 32 + l], o.sel);
      return tmp;
    case Opd::Imm:
      for (int l = 0; l < 32; ++l) tmp[l] = static_cast<uint32_t>(o.imm);
      return tmp;
    case Opd::Const: {
      const uint32_t v = x.cbank_u32(static_cast<uint32_t>(o.imm));
      for (int l = 0; l < 32; ++l) tmp[l] = v;
      return tmp;
    }
    default:
      return kZero;
  }
}

}  // namespace

uint32_t Ctx::cbank_u32(uint32_t offset) const {
  const auto& cb = cta.launch->cbank;
  if (offset + 4 > cb.size()) faultf("constant bank read at offset {} past its {} bytes", offset, cb.size());
  uint32_t v;
  std::memcpy(&v, cb.data() + offset, 4);
  return v;
}

const uint32_t* Ctx::u32(int i, uint32_t* tmp) const {
  const isa::Operand& o = in.src[i];
  const uint32_t* v = raw(*this, o, tmp);
  const uint8_t f = o.flags & (isa::kNeg | isa::kNot | isa::kAbs);
  if (!f) return v;
  for (int l = 0; l < 32; ++l) {
    uint32_t a = v[l];
    if (f & isa::kAbs) a = static_cast<int32_t>(a) < 0 ? 0u - a : a;
    if (f & isa::kNeg) a = 0u - a;
    if (f & isa::kNot) a = ~a;
    tmp[l] = a;
  }
  return tmp;
}

const uint32_t* Ctx::u32_unnegated(int i, uint32_t* tmp) const {
  isa::Operand o = in.src[i];
  const uint32_t* v = raw(*this, o, tmp);
  const uint8_t f = o.flags & (isa::kNot | isa::kAbs);
  if (!f) return v;
  for (int l = 0; l < 32; ++l) {
    uint32_t a = v[l];
    if (f & isa::kAbs) a = static_cast<int32_t>(a) < 0 ? 0u - a : a;
    if (f & isa::kNot) a = ~a;
    tmp[l] = a;
  }
  return tmp;
}

const uint32_t* Ctx::f32(int i, uint32_t* tmp) const {
  const isa::Operand& o = in.src[i];
  const uint32_t* v = raw(*this, o, tmp);
  const uint8_t f = o.flags & (isa::kNeg | isa::kAbs);
  if (!f) return v;
  for (int l = 0; l < 32; ++l) {
    uint32_t a = v[l];
    if (f & isa::kAbs) a &= 0x7fffffffu;
    if (f & isa::kNeg) a ^= 0x80000000u;
    tmp[l] = a;
  }
  return tmp;
}

const uint32_t* Ctx::h2(int i, uint32_t* tmp) const {
  const isa::Operand& o = in.src[i];
  const uint32_t* v = raw(*this, o, tmp);
  const uint8_t f = o.flags & (isa::kNeg | isa::kAbs);
  if (!f) return v;
  for (int l = 0; l < 32; ++l) {
    uint32_t a = v[l];
    if (f & isa::kAbs) a &= 0x7fff7fffu;
    if (f & isa::kNeg) a ^= 0x80008000u;
    tmp[l] = a;
  }
  return tmp;
}

void Ctx::u64(int i, uint64_t* v) const {
  const isa::Operand& o = in.src[i];
  if (o.kind == Opd::Imm) {
    for (int l = 0; l < 32; ++l) v[l] = static_cast<uint64_t>(o.imm);
  } else if (o.kind == Opd::Const) {
    const uint64_t c = cbank_u32(static_cast<uint32_t>(o.imm)) |
                       (static_cast<uint64_t>(cbank_u32(static_cast<uint32_t>(o.imm) + 4)) << 32);
    for (int l = 0; l < 32; ++l) v[l] = c;
  } else if (o.reg == isa::kRZ) {
    for (int l = 0; l < 32; ++l) v[l] = 0;
  } else {
    const uint32_t* lo = w.regs + static_cast<size_t>(o.reg) * 32;
    const uint32_t* hi = lo + 32;
    for (int l = 0; l < 32; ++l) v[l] = lo[l] | (static_cast<uint64_t>(hi[l]) << 32);
  }
  if (o.flags & isa::kNeg)
    for (int l = 0; l < 32; ++l) v[l] = 0 - v[l];
}

void Ctx::f64(int i, uint64_t* v) const {
  const isa::Operand& o = in.src[i];
  u64(i, v);
  if (o.flags & isa::kNeg)  // u64() negated as an integer; undo and flip the sign bit
    for (int l = 0; l < 32; ++l) v[l] = (0 - v[l]) ^ (1ull << 63);
  if (o.flags & isa::kAbs)
    for (int l = 0; l < 32; ++l) v[l] &= ~(1ull << 63);
}

uint32_t Ctx::pred(int i) const {
  const isa::Operand& o = in.src[i];
  const uint32_t m = o.reg == isa::kPT ? 0xffffffffu : w.pred[o.reg];
  return (o.flags & isa::kNot) ? ~m : m;
}

void Ctx::fault(const std::string& what) const {
  const isa::Kernel& k = *cta.launch->kernel;
  const std::string msg = fmt::format("kernel '{}' faulted: {} (CTA ({},{},{}), warp {}, pc {}: {})", k.name, what,
                                      cta.ctaid.x, cta.ctaid.y, cta.ctaid.z, w.index, pc, in.text);
  throw KernelFault(SourceLoc{k.file, static_cast<int>(in.line), in.col}, msg);
}

// ---- CTA setup ------------------------------------------------------------------------------

std::vector<uint8_t> make_cbank(const isa::Kernel& k, Dim3 grid, Dim3 block, const std::vector<uint8_t>& params) {
  std::vector<uint8_t> cb(std::max<size_t>(k.cbank_bytes, isa::kCbParams), 0);
  const uint32_t dims[6] = {block.x, block.y, block.z, grid.x, grid.y, grid.z};
  std::memcpy(cb.data() + isa::kCbNtid, dims, sizeof dims);
  SIM_CHECK(params.size() + isa::kCbParams <= cb.size() || params.empty(), "parameter block larger than the bank");
  if (!params.empty()) std::memcpy(cb.data() + isa::kCbParams, params.data(), params.size());
  return cb;
}

void Executor::init_cta(Cta& cta, const Launch& launch, Dim3 ctaid, uint32_t linear_id, uint32_t sm_id) {
  cta.ctaid = ctaid;
  cta.linear_id = linear_id;
  cta.sm_id = sm_id;
  cta.launch = &launch;
  const uint32_t nthreads = launch.threads_per_cta();
  cta.warps.assign(launch.warps_per_cta(), Warp{});
  cta.live_threads = nthreads;
  cta.warps_done = 0;
  cta.bars = {};
  for (uint32_t i = 0; i < cta.warps.size(); ++i) {
    Warp& w = cta.warps[i];
    w.index = i;
    const uint32_t lanes = std::min<uint32_t>(32, nthreads - i * 32);
    w.launched = w.live = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1);
    w.pred[isa::kPT] = 0xffffffffu;
  }
}

void Executor::start_cta(Cta& cta, const Launch& launch, Dim3 ctaid, uint32_t linear_id, uint32_t sm_id) const {
  const isa::Kernel& k = *launch.kernel;
  init_cta(cta, launch, ctaid, linear_id, sm_id);
  const size_t nwarps = cta.warps.size();
  cta.regfile.assign(nwarps * k.regs * 32, 0);
  cta.shared.assign(launch.shared_bytes_per_cta(), 0);
  cta.async_warp.assign(k.has_ldgsts ? (launch.shared_bytes_per_cta() + 15) / 16 : 0, 0);
  cta.async_group.assign(cta.async_warp.size(), 0);
  cta.local.assign(nwarps * 32 * k.local_bytes, 0);
  for (size_t i = 0; i < nwarps; ++i) {
    cta.warps[i].regs = cta.regfile.data() + i * k.regs * 32;
    cta.warps[i].local = cta.local.data() + i * 32 * k.local_bytes;
  }
}

uint32_t Executor::next_pc(const Warp& w) {
  if (!w.diverged) return w.pc;
  uint32_t best = UINT32_MAX;
  for_lanes(w.runnable(), [&](int l) { best = std::min(best, w.lane_pc[l]); });
  return best;
}

}  // namespace xpusim::exec
