// Operand forms and their documented meaning (docs/isa.md §4): literals in raw, float and
// conversion slots, prefixes on integer sources, sub-word selectors, RZ/PT destinations,
// constant-bank bounds, loads into RZ, and the assembler's rejections of ill-formed operands.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
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

std::vector<Words> random_lanes(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Words> v(32);
  for (auto& w : v)
    for (auto& x : w) x = static_cast<uint32_t>(rng());
  return v;
}

uint32_t fb(float f) { return std::bit_cast<uint32_t>(f); }

}  // namespace

TEST_CASE("ops: literals in raw slots are bit patterns, ~ on an immediate inverts it", "[ops]") {
  const auto in = random_lanes(81);
  const auto out = run_lanes(R"(
  MOV R16, 1.5
  MOV R17, 0f3fc00000
  IADD3 R18, R4, ~5, RZ
  MOV R19, -INF
  MOV R20, -0x10
  LOP3.LUT R21, R4, ~0, RZ, 0xc0
  MOV R22, 2.5e1
  IADD3 R23, R4.reuse, 0x7fffffff, RZ
)", in);
  for (size_t l = 0; l < 32; ++l) {
    const uint32_t a = in[l][0];
    INFO("lane " << l);
    CHECK(out[l][0] == 0x3fc00000u);
    CHECK(out[l][1] == 0x3fc00000u);
    CHECK(out[l][2] == a + 0xfffffffau);
    CHECK(out[l][3] == 0xff800000u);
    CHECK(out[l][4] == 0xfffffff0u);
    CHECK(out[l][5] == a);
    CHECK(out[l][6] == fb(25.0f));
    CHECK(out[l][7] == a + 0x7fffffffu);
  }
}

TEST_CASE("ops: -, | | and -| | on integer registers and constants", "[ops]") {
  auto in = random_lanes(82);
  in[0][0] = 0x80000000u, in[1][0] = 0, in[2][0] = 0xffffffffu;
  const auto out = run_lanes(R"(
  IADD3 R16, -|R4|, RZ, RZ
  IADD3 R17, |R4|, RZ, RZ
  IADD3 R18, -c[ntid.x], R4, RZ
  IMAD R19, -R4, R5, RZ
  ISETP.LT P0, -R4, R5
  SEL R20, 1, 0, P0
  IMNMX R21, |R4|, |R5|, PT
)", in);
  auto abs_ = [](uint32_t v) { return static_cast<int32_t>(v) < 0 ? 0u - v : v; };
  for (size_t l = 0; l < 32; ++l) {
    const uint32_t a = in[l][0], b = in[l][1];
    INFO("lane " << l << " a=" << a);
    CHECK(out[l][0] == 0u - abs_(a));
    CHECK(out[l][1] == abs_(a));
    CHECK(out[l][2] == a - 32u);
    CHECK(out[l][3] == (0u - a) * b);
    CHECK(out[l][4] == uint32_t{static_cast<int32_t>(0u - a) < static_cast<int32_t>(b)});
    CHECK(out[l][5] == static_cast<uint32_t>(std::min(static_cast<int32_t>(abs_(a)), static_cast<int32_t>(abs_(b)))));
  }
}

TEST_CASE("ops: .B0-.B3 and .H0/.H1 select zero-extended sub-words of integer and conversion sources", "[ops]") {
  const auto in = random_lanes(83);
  const auto out = run_lanes(R"(
  IADD3 R16, R4.B0, R4.B1, R4.B2
  IADD3 R17, R4.B3, R4.H1, RZ
  IADD3 R18, R4.H0, RZ, RZ
  ISETP.GT.U32 P0, R5.B3, 0x7f
  SEL R19, R5.H1, R6.B2, P0
  I2F.F32.U32 R20, R7.H1
  IMAD R21, R4.B1, R5.H0, R6.B3
  POPC R22, R4.B2
)", in);
  for (size_t l = 0; l < 32; ++l) {
    const uint32_t a = in[l][0], b = in[l][1], c = in[l][2], d = in[l][3];
    auto byte = [](uint32_t v, int i) { return (v >> (8 * i)) & 0xffu; };
    INFO("lane " << l);
    CHECK(out[l][0] == byte(a, 0) + byte(a, 1) + byte(a, 2));
    CHECK(out[l][1] == byte(a, 3) + (a >> 16));
    CHECK(out[l][2] == (a & 0xffff));
    CHECK(out[l][3] == (byte(b, 3) > 0x7f ? b >> 16 : byte(c, 2)));
    CHECK(out[l][4] == fb(static_cast<float>(d >> 16)));
    CHECK(out[l][5] == byte(a, 1) * (b & 0xffff) + byte(c, 3));
    CHECK(out[l][6] == static_cast<uint32_t>(std::popcount(byte(a, 2))));
  }
}

TEST_CASE("ops: conversion sources take literals in the source format", "[ops]") {
  const auto out = run_lanes(R"(
  F2I.S32.F32 R16, 2.5
  F2F.F16.F32 R17, 1
  F2F.F32.F16 R18, 1.5
  F2F.F32.F64 R19, 0.1
  F2I.S32.F64 R20, -2.5
  I2F.F32.S32 R21, -7
  F2F.F32.BF16 R22, 3.0
  F2I.U32.F32.CEIL R23, 0f3f800001
)", std::vector<Words>(1));
  CHECK(out[0][0] == 2u);                    // 2.5 ties to even
  CHECK(out[0][1] == 0u);                    // the FP32 pattern 0x00000001 (2^-149) -> FP16 +0
  CHECK(out[0][2] == fb(1.5f));
  CHECK(out[0][3] == fb(0.1f));              // 0.1 as a double, rounded once to FP32
  CHECK(out[0][4] == static_cast<uint32_t>(-2));
  CHECK(out[0][5] == fb(-7.0f));
  CHECK(out[0][6] == fb(3.0f));
  CHECK(out[0][7] == 2u);
  CHECK_THROWS_WITH(isa::assemble_text(".kernel k\n.regs 4\n  I2F.F32.S32 R0, 1.5\n  EXIT\n", "t.xasm"),
                    Catch::Contains("I2F takes an integer source"));
}

TEST_CASE("ops: I2F into narrow formats rounds once and saturates with .SAT", "[ops]") {
  const auto out = run_lanes(R"(
  I2F.F16.S32 R16, R4
  I2F.F16.S32.SAT R17, R4
  I2F.BF16.U32.RZ R18, R4
  I2F.E4M3.S32.SAT R19, R4
  I2F.F16.S32.RP R20, R5
  S2R R21, SR_CLOCKLO
)", {{70000u, 2049u, 0, 0, 0, 0, 0, 0}, {static_cast<uint32_t>(-70000), static_cast<uint32_t>(-2049), 0, 0, 0, 0, 0, 0}});
  CHECK(out[0][0] == 0x7c00u);        // beyond 65504: Inf
  CHECK(out[0][1] == 0x7bffu);        // .SAT: max finite
  CHECK(out[0][2] == 0x4788u);        // 70000 toward zero in BF16: 69632
  CHECK(out[0][3] == 0x7eu);          // E4M3 max 448
  CHECK(out[0][4] == 0x6801u);        // 2049 rounds up to 2050
  CHECK(out[1][1] == 0xfbffu);
  CHECK(out[1][3] == 0xfeu);
  CHECK(out[1][4] == 0xe800u);        // -2049 rounds up (toward +Inf) to -2048
  CHECK(out[0][5] == 0u);             // SR_CLOCKLO is 0 in the untimed runner (docs/isa.md §4.8)
}

TEST_CASE("ops: RZ and PT destinations discard, a ! on a destination predicate is ignored", "[ops]") {
  auto in = random_lanes(84);
  const auto out = run_lanes(R"(
  MOV R16, 7
  IADD3 RZ, R4, R5, RZ
  IADD3 R16, R16, RZ, RZ
  ISETP.EQ PT, RZ, RZ
  ISETP.EQ !P0, RZ, RZ
  SEL R17, 1, 0, P0
  SEL R18, 1, 0, PT
  MOV R19, RZ
  LDG RZ, [R2+4]
  IMAD.WIDE RZ, R4, R5, RZ
  VOTE.ANY RZ, PT, PT
)", in);
  for (size_t l = 0; l < 32; ++l) {
    CHECK(out[l][0] == 7u);
    CHECK(out[l][1] == 1u);
    CHECK(out[l][2] == 1u);
    CHECK(out[l][3] == 0u);
  }
}

TEST_CASE("ops: FMNMX.FTZ flushes subnormal sources before comparing", "[ops]") {
  std::vector<Words> in(3);
  in[0] = {fb(0x1p-130f), 0, 0, 0, 0, 0, 0, 0};
  in[1] = {fb(-0x1p-130f), 0, 0, 0, 0, 0, 0, 0};
  in[2] = {fb(0x1p-130f), fb(0x1p-140f), 0, 0, 0, 0, 0, 0};
  const auto out = run_lanes("  FMNMX.FTZ R16, R4, R5, PT\n  FMNMX R17, R4, R5, PT\n  FMNMX.FTZ R18, R4, R5, !PT\n", in);
  CHECK(out[0][0] == 0u);
  CHECK(out[0][1] == 0u);
  CHECK(out[1][0] == 0x80000000u);           // -0 < +0
  CHECK(out[1][1] == fb(-0x1p-130f));
  CHECK(out[2][1] == fb(0x1p-140f));
  CHECK(out[2][2] == 0u);                    // both flushed to +0
}

TEST_CASE("ops: SHFL from a lane that does not execute reads its current register", "[ops]") {
  std::vector<Words> in(32);
  for (uint32_t l = 0; l < 32; ++l) in[l][0] = 100 + l;
  const auto out = run_lanes(R"(
  MOV R16, 0x5555
  ISETP.NE P0, R0, RZ
  @P0 SHFL.IDX PT, R16, R4, 0, 0x1f
  @!P0 MOV R4, 0x77
  @P0 SHFL.IDX PT, R17, R4, 0, 0x1f
)", in);
  for (uint32_t l = 0; l < 32; ++l) {
    INFO("lane " << l);
    CHECK(out[l][0] == (l == 0 ? 0x5555u : 100u));
    CHECK(out[l][1] == (l == 0 ? 0u : 0x77u));
  }
}

TEST_CASE("ops: reads past the constant bank and loads into RZ fault", "[ops]") {
  Run r(".kernel k\n.param p:u64\n.regs 8\n  MOV R0, c[0x28]\n  EXIT\n");
  CHECK_THROWS_WITH(r.go({1, 1, 1}, {32, 1, 1}, {0, 0}), Catch::Contains("constant bank read at offset 40 past its 40 bytes"));
  Run r2(".kernel k\n.param p:u64\n.regs 8\n  MOV R2, c[p]\n  MOV R3, c[p+4]\n  LDG RZ, [R2+0x40]\n  EXIT\n");
  const uint64_t pb = r2.buffer(std::vector<uint32_t>(16), "buf");
  CHECK_THROWS_WITH(r2.go({1, 1, 1}, {32, 1, 1}, addr_words(pb)), Catch::Contains("out-of-bounds global load"));
  Run r3(".kernel k\n.regs 8\n  MOV R0, 128\n  BAR.SYNC 0, R0\n  EXIT\n");
  CHECK_THROWS_WITH(r3.go({1, 1, 1}, {64, 1, 1}, {}), Catch::Contains("no larger than the CTA"));
}

TEST_CASE("ops: the assembler rejects ill-formed carries, comparisons and addresses", "[ops]") {
  auto rejects = [](const std::string& line, const std::string& what) {
    INFO(line);
    CHECK_THROWS_WITH(isa::assemble_text(".kernel k\n.regs 8\n  " + line + "\n  EXIT\n", "t.xasm"), Catch::Contains(what));
  };
  rejects("LEA.HI R0, P0, R2, R3, R4, 2", "no carry-out");
  rejects("IADD3.X R0, R1, R2, R3, P0, P1, P2", "at most two carry-in");
  rejects("IADD3.X R0, R1, R2, R3", "carry-in predicate");
  rejects("LDG R0, [R2.H1]", "no suffix");
  rejects("LEA R0, R1, R2, 32", "shift must be 0..31");
  rejects("LOP3.LUT R0, R1, R2, R3, 0x100", "0..0xff");
  rejects("SHF.L R0, R1, 2, RZ", "needs a type");
  rejects("MOV R0, R255", "RZ");
  rejects("IMAD.WIDE R1, R2, R3, R4", "multiple of 2");
  rejects("RED.EXCH [R2], R4", "RED cannot");
  rejects("ATOM.MIN.F32 R0, [R2], R4", ".ADD and .EXCH only");
  // docs/isa.md §5.1 says the float-only comparisons assemble and fault at run time; the
  // assembler now rejects them outright (opdefs_util.cc check_setp). Either stops the kernel.
  bool stopped = false;
  try {
    Run r(".kernel k\n.regs 8\n  ISETP.LTU P0, R0, R1\n  EXIT\n");
    r.go({1, 1, 1}, {32, 1, 1}, {});
  } catch (const std::exception&) {
    stopped = true;
  }
  CHECK(stopped);
}
