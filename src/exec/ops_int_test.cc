// Opcode-by-opcode checks of the integer, logic and predicate instructions: tiny xasm kernels
// run on the functional executor, compared with values computed here from first principles
// (two's-complement arithmetic, the PTX definitions of prmt/shf/bfind, NVIDIA's SASS opcode
// notes for the carry and predicate conventions).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <array>
#include <bit>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "src/exec/exec_test_util.h"

using namespace xpusim;
using namespace xpusim::exec;
using testing::addr_words;
using testing::Run;

namespace {

using Words = std::array<uint32_t, 8>;

// Runs `body` in every thread of one CTA (one thread per element of `in`). Before the body
// each thread holds its eight input words in R4..R11; afterwards R16..R23 are stored as its
// eight output words. The body may use any register (R0 and R2/R3 are rewritten after it).
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

// Random inputs mixed with edge values (0, 1, -1, INT_MIN, INT_MAX, ...), 32 lanes.
std::vector<Words> inputs(uint32_t seed, int lanes = 32) {
  static constexpr uint32_t kEdge[] = {0, 1, 0xffffffffu, 0x80000000u, 0x7fffffffu, 2, 0xfffffffeu, 0x80000001u};
  std::mt19937 rng(seed);
  std::vector<Words> v(lanes);
  for (int l = 0; l < lanes; ++l)
    for (int k = 0; k < 8; ++k) v[l][k] = (rng() % 3 == 0) ? kEdge[rng() % 8] : static_cast<uint32_t>(rng());
  return v;
}

uint64_t u64(uint32_t lo, uint32_t hi) { return (uint64_t{hi} << 32) | lo; }
int32_t s32(uint32_t v) { return static_cast<int32_t>(v); }

}  // namespace

TEST_CASE("ops: MOV from register, immediates and constants", "[ops]") {
  const auto in = inputs(1);
  const auto out = run_lanes(R"(
  MOV R16, R4
  MOV R17, 0x89abcdef
  MOV R18, c[ntid.x]
  MOV R19, c[0x4]
  MOV R20, -2
  MOV R21, RZ
  MOV R22, R5, 0xf
  MOV R23, c[nctaid.x]
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    INFO("lane " << l);
    CHECK(out[l][0] == in[l][0]);
    CHECK(out[l][1] == 0x89abcdefu);
    CHECK(out[l][2] == 32u);  // ntid.x
    CHECK(out[l][3] == 1u);   // ntid.y
    CHECK(out[l][4] == 0xfffffffeu);
    CHECK(out[l][5] == 0u);
    CHECK(out[l][6] == in[l][1]);
    CHECK(out[l][7] == 1u);
  }
}

TEST_CASE("ops: IADD3 sums three operands with -, ~, immediates and constants", "[ops]") {
  const auto in = inputs(2);
  const auto out = run_lanes(R"(
  IADD3 R16, R4, R5, R6
  IADD3 R17, -R4, R5, R6
  IADD3 R18, R4, -R5, -R6
  IADD3 R19, R4, 0x7fffffff, c[ntid.x]
  IADD3 R20, ~R4, R5, RZ
  IADD3 R21, R4, -0x10, RZ
  IADD3 R22, RZ, RZ, RZ
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint32_t a = in[l][0], b = in[l][1], c = in[l][2];
    INFO("lane " << l << " a=" << a << " b=" << b << " c=" << c);
    CHECK(out[l][0] == a + b + c);
    CHECK(out[l][1] == b + c - a);
    CHECK(out[l][2] == a - b - c);
    CHECK(out[l][3] == a + 0x7fffffffu + 32u);
    CHECK(out[l][4] == ~a + b);
    CHECK(out[l][5] == a - 16u);
    CHECK(out[l][6] == 0u);
  }
}

TEST_CASE("ops: IADD3 carry-out and IADD3.X carry-in make a 64-bit add", "[ops]") {
  auto in = inputs(3);
  in[0][0] = 0xffffffffu, in[0][1] = 0, in[0][2] = 1, in[0][3] = 0;                  // carry into the high word
  in[1][0] = 0xffffffffu, in[1][1] = 0xffffffffu, in[1][2] = 1, in[1][3] = 0;        // wraps to 0
  in[2][0] = 0x80000000u, in[2][1] = 5, in[2][2] = 0x80000000u, in[2][3] = 7;        // exactly 2^32
  const auto out = run_lanes(R"(
  IADD3 R16, P0, R4, R6, RZ
  IADD3.X R17, R5, R7, RZ, P0, !PT
  SEL R18, 1, 0, P0
  IADD3 R19, P1, R4, 1, RZ
  IADD3.X R20, R5, RZ, RZ, P1, !PT
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint64_t x = u64(in[l][0], in[l][1]), y = u64(in[l][2], in[l][3]);
    INFO("lane " << l << " x=" << x << " y=" << y);
    CHECK(u64(out[l][0], out[l][1]) == x + y);
    CHECK(out[l][2] == ((uint64_t{in[l][0]} + in[l][2]) >> 32));
    CHECK(u64(out[l][3], out[l][4]) == x + 1);
  }
}

// 64-bit subtraction as nvcc emits it: IADD3 lo, P0, a_lo, -b_lo, RZ ; IADD3.X hi, a_hi, ~b_hi,
// RZ, P0, !PT. NVIDIA's SASS notes define "Ra - Sb" as Ra + ~Sb + 1, so the carry out is 1
// exactly when there is no borrow (a_lo >= b_lo, unsigned) -- including b_lo == 0.
TEST_CASE("ops: IADD3 with a negated operand gives a no-borrow carry (b_lo != 0)", "[ops]") {
  auto in = inputs(4);
  for (auto& w : in)
    if (w[2] == 0) w[2] = 3;
  const auto out = run_lanes(R"(
  IADD3 R16, P0, R4, -R6, RZ
  IADD3.X R17, R5, ~R7, RZ, P0, !PT
  SEL R18, 1, 0, P0
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint64_t x = u64(in[l][0], in[l][1]), y = u64(in[l][2], in[l][3]);
    INFO("lane " << l << " x=" << x << " y=" << y);
    CHECK(u64(out[l][0], out[l][1]) == x - y);
    CHECK(out[l][2] == (in[l][0] >= in[l][2] ? 1u : 0u));
  }
}

// Found by this test before c86131a: a negated source entered the adder as the 32-bit value
// 0 - b, so "a - 0" carried out 0 and the high word came out one too small. The hardware adds
// a + ~b + 1 (NVIDIA SASS notes, IADD: "Ra-Sb: Ra + ~Sb + 1"; docs/isa.md §5.1).
TEST_CASE("ops: IADD3 64-bit subtraction when the low word subtracted is zero", "[ops]") {
  auto in = inputs(5);
  for (auto& w : in) w[2] = 0;  // y = y_hi:0
  in[0] = {0, 5, 0, 2, 0, 0, 0, 0};  // 0x5_00000000 - 0x2_00000000 = 0x3_00000000
  const auto out = run_lanes(R"(
  IADD3 R16, P0, R4, -R6, RZ
  IADD3.X R17, R5, ~R7, RZ, P0, !PT
  SEL R18, 1, 0, P0
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint64_t x = u64(in[l][0], in[l][1]), y = u64(in[l][2], in[l][3]);
    INFO("lane " << l << " x=" << x << " y=" << y);
    CHECK(u64(out[l][0], out[l][1]) == x - y);
    CHECK(out[l][2] == 1u);  // a_lo >= 0: never a borrow
  }
}

// A three-operand multi-word add: the low words' sum carries 0, 1 or 2 into the high word.
// IADD3.X adds its two carry-in predicates with weight one each (NVIDIA SASS notes: ".X: both
// CF.OF & CF.CC are two separate carry inputs to the adder"), so the two carry-outs must
// together count the carry.
TEST_CASE("ops: IADD3 three-operand carry of at most one reaches the high word", "[ops]") {
  auto in = inputs(6);
  for (auto& w : in) w[4] &= 0x7fffffffu, w[2] &= 0x7fffffffu;  // lo sum < 2^33
  const auto out = run_lanes(R"(
  IADD3 R16, P0, P1, R4, R6, R8
  IADD3.X R17, R5, R7, R9, P0, P1
  SEL R18, 1, 0, P0
  SEL R19, 1, 0, P1
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint64_t s = u64(in[l][0], in[l][1]) + u64(in[l][2], in[l][3]) + u64(in[l][4], in[l][5]);
    const uint64_t carry = (uint64_t{in[l][0]} + in[l][2] + in[l][4]) >> 32;
    INFO("lane " << l);
    CHECK(u64(out[l][0], out[l][1]) == s);
    CHECK(out[l][2] == uint32_t{carry >= 1});  // docs/isa.md §5.1: the carry in unary
    CHECK(out[l][3] == uint32_t{carry >= 2});
  }
}

// Found by this test before c86131a: the two carry-outs were bits 32 and 33 of the sum (a
// binary count) while IADD3.X adds its carry-ins with weight one, so a carry of 2 arrived as 1.
// docs/isa.md §5.1 now reports the carry in unary (Pc0: >= 1, Pc1: >= 2).
TEST_CASE("ops: IADD3 three-operand carry of two reaches the high word", "[ops]") {
  std::vector<Words> in(32);
  std::mt19937 rng(7);
  for (auto& w : in) {
    for (auto& v : w) v = static_cast<uint32_t>(rng());
    w[0] |= 0xc0000000u, w[2] |= 0xc0000000u, w[4] |= 0xc0000000u;  // lo sum >= 2^33
  }
  const auto out = run_lanes(R"(
  IADD3 R16, P0, P1, R4, R6, R8
  IADD3.X R17, R5, R7, R9, P0, P1
  SEL R18, 1, 0, P0
  SEL R19, 1, 0, P1
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint64_t s = u64(in[l][0], in[l][1]) + u64(in[l][2], in[l][3]) + u64(in[l][4], in[l][5]);
    const uint64_t carry = (uint64_t{in[l][0]} + in[l][2] + in[l][4]) >> 32;
    INFO("lane " << l);
    CHECK(u64(out[l][0], out[l][1]) == s);
    CHECK(out[l][2] == uint32_t{carry >= 1});  // docs/isa.md §5.1: the carry in unary
    CHECK(out[l][3] == uint32_t{carry >= 2});
  }
}

TEST_CASE("ops: IMAD low, .HI (signed and .U32) and .WIDE (signed and .U32) with a 64-bit addend", "[ops]") {
  const auto in = inputs(8);
  const auto out = run_lanes(R"(
  IMAD R16, R4, R5, R6
  IMAD.HI R17, R4, R5, R6
  IMAD.HI.U32 R18, R4, R5, R6
  IMAD.WIDE R20, R4, R5, R6
  IMAD.WIDE.U32 R22, R4, R5, R6
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint32_t a = in[l][0], b = in[l][1], c = in[l][2];
    const uint64_t c64 = u64(in[l][2], in[l][3]);
    const int64_t sp = int64_t{s32(a)} * s32(b);
    const uint64_t up = uint64_t{a} * b;
    INFO("lane " << l << " a=" << a << " b=" << b);
    CHECK(out[l][0] == a * b + c);
    CHECK(out[l][1] == static_cast<uint32_t>(static_cast<uint64_t>(sp) >> 32) + c);
    CHECK(out[l][2] == static_cast<uint32_t>(up >> 32) + c);
    CHECK(u64(out[l][4], out[l][5]) == static_cast<uint64_t>(sp) + c64);
    CHECK(u64(out[l][6], out[l][7]) == up + c64);
  }
}

TEST_CASE("ops: IMAD.X carry-in, idiom names, immediates and a 64x64 product", "[ops]") {
  const auto in = inputs(9);
  const auto out = run_lanes(R"(
  IADD3 R24, P0, R4, R5, RZ
  IMAD.X R16, R6, R7, R8, P0
  IMAD.MOV.U32 R17, RZ, RZ, R9
  IMAD.SHL.U32 R18, R4, 0x10, RZ
  IMAD.IADD R19, R4, 1, R5
  IMAD R20, R4, -3, c[ntid.x]
  IMAD.WIDE.U32 R22, R4, R6, RZ
  IMAD R24, R4, R7, RZ
  IMAD R25, R5, R6, R24
  IADD3 R23, R23, R25, RZ
  IMAD.WIDE R26, R4, -4, RZ
  MOV R21, R27
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint32_t a = in[l][0], b = in[l][1];
    const uint32_t carry = (uint64_t{a} + b) >> 32;
    INFO("lane " << l);
    CHECK(out[l][0] == in[l][2] * in[l][3] + in[l][4] + carry);
    CHECK(out[l][1] == in[l][5]);
    CHECK(out[l][2] == a << 4);
    CHECK(out[l][3] == a + b);
    CHECK(out[l][4] == 32u - 3u * a);
    // (R5:R4) * (R7:R6) mod 2^64
    CHECK(u64(out[l][6], out[l][7]) == u64(a, b) * u64(in[l][2], in[l][3]));
    CHECK(out[l][5] == static_cast<uint32_t>(static_cast<uint64_t>(int64_t{s32(a)} * -4) >> 32));
  }
}

TEST_CASE("ops: LEA and LEA.HI(.X, .SX32) build 64-bit addresses", "[ops]") {
  const auto in = inputs(10);
  const auto out = run_lanes(R"(
  LEA R16, P0, R4, R6, 3
  LEA.HI.X R17, R4, R7, R5, 3, P0
  LEA R18, P1, R8, R6, 2
  LEA.HI.X.SX32 R19, R8, R7, 2, P1
  LEA.HI R20, R4, R9, R5, 4
  LEA R21, R4, RZ, 0
  SEL R22, 1, 0, P0
  LEA R23, R4, 0x100, 31
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint64_t x = u64(in[l][0], in[l][1]), base = u64(in[l][2], in[l][3]);
    const int64_t idx = s32(in[l][4]);
    INFO("lane " << l);
    CHECK(u64(out[l][0], out[l][1]) == base + (x << 3));
    CHECK(u64(out[l][2], out[l][3]) == base + (static_cast<uint64_t>(idx) << 2));
    CHECK(out[l][4] == static_cast<uint32_t>((x << 4) >> 32) + in[l][5]);
    CHECK(out[l][5] == in[l][0]);
    CHECK(out[l][6] == ((uint64_t{in[l][0] << 3} + in[l][2]) >> 32));
    CHECK(out[l][7] == (in[l][0] << 31) + 0x100u);
  }
}

TEST_CASE("ops: LOP3.LUT computes any three-input function, also into a predicate", "[ops]") {
  // The LUT of f is f(0xf0, 0xcc, 0xaa): bit i is f of the three bits of i (a = bit 2).
  const std::vector<std::function<uint32_t(uint32_t, uint32_t, uint32_t)>> fs = {
      [](uint32_t a, uint32_t b, uint32_t) { return a & b; },
      [](uint32_t a, uint32_t b, uint32_t c) { return a ^ b ^ c; },
      [](uint32_t a, uint32_t b, uint32_t c) { return (a & b) | (a & c) | (b & c); },
      [](uint32_t a, uint32_t b, uint32_t c) { return (a & ~b) | c; },
      [](uint32_t a, uint32_t b, uint32_t c) { return (c & (a ^ ~b)) | (~c & ~(a | b)); },
      [](uint32_t a, uint32_t, uint32_t) { return ~a; },
      [](uint32_t a, uint32_t b, uint32_t c) { return (a & b) ^ (~c); },
      [](uint32_t, uint32_t, uint32_t) { return 0xffffffffu; },
  };
  std::string body;
  std::vector<uint32_t> luts;
  for (size_t k = 0; k < fs.size(); ++k) {
    luts.push_back(fs[k](0xf0, 0xcc, 0xaa) & 0xff);
    body += fmt::format("  LOP3.LUT R{}, R4, R5, R6, {:#x}\n", 16 + k, luts.back());
  }
  const auto in = inputs(11);
  const auto out = run_lanes(body, in);
  for (size_t l = 0; l < in.size(); ++l) {
    for (size_t k = 0; k < fs.size(); ++k) {
      INFO("lane " << l << " lut " << luts[k]);
      CHECK(out[l][k] == fs[k](in[l][0], in[l][1], in[l][2]));
    }
  }
  // Immediate/constant operands and the predicate output (result != 0).
  auto in2 = inputs(12);
  in2[0][0] = 0x0f0f0f0fu, in2[0][1] = 0xf0f0f0f0u;  // a & b == 0
  const auto out2 = run_lanes(R"(
  LOP3.LUT R16, R4, 0xff00ff00, c[ntid.x], 0xfe
  LOP3.LUT P0, R17, R4, R5, RZ, 0xc0, !PT
  SEL R18, 1, 0, P0
  LOP3.LUT P1, RZ, R4, 0x1, RZ, 0xc0, !PT
  SEL R19, 1, 0, P1
)", in2);
  for (size_t l = 0; l < in2.size(); ++l) {
    const uint32_t a = in2[l][0], b = in2[l][1];
    INFO("lane " << l);
    CHECK(out2[l][0] == (a | 0xff00ff00u | 32u));
    CHECK(out2[l][1] == (a & b));
    CHECK(out2[l][2] == ((a & b) != 0 ? 1u : 0u));
    CHECK(out2[l][3] == (a & 1u));
  }
}

TEST_CASE("ops: SHF funnel shifts .L/.R, .U32/.S32 (clamped or .W), .HI, .U64/.S64", "[ops]") {
  auto in = inputs(13);
  static constexpr uint32_t kShifts[] = {0, 1, 5, 31, 32, 33, 63, 100, 0xffffffffu, 16, 8, 4};
  for (size_t l = 0; l < in.size(); ++l) in[l][1] = kShifts[l % 12], in[l][3] = (in[l][3] & 63);
  const auto out = run_lanes(R"(
  SHF.L.U32 R16, R4, R5, RZ
  SHF.L.W.U32 R17, R4, R5, RZ
  SHF.R.U32.HI R18, RZ, R5, R4
  SHF.R.S32.HI R19, RZ, R5, R4
  SHF.R.U32 R20, R4, R5, R6
  SHF.L.U32.HI R21, R4, R5, R6
  SHF.L.W.U32.HI R22, R4, R5, R6
  SHF.R.W.U32 R23, R4, R5, R6
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint32_t a = in[l][0], s = in[l][1], c = in[l][2];
    const uint32_t n = s < 32 ? s : 32, w = s & 31;  // PTX shf .clamp / .wrap
    const uint64_t ca = u64(a, c);
    INFO("lane " << l << " a=" << a << " s=" << s);
    CHECK(out[l][0] == (n == 32 ? 0u : a << n));
    CHECK(out[l][1] == a << w);
    CHECK(out[l][2] == (n == 32 ? 0u : a >> n));
    CHECK(out[l][3] == static_cast<uint32_t>(s32(a) >> (n == 32 ? 31 : n)));
    CHECK(out[l][4] == static_cast<uint32_t>(ca >> n));
    CHECK(out[l][5] == static_cast<uint32_t>((ca << n) >> 32));
    CHECK(out[l][6] == static_cast<uint32_t>((ca << w) >> 32));
    CHECK(out[l][7] == static_cast<uint32_t>(ca >> w));
  }
  const auto out64 = run_lanes(R"(
  SHF.L.U64.HI R16, R4, R7, R6
  SHF.R.U64 R17, R4, R7, R6
  SHF.R.S64 R18, R4, R7, R6
  SHF.L.U64.HI R19, R4, 3, R5
  SHF.L.U32 R20, R4, 3, RZ
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint64_t ca = u64(in[l][0], in[l][2]);
    const uint32_t t = in[l][3];  // 0..63
    INFO("lane " << l << " t=" << t);
    CHECK(out64[l][0] == static_cast<uint32_t>((ca << t) >> 32));
    CHECK(out64[l][1] == static_cast<uint32_t>(ca >> t));
    CHECK(out64[l][2] == static_cast<uint32_t>(static_cast<uint64_t>(static_cast<int64_t>(ca) >> t)));
    CHECK(u64(out64[l][4], out64[l][3]) == u64(in[l][0], in[l][1]) << 3);  // a 64-bit shift
  }
}

TEST_CASE("ops: ISETP every comparison, signed and .U32, immediate and constant operands", "[ops]") {
  static constexpr const char* kCmp[] = {"F", "LT", "EQ", "LE", "GT", "NE", "GE", "T"};
  std::string body;
  for (int k = 0; k < 8; ++k) {
    body += fmt::format("  ISETP.{} P0, R4, R5\n  SEL R24, {}, RZ, P0\n  IADD3 R16, R16, R24, RZ\n", kCmp[k], 1u << k);
    body += fmt::format("  ISETP.{}.U32 P1, R4, R5\n  SEL R24, {}, RZ, P1\n  IADD3 R17, R17, R24, RZ\n", kCmp[k], 1u << k);
  }
  body += "  ISETP.GT.U32 P2, R4, 0x7fffffff\n  SEL R18, 1, 0, P2\n";
  body += "  ISETP.LT P3, R4, c[ntid.x]\n  SEL R19, 1, 0, P3\n";
  body += "  ISETP.GE P4, R4, -5\n  SEL R20, 1, 0, P4\n";
  auto in = inputs(14);
  for (size_t l = 0; l < 8; ++l) in[l][1] = in[l][0];  // equal operands
  in[8][0] = 0x80000000u, in[8][1] = 0x7fffffffu;
  in[9][0] = 0xffffffffu, in[9][1] = 0;
  const auto out = run_lanes(body, in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint32_t a = in[l][0], b = in[l][1];
    auto bits = [](bool lt, bool eq) {
      const bool r[8] = {false, lt, eq, lt || eq, !lt && !eq, !eq, !lt, true};
      uint32_t m = 0;
      for (int k = 0; k < 8; ++k) m |= uint32_t{r[k]} << k;
      return m;
    };
    INFO("lane " << l << " a=" << a << " b=" << b);
    CHECK(out[l][0] == bits(s32(a) < s32(b), a == b));
    CHECK(out[l][1] == bits(a < b, a == b));
    CHECK(out[l][2] == (a > 0x7fffffffu ? 1u : 0u));
    CHECK(out[l][3] == (s32(a) < 32 ? 1u : 0u));
    CHECK(out[l][4] == (s32(a) >= -5 ? 1u : 0u));
  }
}

// Pu = (a cmp b) bop Pp and Pv = !(a cmp b) bop Pp (NVIDIA SASS notes, ISETP).
TEST_CASE("ops: ISETP .AND/.OR/.XOR combine with Pc (and !Pc) into Pd and Pq", "[ops]") {
  auto in = inputs(15);
  for (size_t l = 0; l < in.size(); ++l) in[l][2] = l & 1, in[l][1] = (l & 2) ? in[l][0] : in[l][0] + 1;
  std::string body = "  ISETP.NE P2, R6, RZ\n";
  static constexpr const char* kBop[] = {"AND", "OR", "XOR"};
  int r = 16;
  for (const char* bop : kBop) {
    for (const char* pc : {"P2", "!P2"}) {
      body += fmt::format("  ISETP.EQ.{} P0, P1, R4, R5, {}\n  SEL R24, 1, 0, P0\n  SEL R25, 2, 0, P1\n", bop, pc);
      body += fmt::format("  IADD3 R{}, R24, R25, RZ\n", r++);
    }
  }
  const auto out = run_lanes(body, in);
  for (size_t l = 0; l < in.size(); ++l) {
    const bool cmp = in[l][0] == in[l][1];
    int k = 0;
    for (int bop = 0; bop < 3; ++bop) {
      for (bool inv : {false, true}) {
        const bool p = (in[l][2] != 0) != inv;
        auto f = [&](bool x) { return bop == 0 ? x && p : bop == 1 ? x || p : x != p; };
        INFO("lane " << l << " bop " << kBop[bop] << (inv ? " !Pc" : " Pc"));
        CHECK(out[l][k++] == (uint32_t{f(cmp)} | uint32_t{f(!cmp)} << 1));
      }
    }
  }
}

TEST_CASE("ops: SEL picks by predicate, PRMT selects and sign-replicates bytes", "[ops]") {
  auto in = inputs(16);
  std::mt19937 rng(17);
  for (auto& w : in) w[1] = static_cast<uint32_t>(rng());  // random selectors, sign bits included
  const auto out = run_lanes(R"(
  LOP3.LUT P0, RZ, R6, 0x1, RZ, 0xc0, !PT
  SEL R16, R4, R7, P0
  SEL R17, R4, 0x1234, !P0
  PRMT R18, R4, R5, R6
  PRMT R19, R4, 0x3210, R6
  PRMT R20, R4, 0x7654, R6
  PRMT R21, R4, 0x0123, RZ
  PRMT R22, R4, 0x8880, RZ
  PRMT R23, R4, 0x9910, RZ
)", in);
  for (size_t l = 0; l < in.size(); ++l) {
    const uint32_t a = in[l][0], sel = in[l][1], b = in[l][2];
    const bool p = b & 1;
    // PTX prmt (default mode): bytes 0-3 of a then 4-7 of b; selector bit 3 replicates the sign.
    const uint8_t bytes[8] = {uint8_t(a), uint8_t(a >> 8), uint8_t(a >> 16), uint8_t(a >> 24),
                              uint8_t(b), uint8_t(b >> 8), uint8_t(b >> 16), uint8_t(b >> 24)};
    uint32_t exp = 0;
    for (int i = 0; i < 4; ++i) {
      const uint32_t s = (sel >> (4 * i)) & 0xf;
      const uint8_t v = bytes[s & 7];
      exp |= uint32_t{(s & 8) ? ((v & 0x80) ? uint8_t{0xff} : uint8_t{0}) : v} << (8 * i);
    }
    INFO("lane " << l << " a=" << a << " sel=" << sel << " b=" << b);
    CHECK(out[l][0] == (p ? a : in[l][3]));
    CHECK(out[l][1] == (p ? 0x1234u : a));
    CHECK(out[l][2] == exp);
    CHECK(out[l][3] == a);
    CHECK(out[l][4] == b);
    CHECK(out[l][5] == ((a >> 24) | ((a >> 8) & 0xff00u) | ((a << 8) & 0xff0000u) | (a << 24)));
    CHECK(out[l][6] == static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(a))));
    CHECK(out[l][7] == static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(a))));
  }
}

TEST_CASE("ops: IABS, IMNMX (signed and .U32), POPC, BREV, FLO (.U32/.S32, .SH)", "[ops]") {
  auto in = inputs(18);
  in[0][0] = 0, in[1][0] = 0xffffffffu, in[2][0] = 0x80000000u, in[3][0] = 1, in[4][0] = 0x7fffffffu;
  const auto out = run_lanes(R"(
  IABS R16, R4
  IMNMX R17, R4, R5, PT
  IMNMX R18, R4, R5, !PT
  IMNMX.U32 R19, R4, R5, PT
  IMNMX.U32 R20, R4, R5, !PT
  POPC R21, R4
  BREV R22, R4
  POPC R23, ~R4
)", in);
  const auto out2 = run_lanes(R"(
  FLO.U32 R16, R4
  FLO.U32.SH R17, R4
  FLO.S32 R18, R4
  FLO.S32.SH R19, R4
  FLO R20, R4
  IMNMX R21, R4, -7, P6
  ISETP.NE P5, RZ, RZ
  IMNMX.U32 R22, R4, 0x10, P5
)", in);
  // Reference bit utilities written out bit by bit.
  auto msb = [](uint32_t v) -> int {
    for (int i = 31; i >= 0; --i)
      if ((v >> i) & 1) return i;
    return -1;
  };
  for (size_t l = 0; l < in.size(); ++l) {
    const uint32_t a = in[l][0], b = in[l][1];
    uint32_t pc = 0, rev = 0;
    for (int i = 0; i < 32; ++i) pc += (a >> i) & 1, rev |= ((a >> i) & 1) << (31 - i);
    INFO("lane " << l << " a=" << a << " b=" << b);
    CHECK(out[l][0] == (s32(a) < 0 ? 0u - a : a));  // |INT_MIN| wraps to INT_MIN
    CHECK(s32(out[l][1]) == std::min(s32(a), s32(b)));
    CHECK(s32(out[l][2]) == std::max(s32(a), s32(b)));
    CHECK(out[l][3] == std::min(a, b));
    CHECK(out[l][4] == std::max(a, b));
    CHECK(out[l][5] == pc);
    CHECK(out[l][6] == rev);
    CHECK(out[l][7] == 32 - pc);
    // PTX bfind: position of the most significant non-sign bit, 0xffffffff when none;
    // .shiftamt gives 31 - position.
    const int pu = msb(a), ps = msb(s32(a) < 0 ? ~a : a);
    CHECK(out2[l][0] == (pu < 0 ? 0xffffffffu : uint32_t(pu)));
    CHECK(out2[l][1] == (pu < 0 ? 0xffffffffu : uint32_t(31 - pu)));
    CHECK(out2[l][2] == (ps < 0 ? 0xffffffffu : uint32_t(ps)));
    CHECK(out2[l][3] == (ps < 0 ? 0xffffffffu : uint32_t(31 - ps)));
    CHECK(out2[l][4] == out2[l][0]);  // unsigned by default
    CHECK(s32(out2[l][5]) == std::max(s32(a), -7));  // P6 is false at launch: maximum
    CHECK(out2[l][6] == std::max(a, 0x10u));
  }
}

TEST_CASE("ops: PLOP3.LUT computes two predicate functions of three predicates", "[ops]") {
  std::vector<Words> in(32);
  for (size_t l = 0; l < 32; ++l) in[l][0] = l;  // bits 0..2 -> P0..P2
  const auto out = run_lanes(R"(
  LOP3.LUT P0, RZ, R4, 0x1, RZ, 0xc0, !PT
  LOP3.LUT P1, RZ, R4, 0x2, RZ, 0xc0, !PT
  LOP3.LUT P2, RZ, R4, 0x4, RZ, 0xc0, !PT
  PLOP3.LUT P3, P4, P0, P1, P2, 0x96, 0xe8
  SEL R16, 1, 0, P3
  SEL R17, 1, 0, P4
  PLOP3.LUT P5, P6, !P0, P1, PT, 0x80, 0x01
  SEL R18, 1, 0, P5
  SEL R19, 1, 0, P6
  PLOP3.LUT P3, PT, P0, P1, P2, 0xf0, 0x0
  SEL R20, 1, 0, P3
)", in);
  for (size_t l = 0; l < 32; ++l) {
    const bool a = l & 1, b = l & 2, c = l & 4;
    INFO("lane " << l);
    CHECK(out[l][0] == uint32_t{(a != b) != c});
    CHECK(out[l][1] == uint32_t{(a && b) || (a && c) || (b && c)});
    CHECK(out[l][2] == uint32_t{!a && b});     // 0x80: all three true (third is PT)
    CHECK(out[l][3] == 0u);  // 0x01: all three false, never (the third is PT)
    CHECK(out[l][4] == uint32_t{a});  // 0xf0: the first input
  }
}
