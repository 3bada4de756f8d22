// Integer, logic and predicate semantics (docs/isa.md).
#include <bit>

#include "src/exec/ctx.h"

namespace xpusim::exec {
namespace {

using isa::BoolOp;
using isa::Cmp;
using isa::DataType;

bool is_unsigned(const isa::Mods& m) { return static_cast<DataType>(m.type) == DataType::U32; }

void op_mov(Ctx& x) {
  uint32_t t[32];
  const uint32_t* a = x.u32(0, t);
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) { d[l] = a[l]; });
}

// IADD3: a + b + c (+ carry-ins). A negated source enters the adder as ~x + 1, as in
// hardware, so a - 0 carries out 1. The carry (0..2 plus carry-ins) is reported in unary: the
// first carry predicate is set when it is >= 1, the second when it is >= 2, so IADD3.X adding
// both predicates recovers it.
void op_iadd3(Ctx& x) {
  uint32_t t[3][32];
  const uint32_t* v[3];
  bool neg[3];
  for (int i = 0; i < 3; ++i) {
    isa::Operand o = x.in.src[i];
    neg[i] = o.flags & isa::kNeg;
    v[i] = x.u32_unnegated(i, t[i]);
  }
  uint32_t cin0 = 0, cin1 = 0;
  if (x.in.nsrc > 3) cin0 = x.pred(3);
  if (x.in.nsrc > 4) cin1 = x.pred(4);
  uint32_t* d = x.dst(0);
  uint32_t co0 = 0, co1 = 0;
  for_lanes(x.exec, [&](int l) {
    uint64_t s = ((cin0 >> l) & 1) + ((cin1 >> l) & 1);
    for (int i = 0; i < 3; ++i) s += neg[i] ? uint64_t{~v[i][l]} + 1 : uint64_t{v[i][l]};
    d[l] = static_cast<uint32_t>(s);
    const uint64_t carry = s >> 32;
    if (carry >= 1) co0 |= 1u << l;
    if (carry >= 2) co1 |= 1u << l;
  });
  if (x.in.ndst > 1) x.set_pred(1, co0, x.exec);
  if (x.in.ndst > 2) x.set_pred(2, co1, x.exec);
}

void op_imad(Ctx& x) {
  uint32_t ta[32], tb[32], tc[32];
  const uint32_t *a = x.u32(0, ta), *b = x.u32(1, tb);
  const bool sgn = !is_unsigned(x.in.m);
  const uint32_t carry = (x.in.m.flags & isa::kX) ? x.pred(3) : 0;
  auto product = [&](int l) -> uint64_t {
    return sgn ? static_cast<uint64_t>(int64_t{static_cast<int32_t>(a[l])} * static_cast<int32_t>(b[l]))
               : uint64_t{a[l]} * b[l];
  };
  if (x.in.m.flags & isa::kWideRes) {
    uint64_t c[32];
    x.u64(2, c);
    for_lanes(x.exec, [&](int l) { x.write_u64(0, l, product(l) + c[l] + ((carry >> l) & 1)); });
    return;
  }
  const uint32_t* c = x.u32(2, tc);
  uint32_t* d = x.dst(0);
  const bool hi = x.in.m.flags & isa::kHi;
  for_lanes(x.exec, [&](int l) {
    const uint64_t p = product(l);
    d[l] = static_cast<uint32_t>(hi ? p >> 32 : p) + c[l] + ((carry >> l) & 1);
  });
}

// LEA: Rd = (Ra << s) + Rb with carry out; LEA.HI: high word of ((Rc:Ra) << s) + Rb (+ carry).
void op_lea(Ctx& x) {
  const bool hi = x.in.m.flags & isa::kHi;
  const bool sx = x.in.m.flags & isa::kSx32;
  uint32_t ta[32], tb[32], tc[32];
  const uint32_t *a = x.u32(0, ta), *b = x.u32(1, tb);
  const uint32_t* c = (hi && !sx) ? x.u32(2, tc) : nullptr;
  const int shift_idx = (hi && !sx) ? 3 : 2;
  const uint32_t s = static_cast<uint32_t>(x.in.src[shift_idx].imm);
  const uint32_t carry = (x.in.m.flags & isa::kX) ? x.pred(shift_idx + 1) : 0;
  uint32_t* d = x.dst(0);
  uint32_t co = 0;
  for_lanes(x.exec, [&](int l) {
    if (!hi) {
      const uint64_t sum = (uint64_t{a[l]} << s & 0xffffffffu) + b[l] + ((carry >> l) & 1);
      d[l] = static_cast<uint32_t>(sum);
      co |= static_cast<uint32_t>(sum >> 32) << l;
    } else {
      const uint64_t hiword = sx ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(a[l])) >> 32) : c[l];
      const uint64_t v = (hiword << 32) | a[l];
      d[l] = static_cast<uint32_t>((v << s) >> 32) + b[l] + ((carry >> l) & 1);
    }
  });
  if (!hi && x.in.ndst > 1) x.set_pred(1, co, x.exec);
}

void op_lop3(Ctx& x) {
  uint32_t ta[32], tb[32], tc[32];
  const uint32_t *a = x.u32(0, ta), *b = x.u32(1, tb), *c = x.u32(2, tc);
  const uint32_t lut = static_cast<uint32_t>(x.in.src[3].imm);
  const bool pd = x.in.dst[0].kind == isa::Opd::Pred;
  uint32_t* d = x.dst(pd ? 1 : 0);
  uint32_t nz = 0;
  for_lanes(x.exec, [&](int l) {
    uint32_t r = 0;
    for (int bit = 0; bit < 8; ++bit) {
      if (!(lut & (1u << bit))) continue;
      const uint32_t ma = (bit & 4) ? a[l] : ~a[l];
      const uint32_t mb = (bit & 2) ? b[l] : ~b[l];
      const uint32_t mc = (bit & 1) ? c[l] : ~c[l];
      r |= ma & mb & mc;
    }
    d[l] = r;
    if (r) nz |= 1u << l;
  });
  if (pd) x.set_pred(0, nz, x.exec);
}

void op_shf(Ctx& x) {
  uint32_t ta[32], tb[32], tc[32];
  const uint32_t *a = x.u32(0, ta), *sh = x.u32(1, tb), *c = x.u32(2, tc);
  const auto t = static_cast<DataType>(x.in.m.type);
  const bool is64 = t == DataType::U64 || t == DataType::S64;
  const bool sgn = t == DataType::S32 || t == DataType::S64;
  const bool left = x.in.m.flags & isa::kLeft, hi = x.in.m.flags & isa::kHi, wrap = x.in.m.rnd == 1;
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) {
    uint32_t s = sh[l];
    s = is64 ? s & 63 : (wrap ? s & 31 : std::min(s, 32u));
    const uint64_t v = (uint64_t{c[l]} << 32) | a[l];
    uint64_t r;
    if (left) r = s >= 64 ? 0 : v << s;
    else r = sgn ? static_cast<uint64_t>(static_cast<int64_t>(v) >> s) : (s >= 64 ? 0 : v >> s);
    d[l] = static_cast<uint32_t>(hi ? r >> 32 : r);
  });
}

}  // namespace

// Shared by ISETP/FSETP/DSETP/HSETP: combine the comparison with Pc and write Pd and Pq.
void finish_setp(Ctx& x, uint32_t cmp_true) {
  const uint32_t c = x.pred(2);
  uint32_t pd = 0, pq = 0;
  switch (static_cast<BoolOp>(x.in.m.bop)) {
    case BoolOp::AND: pd = cmp_true & c, pq = ~cmp_true & c; break;
    case BoolOp::OR: pd = cmp_true | c, pq = ~cmp_true | c; break;
    case BoolOp::XOR: pd = cmp_true ^ c, pq = ~cmp_true ^ c; break;
  }
  x.set_pred(0, pd, x.exec);
  x.set_pred(1, pq, x.exec);
}

namespace {

template <typename T>
bool compare_ordered(Cmp c, T a, T b) {
  switch (c) {
    case Cmp::F: return false;
    case Cmp::LT: return a < b;
    case Cmp::EQ: return a == b;
    case Cmp::LE: return a <= b;
    case Cmp::GT: return a > b;
    case Cmp::NE: return a != b;
    case Cmp::GE: return a >= b;
    case Cmp::T: return true;
    default: return false;
  }
}

void op_isetp(Ctx& x) {
  uint32_t ta[32], tb[32];
  const uint32_t *a = x.u32(0, ta), *b = x.u32(1, tb);
  const auto c = static_cast<Cmp>(x.in.m.cmp);
  const bool u = is_unsigned(x.in.m);
  if (c > Cmp::T) x.fault("ISETP takes .F .LT .EQ .LE .GT .NE .GE .T");
  uint32_t r = 0;
  for_lanes(x.exec, [&](int l) {
    const bool v = u ? compare_ordered(c, a[l], b[l])
                     : compare_ordered(c, static_cast<int32_t>(a[l]), static_cast<int32_t>(b[l]));
    if (v) r |= 1u << l;
  });
  finish_setp(x, r);
}

void op_sel(Ctx& x) {
  uint32_t ta[32], tb[32];
  const uint32_t *a = x.u32(0, ta), *b = x.u32(1, tb);
  const uint32_t p = x.pred(2);
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) { d[l] = ((p >> l) & 1) ? a[l] : b[l]; });
}

// PRMT (default mode): byte i of Rd = byte sel[i] of {Rb:Ra}; bit 3 of the selector
// replicates that byte's sign bit.
void op_prmt(Ctx& x) {
  uint32_t ta[32], ts[32], tb[32];
  const uint32_t *a = x.u32(0, ta), *sel = x.u32(1, ts), *b = x.u32(2, tb);
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) {
    const uint64_t v = (uint64_t{b[l]} << 32) | a[l];
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) {
      const uint32_t s = (sel[l] >> (4 * i)) & 0xf;
      uint32_t byte = static_cast<uint32_t>(v >> (8 * (s & 7))) & 0xff;
      if (s & 8) byte = (byte & 0x80) ? 0xff : 0;
      r |= byte << (8 * i);
    }
    d[l] = r;
  });
}

template <typename F>
void unary(Ctx& x, F f) {
  uint32_t ta[32];
  const uint32_t* a = x.u32(0, ta);
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) { d[l] = f(a[l]); });
}

void op_iabs(Ctx& x) {
  unary(x, [](uint32_t v) { return static_cast<int32_t>(v) < 0 ? 0u - v : v; });
}
void op_popc(Ctx& x) {
  unary(x, [](uint32_t v) { return static_cast<uint32_t>(std::popcount(v)); });
}
void op_brev(Ctx& x) {
  unary(x, [](uint32_t v) {
    uint32_t r = 0;
    for (int i = 0; i < 32; ++i) r |= ((v >> i) & 1u) << (31 - i);
    return r;
  });
}
// FLO: bit position of the most significant one (signed: of the most significant bit that
// differs from the sign); 0xffffffff when there is none. .SH: shift amount (31 - position).
void op_flo(Ctx& x) {
  const bool sgn = static_cast<DataType>(x.in.m.type) == DataType::S32;
  const bool sh = x.in.m.flags & isa::kHi;
  unary(x, [&](uint32_t v) {
    if (sgn && static_cast<int32_t>(v) < 0) v = ~v;
    if (v == 0) return 0xffffffffu;
    const uint32_t pos = 31u - static_cast<uint32_t>(std::countl_zero(v));
    return sh ? 31u - pos : pos;
  });
}

void op_imnmx(Ctx& x) {
  uint32_t ta[32], tb[32];
  const uint32_t *a = x.u32(0, ta), *b = x.u32(1, tb);
  const uint32_t p = x.pred(2);
  const bool u = is_unsigned(x.in.m);
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) {
    const bool mn = (p >> l) & 1;
    if (u) d[l] = mn ? std::min(a[l], b[l]) : std::max(a[l], b[l]);
    else {
      const int32_t sa = static_cast<int32_t>(a[l]), sb = static_cast<int32_t>(b[l]);
      d[l] = static_cast<uint32_t>(mn ? std::min(sa, sb) : std::max(sa, sb));
    }
  });
}

uint32_t lut3(uint32_t lut, uint32_t a, uint32_t b, uint32_t c) {
  uint32_t r = 0;
  for (int bit = 0; bit < 8; ++bit)
    if (lut & (1u << bit)) r |= ((bit & 4) ? a : ~a) & ((bit & 2) ? b : ~b) & ((bit & 1) ? c : ~c);
  return r;
}

void op_plop3(Ctx& x) {
  const uint32_t a = x.pred(0), b = x.pred(1), c = x.pred(2);
  x.set_pred(0, lut3(static_cast<uint32_t>(x.in.src[3].imm), a, b, c), x.exec);
  x.set_pred(1, lut3(static_cast<uint32_t>(x.in.src[4].imm), a, b, c), x.exec);
}

}  // namespace

void register_int_handlers(Handler* t) {
  using isa::Op;
  auto set = [&](Op op, Handler h) { t[static_cast<size_t>(op)] = h; };
  set(Op::MOV, op_mov);
  set(Op::IADD3, op_iadd3);
  set(Op::IMAD, op_imad);
  set(Op::LEA, op_lea);
  set(Op::LOP3, op_lop3);
  set(Op::SHF, op_shf);
  set(Op::ISETP, op_isetp);
  set(Op::SEL, op_sel);
  set(Op::PRMT, op_prmt);
  set(Op::IABS, op_iabs);
  set(Op::IMNMX, op_imnmx);
  set(Op::POPC, op_popc);
  set(Op::FLO, op_flo);
  set(Op::BREV, op_brev);
  set(Op::PLOP3, op_plop3);
}

}  // namespace xpusim::exec
