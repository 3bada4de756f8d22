// Number formats: one table describes every format; one generic minifloat codec decodes and
// encodes all of them (FP64 included). The f16/bf16 fast paths are bit manipulation on FP32
// patterns and are tested against the generic codec on every code.
#include "src/isa/numfmt.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace xpusim::isa {
namespace {

// Where a format keeps its NaN (and Inf).
enum class NanStyle : uint8_t {
  kNone,     // every code is finite (E3M2, E2M3, E2M1)
  kIeee,     // exponent all ones: mantissa 0 = Inf, else NaN
  kAllOnes,  // only the all-ones magnitude is NaN, no Inf (E4M3 "fn", UE8M0, UE4M3)
};

struct Spec {
  FmtInfo info;
  NanStyle nan;
  bool subnormals;  // exponent field 0 is subnormal (else it is the lowest binade: UE8M0)
  uint8_t shift;    // value field position in the container (TF32: 13)
};

// clang-format off
const Spec kSpecs[] = {
  {{"fp64",  64, 11, 52, 1023, true,  true,  true,  std::numeric_limits<double>::max(),
    0x1p-1022, 0x1p-1074}, NanStyle::kIeee, true, 0},
  {{"fp32",  32,  8, 23,  127, true,  true,  true,  0x1.fffffep127, 0x1p-126, 0x1p-149},
   NanStyle::kIeee, true, 0},
  {{"fp16",  16,  5, 10,   15, true,  true,  true,  65504.0, 0x1p-14, 0x1p-24},
   NanStyle::kIeee, true, 0},
  {{"bf16",  16,  8,  7,  127, true,  true,  true,  0x1.fep127, 0x1p-126, 0x1p-133},
   NanStyle::kIeee, true, 0},
  {{"tf32",  32,  8, 10,  127, true,  true,  true,  0x1.ffcp127, 0x1p-126, 0x1p-136},
   NanStyle::kIeee, true, 13},
  {{"e4m3",   8,  4,  3,    7, true,  false, true,  448.0, 0x1p-6, 0x1p-9},
   NanStyle::kAllOnes, true, 0},
  {{"e5m2",   8,  5,  2,   15, true,  true,  true,  57344.0, 0x1p-14, 0x1p-16},
   NanStyle::kIeee, true, 0},
  {{"e3m2",   6,  3,  2,    3, true,  false, false, 28.0, 0.25, 0.0625},
   NanStyle::kNone, true, 0},
  {{"e2m3",   6,  2,  3,    1, true,  false, false, 7.5, 1.0, 0.125},
   NanStyle::kNone, true, 0},
  {{"e2m1",   4,  2,  1,    1, true,  false, false, 6.0, 1.0, 0.5},
   NanStyle::kNone, true, 0},
  {{"ue8m0",  8,  8,  0,  127, false, false, true,  0x1p127, 0x1p-127, 0.0},
   NanStyle::kAllOnes, false, 0},
  {{"ue4m3",  8,  4,  3,    7, false, false, true,  448.0, 0x1p-6, 0x1p-9},
   NanStyle::kAllOnes, true, 0},
};
// clang-format on

const Spec& spec(Fmt f) { return kSpecs[static_cast<int>(f)]; }

// Codes of the magnitude field (exponent and mantissa, no sign).
uint64_t mag_bits(const Spec& s) { return s.info.exp_bits + s.info.man_bits; }
uint64_t all_ones(const Spec& s) { return (uint64_t{1} << mag_bits(s)) - 1; }
uint64_t inf_code(const Spec& s) { return all_ones(s) >> s.info.man_bits << s.info.man_bits; }
uint64_t max_code(const Spec& s) {
  switch (s.nan) {
    case NanStyle::kNone: return all_ones(s);
    case NanStyle::kIeee: return inf_code(s) - 1;
    case NanStyle::kAllOnes: return all_ones(s) - 1;
  }
  return 0;
}
uint64_t sign_bit(const Spec& s) { return s.info.has_sign ? uint64_t{1} << mag_bits(s) : 0; }

double decode_generic(const Spec& s, uint64_t code) {
  const uint64_t v = code >> s.shift;
  const bool neg = (v & sign_bit(s)) != 0;
  const uint64_t mag = v & all_ones(s);
  const int m = s.info.man_bits;
  const uint64_t field = mag >> m;
  const uint64_t man = mag & ((uint64_t{1} << m) - 1);
  double val;
  if (s.nan == NanStyle::kIeee && mag >= inf_code(s)) {
    val = man == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else if (s.nan == NanStyle::kAllOnes && mag == all_ones(s)) {
    val = std::numeric_limits<double>::quiet_NaN();
  } else if (field == 0 && s.subnormals) {
    val = std::ldexp(static_cast<double>(man), 1 - s.info.bias - m);
  } else {
    val = std::ldexp(static_cast<double>(man | (uint64_t{1} << m)), static_cast<int>(field) - s.info.bias - m);
  }
  return neg ? -val : val;
}

bool toward_zero(Round r, bool neg) {
  return r == Round::RZ || (r == Round::RM && !neg) || (r == Round::RP && neg);
}

// Whether to add one to a truncated magnitude code. `frac` in [0, 1) is the discarded part
// in units of the last kept place; `odd` is the truncated code's low bit.
bool round_up(Round r, bool neg, bool odd, double frac) {
  switch (r) {
    case Round::RN: return frac > 0.5 || (frac == 0.5 && odd);
    case Round::RNA: return frac >= 0.5;
    case Round::RZ: return false;
    case Round::RM: return neg && frac > 0;
    case Round::RP: return !neg && frac > 0;
  }
  return false;
}

// Magnitude code for a finite or infinite |x| beyond the largest finite value.
uint64_t overflow_code(const Spec& s, bool satfinite) {
  if (satfinite || s.nan == NanStyle::kNone) return max_code(s);
  return s.info.has_inf ? inf_code(s) : all_ones(s);  // Inf, else the all-ones NaN
}

// Correctly rounded magnitude code of a finite a > 0 (the result may exceed max_code).
uint64_t round_magnitude(const Spec& s, double a, Round r, bool neg) {
  const int m = s.info.man_bits;
  const int emin = s.subnormals ? 1 - s.info.bias : -s.info.bias;  // lowest normal exponent
  int e;
  std::frexp(a, &e);
  e -= 1;  // a in [2^e, 2^(e+1))
  const int eq = e > emin ? e : emin;
  if (eq + s.info.bias > (1 << s.info.exp_bits)) return all_ones(s) + 1;  // far beyond range
  // Exact: a scaled so that one unit is the last mantissa place (a power-of-two scaling).
  const double scaled = std::ldexp(a, m - eq);
  const double t = std::floor(scaled);
  // Field (eq + bias - 1) plus the significand t: a normal t carries the hidden bit into the
  // field; a subnormal (eq == emin, t < 2^m) leaves field 0.
  // (UE8M0's lowest binade has field 0 with eq + bias - 1 == -1, and t == 1.)
  const int64_t field_part = static_cast<int64_t>(eq + s.info.bias - 1) * (int64_t{1} << m);
  uint64_t code = static_cast<uint64_t>(field_part + static_cast<int64_t>(t));
  if (round_up(r, neg, code & 1, scaled - t)) ++code;
  return code;
}

constexpr uint64_t kNoFastPath = ~uint64_t{0};

// Round to nearest even for a finite a > 0 that is normal in the format (the common case),
// straight from the double's bits: the same code round_magnitude() gives, several times
// faster. kNoFastPath when a is below the format's normal range (or a double subnormal).
uint64_t round_nearest_normal(const Spec& s, double a) {
  const uint64_t bits = std::bit_cast<uint64_t>(a);
  const int field = static_cast<int>(bits >> 52);
  if (field == 0) return kNoFastPath;
  const int e = field - 1023;
  const int emin = s.subnormals ? 1 - s.info.bias : -s.info.bias;
  const int m = s.info.man_bits;
  if (e < emin || m > 52 || e + s.info.bias > (1 << s.info.exp_bits)) return kNoFastPath;
  const int drop = 52 - m;
  const uint64_t frac = bits & ((uint64_t{1} << 52) - 1);
  uint64_t code = (static_cast<uint64_t>(e + s.info.bias) << m) + (drop < 64 ? frac >> drop : 0);
  if (drop > 0) {
    const uint64_t rem = frac & ((uint64_t{1} << drop) - 1), half = uint64_t{1} << (drop - 1);
    if (rem > half || (rem == half && (code & 1))) ++code;  // a carry moves into the exponent
  }
  return code;
}

uint64_t encode_generic(const Spec& s, double x, Round r, bool satfinite, bool ftz) {
  if (std::isnan(x)) return (s.nan == NanStyle::kNone ? max_code(s) : all_ones(s)) << s.shift;
  const bool neg = std::signbit(x);
  if (!s.info.has_sign && neg) return 0;  // UE4M3: 0; UE8M0: code 0 = 2^-127
  const uint64_t sign = neg ? sign_bit(s) : 0;
  const double a = std::fabs(x);
  uint64_t mag;
  if (a == 0) {
    mag = 0;
  } else if (std::isinf(a)) {
    mag = overflow_code(s, satfinite);
  } else if (!s.subnormals && a <= s.info.min_normal) {
    mag = 0;  // UE8M0 has no zero: everything at or below 2^-127 is code 0
  } else {
    mag = r == Round::RN ? round_nearest_normal(s, a) : kNoFastPath;
    if (mag == kNoFastPath) mag = round_magnitude(s, a, r, neg);
    if (mag > max_code(s)) mag = toward_zero(r, neg) ? max_code(s) : overflow_code(s, satfinite);
    if (ftz && s.subnormals && (mag >> s.info.man_bits) == 0) mag = 0;
  }
  return (sign | mag) << s.shift;
}

bool is_nan_generic(const Spec& s, uint64_t code) {
  const uint64_t mag = (code >> s.shift) & all_ones(s);
  switch (s.nan) {
    case NanStyle::kNone: return false;
    case NanStyle::kIeee: return mag > inf_code(s);
    case NanStyle::kAllOnes: return mag == all_ones(s);
  }
  return false;
}

uint32_t container_mask(const Spec& s) {
  return s.info.bits >= 32 ? 0xffffffffu : (1u << s.info.bits) - 1;
}

// Rounding decision on integer remainders: rem is the discarded part, half the midpoint.
inline bool round_up_bits(Round r, bool neg, bool odd, uint32_t rem, uint32_t half) {
  switch (r) {
    case Round::RN: return rem > half || (rem == half && odd);
    case Round::RNA: return rem >= half;
    case Round::RZ: return false;
    case Round::RM: return neg && rem != 0;
    case Round::RP: return !neg && rem != 0;
  }
  return false;
}

}  // namespace

const FmtInfo& info(Fmt f) { return spec(f).info; }

double decode(Fmt f, uint32_t code) {
  const Spec& s = spec(f);
  return decode_generic(s, code & container_mask(s));
}

double decode_fp64(uint64_t code) { return decode_generic(spec(Fmt::FP64), code); }

uint32_t encode(Fmt f, double x, Round r, bool satfinite, bool ftz) {
  return static_cast<uint32_t>(encode_generic(spec(f), x, r, satfinite, ftz));
}

uint64_t encode_fp64(double x) { return encode_generic(spec(Fmt::FP64), x, Round::RN, false, false); }

bool is_nan(Fmt f, uint32_t code) {
  const Spec& s = spec(f);
  return is_nan_generic(s, code & container_mask(s));
}

double flush_subnormal(Fmt f, double x) {
  return std::fabs(x) < info(f).min_normal ? std::copysign(0.0, x) : x;
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t man = h & 0x3ff;
  if (exp == 0x1f) return std::bit_cast<float>(man != 0 ? 0x7fffffffu : sign | 0x7f800000u);
  if (exp == 0) {
    const float v = static_cast<float>(man) * 0x1p-24f;  // exact: man < 2^10
    return sign != 0 ? -v : v;
  }
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t f32_to_f16(float x, Round r) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const bool neg = (bits >> 31) != 0;
  const uint32_t sign = neg ? 0x8000 : 0;
  const uint32_t abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) return 0x7fff;
  if (abs == 0x7f800000) return static_cast<uint16_t>(sign | 0x7c00);
  const uint32_t exp = abs >> 23;  // biased FP32 exponent
  if (exp >= 143) return static_cast<uint16_t>(sign | (toward_zero(r, neg) ? 0x7bff : 0x7c00));
  uint32_t code, rem, half;
  if (exp >= 113) {  // FP16 normal range
    code = ((exp - 112) << 10) | ((abs & 0x7fffff) >> 13);
    rem = abs & 0x1fff;
    half = 0x1000;
  } else {  // FP16 subnormal (or zero): value = sig * 2^(exp-150), quantum 2^-24
    const uint32_t sig = (abs & 0x7fffff) | (exp != 0 ? 0x800000 : 0);
    const uint32_t shift = 126 - (exp != 0 ? exp : 1);
    if (shift > 25) {  // below half the smallest subnormal
      code = 0;
      rem = sig != 0 ? 1 : 0;
      half = 2;
    } else {
      code = sig >> shift;
      rem = sig & ((1u << shift) - 1);
      half = 1u << (shift - 1);
    }
  }
  if (round_up_bits(r, neg, code & 1, rem, half)) ++code;  // may carry into Inf (0x7c00)
  return static_cast<uint16_t>(sign | code);
}

float bf16_to_f32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

uint16_t f32_to_bf16(float x, Round r) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const bool neg = (bits >> 31) != 0;
  const uint32_t abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) return 0x7fff;
  uint32_t code = abs >> 16;
  if (abs != 0x7f800000 && round_up_bits(r, neg, code & 1, abs & 0xffff, 0x8000)) ++code;
  return static_cast<uint16_t>((neg ? 0x8000 : 0) | code);
}

int64_t float_to_int(double x, Round r, int bits, bool is_signed) {
  if (std::isnan(x)) return 0;
  const bool neg = std::signbit(x);
  const double a = std::fabs(x);
  double t = std::floor(a);  // for a >= 2^52 every double is an integer: frac is 0
  if (round_up(r, neg, std::fmod(t, 2.0) != 0, a - t)) t += 1;
  const double v = neg ? -t : t;
  const double hi = is_signed ? std::ldexp(1.0, bits - 1) : std::ldexp(1.0, bits);  // exclusive
  const double lo = is_signed ? -std::ldexp(1.0, bits - 1) : 0.0;
  if (v >= hi) {
    const uint64_t max = (bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1) >> (is_signed ? 1 : 0);
    return static_cast<int64_t>(max);  // unsigned 64-bit: the bit pattern
  }
  if (v <= lo) return static_cast<int64_t>(lo);
  return neg ? -static_cast<int64_t>(t) : static_cast<int64_t>(static_cast<uint64_t>(t));
}

int64_t int_from_bits(uint32_t code, int bits, bool is_signed) {
  if (bits >= 32) return is_signed ? static_cast<int64_t>(static_cast<int32_t>(code)) : code;
  const uint32_t v = code & ((1u << bits) - 1);
  if (is_signed && (v >> (bits - 1)) != 0) return static_cast<int64_t>(v) - (int64_t{1} << bits);
  return v;
}

}  // namespace xpusim::isa
