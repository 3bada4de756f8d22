// Tests for src/isa/numfmt: exhaustive round trips, the reference table of §9.1, rounding
// ties in every mode, overflow and NaN per format, subnormals and ftz, the scale formats,
// TF32, float_to_int, and the f16/bf16 fast paths against the generic codec.
#include "src/isa/numfmt.h"

#include <fmt/format.h>

#include <bit>
#include <catch2/catch.hpp>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "src/engine/rng.h"

namespace xpusim::isa {
namespace {

constexpr Round kModes[] = {Round::RN, Round::RNA, Round::RZ, Round::RM, Round::RP};
constexpr Fmt kSmall[] = {Fmt::FP16, Fmt::BF16, Fmt::E4M3, Fmt::E5M2, Fmt::E3M2,
                          Fmt::E2M3, Fmt::E2M1, Fmt::UE8M0, Fmt::UE4M3};
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Written out from the reference (§9.1), not taken from the implementation's table.
struct Expect {
  Fmt f;
  uint32_t codes;     // number of distinct value codes
  uint32_t sign;      // sign bit, 0 for unsigned formats
  uint32_t nan;       // canonical NaN (formats without NaN: +max)
  uint32_t max_code;  // largest finite magnitude
  double max, min_normal, min_sub;
  uint32_t min_normal_code, min_sub_code;
};
// clang-format off
const Expect kExpect[] = {
  {Fmt::FP16,  65536, 0x8000, 0x7fff, 0x7bff, 65504.0,     0x1p-14,  0x1p-24,  0x0400, 0x0001},
  {Fmt::BF16,  65536, 0x8000, 0x7fff, 0x7f7f, 0x1.fep127,  0x1p-126, 0x1p-133, 0x0080, 0x0001},
  {Fmt::E4M3,  256,   0x80,   0x7f,   0x7e,   448.0,       0x1p-6,   0x1p-9,   0x08,   0x01},
  {Fmt::E5M2,  256,   0x80,   0x7f,   0x7b,   57344.0,     0x1p-14,  0x1p-16,  0x04,   0x01},
  {Fmt::E3M2,  64,    0x20,   0x1f,   0x1f,   28.0,        0.25,     0.0625,   0x04,   0x01},
  {Fmt::E2M3,  64,    0x20,   0x1f,   0x1f,   7.5,         1.0,      0.125,    0x08,   0x01},
  {Fmt::E2M1,  16,    0x8,    0x7,    0x7,    6.0,         1.0,      0.5,      0x2,    0x1},
  {Fmt::UE8M0, 256,   0,      0xff,   0xfe,   0x1p127,     0x1p-127, 0.0,      0x00,   0x00},
  {Fmt::UE4M3, 128,   0,      0x7f,   0x7e,   448.0,       0x1p-6,   0x1p-9,   0x08,   0x01},
};
// clang-format on

const Expect& expect(Fmt f) {
  for (const Expect& e : kExpect)
    if (e.f == f) return e;
  FAIL("no expectation for " << info(f).name);
  return kExpect[0];
}

uint32_t f32_bits(float x) { return std::bit_cast<uint32_t>(x); }

}  // namespace

TEST_CASE("numfmt: every code of every <=16-bit format decodes and re-encodes to itself", "[numfmt]") {
  for (const Fmt f : kSmall) {
    const Expect& e = expect(f);
    int failures = 0;
    std::string first;
    for (uint32_t c = 0; c < e.codes; ++c) {
      const double v = decode(f, c);
      for (const Round r : kModes) {
        for (const bool sat : {false, true}) {
          uint32_t want = c;
          if (std::isnan(v)) want = e.nan;
          else if (std::isinf(v) && sat) want = (c & e.sign) | e.max_code;
          const uint32_t got = encode(f, v, r, sat);
          if (got != want && failures++ == 0) first = fmt::format("{:#x} -> {:#x}", c, got);
        }
      }
      if (std::isnan(v) != is_nan(f, c) && failures++ == 0) first = fmt::format("is_nan {:#x}", c);
    }
    INFO(info(f).name << " first mismatch: " << first);
    CHECK(failures == 0);
  }
}

TEST_CASE("numfmt: decode ignores bits above the container", "[numfmt]") {
  CHECK(decode(Fmt::E2M1, 0xf3) == 1.5);
  CHECK(decode(Fmt::E4M3, 0x138) == 1.0);
  CHECK(decode(Fmt::FP16, 0xabcd3c00) == 1.0);
  CHECK(decode(Fmt::UE4M3, 0xb8) == 1.0);  // bit 7 is outside UE4M3's 7 value bits
  CHECK(decode(Fmt::E3M2, 0x4c) == 1.0);
}

TEST_CASE("numfmt: TF32, FP32 and FP64 round trips", "[numfmt]") {
  int failures = 0;
  for (uint32_t c = 0; c < (1u << 19); ++c) {
    const uint32_t code = c << 13;
    const double v = decode(Fmt::TF32, code);
    const uint32_t want = std::isnan(v) ? 0x7fffe000u : code;
    failures += encode(Fmt::TF32, v, Round::RN) != want;
    failures += !std::isnan(v) && v != static_cast<double>(std::bit_cast<float>(code));
  }
  CHECK(failures == 0);
  engine::Rng rng(7);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t c32 = static_cast<uint32_t>(rng.next());
    const float f = std::bit_cast<float>(c32);
    if (std::isnan(f)) {
      REQUIRE(std::isnan(decode(Fmt::FP32, c32)));
      REQUIRE(encode(Fmt::FP32, decode(Fmt::FP32, c32)) == 0x7fffffffu);
      continue;
    }
    REQUIRE(decode(Fmt::FP32, c32) == static_cast<double>(f));
    REQUIRE(encode(Fmt::FP32, static_cast<double>(f), kModes[i % 5]) == c32);
    const uint64_t c64 = rng.next();
    const double d = std::bit_cast<double>(c64);
    if (std::isnan(d)) continue;
    REQUIRE(std::bit_cast<uint64_t>(decode_fp64(c64)) == c64);
    REQUIRE(encode_fp64(d) == c64);
  }
  CHECK(encode_fp64(kNaN) == 0x7fffffffffffffffull);
  CHECK(std::isnan(decode_fp64(0xfff8000000000001ull)));
}

TEST_CASE("numfmt: reference table values (max, min normal, min subnormal)", "[numfmt]") {
  for (const Expect& e : kExpect) {
    const FmtInfo& fi = info(e.f);
    INFO(fi.name);
    CHECK(fi.max_finite == e.max);
    CHECK(fi.min_normal == e.min_normal);
    CHECK(fi.min_subnormal == e.min_sub);
    CHECK(fi.has_sign == (e.sign != 0));
    CHECK(decode(e.f, e.max_code) == e.max);
    CHECK(decode(e.f, e.min_normal_code) == e.min_normal);
    CHECK(encode(e.f, e.max) == e.max_code);
    CHECK(encode(e.f, e.min_normal) == e.min_normal_code);
    if (e.min_sub > 0) {
      CHECK(decode(e.f, e.min_sub_code) == e.min_sub);
      CHECK(encode(e.f, e.min_sub) == e.min_sub_code);
      CHECK(decode(e.f, e.min_normal_code - 1) == e.min_normal - e.min_sub);  // largest subnormal
    }
    if (e.sign != 0) CHECK(decode(e.f, e.sign | e.max_code) == -e.max);
  }
  const double e2m1[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  for (uint32_t c = 0; c < 8; ++c) {
    CHECK(decode(Fmt::E2M1, c) == e2m1[c]);
    CHECK(decode(Fmt::E2M1, c | 8) == -e2m1[c]);
  }
  CHECK(std::signbit(decode(Fmt::E2M1, 0x8)));
  CHECK(decode(Fmt::FP16, 0x3c00) == 1.0);
  CHECK(decode(Fmt::FP16, 0xc000) == -2.0);
  CHECK(decode(Fmt::BF16, 0x3f80) == 1.0);
  CHECK(decode(Fmt::E4M3, 0x38) == 1.0);
  CHECK(decode(Fmt::E4M3, 0x78) == 256.0);
  CHECK(decode(Fmt::E5M2, 0x3c) == 1.0);
  CHECK(decode(Fmt::E3M2, 0x0c) == 1.0);
  CHECK(decode(Fmt::E2M3, 0x08) == 1.0);
  CHECK(decode(Fmt::UE8M0, 0x7f) == 1.0);
  CHECK(decode(Fmt::FP32, 0x7f7fffff) == 0x1.fffffep127);
  CHECK(decode(Fmt::TF32, 0x7f7fe000) == 0x1.ffcp127);
  CHECK(std::isnan(decode(Fmt::TF32, 0x7fffe000)));
  CHECK(decode(Fmt::TF32, 0x00002000) == 0x1p-136);
  CHECK(decode_fp64(0x0000000000000001ull) == 0x1p-1074);
}

TEST_CASE("numfmt: NaN and Inf encodings per format", "[numfmt]") {
  CHECK(std::isnan(decode(Fmt::E4M3, 0x7f)));
  CHECK(std::isnan(decode(Fmt::E4M3, 0xff)));
  CHECK(decode(Fmt::E4M3, 0x7e) == 448.0);
  CHECK(decode(Fmt::E4M3, 0x7d) == 416.0);
  CHECK(decode(Fmt::E5M2, 0x7c) == kInf);
  CHECK(decode(Fmt::E5M2, 0xfc) == -kInf);
  for (const uint32_t c : {0x7d, 0x7e, 0x7f, 0xfd}) CHECK(std::isnan(decode(Fmt::E5M2, c)));
  CHECK(decode(Fmt::FP16, 0x7c00) == kInf);
  CHECK(std::isnan(decode(Fmt::FP16, 0x7c01)));
  CHECK(std::isnan(decode(Fmt::UE8M0, 0xff)));
  CHECK(std::isnan(decode(Fmt::UE4M3, 0x7f)));
  for (const Fmt f : {Fmt::E3M2, Fmt::E2M3, Fmt::E2M1})
    for (uint32_t c = 0; c < expect(f).codes; ++c) CHECK(std::isfinite(decode(f, c)));
  CHECK(is_nan(Fmt::FP32, 0xffc00000));
  CHECK_FALSE(is_nan(Fmt::FP32, 0x7f800000));
  CHECK(is_nan(Fmt::TF32, 0x7f802000));
  CHECK_FALSE(is_nan(Fmt::TF32, 0x7f801fff));  // low 13 bits are not part of TF32
}

namespace {
// Expected magnitude code for x between the adjacent codes lo and lo+1 (x not on either).
uint32_t expected_between(Round r, bool neg, uint32_t lo, int where /* -1 below mid, 0 at, 1 above */) {
  switch (r) {
    case Round::RN: return where < 0 ? lo : where > 0 ? lo + 1 : (lo % 2 == 0 ? lo : lo + 1);
    case Round::RNA: return where < 0 ? lo : lo + 1;
    case Round::RZ: return lo;
    case Round::RM: return neg ? lo + 1 : lo;
    case Round::RP: return neg ? lo : lo + 1;
  }
  return 0;
}
}  // namespace

TEST_CASE("numfmt: rounding between every pair of adjacent codes, every mode", "[numfmt]") {
  for (const Fmt f : kSmall) {
    const Expect& e = expect(f);
    int failures = 0;
    std::string first;
    for (uint32_t c = 0; c < e.max_code; ++c) {
      const double lo = decode(f, c), hi = decode(f, c + 1);
      const double points[] = {lo + (hi - lo) / 4, (lo + hi) / 2, lo + 3 * (hi - lo) / 4};
      for (int w = 0; w < 3; ++w) {
        for (const bool neg : {false, true}) {
          if (neg && e.sign == 0) continue;
          for (const Round r : kModes) {
            const uint32_t want = (neg ? e.sign : 0) | expected_between(r, neg, c, w - 1);
            const uint32_t got = encode(f, neg ? -points[w] : points[w], r);
            if (got != want && failures++ == 0) first = fmt::format("{:#x} point {} -> {:#x}", c, w, got);
          }
        }
      }
    }
    INFO(info(f).name << " first mismatch: " << first);
    CHECK(failures == 0);
  }
}

TEST_CASE("numfmt: ties and single rounding, literal cases", "[numfmt]") {
  const double t1 = 1.0 + 0x1p-11;  // FP16 tie between 0x3c00 and 0x3c01
  CHECK(encode(Fmt::FP16, t1, Round::RN) == 0x3c00);
  CHECK(encode(Fmt::FP16, t1, Round::RNA) == 0x3c01);
  CHECK(encode(Fmt::FP16, t1, Round::RZ) == 0x3c00);
  CHECK(encode(Fmt::FP16, t1, Round::RP) == 0x3c01);
  CHECK(encode(Fmt::FP16, -t1, Round::RM) == 0xbc01);
  CHECK(encode(Fmt::FP16, -t1, Round::RP) == 0xbc00);
  CHECK(encode(Fmt::FP16, 1.0 + 3 * 0x1p-11, Round::RN) == 0x3c02);
  // Just above a tie: a double-rounding (via float) implementation would see the tie.
  CHECK(encode(Fmt::FP16, t1 + 0x1p-40, Round::RN) == 0x3c01);
  CHECK(encode(Fmt::BF16, 1.0 + 0x1p-8 + 0x1p-40, Round::RN) == 0x3f81);
  CHECK(encode(Fmt::E2M1, 2.5, Round::RN) == 0x4);
  CHECK(encode(Fmt::E2M1, 2.5, Round::RNA) == 0x5);
  CHECK(encode(Fmt::E2M1, 5.0, Round::RN) == 0x6);
  CHECK(encode(Fmt::E2M1, 5.0, Round::RNA) == 0x7);
  CHECK(encode(Fmt::E2M1, 0.25, Round::RN) == 0x0);
  CHECK(encode(Fmt::E2M1, -0.25, Round::RN) == 0x8);
  CHECK(encode(Fmt::E2M1, 0.25, Round::RNA) == 0x1);
  CHECK(encode(Fmt::E4M3, 1.0625, Round::RN) == 0x38);
  CHECK(encode(Fmt::E4M3, 1.1875, Round::RN) == 0x3a);
  CHECK(encode(Fmt::E5M2, 1.125, Round::RN) == 0x3c);
  CHECK(encode(Fmt::E5M2, 1.375, Round::RN) == 0x3e);
  CHECK(encode(Fmt::E3M2, 1.125, Round::RNA) == 0x0d);
  CHECK(encode(Fmt::E2M3, 1.0625, Round::RN) == 0x08);
  CHECK(encode(Fmt::E2M3, -1.0625, Round::RM) == 0x29);
}

namespace {
struct Overflow {
  Fmt f;
  uint32_t pos, pos_sat, neg, neg_sat, nan;
};
// clang-format off
const Overflow kOverflow[] = {
  {Fmt::FP32,  0x7f800000, 0x7f7fffff, 0xff800000, 0xff7fffff, 0x7fffffff},
  {Fmt::TF32,  0x7f800000, 0x7f7fe000, 0xff800000, 0xff7fe000, 0x7fffe000},
  {Fmt::FP16,  0x7c00, 0x7bff, 0xfc00, 0xfbff, 0x7fff},
  {Fmt::BF16,  0x7f80, 0x7f7f, 0xff80, 0xff7f, 0x7fff},
  {Fmt::E4M3,  0x7f,   0x7e,   0xff,   0xfe,   0x7f},
  {Fmt::E5M2,  0x7c,   0x7b,   0xfc,   0xfb,   0x7f},
  {Fmt::E3M2,  0x1f,   0x1f,   0x3f,   0x3f,   0x1f},
  {Fmt::E2M3,  0x1f,   0x1f,   0x3f,   0x3f,   0x1f},
  {Fmt::E2M1,  0x7,    0x7,    0xf,    0xf,    0x7},
  {Fmt::UE8M0, 0xff,   0xfe,   0x00,   0x00,   0xff},
  {Fmt::UE4M3, 0x7f,   0x7e,   0x00,   0x00,   0x7f},
};
// clang-format on
}  // namespace

TEST_CASE("numfmt: overflow, Inf and NaN with and without satfinite", "[numfmt]") {
  for (const Overflow& o : kOverflow) {
    INFO(info(o.f).name);
    const double big = info(o.f).max_finite * 4;
    for (const double x : {big, kInf}) {
      CHECK(encode(o.f, x, Round::RN, false) == o.pos);
      CHECK(encode(o.f, x, Round::RN, true) == o.pos_sat);
      CHECK(encode(o.f, -x, Round::RN, false) == o.neg);
      CHECK(encode(o.f, -x, Round::RN, true) == o.neg_sat);
      CHECK(encode(o.f, x, Round::RNA, false) == o.pos);
    }
    // Directed toward zero: a finite overflow is max even without satfinite; Inf stays Inf.
    CHECK(encode(o.f, big, Round::RZ, false) == o.pos_sat);
    CHECK(encode(o.f, big, Round::RM, false) == o.pos_sat);
    CHECK(encode(o.f, -big, Round::RP, false) == o.neg_sat);
    CHECK(encode(o.f, -big, Round::RM, false) == o.neg);
    CHECK(encode(o.f, big, Round::RP, false) == o.pos);
    CHECK(encode(o.f, kInf, Round::RZ, false) == o.pos);
    for (const bool sat : {false, true}) {
      CHECK(encode(o.f, kNaN, Round::RN, sat) == o.nan);
      CHECK(encode(o.f, -kNaN, Round::RZ, sat) == o.nan);
    }
  }
}

TEST_CASE("numfmt: overflow thresholds", "[numfmt]") {
  CHECK(encode(Fmt::FP16, 65519.99) == 0x7bff);
  CHECK(encode(Fmt::FP16, 65520.0) == 0x7c00);  // tie with 2^16: even side is Inf
  CHECK(encode(Fmt::FP16, 65520.0, Round::RN, true) == 0x7bff);
  CHECK(encode(Fmt::E4M3, 464.0) == 0x7e);  // tie 448|480: 448 is even
  CHECK(encode(Fmt::E4M3, 464.0001) == 0x7f);
  CHECK(encode(Fmt::E4M3, -464.0001) == 0xff);
  CHECK(encode(Fmt::E4M3, 464.0001, Round::RN, true) == 0x7e);
  CHECK(encode(Fmt::E4M3, 449.0, Round::RP) == 0x7f);
  CHECK(encode(Fmt::E4M3, 449.0, Round::RZ) == 0x7e);
  CHECK(encode(Fmt::E5M2, 61439.0) == 0x7b);
  CHECK(encode(Fmt::E5M2, 61440.0) == 0x7c);
  CHECK(encode(Fmt::E2M1, 7.0) == 0x7);
  CHECK(encode(Fmt::E2M1, -100.0) == 0xf);
  CHECK(encode(Fmt::E3M2, 30.0, Round::RP) == 0x1f);
  CHECK(encode(Fmt::BF16, 0x1.ffp127) == 0x7f80);
  CHECK(encode(Fmt::BF16, 0x1.fefp127) == 0x7f7f);
}

TEST_CASE("numfmt: subnormal boundaries and ftz", "[numfmt]") {
  const double s16 = 0x1p-24;
  CHECK(encode(Fmt::FP16, s16 / 2, Round::RN) == 0x0000);
  CHECK(encode(Fmt::FP16, -s16 / 2, Round::RN) == 0x8000);
  CHECK(encode(Fmt::FP16, s16 / 2, Round::RNA) == 0x0001);
  CHECK(encode(Fmt::FP16, s16 / 2 * (1 + 0x1p-20), Round::RN) == 0x0001);
  CHECK(encode(Fmt::FP16, 0x1p-60, Round::RP) == 0x0001);
  CHECK(encode(Fmt::FP16, -0x1p-60, Round::RM) == 0x8001);
  CHECK(encode(Fmt::FP16, 0x1p-60, Round::RM) == 0x0000);
  CHECK(encode(Fmt::FP16, 3 * s16 / 2) == 0x0002);
  CHECK(encode(Fmt::FP16, 1023.5 * s16) == 0x0400);  // largest subnormal (odd) | min normal
  CHECK(encode(Fmt::FP16, 1023.5 * s16, Round::RZ) == 0x03ff);
  CHECK(decode(Fmt::FP16, 0x03ff) == 1023 * s16);
  CHECK(decode(Fmt::E5M2, 0x03) == 3 * 0x1p-16);
  CHECK(encode(Fmt::E4M3, 0x1p-10) == 0x00);
  CHECK(encode(Fmt::E4M3, 3 * 0x1p-10) == 0x02);
  CHECK(encode(Fmt::E4M3, 7 * 0x1p-9) == 0x07);
  CHECK(encode(Fmt::BF16, 0x1p-133) == 0x0001);
  CHECK(encode(Fmt::FP32, 0x1p-149) == 0x00000001);
  CHECK(encode(Fmt::FP32, 0x1p-150) == 0x00000000);
  CHECK(encode(Fmt::FP32, 0x1p-150 * 1.5) == 0x00000001);
  // ftz: subnormal results become signed zero; results that round to min normal stay.
  CHECK(encode(Fmt::FP16, 0x1p-20, Round::RN, false, true) == 0x0000);
  CHECK(encode(Fmt::FP16, -0x1p-20, Round::RN, false, true) == 0x8000);
  CHECK(encode(Fmt::FP16, 1023.5 * s16, Round::RN, false, true) == 0x0400);
  CHECK(encode(Fmt::FP16, 1023.4 * s16, Round::RN, false, true) == 0x0000);
  CHECK(encode(Fmt::FP16, 0x1p-60, Round::RP, false, true) == 0x0000);
  CHECK(encode(Fmt::FP16, 0x1p-14, Round::RN, false, true) == 0x0400);
  CHECK(encode(Fmt::E4M3, -0x1p-7, Round::RN, false, true) == 0x80);
  CHECK(encode(Fmt::UE4M3, 0x1p-7, Round::RN, false, true) == 0x00);
  CHECK(encode(Fmt::FP32, 0x1p-140, Round::RN, false, true) == 0x00000000);
  CHECK(std::signbit(flush_subnormal(Fmt::FP32, -0x1p-130)));
  CHECK(flush_subnormal(Fmt::FP32, -0x1p-130) == 0.0);
  CHECK(flush_subnormal(Fmt::FP32, 0x1p-126) == 0x1p-126);
  CHECK(flush_subnormal(Fmt::FP16, 0x1p-15) == 0.0);
}

TEST_CASE("numfmt: UE8M0 has no zero and 0xff is NaN", "[numfmt]") {
  CHECK(decode(Fmt::UE8M0, 0x00) == 0x1p-127);
  CHECK(decode(Fmt::UE8M0, 0xfe) == 0x1p127);
  CHECK(is_nan(Fmt::UE8M0, 0xff));
  CHECK_FALSE(is_nan(Fmt::UE8M0, 0x00));
  for (const double x : {0.0, -0.0, -3.0, 0x1p-127, 0x1p-200, -kInf}) CHECK(encode(Fmt::UE8M0, x) == 0x00);
  CHECK(encode(Fmt::UE8M0, 0x1.8p-127, Round::RP) == 0x01);
  CHECK(encode(Fmt::UE8M0, 0x1.8p-127, Round::RZ) == 0x00);
  CHECK(encode(Fmt::UE8M0, 3.0, Round::RZ) == 0x80);
  CHECK(encode(Fmt::UE8M0, 3.0, Round::RP) == 0x81);
  CHECK(encode(Fmt::UE8M0, 3.0, Round::RN) == 0x80);   // tie 2|4: code 0x80 is even
  CHECK(encode(Fmt::UE8M0, 1.5, Round::RN) == 0x80);   // tie 1|2: code 0x7f is odd
  CHECK(encode(Fmt::UE8M0, 1.5, Round::RNA) == 0x80);
  CHECK(encode(Fmt::UE8M0, 1.4, Round::RN) == 0x7f);
  CHECK(encode(Fmt::UE8M0, 0x1.4p127) == 0xfe);
  CHECK(encode(Fmt::UE8M0, 0x1.cp127) == 0xff);
  CHECK(encode(Fmt::UE8M0, 0x1.cp127, Round::RN, true) == 0xfe);
  CHECK(encode(Fmt::UE8M0, 0x1p200, Round::RZ) == 0xfe);
}

TEST_CASE("numfmt: UE4M3 is unsigned with 0x7f NaN", "[numfmt]") {
  CHECK(encode(Fmt::UE4M3, -1.0) == 0x00);
  CHECK(encode(Fmt::UE4M3, -0.0) == 0x00);
  CHECK(encode(Fmt::UE4M3, -1.0, Round::RM) == 0x00);
  CHECK(encode(Fmt::UE4M3, 448.0) == 0x7e);
  CHECK(encode(Fmt::UE4M3, 0x1p-9) == 0x01);
  CHECK(encode(Fmt::UE4M3, 1.0) == 0x38);
  CHECK(encode(Fmt::UE4M3, kNaN) == 0x7f);
  CHECK(encode(Fmt::UE4M3, 500.0) == 0x7f);
  CHECK(decode(Fmt::UE4M3, 0x7e) == 448.0);
  CHECK(info(Fmt::UE4M3).bits == 8);
}

TEST_CASE("numfmt: TF32 keeps 10 mantissa bits with RN, RNA, RZ", "[numfmt]") {
  CHECK(encode(Fmt::TF32, 1.0 + 0x1p-11, Round::RN) == 0x3f800000u);
  CHECK(encode(Fmt::TF32, 1.0 + 0x1p-11, Round::RNA) == 0x3f802000u);
  CHECK(encode(Fmt::TF32, 1.0 + 0x1p-11, Round::RZ) == 0x3f800000u);
  CHECK(encode(Fmt::TF32, 1.0 + 3 * 0x1p-11, Round::RN) == 0x3f804000u);
  CHECK(encode(Fmt::TF32, -(1.0 + 0x1p-11), Round::RNA) == 0xbf802000u);
  CHECK(decode(Fmt::TF32, 0x3f801fff) == 1.0);
  engine::Rng rng(11);
  for (int i = 0; i < 100000; ++i) {
    const uint32_t bits = static_cast<uint32_t>(rng.next());
    const float x = std::bit_cast<float>(bits);
    if (!std::isfinite(x)) continue;
    // Independent integer formulas on the FP32 pattern (CUTLASS-style for RNA).
    const uint32_t rz = bits & ~0x1fffu;
    const uint32_t rna = (bits + 0x1000u) & ~0x1fffu;
    const uint32_t rn = (bits + 0xfffu + ((bits >> 13) & 1)) & ~0x1fffu;
    REQUIRE(encode(Fmt::TF32, x, Round::RZ) == rz);
    REQUIRE(encode(Fmt::TF32, x, Round::RNA) == rna);
    REQUIRE(encode(Fmt::TF32, x, Round::RN) == rn);
  }
}

TEST_CASE("numfmt: FP32 encode matches the FPU's double->float conversion", "[numfmt]") {
  const std::pair<Round, int> modes[] = {
      {Round::RN, FE_TONEAREST}, {Round::RZ, FE_TOWARDZERO}, {Round::RM, FE_DOWNWARD}, {Round::RP, FE_UPWARD}};
  engine::Rng rng(13);
  const int saved = std::fegetround();
  int failures = 0;
  for (int i = 0; i < 100000; ++i) {
    // Doubles across FP32's range, including its subnormals and overflow.
    volatile double x = std::ldexp(rng.uniform(-2.0, 2.0), static_cast<int>(rng.below(320)) - 170);
    for (const auto& [r, fe] : modes) {
      std::fesetround(fe);
      volatile float hw = static_cast<float>(x);
      std::fesetround(saved);
      failures += encode(Fmt::FP32, x, r) != f32_bits(hw);
    }
  }
  std::fesetround(saved);
  CHECK(failures == 0);
}

TEST_CASE("numfmt: float_to_int rounds, saturates and maps NaN to 0", "[numfmt]") {
  CHECK(float_to_int(2.5, Round::RN, 32, true) == 2);
  CHECK(float_to_int(3.5, Round::RN, 32, true) == 4);
  CHECK(float_to_int(-2.5, Round::RN, 32, true) == -2);
  CHECK(float_to_int(2.5, Round::RNA, 32, true) == 3);
  CHECK(float_to_int(-2.5, Round::RNA, 32, true) == -3);
  CHECK(float_to_int(-2.7, Round::RZ, 32, true) == -2);
  CHECK(float_to_int(-2.1, Round::RM, 32, true) == -3);
  CHECK(float_to_int(2.1, Round::RP, 32, true) == 3);
  CHECK(float_to_int(-0.4, Round::RN, 8, false) == 0);
  CHECK(float_to_int(300.0, Round::RN, 8, true) == 127);
  CHECK(float_to_int(-300.0, Round::RN, 8, true) == -128);
  CHECK(float_to_int(-128.4, Round::RN, 8, true) == -128);
  CHECK(float_to_int(127.4, Round::RN, 8, true) == 127);
  CHECK(float_to_int(-5.0, Round::RN, 8, false) == 0);
  CHECK(float_to_int(255.6, Round::RN, 8, false) == 255);
  CHECK(float_to_int(255.4, Round::RN, 8, false) == 255);
  CHECK(float_to_int(9.0, Round::RN, 4, true) == 7);
  CHECK(float_to_int(-9.0, Round::RN, 4, true) == -8);
  CHECK(float_to_int(16.0, Round::RN, 4, false) == 15);
  CHECK(float_to_int(40000.0, Round::RN, 16, true) == 32767);
  CHECK(float_to_int(70000.0, Round::RN, 16, false) == 65535);
  CHECK(float_to_int(3e9, Round::RN, 32, true) == 2147483647);
  CHECK(float_to_int(-3e9, Round::RN, 32, true) == -2147483648LL);
  CHECK(float_to_int(5e9, Round::RN, 32, false) == 4294967295LL);
  CHECK(float_to_int(1e19, Round::RN, 64, true) == std::numeric_limits<int64_t>::max());
  CHECK(float_to_int(-1e19, Round::RN, 64, true) == std::numeric_limits<int64_t>::min());
  CHECK(float_to_int(1e20, Round::RN, 64, false) == -1);  // UINT64_MAX as a bit pattern
  CHECK(float_to_int(0x1p63, Round::RN, 64, false) == static_cast<int64_t>(0x8000000000000000ull));
  CHECK(float_to_int(kInf, Round::RZ, 32, true) == 2147483647);
  CHECK(float_to_int(-kInf, Round::RZ, 32, false) == 0);
  for (const int bits : {4, 8, 16, 32, 64})
    for (const bool s : {false, true}) CHECK(float_to_int(kNaN, Round::RN, bits, s) == 0);
}

TEST_CASE("numfmt: int_from_bits sign- and zero-extends", "[numfmt]") {
  CHECK(int_from_bits(0xf, 4, true) == -1);
  CHECK(int_from_bits(0xf, 4, false) == 15);
  CHECK(int_from_bits(0x17, 4, true) == 7);
  CHECK(int_from_bits(0x80, 8, true) == -128);
  CHECK(int_from_bits(0x80, 8, false) == 128);
  CHECK(int_from_bits(0xffff8000, 16, true) == -32768);
  CHECK(int_from_bits(0x80000000, 32, true) == -2147483648LL);
  CHECK(int_from_bits(0x80000000, 32, false) == 2147483648LL);
}

TEST_CASE("numfmt: f16/bf16 -> f32 fast paths agree with decode on all codes", "[numfmt]") {
  int failures = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const auto code = static_cast<uint16_t>(h);
    const double d16 = decode(Fmt::FP16, h), db = decode(Fmt::BF16, h);
    const float f16 = f16_to_f32(code), fb = bf16_to_f32(code);
    if (std::isnan(d16)) failures += f32_bits(f16) != 0x7fffffffu;
    else failures += f32_bits(f16) != f32_bits(static_cast<float>(d16));
    if (std::isnan(db)) failures += !std::isnan(fb);
    else failures += f32_bits(fb) != f32_bits(static_cast<float>(db));
  }
  CHECK(failures == 0);
}

namespace {
// Mismatches between the fast f32 -> 16-bit path and the generic encoder, for one float.
int fast_mismatches(float x) {
  int n = 0;
  for (const Round r : kModes) {
    n += f32_to_f16(x, r) != encode(Fmt::FP16, x, r);
    n += f32_to_bf16(x, r) != encode(Fmt::BF16, x, r);
  }
  return n;
}
}  // namespace

TEST_CASE("numfmt: f32 -> f16/bf16 fast paths agree with encode bit for bit", "[numfmt]") {
  int failures = 0;
  for (const Fmt f : {Fmt::FP16, Fmt::BF16}) {
    for (uint32_t h = 0; h < 65536; ++h) {  // every code, every midpoint and quarter point
      const double lo = decode(f, h), hi = decode(f, (h & 0x8000) | ((h + 1) & 0x7fff));
      failures += fast_mismatches(static_cast<float>(lo));
      if (!std::isfinite(lo) || !std::isfinite(hi) || (h & 0x7fff) == 0x7fff) continue;
      for (const double t : {0.25, 0.5, 0.75})
        failures += fast_mismatches(static_cast<float>(lo + (hi - lo) * t));
    }
  }
  engine::Rng rng(17);
  for (int i = 0; i < 300000; ++i) {
    uint32_t bits = static_cast<uint32_t>(rng.next());
    if (i % 2 == 0) bits = (bits & 0x807fffffu) | static_cast<uint32_t>(90 + rng.below(60)) << 23;
    failures += fast_mismatches(std::bit_cast<float>(bits));
  }
  for (const float x : {0.0f, -0.0f, 65504.0f, 65520.0f, -65520.0f, 1e30f, -1e-30f, 0x1p-149f})
    failures += fast_mismatches(x);
  failures += fast_mismatches(std::numeric_limits<float>::infinity());
  failures += fast_mismatches(-std::numeric_limits<float>::infinity());
  failures += fast_mismatches(std::numeric_limits<float>::quiet_NaN());
  CHECK(failures == 0);
}

}  // namespace xpusim::isa
