// Opcode-by-opcode checks of MUFU and the conversions (F2F, F2FP, I2F, F2I) against values
// computed here: libm in extended precision for MUFU, small-format decoders written out below,
// integer-exact rounding for 64-bit integers, PTX cvt rules for saturation and NaN. Rounding
// into FP16/BF16/FP8/FP6/FP4 uses isa::encode, which numfmt_test.cc checks exhaustively.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "src/exec/exec_test_util.h"
#include "src/isa/numfmt.h"

using namespace xpusim;
using namespace xpusim::exec;
using testing::addr_words;
using testing::Run;
using isa::Fmt;

namespace {

using Words = std::array<uint32_t, 8>;

// One thread per element of `in`: inputs in R4..R11, outputs R16..R23 (see ops_int_test.cc).
std::vector<Words> run_lanes(const std::string& body, const std::vector<Words>& in) {
  Run r(".kernel t\n.param in:u64 out:u64\n.regs 64\n"
        "  S2R R0, SR_TID.X\n  IMAD.WIDE.U32 R2, R0, 32, c[in]\n  LDG.128 R4, [R2]\n  LDG.128 R8, [R2+16]\n" +
        body +
        "\n  S2R R0, SR_TID.X\n  IMAD.WIDE.U32 R2, R0, 32, c[out]\n  STG.128 [R2], R16\n  STG.128 [R2+16], R20\n"
        "  EXIT\n");
  std::vector<uint32_t> flat;
  for (const Words& w : in) flat.insert(flat.end(), w.begin(), w.end());
  const uint64_t pi = r.buffer(flat, "in"), po = r.buffer(std::vector<uint32_t>(flat.size()), "out");
  std::vector<uint32_t> params = addr_words(pi);
  for (uint32_t w : addr_words(po)) params.push_back(w);
  r.go({1, 1, 1}, {static_cast<uint32_t>(in.size()), 1, 1}, params);
  const std::vector<uint32_t> o = r.read(po, flat.size());
  std::vector<Words> out(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    for (int k = 0; k < 8; ++k) out[i][k] = o[i * 8 + k];
  return out;
}

uint32_t fb(float f) { return std::bit_cast<uint32_t>(f); }
float bf(uint32_t u) { return std::bit_cast<float>(u); }
uint64_t db(double d) { return std::bit_cast<uint64_t>(d); }
double u64d(uint32_t lo, uint32_t hi) { return std::bit_cast<double>((uint64_t{hi} << 32) | lo); }
std::vector<Words> floats(std::initializer_list<float> v) {
  std::vector<Words> in;
  for (float f : v) in.push_back({fb(f), 0, 0, 0, 0, 0, 0, 0});
  return in;
}
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

// Minifloat decoding from the field definitions (PTX §5.2.3 / OCP): sign, exponent field e,
// mantissa m; e == 0 is subnormal.
double mini(uint32_t code, int ebits, int mbits, int bias) {
  const uint32_t m = code & ((1u << mbits) - 1), e = (code >> mbits) & ((1u << ebits) - 1);
  const bool neg = (code >> (ebits + mbits)) & 1;
  const double v = e == 0 ? std::ldexp(m, 1 - bias - mbits) : std::ldexp((1u << mbits) + m, static_cast<int>(e) - bias - mbits);
  return neg ? -v : v;
}
double e4m3(uint32_t c) { return ((c & 0x7f) == 0x7f) ? NAN : mini(c, 4, 3, 7); }
double e5m2(uint32_t c) { return ((c & 0x7c) == 0x7c) ? ((c & 3) ? NAN : ((c & 0x80) ? -INFINITY : INFINITY)) : mini(c, 5, 2, 15); }
double e2m1(uint32_t c) { return mini(c, 2, 1, 1); }
double e3m2(uint32_t c) { return mini(c, 3, 2, 3); }
double e2m3(uint32_t c) { return mini(c, 2, 3, 1); }

// Correctly rounded uint64 -> binary float with `p` significant bits, in integer arithmetic.
// mode: 0 RN-even, 1 RZ, 2 RP (positive values only). Returns the value as a double.
double round_u64(uint64_t x, int p, int mode) {
  if (x == 0) return 0;
  const int msb = 63 - std::countl_zero(x);
  if (msb < p) return static_cast<double>(x);  // exact
  const int drop = msb + 1 - p;
  uint64_t keep = x >> drop;
  const uint64_t rem = x & ((uint64_t{1} << drop) - 1), half = uint64_t{1} << (drop - 1);
  if (mode == 0 && (rem > half || (rem == half && (keep & 1)))) ++keep;
  if (mode == 2 && rem != 0) ++keep;
  return std::ldexp(static_cast<double>(keep), drop);
}

}  // namespace

// docs/isa.md §5.5: each function evaluated in double and rounded once to FP32 (within half
// an ulp of the true value); SIN/COS take the argument in revolutions (sin 2πx).
TEST_CASE("ops: MUFU functions are within half an ulp of the exact value, special cases are exact", "[ops]") {
  std::mt19937 rng(31);
  std::vector<Words> in(64);
  for (auto& w : in) {
    w[0] = fb(std::ldexp(static_cast<float>(rng() % 100000) / 100000.0f + 0.5f, static_cast<int>(rng() % 20) - 10));
    if (rng() & 1) w[1] = w[0] | 0x80000000u;
    else w[1] = w[0];
  }
  const auto out = run_lanes(R"(
  MUFU.EX2 R16, R5
  MUFU.LG2 R17, R4
  MUFU.RCP R18, R5
  MUFU.RSQ R19, R4
  MUFU.SIN R20, R5
  MUFU.COS R21, R5
  MUFU.SQRT R22, R4
  MUFU.TANH R23, R5
)", in);
  // |got - exact| in units of the FP32 ulp at the exact value (slack: absolute 2^-60).
  auto ulps = [](uint32_t got, long double exact) -> double {
    const float r = static_cast<float>(exact);
    if (std::isinf(r)) return bf(got) == r ? 0.0 : 1e9;
    const long double ulp = std::fabs(static_cast<long double>(std::nextafter(std::fabs(r), kInf)) - std::fabs(r));
    return static_cast<double>(std::max(0.0L, std::fabs(static_cast<long double>(bf(got)) - exact) - 0x1p-60L) / ulp);
  };
  const long double kTwoPi = 6.283185307179586476925286766559005768L;
  for (size_t l = 0; l < in.size(); ++l) {
    const long double a = bf(in[l][0]), s = bf(in[l][1]);
    INFO("lane " << l << " a=" << static_cast<double>(a) << " s=" << static_cast<double>(s));
    CHECK(ulps(out[l][0], std::exp2(s)) <= 0.5);
    CHECK(ulps(out[l][1], std::log2(a)) <= 0.5);
    CHECK(ulps(out[l][2], 1.0L / s) <= 0.5);
    CHECK(ulps(out[l][3], 1.0L / std::sqrt(a)) <= 0.5);
    CHECK(ulps(out[l][4], std::sin(kTwoPi * s)) <= 0.5);
    CHECK(ulps(out[l][5], std::cos(kTwoPi * s)) <= 0.5);
    CHECK(ulps(out[l][6], std::sqrt(a)) <= 0.5);
    CHECK(ulps(out[l][7], std::tanh(s)) <= 0.5);
  }
  const auto sp = run_lanes(R"(
  MUFU.EX2 R16, R4
  MUFU.LG2 R17, R4
  MUFU.RCP R18, R4
  MUFU.RSQ R19, R4
  MUFU.SIN R20, R4
  MUFU.COS R21, R4
  MUFU.SQRT R22, R4
  MUFU.TANH R23, R4
)", floats({0.0f, -0.0f, kInf, -kInf, kNan, 4.0f, -1.0f, 0.25f}));
  const uint32_t nan = 0x7fffffffu, inf = fb(kInf), ninf = fb(-kInf);
  // {EX2, LG2, RCP, RSQ, SIN, COS, SQRT, TANH} per input: exact patterns
  const uint32_t exact[5][8] = {
      {fb(1.0f), ninf, inf, inf, 0, fb(1.0f), 0, 0},                                      // +0
      {fb(1.0f), ninf, ninf, ninf, 0x80000000u, fb(1.0f), 0x80000000u, 0x80000000u},      // -0
      {inf, inf, 0, 0, nan, nan, inf, fb(1.0f)},                                           // +Inf
      {0, nan, 0x80000000u, nan, nan, nan, nan, fb(-1.0f)},                                // -Inf
      {nan, nan, nan, nan, nan, nan, nan, nan}};                                           // NaN
  // ... and values for 4, -1, 1/4 (sin/cos of whole revolutions are 0 and 1)
  const double val[3][8] = {{16, 2, 0.25, 0.5, 0, 1, 2, std::tanh(4.0)},
                            {0.5, NAN, -1, NAN, 0, 1, NAN, std::tanh(-1.0)},
                            {std::exp2(0.25), -2, 4, 2, 1, 0, 0.5, std::tanh(0.25)}};
  for (int l = 0; l < 8; ++l)
    for (int k = 0; k < 8; ++k) {
      INFO("input " << l << " function " << k);
      if (l < 5) CHECK(sp[l][k] == exact[l][k]);
      else if (std::isnan(val[l - 5][k])) CHECK(sp[l][k] == nan);
      else if (val[l - 5][k] == 0) CHECK(std::fabs(bf(sp[l][k])) <= 1e-15f);  // exact zeros: see below
      else CHECK(ulps(sp[l][k], val[l - 5][k]) <= 0.5);
    }
  // Operand modifiers and literals (an integer literal in a float slot is its value)
  const auto m = run_lanes("  MUFU.RCP R16, -R4\n  MUFU.SQRT R17, |R4|\n  MUFU.EX2 R18, 3\n  MUFU.SIN R19, 0.25\n"
                           "  MUFU.COS R20, 0.5\n  MUFU.RSQ R21, -|R4|\n",
                           floats({-4.0f}));
  CHECK(m[0][0] == fb(0.25f));
  CHECK(m[0][1] == fb(2.0f));
  CHECK(m[0][2] == fb(8.0f));
  CHECK(m[0][3] == fb(1.0f));
  CHECK(m[0][4] == fb(-1.0f));
  CHECK(m[0][5] == nan);
}

// Regression (found by this test): the argument was multiplied by 2π before reduction, so whole
// or half revolutions gave small nonzero results growing with |x|. The true values are exactly 0
// and docs/isa.md §5.5 promises half an ulp; exact reduction (x - rint(x)) gives them.
TEST_CASE("ops: MUFU.SIN/COS of exact half and quarter revolutions are zero", "[ops]") {
  const auto out = run_lanes("  MUFU.SIN R16, R4\n  MUFU.COS R17, R5\n",
                             {{fb(4.0f), fb(0.25f), 0, 0, 0, 0, 0, 0},
                              {fb(-1.0f), fb(0.75f), 0, 0, 0, 0, 0, 0},
                              {fb(0.5f), fb(-0.25f), 0, 0, 0, 0, 0, 0},
                              {fb(4194304.5f), fb(2097152.25f), 0, 0, 0, 0, 0, 0}});
  for (int l = 0; l < 4; ++l) {
    INFO("input " << l);
    CHECK((out[l][0] & 0x7fffffffu) == 0u);
    CHECK((out[l][1] & 0x7fffffffu) == 0u);
  }
}

// docs/isa.md §5.5 and PTX ex2/rcp .approx.ftz.f32: a subnormal source and result flush to zero.
TEST_CASE("ops: MUFU .FTZ flushes subnormal inputs and results", "[ops]") {
  const auto out = run_lanes("  MUFU.EX2.FTZ R16, R4\n  MUFU.RCP.FTZ R17, R5\n  MUFU.EX2 R18, R4\n  MUFU.RCP R19, R5\n",
                             {{fb(-130.0f), fb(0x1p-127f), 0, 0, 0, 0, 0, 0}});
  CHECK(out[0][0] == 0u);            // 2^-130 is subnormal
  CHECK(out[0][1] == fb(kInf));      // 1 / (+0)
  CHECK(out[0][2] == fb(0x1p-130f)); // kept without .FTZ
  CHECK(out[0][3] == fb(0x1p127f));
}

TEST_CASE("ops: F2F between FP32, FP16, BF16, TF32 and FP64 in every rounding mode", "[ops]") {
  std::mt19937 rng(32);
  std::vector<Words> in(64);
  for (auto& w : in) w[0] = (rng() & 0x80000000u) | ((100 + rng() % 60) << 23) | (rng() & 0x7fffffu);
  in[0][0] = fb(1.0f + 0x1p-11f);                 // FP16 tie -> even
  in[1][0] = fb(1.0f + 0x1p-11f + 0x1p-20f);      // just above a tie
  in[2][0] = fb(-65520.0f);                       // FP16 overflow tie
  in[3][0] = fb(70000.0f);
  in[4][0] = 0x7fc00001u;                         // NaN
  in[5][0] = fb(0x1p-25f);                        // half the smallest FP16 subnormal
  in[6][0] = 0x3f801000u;                         // TF32 tie (bit 12 set only)
  in[7][0] = fb(kInf);
  const auto out = run_lanes(R"(
  F2F.F16.F32 R16, R4
  F2F.F16.F32.RZ R17, R4
  F2F.F16.F32.RM R18, R4
  F2F.F16.F32.RP R19, R4
  F2F.BF16.F32 R20, R4
  F2F.BF16.F32.RZ R21, R4
  F2F.TF32.F32.RNA R22, R4
  F2F.F16.F32.SATFINITE R23, R4
)", in);
  const isa::Round modes[4] = {isa::Round::RN, isa::Round::RZ, isa::Round::RM, isa::Round::RP};
  for (size_t l = 0; l < in.size(); ++l) {
    const float v = bf(in[l][0]);
    INFO("lane " << l << fmt::format(" v={:#x}", in[l][0]));
    for (int k = 0; k < 4; ++k) {
      if (std::isnan(v)) CHECK(out[l][k] == 0x7fffu);  // canonical, positive (docs/isa.md §6)
      else CHECK(out[l][k] == isa::encode(Fmt::FP16, v, modes[k]));
    }
    if (std::isnan(v)) {
      CHECK(out[l][4] == 0x7fffu);
      continue;
    }
    // BF16: the upper half of the FP32 pattern, rounded by the lower half.
    const uint32_t up = in[l][0] >> 16, low = in[l][0] & 0xffff;
    const bool rn_up = low > 0x8000 || (low == 0x8000 && (up & 1));
    CHECK(out[l][4] == (std::isinf(v) ? up : up + rn_up));
    CHECK(out[l][5] == up);
    // TF32 with ties away: add half of bit 13 and clear the low 13 bits (CUTLASS tfloat32).
    CHECK(out[l][6] == (std::isinf(v) ? in[l][0] : (in[l][0] + 0x1000u) & 0xffffe000u));
    CHECK(out[l][7] == isa::encode(Fmt::FP16, v, isa::Round::RN, true));
  }
  CHECK(out[0][0] == 0x3c00u);
  CHECK(out[0][3] == 0x3c01u);
  CHECK(out[1][0] == 0x3c01u);
  CHECK(out[2][0] == 0xfc00u);   // -Inf
  CHECK(out[2][1] == 0xfbffu);   // RZ: -max
  CHECK(out[2][7] == 0xfbffu);   // satfinite
  CHECK(out[3][7] == 0x7bffu);
  CHECK(out[5][0] == 0u);        // tie with 0 -> even
  CHECK(out[5][3] == 1u);
  CHECK(out[6][6] == 0x3f802000u);
  CHECK(out[7][7] == 0x7bffu);   // .SATFINITE: Inf -> max

  // Widening is exact; FP64 destinations and sources are register pairs.
  std::vector<Words> w(8);
  const uint32_t halves[8] = {0x0001, 0x8400, 0x7bff, 0xfc00, 0x7e01, 0x3555, 0x0000, 0x8000};
  for (int l = 0; l < 8; ++l) {
    w[l][0] = halves[l] | (uint32_t{halves[7 - l]} << 16);
    w[l][1] = fb(std::ldexp(1.0f + l / 8.0f, l * 10 - 40));
    const uint64_t d = db(1.0 + std::ldexp(1.0, -30) * (l + 1) + (l == 3 ? 0x1p-24 : 0.0));
    w[l][2] = static_cast<uint32_t>(d), w[l][3] = static_cast<uint32_t>(d >> 32);
  }
  const auto o2 = run_lanes(R"(
  F2F.F32.F16 R16, R4
  F2F.F32.F16 R17, R4.H1
  F2F.F32.BF16 R18, R4
  F2F.F64.F32 R20, R5
  F2F.F32.F64 R22, R6
  F2F.F32.F64.RP R23, R6
)", w);
  for (int l = 0; l < 8; ++l) {
    INFO("lane " << l);
    const double lo = isa::decode(Fmt::FP16, halves[l]), hi = isa::decode(Fmt::FP16, halves[7 - l]);
    if (std::isnan(lo)) CHECK(std::isnan(bf(o2[l][0])));
    else CHECK(o2[l][0] == fb(static_cast<float>(lo)));
    if (std::isnan(hi)) CHECK(std::isnan(bf(o2[l][1])));
    else CHECK(o2[l][1] == fb(static_cast<float>(hi)));
    CHECK(o2[l][2] == (w[l][0] << 16));  // BF16 -> FP32: the pattern shifted up
    CHECK(u64d(o2[l][4], o2[l][5]) == static_cast<double>(bf(w[l][1])));
    const double d = u64d(w[l][2], w[l][3]);
    CHECK(o2[l][6] == fb(static_cast<float>(d)));
    const float rn = static_cast<float>(d);
    CHECK(o2[l][7] == fb(static_cast<double>(rn) >= d ? rn : std::nextafter(rn, kInf)));
  }
}

TEST_CASE("ops: F2F and F2FP .RELU clamp negatives to +0, F2F .FTZ flushes subnormal results", "[ops]") {
  const auto out = run_lanes(R"(
  F2F.F16.F32.RELU R16, R4
  F2F.BF16.F32.RELU R17, R4
  F2FP.BF16.F32.PACK_AB.RELU R18, R4, R5
  F2F.F16.F32.FTZ R19, R5
  F2F.F16.F32 R20, R5
  F2FP.SATFINITE.E5M2.BF16x2 R21, R6
)", {{fb(-3.0f), fb(0x1p-20f), 0xc0404100u, 0, 0, 0, 0, 0}, {fb(3.0f), fb(-0x1p-20f), 0x7f80ff80u, 0, 0, 0, 0, 0},
     {fb(kNan), fb(0x1p-14f), 0x3f803f80u, 0, 0, 0, 0, 0}});
  CHECK(out[0][0] == 0u);
  CHECK(out[0][1] == 0u);
  CHECK(out[0][2] == 0x00003580u);   // {relu(-3) = 0, bf16(2^-20)}
  CHECK(out[0][3] == 0u);            // 2^-20 is subnormal in FP16
  CHECK(out[0][4] == 0x0010u);
  CHECK(out[0][5] == ((isa::encode(Fmt::E5M2, -3.0) << 8) | isa::encode(Fmt::E5M2, 8.0)));  // {-3, 8}
  CHECK(out[1][0] == 0x4200u);
  CHECK(out[1][3] == 0x8000u);       // sign kept
  CHECK(out[1][5] == ((0x7bu << 8) | 0xfbu));  // Inf -> +max, -Inf -> -max
  CHECK(out[2][0] == 0x7fffu);       // NaN stays NaN
  CHECK(out[2][3] == 0x0400u);       // min normal is kept
  CHECK(out[2][5] == 0x3c3cu);       // {1, 1}
}

TEST_CASE("ops: F2F to FP8/FP6/FP4 with .SATFINITE, NaN and ties", "[ops]") {
  const auto in = floats({448.0f, 464.0f, 500.0f, -1000.0f, kNan, 0x1p-10f, 3 * 0x1p-10f, 61440.0f,
                          5.0f, 2.5f, 0.25f, 0.75f, 7.0f, -kInf, 30.0f, 0.0625f * 1.5f});
  const auto out = run_lanes(R"(
  F2F.E4M3.F32.SATFINITE R16, R4
  F2F.E4M3.F32 R17, R4
  F2F.E5M2.F32.SATFINITE R18, R4
  F2F.E5M2.F32 R19, R4
  F2F.E2M1.F32.SATFINITE R20, R4
  F2F.E3M2.F32.SATFINITE R21, R4
  F2F.E2M3.F32.SATFINITE R22, R4
  F2F.F32.E4M3 R23, R16
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const float v = bf(in[l][0]);
    INFO("lane " << l << " v=" << v);
    // Generic expectation: the format's rounding (isa::encode), and the decoded value of what
    // came back lies next to v.
    CHECK(out[l][0] == isa::encode(Fmt::E4M3, v, isa::Round::RN, true));
    CHECK(out[l][1] == isa::encode(Fmt::E4M3, v, isa::Round::RN, false));
    CHECK(out[l][2] == isa::encode(Fmt::E5M2, v, isa::Round::RN, true));
    CHECK(out[l][3] == isa::encode(Fmt::E5M2, v, isa::Round::RN, false));
    CHECK(out[l][4] == isa::encode(Fmt::E2M1, v, isa::Round::RN, true));
    if (std::isnan(e4m3(out[l][0]))) CHECK(std::isnan(bf(out[l][7])));
    else CHECK(out[l][7] == fb(static_cast<float>(e4m3(out[l][0]))));
  }
  // Hand-derived values from the format definitions.
  CHECK(e4m3(out[0][0]) == 448.0);
  CHECK(out[1][0] == 0x7eu);                 // 464 ties between 448 and "480" (NaN code): satfinite max
  CHECK(out[2][0] == 0x7eu);
  CHECK(out[3][0] == 0xfeu);                 // sign kept
  CHECK(std::isnan(e4m3(out[2][1])));        // no Inf in E4M3: overflow is NaN without satfinite
  CHECK(out[4][0] == 0x7fu);                 // NaN -> the canonical NaN (docs/isa.md §6)
  CHECK(out[4][2] == 0x7fu);
  CHECK(out[3][1] == 0xffu);                 // -1000 overflows to NaN, sign kept
  CHECK(out[5][0] == 0u);                    // 2^-10 ties between 0 and 2^-9: even
  CHECK(out[6][0] == 2u);                    // 3*2^-10 ties between 2^-9 and 2^-8: even
  CHECK(out[7][2] == 0x7bu);                 // E5M2 61440 (tie with Inf) saturates to 57344
  CHECK(std::isinf(e5m2(out[7][3])));        // ... and without .SATFINITE ties to even = Inf
  CHECK(e2m1(out[8][4]) == 4.0);             // 5 ties between 4 and 6: even mantissa
  CHECK(e2m1(out[9][4]) == 2.0);
  CHECK(e2m1(out[10][4]) == 0.0);
  CHECK(e2m1(out[11][4]) == 1.0);
  CHECK(e2m1(out[12][4]) == 6.0);            // beyond max: saturates
  CHECK(out[4][4] == 0x7u);                  // NaN -> +max (PTX cvt .satfinite, FP4)
  CHECK(out[13][4] == 0xfu);                 // -Inf -> -6
  CHECK(e3m2(out[14][5]) == 28.0);
  CHECK(e2m3(out[12][6]) == 7.0);
  CHECK(e2m3(out[14][6]) == 7.5);
  CHECK(e3m2(out[15][5]) == 0.125);          // 0.09375 ties between 0.0625 and 0.125: even
}

// Found by this test before c86131a (.RNI/.RZI/.RMI/.RPI acted as RN/RZ/RM/RP, so .RMI was a
// copy). PTX cvt.rmi.f32.f32 is floor; docs/isa.md §5.5.
TEST_CASE("ops: F2F.F32.F32 with integer rounding rounds to an integral value", "[ops]") {
  const auto out = run_lanes("  F2F.F32.F32.RNI R16, R4\n  F2F.F32.F32.RZI R17, R4\n  F2F.F32.F32.RMI R18, R4\n"
                             "  F2F.F32.F32.RPI R19, R4\n",
                             floats({2.5f, -2.5f, 3.5f, -0.25f}));
  const float exp[4][4] = {{2, 2, 2, 3}, {-2, -2, -3, -2}, {4, 3, 3, 4}, {-0.0f, -0.0f, -1, -0.0f}};
  for (int l = 0; l < 4; ++l)
    for (int k = 0; k < 4; ++k) CHECK(out[l][k] == fb(exp[l][k]));
}

TEST_CASE("ops: F2FP packs F32 pairs (upper = first source) and F16x2, unpacks with .UNPACK_B", "[ops]") {
  std::mt19937 rng(33);
  std::vector<Words> in(64);
  for (auto& w : in) {
    w[0] = fb(std::ldexp(static_cast<float>(rng() % 2000) - 1000.0f, static_cast<int>(rng() % 16) - 12));
    w[1] = fb(std::ldexp(static_cast<float>(rng() % 2000) - 1000.0f, static_cast<int>(rng() % 16) - 12));
    w[2] = static_cast<uint32_t>(rng());  // packed narrow codes
    w[3] = static_cast<uint32_t>(rng()) & 0x7bff7bffu;  // finite F16 pair
  }
  in[0][0] = fb(kNan), in[0][1] = fb(1e6f);
  const auto out = run_lanes(R"(
  F2FP.F16.F32.PACK_AB R16, R4, R5
  F2FP.BF16.F32.PACK_AB R17, R4, R5
  F2FP.SATFINITE.E4M3.F32.PACK_AB R18, R4, R5
  F2FP.SATFINITE.E5M2.F32.PACK_AB R19, R4, R5
  F2FP.SATFINITE.E2M1.F32.PACK_AB R20, R4, R5
  F2FP.SATFINITE.E4M3.F16x2 R21, R7
  F2FP.F16.E4M3.UNPACK_B R22, R6
  F2FP.BF16.E2M1.UNPACK_B R23, R6.H1
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const float a = bf(in[l][0]), b = bf(in[l][1]);
    INFO("lane " << l << " a=" << a << " b=" << b);
    auto pack = [&](Fmt f, int bits, bool sat) {
      return (isa::encode(f, a, isa::Round::RN, sat) << bits) | isa::encode(f, b, isa::Round::RN, sat);
    };
    if (std::isnan(a)) CHECK(out[l][0] == (0x7fff0000u | isa::encode(Fmt::FP16, b)));
    else CHECK(out[l][0] == pack(Fmt::FP16, 16, false));
    if (!std::isnan(a)) CHECK(out[l][1] == pack(Fmt::BF16, 16, false));
    CHECK(out[l][2] == pack(Fmt::E4M3, 8, true));
    CHECK(out[l][3] == pack(Fmt::E5M2, 8, true));
    CHECK(out[l][4] == pack(Fmt::E2M1, 4, true));
    const double h0 = isa::decode(Fmt::FP16, in[l][3] & 0xffff), h1 = isa::decode(Fmt::FP16, in[l][3] >> 16);
    CHECK(out[l][5] == ((isa::encode(Fmt::E4M3, h1, isa::Round::RN, true) << 8) | isa::encode(Fmt::E4M3, h0, isa::Round::RN, true)));
    // Up-conversions are exact: check the values through the hand decoders.
    const uint32_t c = in[l][2];
    for (int h = 0; h < 2; ++h) {
      const double e = e4m3((c >> (8 * h)) & 0xff);
      const uint32_t g = (out[l][6] >> (16 * h)) & 0xffff;
      if (std::isnan(e)) CHECK(isa::is_nan(Fmt::FP16, g));
      else CHECK(isa::decode(Fmt::FP16, g) == e);
      CHECK(isa::decode(Fmt::BF16, (out[l][7] >> (16 * h)) & 0xffff) == e2m1((c >> (16 + 4 * h)) & 0xf));
    }
  }
  CHECK(out[0][2] >> 8 == 0x7fu);  // NaN -> E4M3 NaN in the upper byte
  CHECK((out[0][2] & 0xff) == 0x7eu);  // 1e6 -> 448 (satfinite)
  // Explicit small cases: upper element from the first source.
  const auto o2 = run_lanes("  F2FP.F16.F32.PACK_AB R16, R4, R5\n  F2FP.SATFINITE.E2M1.F32.PACK_AB R17, R4, R5\n"
                            "  F2FP.F16.E3M2.UNPACK_B R18, R6\n  F2FP.BF16.E5M2.UNPACK_B R19, R6.H1\n",
                            {{fb(1.0f), fb(-2.0f), 0x3c1fu | 0x7b3cu << 16, 0, 0, 0, 0, 0}});
  CHECK(o2[0][0] == 0x3c00c000u);
  CHECK(o2[0][1] == 0x2cu);  // {1.0 -> 0x2, -2.0 -> 0xc}
  CHECK(isa::decode(Fmt::FP16, o2[0][2] & 0xffff) == e3m2(0x1f));
  CHECK(isa::decode(Fmt::FP16, o2[0][2] >> 16) == e3m2(0x3c));
  CHECK(isa::decode(Fmt::BF16, o2[0][3] & 0xffff) == e5m2(0x3c));
  CHECK(isa::decode(Fmt::BF16, o2[0][3] >> 16) == 57344.0);
}

TEST_CASE("ops: I2F from every integer width, signed and unsigned, with rounding", "[ops]") {
  std::mt19937_64 rng(34);
  std::vector<Words> in(64);
  for (auto& w : in) {
    const uint64_t v = rng();
    w[0] = static_cast<uint32_t>(v), w[1] = static_cast<uint32_t>(v >> 32);
    if (rng() & 1) w[1] >>= 16;  // values below 2^53 too
  }
  in[0][0] = 0x80000000u, in[1][0] = 0xffffffffu, in[2][0] = 0x7fffffffu, in[3][0] = 16777217u;
  const auto out = run_lanes(R"(
  I2F.F32.S32 R16, R4
  I2F.F32.U32 R17, R4
  I2F.F32.S32.RZ R18, R4
  I2F.F32.U32.RP R19, R4
  I2F.F32.S8 R20, R4
  I2F.F32.U16 R21, R4
  I2F.F16.S16 R22, R4
  I2F.F32 R23, R4
)", in);
  const auto o2 = run_lanes(R"(
  I2F.F32.U8 R16, R4
  I2F.F32.S16 R17, R4
  I2F.F32.S4 R18, R4
  I2F.F32.U4 R19, R4
  I2F.F64.S32 R20, R4
  I2F.F64.U64 R22, R4
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint32_t x = in[l][0];
    const int32_t s = static_cast<int32_t>(x);
    INFO("lane " << l << " x=" << x);
    CHECK(out[l][0] == fb(static_cast<float>(s)));
    CHECK(out[l][1] == fb(static_cast<float>(x)));
    const double rz = (s < 0 ? -1 : 1) * round_u64(static_cast<uint64_t>(std::abs(int64_t{s})), 24, 1);
    CHECK(out[l][2] == fb(static_cast<float>(rz)));
    CHECK(out[l][3] == fb(static_cast<float>(round_u64(x, 24, 2))));
    CHECK(out[l][4] == fb(static_cast<float>(static_cast<int8_t>(x))));
    CHECK(out[l][5] == fb(static_cast<float>(x & 0xffff)));
    CHECK(out[l][6] == isa::encode(Fmt::FP16, static_cast<int16_t>(x)));
    CHECK(out[l][7] == out[l][0]);  // signed 32-bit by default
    CHECK(o2[l][0] == fb(static_cast<float>(x & 0xff)));
    CHECK(o2[l][1] == fb(static_cast<float>(static_cast<int16_t>(x))));
    const int s4 = static_cast<int>(x & 0xf) - ((x & 8) ? 16 : 0);
    CHECK(o2[l][2] == fb(static_cast<float>(s4)));
    CHECK(o2[l][3] == fb(static_cast<float>(x & 0xf)));
    CHECK(u64d(o2[l][4], o2[l][5]) == static_cast<double>(s));
    const uint64_t u = (uint64_t{in[l][1]} << 32) | x;
    CHECK(u64d(o2[l][6], o2[l][7]) == round_u64(u, 53, 0));
  }
  CHECK(out[3][0] == fb(16777216.0f));  // 2^24 + 1: tie to even
  CHECK(out[3][3] == fb(16777218.0f));  // RP
}

// Found by this test before c86131a (64-bit integers went through double, rounding twice, and
// F64 results ignored the mode). PTX cvt.{rn,rz,rm,rp}.{f32,f64}.{s64,u64} round once;
// docs/isa.md §5.5. 2^60 + 2^36 + 1 lies just above an FP32 tie (answer 2^60 + 2^37); 2^53 + 1
// with .RP gives 2^53 + 2.
TEST_CASE("ops: I2F from 64-bit integers rounds once in the instruction's mode", "[ops]") {
  auto w = [](uint64_t v) { return Words{static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32), 0, 0, 0, 0, 0, 0}; };
  const std::vector<Words> in = {w((1ull << 60) + (1ull << 36) + 1), w((1ull << 60) + (1ull << 37) - 1), w((1ull << 53) + 1),
                                 w(static_cast<uint64_t>(-((1ll << 60) + (1ll << 36) + 1)))};
  const auto out = run_lanes("  I2F.F32.S64 R16, R4\n  I2F.F32.U64.RZ R17, R4\n  I2F.F64.U64.RP R18, R4\n"
                             "  I2F.F64.S64.RZ R20, R4\n",
                             in);
  CHECK(out[0][0] == fb(0x1p60f + 0x1p37f));
  CHECK(out[1][1] == fb(0x1p60f));
  CHECK(u64d(out[2][2], out[2][3]) == 0x1p53 + 2);
  CHECK(u64d(out[2][4], out[2][5]) == 0x1p53);
  CHECK(out[3][0] == fb(-(0x1p60f + 0x1p37f)));
}

TEST_CASE("ops: F2I to every integer width saturates, maps NaN to 0 and honours rounding", "[ops]") {
  const auto in = floats({2.5f, -2.5f, 3.5f, -0.5f, 2.6f, -2.6f, 1e10f, -1e10f, kNan, kInf, -kInf, -0.0f,
                          2147483520.0f, 0x1p31f, 300.0f, -200.0f, 70000.0f, 4294967040.0f, 7.9f, -8.6f});
  const auto out = run_lanes(R"(
  F2I.S32.F32 R16, R4
  F2I.S32.F32.TRUNC R17, R4
  F2I.S32.F32.FLOOR R18, R4
  F2I.S32.F32.CEIL R19, R4
  F2I.U32.F32 R20, R4
  F2I.S8.F32.TRUNC R21, R4
  F2I.U16.F32.TRUNC R22, R4
  F2I.S4.F32 R23, R4
)", in);
  const auto o2 = run_lanes(R"(
  F2I.U8.F32.RZ R16, R4
  F2I.S16.F32.RM R17, R4
  F2I.U4.F32.RP R18, R4
  F2I.S64.F32.TRUNC R20, R4
  F2I.U64.F32.CEIL R22, R4
)", in);
  auto sat = [](double v, double lo, double hi) -> int64_t {
    if (std::isnan(v)) return 0;
    return static_cast<int64_t>(std::min(std::max(v, lo), hi));
  };
  auto rne = [](double v) { return std::nearbyint(v); };  // host default mode: ties to even
  for (size_t l = 0; l < in.size(); ++l) {
    const double v = bf(in[l][0]);
    INFO("lane " << l << " v=" << v);
    constexpr double kI32lo = -2147483648.0, kI32hi = 2147483647.0;
    CHECK(static_cast<int32_t>(out[l][0]) == sat(rne(v), kI32lo, kI32hi));
    CHECK(static_cast<int32_t>(out[l][1]) == sat(std::trunc(v), kI32lo, kI32hi));
    CHECK(static_cast<int32_t>(out[l][2]) == sat(std::floor(v), kI32lo, kI32hi));
    CHECK(static_cast<int32_t>(out[l][3]) == sat(std::ceil(v), kI32lo, kI32hi));
    CHECK(out[l][4] == static_cast<uint32_t>(sat(rne(v), 0, 4294967295.0)));
    CHECK(static_cast<int32_t>(out[l][5]) == sat(std::trunc(v), -128, 127));  // sign-extended
    CHECK(out[l][6] == static_cast<uint32_t>(sat(std::trunc(v), 0, 65535)));
    CHECK(static_cast<int32_t>(out[l][7]) == sat(rne(v), -8, 7));
    CHECK(o2[l][0] == static_cast<uint32_t>(sat(std::trunc(v), 0, 255)));
    CHECK(static_cast<int32_t>(o2[l][1]) == sat(std::floor(v), -32768, 32767));
    CHECK(o2[l][2] == static_cast<uint32_t>(sat(std::ceil(v), 0, 15)));
    const int64_t s64 = std::isnan(v) ? 0 : v >= 0x1p63 ? INT64_MAX : v <= -0x1p63 ? INT64_MIN : static_cast<int64_t>(std::trunc(v));
    CHECK(static_cast<int64_t>((uint64_t{o2[l][5]} << 32) | o2[l][4]) == s64);
    const uint64_t u64 = std::isnan(v) || v <= 0 ? 0 : v >= 0x1p64 ? UINT64_MAX : static_cast<uint64_t>(std::ceil(v));
    CHECK(((uint64_t{o2[l][7]} << 32) | o2[l][6]) == u64);
  }
  // 64-bit sources
  std::vector<Words> d(4);
  const double dv[4] = {0x1p63, -0x1p63, 9.2e18, -1e300};
  for (int l = 0; l < 4; ++l) d[l][0] = static_cast<uint32_t>(db(dv[l])), d[l][1] = static_cast<uint32_t>(db(dv[l]) >> 32);
  const auto o3 = run_lanes("  F2I.S64.F64 R16, R4\n  F2I.S32.F64.TRUNC R18, R4\n", d);
  const int64_t e64[4] = {INT64_MAX, INT64_MIN, 9200000000000000000ll, INT64_MIN};
  for (int l = 0; l < 4; ++l) {
    CHECK(static_cast<int64_t>((uint64_t{o3[l][1]} << 32) | o3[l][0]) == e64[l]);
    CHECK(static_cast<int32_t>(o3[l][2]) == (dv[l] > 0 ? INT32_MAX : INT32_MIN));
  }
}
