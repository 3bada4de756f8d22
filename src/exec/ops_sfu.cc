// MUFU and conversions (docs/isa.md). MUFU evaluates its function in double precision and
// rounds once to FP32: within half an FP32 ulp of the true value, where the hardware's
// approximations are within a few ulp (docs/isa.md). As on Volta and later, MUFU.SIN and
// MUFU.COS take their argument in revolutions (the compiler multiplies by 1/2pi first).
#include <bit>
#include <cmath>

#include "src/exec/ctx.h"

namespace xpusim::exec {

using isa::DataType;
using isa::Fmt;

Fmt fmt_of(DataType t) {
  switch (t) {
    case DataType::F16: return Fmt::FP16;
    case DataType::BF16: return Fmt::BF16;
    case DataType::F32: return Fmt::FP32;
    case DataType::F64: return Fmt::FP64;
    case DataType::TF32: return Fmt::TF32;
    case DataType::E4M3: return Fmt::E4M3;
    case DataType::E5M2: return Fmt::E5M2;
    case DataType::E3M2: return Fmt::E3M2;
    case DataType::E2M3: return Fmt::E2M3;
    case DataType::E2M1: return Fmt::E2M1;
    case DataType::UE8M0: return Fmt::UE8M0;
    case DataType::UE4M3: return Fmt::UE4M3;
    default: return Fmt::FP32;
  }
}

namespace {

// sin(2 pi x) with exact argument reduction: x minus its nearest integer is exact for an FP32
// x, and folding into [-1/4, 1/4] is exact too, so zeros and ones come out exactly.
double sin_2pi(double x) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  double r = x - std::nearbyint(x);          // [-1/2, 1/2]
  if (r == 0) return std::copysign(0.0, x);  // sin(-0) = -0
  if (r > 0.25) r = 0.5 - r;                 // sin(2 pi r) = sin(2 pi (1/2 - r))
  else if (r < -0.25) r = -0.5 - r;
  return std::sin(kTwoPi * r);
}

double mufu(uint8_t fn, double v) {
  switch (fn) {
    case 1: return std::exp2(v);
    case 2: return std::log2(v);
    case 3: return 1.0 / v;
    case 4: return 1.0 / std::sqrt(v);
    case 5: return std::isfinite(v) ? sin_2pi(v) : NAN;
    case 6: return std::isfinite(v) ? sin_2pi(0.25 - (v - std::nearbyint(v))) : NAN;
    case 7: return std::sqrt(v);
    case 8: return std::tanh(v);
  }
  return 0;
}

void op_mufu(Ctx& x) {
  uint32_t t[32];
  const uint32_t* a = x.f32(0, t);
  uint32_t* d = x.dst(0);
  const uint8_t fn = x.in.m.func;
  const bool z = x.in.m.flags & isa::kFtz;
  for_lanes(x.exec, [&](int l) {
    double v = as_f32(a[l]);
    if (z) v = isa::flush_subnormal(Fmt::FP32, v);
    const uint32_t r = isa::encode(Fmt::FP32, mufu(fn, v), isa::Round::RN, false, z);
    d[l] = isa::is_nan(Fmt::FP32, r) ? 0x7fffffffu : r;
  });
}

bool wide(DataType t) { return t == DataType::F64 || t == DataType::U64 || t == DataType::S64; }

// A source element's value: the operand's low bits in the source format (F64: a pair).
double load_float(DataType t, int l, const uint32_t* v32, const uint64_t* v64) {
  if (t == DataType::F64) return as_f64(v64[l]);
  return isa::decode(fmt_of(t), v32[l]);
}

void store_result(Ctx& x, DataType t, int l, uint64_t bits) {
  if (wide(t)) x.write_u64(0, l, bits);
  else x.dst(0)[l] = static_cast<uint32_t>(bits);
}

// .RNI .RZI .RMI .RPI: round to an integral value first (then the result is exact).
bool integral_rounding(uint8_t rnd) {
  const auto r = static_cast<isa::Rnd>(rnd);
  return r == isa::Rnd::RNI || r == isa::Rnd::RZI || r == isa::Rnd::RMI || r == isa::Rnd::RPI;
}

double round_integral(double v, uint8_t rnd) {
  switch (static_cast<isa::Rnd>(rnd)) {
    case isa::Rnd::RZI: return std::trunc(v);
    case isa::Rnd::RMI: return std::floor(v);
    case isa::Rnd::RPI: return std::ceil(v);
    default: return std::nearbyint(v);  // ties to even in the default FP environment
  }
}

uint64_t encode_float(DataType t, double v, const isa::Mods& m) {
  if (integral_rounding(m.rnd)) v = round_integral(v, m.rnd);
  if (m.flags & isa::kRelu) v = std::isnan(v) ? v : (v < 0 ? 0.0 : v);
  if (t == DataType::F64) return bits_of(v);
  return isa::encode(fmt_of(t), v, round_of(m.rnd), m.flags & isa::kSat, m.flags & isa::kFtz);
}

void op_f2f(Ctx& x) {
  const auto dt = static_cast<DataType>(x.in.m.type), st = static_cast<DataType>(x.in.m.type2);
  uint32_t t[32];
  uint64_t v64[32];
  const uint32_t* v32 = nullptr;
  if (wide(st)) x.u64(0, v64);
  else v32 = x.u32(0, t);
  for_lanes(x.exec, [&](int l) { store_result(x, dt, l, encode_float(dt, load_float(st, l, v32, v64), x.in.m)); });
}

int64_t int_value(DataType t, int l, const uint32_t* v32, const uint64_t* v64) {
  switch (t) {
    case DataType::U8: return v32[l] & 0xff;
    case DataType::S8: return static_cast<int8_t>(v32[l]);
    case DataType::U16: return v32[l] & 0xffff;
    case DataType::S16: return static_cast<int16_t>(v32[l]);
    case DataType::U4: return v32[l] & 0xf;
    case DataType::S4: return isa::int_from_bits(v32[l], 4, true);
    case DataType::U32: return v32[l];
    case DataType::U64: return static_cast<int64_t>(v64[l]);
    case DataType::S64: return static_cast<int64_t>(v64[l]);
    default: return static_cast<int32_t>(v32[l]);
  }
}

// An integer rounded to `bits` significant bits with mode r, exactly, so the double holding it
// needs no further rounding (a 64-bit integer does not fit a double's 53 bits).
double round_int(int64_t iv, bool is_unsigned, int bits, isa::Round r) {
  const bool neg = !is_unsigned && iv < 0;
  uint64_t mag = neg ? 0 - static_cast<uint64_t>(iv) : static_cast<uint64_t>(iv);
  const int width = 64 - std::countl_zero(mag);
  if (width > bits) {
    const int drop = width - bits;
    const uint64_t rem = mag & ((uint64_t{1} << drop) - 1), half = uint64_t{1} << (drop - 1);
    mag >>= drop;
    bool up = false;
    switch (r) {
      case isa::Round::RN: up = rem > half || (rem == half && (mag & 1)); break;
      case isa::Round::RNA: up = rem >= half; break;
      case isa::Round::RZ: break;
      case isa::Round::RM: up = neg && rem; break;
      case isa::Round::RP: up = !neg && rem; break;
    }
    const double d = std::ldexp(static_cast<double>(mag + (up ? 1 : 0)), drop);
    return neg ? -d : d;
  }
  return neg ? -static_cast<double>(mag) : static_cast<double>(mag);
}

void op_i2f(Ctx& x) {
  const auto dt = static_cast<DataType>(x.in.m.type);
  const auto st = x.in.m.type2 ? static_cast<DataType>(x.in.m.type2) : DataType::S32;
  uint32_t t[32];
  uint64_t v64[32];
  const uint32_t* v32 = nullptr;
  if (wide(st)) x.u64(0, v64);
  else v32 = x.u32(0, t);
  for_lanes(x.exec, [&](int l) {
    const int64_t iv = int_value(st, l, v32, v64);
    const double v = round_int(iv, st == DataType::U64, isa::info(fmt_of(dt)).man_bits + 1, round_of(x.in.m.rnd));
    store_result(x, dt, l, encode_float(dt, v, x.in.m));
  });
}

void op_f2i(Ctx& x) {
  const auto dt = static_cast<DataType>(x.in.m.type);
  const auto st = x.in.m.type2 ? static_cast<DataType>(x.in.m.type2) : DataType::F32;
  static constexpr struct {
    DataType t;
    int bits;
    bool sgn;
  } kInts[] = {{DataType::U8, 8, false},   {DataType::S8, 8, true},   {DataType::U16, 16, false},
               {DataType::S16, 16, true},  {DataType::U32, 32, false}, {DataType::S32, 32, true},
               {DataType::U64, 64, false}, {DataType::S64, 64, true}, {DataType::U4, 4, false},
               {DataType::S4, 4, true}};
  int bits = 32;
  bool sgn = true;
  for (const auto& k : kInts)
    if (k.t == dt) bits = k.bits, sgn = k.sgn;
  uint32_t t[32];
  uint64_t v64[32];
  const uint32_t* v32 = nullptr;
  if (wide(st)) x.u64(0, v64);
  else v32 = x.u32(0, t);
  for_lanes(x.exec, [&](int l) {
    const int64_t r = isa::float_to_int(load_float(st, l, v32, v64), round_of(x.in.m.rnd), bits, sgn);
    store_result(x, dt, l, bits == 64 ? static_cast<uint64_t>(r) : static_cast<uint64_t>(static_cast<uint32_t>(r)));
  });
}

// Element width in bits of a packed destination/source format, and its field spacing.
int elem_bits(DataType t) {
  switch (t) {
    case DataType::F16:
    case DataType::BF16: return 16;
    case DataType::E2M1: return 4;
    default: return 8;  // E4M3, E5M2, and the 6-bit formats, one per byte
  }
}

void op_f2fp(Ctx& x) {
  const auto dt = static_cast<DataType>(x.in.m.type), st = static_cast<DataType>(x.in.m.type2);
  uint32_t* d = x.dst(0);
  uint32_t ta[32], tb[32];
  if (x.in.m.flags & isa::kUnpack) {  // two low elements of a narrow format -> an F16/BF16 pair
    const uint32_t* a = x.u32(0, ta);
    const int eb = elem_bits(st);
    const Fmt out = dt == DataType::BF16 ? Fmt::BF16 : Fmt::FP16;
    for_lanes(x.exec, [&](int l) {
      const uint32_t lo = a[l] & ((1u << eb) - 1), hi = (a[l] >> eb) & ((1u << eb) - 1);
      const uint32_t rl = isa::encode(out, isa::decode(fmt_of(st), lo));
      const uint32_t rh = isa::encode(out, isa::decode(fmt_of(st), hi));
      d[l] = rl | (rh << 16);
    });
    return;
  }
  const int eb = elem_bits(dt);
  const bool packed_src = st == DataType::F16x2 || st == DataType::BF16x2;
  const Fmt half = st == DataType::BF16x2 ? Fmt::BF16 : Fmt::FP16;
  const uint32_t *a = x.u32(0, ta), *b = packed_src ? nullptr : x.u32(1, tb);
  for_lanes(x.exec, [&](int l) {
    double va, vb;  // a -> upper element, b -> lower
    if (packed_src) {
      va = isa::decode(half, a[l] >> 16);
      vb = isa::decode(half, a[l] & 0xffff);
    } else {
      va = as_f32(a[l]);
      vb = as_f32(b[l]);
    }
    const uint32_t ea = static_cast<uint32_t>(encode_float(dt, va, x.in.m));
    const uint32_t eb_ = static_cast<uint32_t>(encode_float(dt, vb, x.in.m));
    d[l] = (ea << eb) | eb_;
  });
}

}  // namespace

void register_sfu_handlers(Handler* t) {
  using isa::Op;
  t[static_cast<size_t>(Op::MUFU)] = op_mufu;
  t[static_cast<size_t>(Op::F2F)] = op_f2f;
  t[static_cast<size_t>(Op::F2FP)] = op_f2fp;
  t[static_cast<size_t>(Op::I2F)] = op_i2f;
  t[static_cast<size_t>(Op::F2I)] = op_f2i;
}

}  // namespace xpusim::exec
