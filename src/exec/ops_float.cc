// FP32, packed FP16/BF16 and FP64 semantics (docs/isa.md). IEEE 754 arithmetic with the
// instruction's rounding mode; NaN results are the canonical NaN, as NVIDIA GPUs produce.
// This file is compiled with -frounding-math so directed rounding modes are honoured.
#include <cfenv>
#include <cmath>

#include "src/exec/ctx.h"
#include "src/isa/numfmt.h"

namespace xpusim::exec {
namespace {

using isa::Cmp;

constexpr uint32_t kNanF32 = 0x7fffffffu;

int fe_mode(uint8_t rnd) {
  switch (static_cast<isa::Rnd>(rnd)) {
    case isa::Rnd::RZ: return FE_TOWARDZERO;
    case isa::Rnd::RM: return FE_DOWNWARD;
    case isa::Rnd::RP: return FE_UPWARD;
    default: return FE_TONEAREST;
  }
}

// Runs f with the instruction's rounding mode in effect.
template <typename F>
void with_rounding(uint8_t rnd, F f) {
  const int mode = fe_mode(rnd);
  if (mode == FE_TONEAREST) return f();
  std::fesetround(mode);
  f();
  std::fesetround(FE_TONEAREST);
}

float ftz(float v) { return std::fpclassify(v) == FP_SUBNORMAL ? std::copysign(0.0f, v) : v; }

// .SAT clamps to [0, 1] with NaN becoming +0 (PTX "saturate"); otherwise NaN is canonical.
uint32_t finish_f32(float r, const isa::Mods& m) {
  if (m.flags & isa::kSat) return bits_of(std::isnan(r) ? 0.0f : r < 0.0f ? 0.0f : (r > 1.0f ? 1.0f : r));
  if (std::isnan(r)) return kNanF32;
  if (m.flags & isa::kFtz) r = ftz(r);
  return bits_of(r);
}

template <int N, typename F>
void farith(Ctx& x, F f) {
  uint32_t t[3][32];
  const uint32_t* s[3] = {};
  for (int i = 0; i < N; ++i) s[i] = x.f32(i, t[i]);
  uint32_t* d = x.dst(0);
  const bool z = x.in.m.flags & isa::kFtz;
  with_rounding(x.in.m.rnd, [&] {
    for_lanes(x.exec, [&](int l) {
      float v[3] = {};
      for (int i = 0; i < N; ++i) v[i] = z ? ftz(as_f32(s[i][l])) : as_f32(s[i][l]);
      d[l] = finish_f32(f(v[0], v[1], v[2]), x.in.m);
    });
  });
}

void op_fadd(Ctx& x) { farith<2>(x, [](float a, float b, float) { return a + b; }); }
void op_fmul(Ctx& x) { farith<2>(x, [](float a, float b, float) { return a * b; }); }
void op_ffma(Ctx& x) { farith<3>(x, [](float a, float b, float c) { return std::fma(a, b, c); }); }

// IEEE minNum/maxNum: a NaN operand yields the other; -0 < +0.
template <typename T>
T min_max(T a, T b, bool want_min) {
  if (std::isnan(a)) return b;
  if (std::isnan(b)) return a;
  if (a == b) return (std::signbit(a) == want_min) ? a : b;
  return (a < b) == want_min ? a : b;
}

void op_fmnmx(Ctx& x) {
  uint32_t ta[32], tb[32];
  const uint32_t *a = x.f32(0, ta), *b = x.f32(1, tb);
  const uint32_t p = x.pred(2);
  uint32_t* d = x.dst(0);
  const bool z = x.in.m.flags & isa::kFtz;
  for_lanes(x.exec, [&](int l) {
    const float fa = z ? ftz(as_f32(a[l])) : as_f32(a[l]), fb = z ? ftz(as_f32(b[l])) : as_f32(b[l]);
    const float r = min_max(fa, fb, (p >> l) & 1);
    d[l] = std::isnan(r) ? kNanF32 : bits_of(r);
  });
}

template <typename T>
bool fcompare(Cmp c, T a, T b) {
  const bool un = std::isnan(a) || std::isnan(b);
  switch (c) {
    case Cmp::F: return false;
    case Cmp::LT: return !un && a < b;
    case Cmp::EQ: return !un && a == b;
    case Cmp::LE: return !un && a <= b;
    case Cmp::GT: return !un && a > b;
    case Cmp::NE: return !un && a != b;
    case Cmp::GE: return !un && a >= b;
    case Cmp::T: return true;
    case Cmp::NUM: return !un;
    case Cmp::NAN_: return un;
    case Cmp::LTU: return un || a < b;
    case Cmp::EQU: return un || a == b;
    case Cmp::LEU: return un || a <= b;
    case Cmp::GTU: return un || a > b;
    case Cmp::NEU: return un || a != b;
    case Cmp::GEU: return un || a >= b;
  }
  return false;
}

void op_fsetp(Ctx& x) {
  uint32_t ta[32], tb[32];
  const uint32_t *a = x.f32(0, ta), *b = x.f32(1, tb);
  const auto c = static_cast<Cmp>(x.in.m.cmp);
  const bool z = x.in.m.flags & isa::kFtz;
  uint32_t r = 0;
  for_lanes(x.exec, [&](int l) {
    float fa = as_f32(a[l]), fb = as_f32(b[l]);
    if (z) fa = ftz(fa), fb = ftz(fb);
    if (fcompare(c, fa, fb)) r |= 1u << l;
  });
  finish_setp(x, r);
}

void op_fsel(Ctx& x) {
  uint32_t ta[32], tb[32];
  const uint32_t *a = x.f32(0, ta), *b = x.f32(1, tb);
  const uint32_t p = x.pred(2);
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) { d[l] = ((p >> l) & 1) ? a[l] : b[l]; });
}

// ---- packed halves ----

// Round to odd: the exact value of a + b (doubles), truncated to double and with the last bit
// set when anything was lost. Rounding that once more to a format of at most 51 bits is the
// same as rounding the exact sum once (Boldo & Melquiond, "When double rounding is odd").
double add_round_odd(double a, double b) {
  const double s = a + b;
  if (!std::isfinite(s)) return s;
  const double bb = s - a;
  const double err = (a - (s - bb)) + (b - bb);  // exact: a + b = s + err (TwoSum)
  if (err == 0) return s;
  // s was rounded to nearest; the truncated value is s itself or its neighbour toward zero
  double t = (err > 0) == (s > 0) ? s : std::nextafter(s, 0.0);
  uint64_t bits = bits_of(t);
  if (!(bits & 1)) t = std::nextafter(t, s > 0 ? INFINITY : -INFINITY);  // make the last bit odd
  return t;
}

struct Half {
  bool bf;
  bool ftz = false;
  double get(uint32_t v, int h) const {
    const uint16_t bits = static_cast<uint16_t>(v >> (16 * h));
    const double d = bf ? isa::bf16_to_f32(bits) : isa::f16_to_f32(bits);
    return ftz ? isa::flush_subnormal(bf ? isa::Fmt::BF16 : isa::Fmt::FP16, d) : d;
  }
  uint32_t put(double r, const isa::Mods& m) const {
    if (m.flags & isa::kSat) r = std::isnan(r) ? 0.0 : (r < 0 ? 0.0 : (r > 1 ? 1.0 : r));
    return isa::encode(bf ? isa::Fmt::BF16 : isa::Fmt::FP16, r, round_of(m.rnd), false, m.flags & isa::kFtz);
  }
};

template <int N, typename F>
void h2arith(Ctx& x, F f) {
  uint32_t t[3][32];
  const uint32_t* s[3] = {};
  for (int i = 0; i < N; ++i) s[i] = x.h2(i, t[i]);
  uint32_t* d = x.dst(0);
  const Half h{(x.in.m.flags & isa::kBf16) != 0, (x.in.m.flags & isa::kFtz) != 0};
  const bool f32out = x.in.m.flags & isa::kF32Out;
  for_lanes(x.exec, [&](int l) {
    double v[2][3] = {};
    for (int k = 0; k < 2; ++k)
      for (int i = 0; i < N; ++i) v[k][i] = h.get(s[i][l], k);
    if (f32out) {  // the low half's result, rounded once to FP32 with the instruction's mode
      const double r = f(v[0][0], v[0][1], v[0][2]);
      d[l] = std::isnan(r) ? kNanF32
                           : finish_f32(as_f32(isa::encode(isa::Fmt::FP32, r, round_of(x.in.m.rnd))), x.in.m);
      return;
    }
    d[l] = h.put(f(v[0][0], v[0][1], v[0][2]), x.in.m) | (h.put(f(v[1][0], v[1][1], v[1][2]), x.in.m) << 16);
  });
}

// Products of two halves are exact in double; sums are rounded to odd, so the final rounding
// to FP16, BF16 or FP32 is the only one.
void op_hadd2(Ctx& x) { h2arith<2>(x, [](double a, double b, double) { return add_round_odd(a, b); }); }
void op_hmul2(Ctx& x) { h2arith<2>(x, [](double a, double b, double) { return a * b; }); }
void op_hfma2(Ctx& x) { h2arith<3>(x, [](double a, double b, double c) { return add_round_odd(a * b, c); }); }

void op_hmnmx2(Ctx& x) {
  uint32_t ta[32], tb[32];
  const uint32_t *a = x.h2(0, ta), *b = x.h2(1, tb);
  const uint32_t p = x.pred(2);
  const Half h{(x.in.m.flags & isa::kBf16) != 0, (x.in.m.flags & isa::kFtz) != 0};
  uint32_t* d = x.dst(0);
  for_lanes(x.exec, [&](int l) {
    uint32_t r = 0;
    for (int k = 0; k < 2; ++k)
      r |= h.put(min_max(h.get(a[l], k), h.get(b[l], k), (p >> l) & 1), x.in.m) << (16 * k);
    d[l] = r;
  });
}

// ---- FP64 ----

template <int N, typename F>
void darith(Ctx& x, F f) {
  uint64_t s[3][32];
  for (int i = 0; i < N; ++i) x.f64(i, s[i]);
  with_rounding(x.in.m.rnd, [&] {
    for_lanes(x.exec, [&](int l) {
      double r = f(as_f64(s[0][l]), as_f64(s[1][l]), N > 2 ? as_f64(s[2][l]) : 0.0);
      uint64_t b = std::isnan(r) ? 0x7fffffffffffffffull : bits_of(r);
      x.write_u64(0, l, b);
    });
  });
}

void op_dadd(Ctx& x) { darith<2>(x, [](double a, double b, double) { return a + b; }); }
void op_dmul(Ctx& x) { darith<2>(x, [](double a, double b, double) { return a * b; }); }
void op_dfma(Ctx& x) { darith<3>(x, [](double a, double b, double c) { return std::fma(a, b, c); }); }

void op_dsetp(Ctx& x) {
  uint64_t a[32], b[32];
  x.f64(0, a);
  x.f64(1, b);
  const auto c = static_cast<Cmp>(x.in.m.cmp);
  uint32_t r = 0;
  for_lanes(x.exec, [&](int l) {
    if (fcompare(c, as_f64(a[l]), as_f64(b[l]))) r |= 1u << l;
  });
  finish_setp(x, r);
}

}  // namespace

void register_float_handlers(Handler* t) {
  using isa::Op;
  auto set = [&](Op op, Handler h) { t[static_cast<size_t>(op)] = h; };
  set(Op::FADD, op_fadd);
  set(Op::FMUL, op_fmul);
  set(Op::FFMA, op_ffma);
  set(Op::FMNMX, op_fmnmx);
  set(Op::FSETP, op_fsetp);
  set(Op::FSEL, op_fsel);
  set(Op::HADD2, op_hadd2);
  set(Op::HMUL2, op_hmul2);
  set(Op::HFMA2, op_hfma2);
  set(Op::HMNMX2, op_hmnmx2);
  set(Op::DADD, op_dadd);
  set(Op::DMUL, op_dmul);
  set(Op::DFMA, op_dfma);
  set(Op::DSETP, op_dsetp);
}

}  // namespace xpusim::exec
