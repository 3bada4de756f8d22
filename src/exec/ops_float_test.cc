// Opcode-by-opcode checks of the FP32, packed FP16/BF16 and FP64 instructions against IEEE 754
// arithmetic computed here (host float/double, exact double sums rounded by hand for the
// directed modes) and the PTX / NVIDIA SASS notes for .FTZ, .SAT, NaN and min/max rules.
// Narrow-format rounding uses isa::encode/decode, which numfmt_test.cc checks exhaustively.
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
constexpr uint32_t kCanonNan = 0x7fffffffu;
uint32_t canon(float f) { return std::isnan(f) ? kCanonNan : fb(f); }

// FP32 patterns: every class (zeros, subnormals, normals, Inf, quiet/signalling/negative NaN).
constexpr uint32_t kSpecial[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x7f800001u,
                                 0xffc00123u, 0x7f7fffffu, 0x00800000u, 0x00000001u, 0x807fffffu, 0x3f800000u,
                                 0xbf800000u, 0x00400000u, 0x4b800000u, 0x33800000u};

uint32_t random_f32(std::mt19937& rng, int emin, int emax) {
  const uint32_t e = static_cast<uint32_t>(emin + static_cast<int>(rng() % static_cast<uint32_t>(emax - emin + 1)));
  return (rng() & 0x80000000u) | (e << 23) | (rng() & 0x7fffffu);
}

enum class Dir { RZ, RM, RP };
// Rounds an exactly known value v (a double) to FP32 in a directed mode.
float round_dir(double v, Dir d) {
  const float f = static_cast<float>(v);  // to nearest
  if (static_cast<double>(f) == v) return f;
  float lo = f, hi = f;
  if (static_cast<double>(f) < v) hi = std::nextafter(f, std::numeric_limits<float>::infinity());
  else lo = std::nextafter(f, -std::numeric_limits<float>::infinity());
  switch (d) {
    case Dir::RZ: return v > 0 ? lo : hi;
    case Dir::RM: return lo;
    case Dir::RP: return hi;
  }
  return f;
}

double h16(uint32_t bits) { return isa::decode(isa::Fmt::FP16, bits & 0xffff); }
double hb16(uint32_t bits) { return isa::decode(isa::Fmt::BF16, bits & 0xffff); }
uint32_t to16(double v) { return isa::encode(isa::Fmt::FP16, v); }
uint32_t tob16(double v) { return isa::encode(isa::Fmt::BF16, v); }

}  // namespace

TEST_CASE("ops: FADD/FMUL/FFMA round to nearest and give the canonical NaN", "[ops]") {
  std::mt19937 rng(21);
  std::vector<Words> in(96);
  for (size_t l = 0; l < in.size(); ++l)
    for (int k = 0; k < 3; ++k)
      in[l][k] = (rng() % 4 == 0) ? kSpecial[rng() % 16] : (rng() % 2 ? static_cast<uint32_t>(rng()) : random_f32(rng, 110, 145));
  const auto out = run_lanes(R"(
  FADD R16, R4, R5
  FMUL R17, R4, R5
  FFMA R18, R4, R5, R6
  FADD R19, R4, -R5
  FADD R20, |R4|, -|R5|
  FMUL R21, -R4, |R5|
  FFMA R22, -R4, R5, -R6
  FFMA R23, R4, R4, RZ
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const float a = bf(in[l][0]), b = bf(in[l][1]), c = bf(in[l][2]);
    INFO("lane " << l << fmt::format(" a={:#x} b={:#x} c={:#x}", in[l][0], in[l][1], in[l][2]));
    CHECK(out[l][0] == canon(a + b));
    CHECK(out[l][1] == canon(a * b));
    CHECK(out[l][2] == canon(std::fma(a, b, c)));
    CHECK(out[l][3] == canon(a - b));
    CHECK(out[l][4] == canon(std::fabs(a) - std::fabs(b)));
    CHECK(out[l][5] == canon(-a * std::fabs(b)));
    CHECK(out[l][6] == canon(std::fma(-a, b, -c)));
    CHECK(out[l][7] == canon(std::fma(a, a, 0.0f)));
  }
}

TEST_CASE("ops: FADD/FMUL/FFMA .RZ/.RM/.RP round in their direction", "[ops]") {
  std::mt19937 rng(22);
  std::vector<Words> in(64);
  for (auto& w : in) {
    w[0] = random_f32(rng, 120, 135), w[1] = random_f32(rng, 120, 135);  // sums exact in double
    const int pe = static_cast<int>((w[0] >> 23) & 0xff) + static_cast<int>((w[1] >> 23) & 0xff) - 127;
    const int ce = pe + static_cast<int>(rng() % 25) - 20;  // product + c exact in double
    w[2] = random_f32(rng, ce, ce);
  }
  in[0][0] = fb(1.0f), in[0][1] = fb(0x1p-24f), in[0][2] = fb(-0x1p-30f);   // a tie and just below
  in[1][0] = fb(-1.0f), in[1][1] = fb(-0x1p-24f), in[1][2] = fb(0x1p-60f);
  in[2][0] = 0x7f7fffffu, in[2][1] = 0x7f7fffffu, in[2][2] = 0xff7fffffu;     // overflow
  in[3][0] = 0xff7fffffu, in[3][1] = 0xff7fffffu, in[3][2] = 0x7f7fffffu;
  std::string body;
  for (int i = 0; i < 3; ++i) {
    const char* m = i == 0 ? "RZ" : i == 1 ? "RM" : "RP";
    body += fmt::format("  FADD.{} R{}, R4, R5\n  FMUL.{} R{}, R4, R5\n", m, 16 + i, m, 19 + i);
  }
  body += "  FFMA.RZ R22, R4, R5, R6\n  FFMA.RP R23, R4, R5, R6\n";
  const auto out = run_lanes(body, in);
  const auto out_rm = run_lanes("  FFMA.RM R16, R4, R5, R6\n  FFMA R17, R4, R5, R6\n", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const double a = bf(in[l][0]), b = bf(in[l][1]), c = bf(in[l][2]);
    INFO("lane " << l << fmt::format(" a={:#x} b={:#x} c={:#x}", in[l][0], in[l][1], in[l][2]));
    const Dir dirs[3] = {Dir::RZ, Dir::RM, Dir::RP};
    for (int i = 0; i < 3; ++i) {
      CHECK(out[l][i] == fb(round_dir(a + b, dirs[i])));
      CHECK(out[l][3 + i] == fb(round_dir(a * b, dirs[i])));
    }
    CHECK(out[l][6] == fb(round_dir(a * b + c, Dir::RZ)));
    CHECK(out[l][7] == fb(round_dir(a * b + c, Dir::RP)));
    CHECK(out_rm[l][0] == fb(round_dir(a * b + c, Dir::RM)));
    CHECK(out_rm[l][1] == fb(static_cast<float>(a * b + c)));
  }
  // Lane 0 is a tie in RN (1 + 2^-24 -> 1) but not in RP; lane 2 overflows only without RZ/RM.
  CHECK(out[0][2] == fb(std::nextafter(1.0f, 2.0f)));
  CHECK(out[2][0] == 0x7f7fffffu);
  CHECK(out[2][2] == 0x7f800000u);
}

TEST_CASE("ops: an exact zero sum is +0, or -0 under .RM", "[ops]") {
  std::vector<Words> in(4);
  in[0][0] = fb(1.5f), in[0][1] = fb(-1.5f);
  in[1][0] = fb(-3.0f), in[1][1] = fb(3.0f);
  in[2][0] = 0x80000000u, in[2][1] = 0x80000000u;  // -0 + -0 = -0 in every mode
  in[3][0] = 0, in[3][1] = 0x80000000u;
  const auto out = run_lanes("  FADD R16, R4, R5\n  FADD.RM R17, R4, R5\n  FADD.RZ R18, R4, R5\n  FADD.RP R19, R4, R5\n", in);
  for (int l = 0; l < 2; ++l) {
    CHECK(out[l][0] == 0u);
    CHECK(out[l][1] == 0x80000000u);
    CHECK(out[l][2] == 0u);
    CHECK(out[l][3] == 0u);
  }
  for (int k = 0; k < 4; ++k) CHECK(out[2][k] == 0x80000000u);
  CHECK(out[3][0] == 0u);
  CHECK(out[3][1] == 0x80000000u);
}

TEST_CASE("ops: .FTZ flushes FP32 subnormal inputs and results to signed zero, .SAT clamps", "[ops]") {
  std::vector<Words> in(6);
  in[0] = {fb(0x1p-130f), 0, 0, 0, 0, 0, 0, 0};                      // subnormal input
  in[1] = {fb(0x1p-126f), fb(-0x1p-127f), 0, 0, 0, 0, 0, 0};         // flushed addend
  in[2] = {fb(1.5f * 0x1p-126f), fb(-0x1p-126f), 0, 0, 0, 0, 0, 0};  // subnormal result
  in[3] = {fb(-0x1p-100f), fb(0x1p-30f), 0, 0, 0, 0, 0, 0};          // product underflows
  in[4] = {fb(0.375f), fb(0.5f), fb(2.0f), 0, 0, 0, 0, 0};
  in[5] = {fb(-3.0f), fb(5.0f), fb(0x1p-140f), 0, 0, 0, 0, 0};
  const auto out = run_lanes(R"(
  FADD.FTZ R16, R4, R5
  FADD R17, R4, R5
  FMUL.FTZ R18, R4, R5
  FMUL R19, R4, R5
  FADD.SAT R20, R4, R5
  FFMA.SAT R21, R4, R6, R5
  FFMA.FTZ R22, R4, R5, R6
  FMUL.SAT R23, R4, -R5
)", in);
  CHECK(out[0][0] == 0u);
  CHECK(out[0][1] == fb(0x1p-130f));
  CHECK(out[1][0] == fb(0x1p-126f));
  CHECK(out[1][1] == fb(0x1p-127f));
  CHECK(out[2][0] == 0u);
  CHECK(out[2][1] == fb(0x1p-127f));
  CHECK(out[3][2] == 0x80000000u);  // -2^-130 flushed, sign kept
  CHECK(out[3][3] == fb(-0x1p-130f));
  CHECK(out[4][4] == fb(0.875f));
  CHECK(out[4][5] == fb(1.0f));                         // 0.375 * 2 + 0.5 = 1.25 -> 1
  CHECK(out[5][4] == fb(1.0f));                         // 2 -> 1
  CHECK(out[5][5] == fb(1.0f));                         // -3 * 2^-140 + 5 -> 1
  CHECK(out[5][6] == fb(-15.0f));                       // 2^-140 flushed
  CHECK(out[4][7] == 0u);                               // -0.1875 -> +0
  CHECK(out[5][7] == fb(1.0f));
}

// Found by this test before c86131a (the canonical NaN was returned before .SAT). NVIDIA SASS
// notes, FADD/FFMA: ".SAT: output saturate to (+0.0f, 1.0f), with NaN converted to +0.0f";
// PTX add/mul/fma.sat.f32 and docs/isa.md §5.2 likewise.
TEST_CASE("ops: FADD/FMUL/FFMA .SAT turn a NaN result into +0", "[ops]") {
  std::vector<Words> in(2);
  in[0] = {0x7f800000u, 0xff800000u, 0, 0, 0, 0, 0, 0};  // Inf - Inf, Inf * 0
  in[1] = {0x7fc00000u, fb(1.0f), 0, 0, 0, 0, 0, 0};     // NaN operand
  const auto out = run_lanes("  FADD.SAT R16, R4, R5\n  FMUL.SAT R17, R4, R6\n  FFMA.SAT R18, R4, R6, R5\n", in);
  for (int l = 0; l < 2; ++l)
    for (int k = 0; k < 3; ++k) CHECK(out[l][k] == 0u);
}

TEST_CASE("ops: float slots take integer and float literals and constants", "[ops]") {
  std::vector<Words> in(32);
  for (size_t l = 0; l < 32; ++l) in[l][0] = fb(static_cast<float>(l) * 0.75f - 3.0f);
  const auto out = run_lanes(R"(
  FADD R16, R4, 1
  FMUL R17, R4, 2
  FFMA R18, R4, 3, -1
  FADD R19, R4, 0.5
  FMUL R20, R4, 0f3fc00000
  FADD R21, R4, c[ntid.x]
  FADD R22, R4, -2.5e1
  FSEL R23, R4, 1.5, PT
)", in);
  for (size_t l = 0; l < 32; ++l) {
    const float a = bf(in[l][0]);
    INFO("lane " << l);
    CHECK(out[l][0] == fb(a + 1.0f));
    CHECK(out[l][1] == fb(a * 2.0f));
    CHECK(out[l][2] == fb(std::fma(a, 3.0f, -1.0f)));
    CHECK(out[l][3] == fb(a + 0.5f));
    CHECK(out[l][4] == fb(a * 1.5f));
    CHECK(out[l][5] == fb(a + bf(32u)));  // c[ntid.x] is the raw word 32, read as FP32 bits
    CHECK(out[l][6] == fb(a - 25.0f));
    CHECK(out[l][7] == in[l][0]);
  }
}

TEST_CASE("ops: FMNMX follows minNum/maxNum with -0 < +0, FSEL selects bits", "[ops]") {
  std::mt19937 rng(23);
  std::vector<Words> in(64);
  for (size_t l = 0; l < in.size(); ++l)
    for (int k = 0; k < 2; ++k) in[l][k] = (rng() % 2) ? kSpecial[rng() % 16] : random_f32(rng, 100, 150);
  in[0][0] = 0, in[0][1] = 0x80000000u;
  in[1][0] = 0x80000000u, in[1][1] = 0;
  in[2][0] = 0x7fc00000u, in[2][1] = 0xffc00001u;  // both NaN
  in[3][0] = 0x7f800001u, in[3][1] = fb(-2.0f);
  const auto out = run_lanes(R"(
  FMNMX R16, R4, R5, PT
  FMNMX R17, R4, R5, !PT
  FMNMX R18, -R4, |R5|, PT
  LOP3.LUT P0, RZ, R4, 0x1, RZ, 0xc0, !PT
  FSEL R19, R4, R5, P0
  FMNMX R20, R4, 1, PT
)", in);
  auto mn = [](float a, float b, bool want_min) -> uint32_t {
    if (std::isnan(a) && std::isnan(b)) return kCanonNan;
    if (std::isnan(a)) return fb(b);
    if (std::isnan(b)) return fb(a);
    if (a == 0 && b == 0) return (want_min ? (std::signbit(a) || std::signbit(b)) : (std::signbit(a) && std::signbit(b))) ? 0x80000000u : 0u;
    return fb(want_min ? std::min(a, b) : std::max(a, b));
  };
  for (size_t l = 0; l < in.size(); ++l) {
    const float a = bf(in[l][0]), b = bf(in[l][1]);
    INFO("lane " << l << fmt::format(" a={:#x} b={:#x}", in[l][0], in[l][1]));
    CHECK(out[l][0] == mn(a, b, true));
    CHECK(out[l][1] == mn(a, b, false));
    CHECK(out[l][2] == mn(-a, std::fabs(b), true));
    CHECK(out[l][3] == ((in[l][0] & 1) ? in[l][0] : in[l][1]));
    CHECK(out[l][4] == mn(a, 1.0f, true));
  }
}

TEST_CASE("ops: FSETP every ordered and unordered comparison, NaN, .FTZ and Pc", "[ops]") {
  static constexpr const char* kCmp[] = {"F",   "LT",  "EQ",  "LE",  "GT",  "NE",  "GE",  "T",
                                         "NUM", "NAN", "LTU", "EQU", "LEU", "GTU", "NEU", "GEU"};
  std::string body;
  for (int k = 0; k < 16; ++k)
    body += fmt::format("  FSETP.{} P0, R4, R5\n  SEL R24, {}, RZ, P0\n  IADD3 R16, R16, R24, RZ\n", kCmp[k], 1u << k);
  body += "  FSETP.EQ.FTZ P1, R4, R5\n  SEL R17, 1, 0, P1\n";
  body += "  FSETP.GT.AND P2, P3, R4, R5, !P1\n  SEL R18, 1, 0, P2\n  SEL R19, 1, 0, P3\n";
  body += "  FSETP.LT P4, R4, 2.5\n  SEL R20, 1, 0, P4\n";
  std::mt19937 rng(24);
  std::vector<Words> in(64);
  for (size_t l = 0; l < in.size(); ++l)
    for (int k = 0; k < 2; ++k) in[l][k] = (rng() % 2) ? kSpecial[rng() % 16] : random_f32(rng, 126, 129);
  in[0][0] = 0, in[0][1] = 0x80000000u;            // +0 == -0
  in[1][0] = 0x00000001u, in[1][1] = 0x80000003u;  // subnormals: equal only with .FTZ
  in[2][0] = in[2][1] = fb(2.0f);
  const auto out = run_lanes(body, in);
  for (size_t l = 0; l < in.size(); ++l) {
    const float a = bf(in[l][0]), b = bf(in[l][1]);
    const bool u = std::isnan(a) || std::isnan(b);
    const bool r[16] = {false,  a < b,  a == b, a <= b, a > b,       a < b || a > b, a >= b,     true,
                        !u,     u,      u || a < b, u || a == b, u || a <= b, u || a > b, u || a != b, u || a >= b};
    uint32_t m = 0;
    for (int k = 0; k < 16; ++k) m |= uint32_t{r[k]} << k;
    auto flush = [](float v) { return std::fpclassify(v) == FP_SUBNORMAL ? 0.0f : v; };
    const bool eq_ftz = flush(a) == flush(b);
    INFO("lane " << l << fmt::format(" a={:#x} b={:#x}", in[l][0], in[l][1]));
    CHECK(out[l][0] == m);
    CHECK(out[l][1] == uint32_t{eq_ftz});
    CHECK(out[l][2] == uint32_t{a > b && !eq_ftz});
    CHECK(out[l][3] == uint32_t{!(a > b) && !eq_ftz});
    CHECK(out[l][4] == uint32_t{a < 2.5f});
  }
}

TEST_CASE("ops: HADD2/HMUL2/HFMA2 on FP16 pairs with selectors, modifiers and immediates", "[ops]") {
  std::mt19937 rng(25);
  std::vector<Words> in(64);
  for (auto& w : in)
    for (int k = 0; k < 3; ++k) w[k] = static_cast<uint32_t>(rng());
  in[0][0] = 0x7c00fc00u, in[0][1] = 0x7c007c00u;  // -Inf + Inf (NaN), Inf + Inf
  in[1][0] = 0x7bff7bffu, in[1][1] = 0x7bff3c00u;  // overflow to Inf
  const auto out = run_lanes(R"(
  HADD2 R16, R4, R5
  HMUL2 R17, R4, R5
  HFMA2 R18, R4, R5, R6
  HADD2 R19, R4.H0_H0, R5.H1_H1
  HFMA2 R20, -R4, |R5|, R6.H1_H1
  HADD2 R21, R4, 1.5
  HMUL2 R22, R4, -2
  HFMA2.MMA R23, R4, R5, -RZ
)", in);
  auto lo = [](uint32_t v) { return v & 0xffff; };
  auto hi = [](uint32_t v) { return v >> 16; };
  auto check = [](uint32_t got, double exp_lo, double exp_hi) {
    for (int h = 0; h < 2; ++h) {
      const double e = h ? exp_hi : exp_lo;
      const uint32_t g = (got >> (16 * h)) & 0xffff;
      if (std::isnan(e)) CHECK(g == 0x7fffu);  // docs/isa.md §5.3: a NaN half becomes 0x7fff
      else CHECK(g == to16(e));
    }
  };
  for (size_t l = 0; l < in.size(); ++l) {
    const uint32_t A = in[l][0], B = in[l][1], C = in[l][2];
    const double a0 = h16(lo(A)), a1 = h16(hi(A)), b0 = h16(lo(B)), b1 = h16(hi(B)), c0 = h16(lo(C)), c1 = h16(hi(C));
    INFO("lane " << l << fmt::format(" a={:#x} b={:#x} c={:#x}", A, B, C));
    // Sums and products of FP16 values, and a*b+c, are exact in double: one rounding.
    check(out[l][0], a0 + b0, a1 + b1);
    check(out[l][1], a0 * b0, a1 * b1);
    check(out[l][2], a0 * b0 + c0, a1 * b1 + c1);
    check(out[l][3], a0 + b1, a0 + b1);
    check(out[l][4], -a0 * std::fabs(b0) + c1, -a1 * std::fabs(b1) + c1);
    check(out[l][5], a0 + 1.5, a1 + 1.5);
    check(out[l][6], a0 * -2, a1 * -2);
    check(out[l][7], a0 * b0 + -0.0, a1 * b1 + -0.0);
  }
}

TEST_CASE("ops: HADD2.F32 converts a half to FP32, .BF16_V2 pairs, .SAT, HMNMX2", "[ops]") {
  std::mt19937 rng(26);
  std::vector<Words> in(64);
  for (auto& w : in) {
    w[0] = static_cast<uint32_t>(rng()), w[1] = static_cast<uint32_t>(rng());
    // BF16 operands with moderate exponents (biased 100..150) for the FMA, C near the product.
    auto b16 = [&](int e) { return static_cast<uint32_t>(((rng() & 1) << 15) | (e << 7) | (rng() & 0x7f)); };
    const int ea = 110 + static_cast<int>(rng() % 30), eb = 110 + static_cast<int>(rng() % 30);
    const int ec = std::clamp(ea + eb - 127 + static_cast<int>(rng() % 21) - 10, 1, 254);
    w[2] = b16(ea) | b16(ea + 1) << 16, w[3] = b16(eb) | b16(eb) << 16, w[4] = b16(ec) | b16(ec) << 16;
  }
  in[0][0] = 0x80007e00u, in[0][1] = 0x00008000u;  // NaN / -0 halves
  const auto out = run_lanes(R"(
  HADD2.F32 R16, -RZ, R4.H0_H0
  HADD2.F32 R17, -RZ, R4.H1_H1
  HADD2.BF16_V2 R18, R6, R7
  HMUL2.BF16_V2 R19, R6, R7
  HFMA2.BF16_V2 R20, R6, R7, R8
  HFMA2.SAT R21, R4, R5, RZ
  HMNMX2 R22, R4, R5, PT
  HMNMX2 R23, R4, R5, !PT
)", in);
  auto mnmx = [](double a, double b, bool mn) {
    if (std::isnan(a)) return b;
    if (std::isnan(b)) return a;
    if (a == 0 && b == 0) return (mn ? (std::signbit(a) || std::signbit(b)) : (std::signbit(a) && std::signbit(b))) ? -0.0 : 0.0;
    return mn ? std::min(a, b) : std::max(a, b);
  };
  for (size_t l = 0; l < in.size(); ++l) {
    const uint32_t A = in[l][0], B = in[l][1], X = in[l][2], Y = in[l][3], Z = in[l][4];
    INFO("lane " << l << fmt::format(" a={:#x} b={:#x} x={:#x} y={:#x} z={:#x}", A, B, X, Y, Z));
    for (int h = 0; h < 2; ++h) {
      const double a = h16(A >> (16 * h)), b = h16(B >> (16 * h));
      const double x = hb16(X >> (16 * h)), y = hb16(Y >> (16 * h)), z = hb16(Z >> (16 * h));
      const float f = static_cast<float>(a);  // exact
      if (std::isnan(a)) CHECK(std::isnan(bf(out[l][h])));
      else CHECK(out[l][h] == fb(f));
      CHECK(((out[l][2] >> (16 * h)) & 0xffff) == tob16(x + y));
      CHECK(((out[l][3] >> (16 * h)) & 0xffff) == tob16(x * y));
      CHECK(((out[l][4] >> (16 * h)) & 0xffff) == tob16(x * y + z));  // exact in double here
      const double p = a * b + 0.0;  // HFMA2 with C = RZ (+0)
      const double sat = std::isnan(p) ? 0.0 : std::clamp(p, 0.0, 1.0);
      CHECK(((out[l][5] >> (16 * h)) & 0xffff) == to16(sat));
      const double mn = mnmx(a, b, true), mx = mnmx(a, b, false);
      const uint32_t gmn = (out[l][6] >> (16 * h)) & 0xffff, gmx = (out[l][7] >> (16 * h)) & 0xffff;
      if (std::isnan(mn)) CHECK(gmn == 0x7fffu);
      else CHECK(gmn == to16(mn));
      if (std::isnan(mx)) CHECK(gmx == 0x7fffu);
      else CHECK(gmx == to16(mx));
    }
  }
}

// Regression (found by this test): BF16 halves were computed in double and rounded again, two
// roundings when the exact result is not a double. PTX fma.rn.bf16x2 rounds once, with "no loss
// of precision in the intermediate product and addition"; docs/isa.md §5.3.
//  - HFMA2 RN: a*b = 1+2^-3+2^-8 lies exactly between two BF16 values and c = 2^-100 tips it up:
//    correct 0x3f91 (double rounding gave 0x3f90).
//  - HADD2.RM: 1 + (-2^-100) must round down to 0x3f7f (BF16) or 0x3f7fffff (.F32).
TEST_CASE("ops: HFMA2/HADD2 .BF16_V2 round the exact result once", "[ops]") {
  std::vector<Words> in(1);
  in[0] = {0x3f883f88u, 0x3f883f88u, 0x0d800d80u, 0x3f803f80u, 0x8d808d80u, 0, 0, 0};
  REQUIRE(hb16(0x0d80) == 0x1p-100);
  const auto out = run_lanes("  HFMA2.BF16_V2 R16, R4, R5, R6\n  HADD2.BF16_V2.RM R17, R7, R8\n"
                             "  HADD2.BF16_V2.F32.RM R18, R7, R8\n  HFMA2.BF16_V2.RM R19, R7, R7, R8\n", in);
  CHECK(out[0][0] == 0x3f913f91u);
  CHECK(out[0][1] == 0x3f7f3f7fu);
  CHECK(out[0][2] == 0x3f7fffffu);
  CHECK(out[0][3] == 0x3f7f3f7fu);
}

TEST_CASE("ops: HADD2.F32 rounds the low half's result once to FP32 in the instruction's mode", "[ops]") {
  std::vector<Words> in(1);
  in[0] = {0x6800u, 0x0001u, 0x6800u, 0x8001u, 0, 0, 0, 0};  // 2048 and +-2^-24 (exact sum needs 36 bits)
  const auto out = run_lanes("  HADD2.F32 R16, R4, R5\n  HADD2.F32.RP R17, R4, R5\n  HADD2.F32.RZ R18, R6, R7\n"
                             "  HADD2.F32.RM R19, R6, R7\n",
                             in);
  CHECK(out[0][0] == fb(2048.0f));
  CHECK(out[0][1] == fb(std::nextafter(2048.0f, 4096.0f)));
  CHECK(out[0][2] == fb(std::nextafter(2048.0f, 0.0f)));
  CHECK(out[0][3] == fb(std::nextafter(2048.0f, 0.0f)));
}

// Found by this test before c86131a (only results were flushed). PTX add/mul/fma.ftz.{f16,f16x2}:
// ".ftz flushes subnormal inputs and results to sign-preserving zero"; docs/isa.md §5.3.
TEST_CASE("ops: HADD2/HMUL2 .FTZ flush subnormal FP16 inputs", "[ops]") {
  std::vector<Words> in(1);
  in[0] = {0x00010001u, 0x64000400u, 0, 0, 0, 0, 0, 0};  // {2^-24, 2^-24} and {2^-14, 1024}
  const auto out = run_lanes("  HMUL2.FTZ R16, R4, R5\n  HADD2.FTZ R17, R4, R5\n", in);
  CHECK(out[0][0] == 0u);              // 2^-24 flushed: 0 * 2^-14 and 0 * 1024
  CHECK(out[0][1] == 0x64000400u);     // 2^-24 flushed: 2^-14 + 0, 1024 + 0
}

TEST_CASE("ops: HMUL2.FTZ flushes a subnormal FP16 result", "[ops]") {
  std::vector<Words> in(1);
  in[0] = {0x14009400u, 0x14001400u, 0, 0, 0, 0, 0, 0};  // {-2^-10, 2^-10} * 2^-10 = 2^-20
  const auto out = run_lanes("  HMUL2.FTZ R16, R4, R5\n  HMUL2 R17, R4, R5\n", in);
  CHECK(out[0][0] == 0x00008000u);
  CHECK(out[0][1] == 0x00108010u);
}

TEST_CASE("ops: DADD/DMUL/DFMA/DSETP on register pairs", "[ops]") {
  std::mt19937_64 rng(27);
  auto rnd = [&]() {
    static constexpr uint64_t kSp[] = {0, 0x8000000000000000ull, 0x7ff0000000000000ull, 0xfff8000000000000ull,
                                       0x7ff0000000000001ull, 0x0000000000000001ull, 0x3ff0000000000000ull};
    if (rng() % 4 == 0) return static_cast<uint64_t>(kSp[rng() % 7]);
    return static_cast<uint64_t>((rng() & 0x800fffffffffffffull) | ((1000 + rng() % 48) << 52));
  };
  std::vector<Words> in(64);
  for (auto& w : in)
    for (int k = 0; k < 3; ++k) {
      const uint64_t v = rnd();
      w[2 * k] = static_cast<uint32_t>(v), w[2 * k + 1] = static_cast<uint32_t>(v >> 32);
    }
  const auto out = run_lanes(R"(
  DADD R16, R4, R6
  DMUL R18, R4, -R6
  DFMA R20, R4, R6, R8
  DSETP.LT P0, R4, R6
  DSETP.GEU.AND P1, P2, R4, R6, PT
  DSETP.NE P3, R4, 1.5
  SEL R22, 1, 0, P0
  SEL R23, 1, 0, P1
  SEL R24, 1, 0, P2
  SEL R25, 1, 0, P3
  LEA R23, R23, R24, 1
  LEA R23, R25, R23, 2
)", in);
  auto d = [](uint32_t lo, uint32_t hi) { return std::bit_cast<double>((uint64_t{hi} << 32) | lo); };
  auto same = [](double got, double exp) {
    if (std::isnan(exp)) return std::bit_cast<uint64_t>(got) == 0x7fffffffffffffffull;  // docs/isa.md §5.4
    return std::bit_cast<uint64_t>(got) == std::bit_cast<uint64_t>(exp);
  };
  for (size_t l = 0; l < in.size(); ++l) {
    const double a = d(in[l][0], in[l][1]), b = d(in[l][2], in[l][3]), c = d(in[l][4], in[l][5]);
    INFO("lane " << l << " a=" << a << " b=" << b << " c=" << c);
    CHECK(same(d(out[l][0], out[l][1]), a + b));
    CHECK(same(d(out[l][2], out[l][3]), a * -b));
    CHECK(same(d(out[l][4], out[l][5]), std::fma(a, b, c)));
    CHECK(out[l][6] == uint32_t{a < b});
    const bool geu = !(a < b);
    CHECK(out[l][7] == (uint32_t{!geu} | uint32_t{geu} << 1 | uint32_t{a != 1.5 && !std::isnan(a)} << 2));
  }
}

TEST_CASE("ops: DADD/DMUL/DFMA directed rounding and immediates", "[ops]") {
  std::vector<Words> in(2);
  auto put = [](Words& w, int k, double v) {
    const uint64_t b = std::bit_cast<uint64_t>(v);
    w[2 * k] = static_cast<uint32_t>(b), w[2 * k + 1] = static_cast<uint32_t>(b >> 32);
  };
  put(in[0], 0, 1.0), put(in[0], 1, 0x1p-60), put(in[0], 2, 1.0 + 0x1p-52);
  put(in[1], 0, -1.0), put(in[1], 1, -0x1p-60), put(in[1], 2, -(1.0 + 0x1p-52));
  const auto out = run_lanes(R"(
  DADD.RZ R16, R4, R6
  DADD.RP R18, R4, R6
  DADD.RM R20, R4, R6
  DMUL.RP R22, R8, R8
)", in);
  const auto out2 = run_lanes("  DFMA.RM R16, R8, R8, R6\n  DADD R18, R4, 2.5\n  DMUL R20, R4, -3\n", in);
  auto d = [](uint32_t lo, uint32_t hi) { return std::bit_cast<double>((uint64_t{hi} << 32) | lo); };
  const double up = std::nextafter(1.0, 2.0);
  // lane 0: 1 + 2^-60 lies strictly between 1 and 1 + 2^-52
  CHECK(d(out[0][0], out[0][1]) == 1.0);
  CHECK(d(out[0][2], out[0][3]) == up);
  CHECK(d(out[0][4], out[0][5]) == 1.0);
  CHECK(d(out[1][0], out[1][1]) == -1.0);
  CHECK(d(out[1][2], out[1][3]) == -1.0);
  CHECK(d(out[1][4], out[1][5]) == -up);
  // (1 + 2^-52)^2 = 1 + 2^-51 + 2^-104: RP rounds up to 1 + 3*2^-52
  CHECK(d(out[0][6], out[0][7]) == 1.0 + 3 * 0x1p-52);
  // RM of (1+2^-52)^2 + 2^-60: 1 + 2^-51 (+ tiny) rounds down to 1 + 2^-51
  CHECK(d(out2[0][0], out2[0][1]) == 1.0 + 0x1p-51);
  CHECK(d(out2[0][2], out2[0][3]) == 3.5);
  CHECK(d(out2[1][4], out2[1][5]) == 3.0);
}
