// Opcode-by-opcode checks of special registers, warp-wide operations (SHFL, VOTE, REDUX),
// SIMT divergence and reconvergence, CTA barriers, predication and control faults. Expected
// values come from the PTX definitions (%tid/%laneid/%lanemask_*, shfl.sync pseudo-code,
// vote/redux.sync over the participating lanes) written out here.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <array>
#include <bit>
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

std::vector<Words> lanes_with(uint32_t seed, int n = 32) {
  std::mt19937 rng(seed);
  std::vector<Words> v(n);
  for (auto& w : v)
    for (auto& x : w) x = static_cast<uint32_t>(rng());
  return v;
}

}  // namespace

TEST_CASE("ops: S2R gives thread and CTA indices of 3-D launches, lane ids, warp ids and lane masks", "[ops]") {
  Run r(R"(
.kernel sr
.param out:u64
.regs 40
  S2R R4, SR_TID.X
  S2R R5, SR_TID.Y
  S2R R6, SR_TID.Z
  S2R R7, SR_CTAID.X
  S2R R8, SR_CTAID.Y
  S2R R9, SR_CTAID.Z
  S2R R10, SR_NTID.X
  S2R R11, SR_NTID.Y
  S2R R12, SR_NTID.Z
  S2R R13, SR_NCTAID.X
  S2R R14, SR_NCTAID.Y
  S2R R15, SR_NCTAID.Z
  S2R R16, SR_LANEID
  S2R R17, SR_WARPID
  S2R R18, SR_LANEMASK_EQ
  S2R R19, SR_LANEMASK_LT
  S2R R20, SR_LANEMASK_LE
  S2R R21, SR_LANEMASK_GT
  S2R R22, SR_LANEMASK_GE
  CS2R R23, SR_SMID
  IMAD R0, R6, R11, R5
  IMAD R0, R0, R10, R4
  IMAD R1, R9, R14, R8
  IMAD R1, R1, R13, R7
  IMAD R24, R10, R11, RZ
  IMAD R24, R24, R12, RZ
  IMAD R0, R1, R24, R0
  IMAD.WIDE.U32 R2, R0, 80, c[out]
  STG.128 [R2], R4
  STG.128 [R2+16], R8
  STG.128 [R2+32], R12
  STG.128 [R2+48], R16
  STG.128 [R2+64], R20
  EXIT
)");
  const Dim3 grid{2, 3, 2}, block{8, 5, 2};  // 80 threads: warps of 32, 32 and 16 lanes
  const uint32_t nb = 80, total = nb * 12;
  const uint64_t po = r.buffer(std::vector<uint32_t>(total * 20, 0xdeadbeefu), "out");
  r.go(grid, block, addr_words(po));
  const auto o = r.read(po, total * 20);
  for (uint32_t cz = 0; cz < 2; ++cz)
    for (uint32_t cy = 0; cy < 3; ++cy)
      for (uint32_t cx = 0; cx < 2; ++cx)
        for (uint32_t t = 0; t < nb; ++t) {
          const uint32_t cta = cx + 2 * (cy + 3 * cz), lane = t % 32;
          const uint32_t* w = o.data() + (cta * nb + t) * 20;
          INFO("cta " << cta << " thread " << t);
          const uint32_t exp[20] = {t % 8, (t / 8) % 5, t / 40, cx, cy, cz, 8, 5, 2, 2, 3, 2, lane, t / 32,
                                    1u << lane, (1u << lane) - 1, lane == 31 ? ~0u : (2u << lane) - 1,
                                    lane == 31 ? 0u : ~((2u << lane) - 1), ~((1u << lane) - 1), 0};
          for (int k = 0; k < 20; ++k) {
            INFO("word " << k);
            CHECK(w[k] == exp[k]);
          }
        }
}

TEST_CASE("ops: SHFL IDX/UP/DOWN/BFLY with segments, clamps and the in-range predicate", "[ops]") {
  auto in = lanes_with(51);
  // R4: value; R5: lane operand (b); R6: clamp/segment operand (c), both random per lane
  for (auto& w : in) w[2] &= 0x1f1f;
  const auto out = run_lanes(R"(
  SHFL.IDX P0, R16, R4, R5, R6
  SHFL.UP P1, R17, R4, R5, R6
  SHFL.DOWN P2, R18, R4, R5, R6
  SHFL.BFLY P3, R19, R4, R5, R6
  SEL R20, 1, 0, P0
  SEL R21, 2, 0, P1
  SEL R22, 4, 0, P2
  SEL R23, 8, 0, P3
  IADD3 R20, R20, R21, R22
  IADD3 R20, R20, R23, RZ
  MOV R21, RZ
  MOV R22, RZ
  MOV R23, RZ
)", in);
  // PTX shfl.sync pseudo-code
  auto shfl = [&](int mode, uint32_t lane, uint32_t b, uint32_t c, bool& p) {
    const uint32_t bval = b & 31, cval = c & 31, seg = (c >> 8) & 31;
    const uint32_t maxl = (lane & seg) | (cval & ~seg), minl = lane & seg;
    int32_t j = 0;
    switch (mode) {
      case 0: j = static_cast<int32_t>(minl | (bval & ~seg)), p = j <= static_cast<int32_t>(maxl); break;
      case 1: j = static_cast<int32_t>(lane) - static_cast<int32_t>(bval), p = j >= static_cast<int32_t>(maxl); break;
      case 2: j = static_cast<int32_t>(lane + bval), p = j <= static_cast<int32_t>(maxl); break;
      default: j = static_cast<int32_t>(lane ^ bval), p = j <= static_cast<int32_t>(maxl); break;
    }
    return p ? static_cast<uint32_t>(j) : lane;
  };
  for (uint32_t l = 0; l < 32; ++l) {
    uint32_t pm = 0;
    INFO("lane " << l << " b=" << in[l][1] << fmt::format(" c={:#x}", in[l][2]));
    for (int m = 0; m < 4; ++m) {
      bool p = false;
      const uint32_t src = shfl(m, l, in[l][1], in[l][2], p);
      CHECK(out[l][m] == in[src][0]);
      pm |= uint32_t{p} << m;
    }
    CHECK(out[l][4] == pm);
  }
  // The CUDA idioms: c = ((32 - width) << 8) | clamp (0x1f, or 0 for UP).
  const auto o2 = run_lanes(R"(
  SHFL.DOWN PT, R16, R4, 1, 0x1f
  SHFL.UP R17, R4, 2, 0x1800
  SHFL.BFLY PT, R18, R4, 16, 0x1f
  SHFL.IDX PT, R19, R4, 3, 0x181f
  SHFL.DOWN P0, R20, R4, 3, 0x1c1f
  SEL R21, 1, 0, P0
  SHFL.IDX PT, R22, R4, R5, 0x1f
  SHFL.BFLY PT, R23, R4, 5, 0x181f
)", in);
  for (uint32_t l = 0; l < 32; ++l) {
    INFO("lane " << l);
    CHECK(o2[l][0] == in[l < 31 ? l + 1 : l][0]);
    CHECK(o2[l][1] == in[(l % 8) >= 2 ? l - 2 : l][0]);
    CHECK(o2[l][2] == in[l ^ 16][0]);
    CHECK(o2[l][3] == in[(l & ~7u) + 3][0]);
    CHECK(o2[l][4] == in[(l % 4) + 3 < 4 ? l + 3 : l][0]);
    CHECK(o2[l][5] == ((l % 4) == 0 ? 1u : 0u));
    CHECK(o2[l][6] == in[in[l][1] & 31][0]);
    CHECK(o2[l][7] == in[l ^ 5][0]);
  }
}

TEST_CASE("ops: VOTE ALL/ANY/EQ and the ballot, also over the lanes of a divergent branch", "[ops]") {
  for (int pattern = 0; pattern < 4; ++pattern) {
    auto in = lanes_with(52 + pattern);
    if (pattern == 1)
      for (auto& w : in) w[0] |= 1;  // every lane votes true
    if (pattern == 2)
      for (auto& w : in) w[0] &= ~1u;  // every lane votes false
    if (pattern == 3)
      for (auto& w : in) w[0] |= (w[0] >> 1) & 1;  // every branch lane votes true
    const auto out = run_lanes(R"(
  LOP3.LUT P2, RZ, R4, 0x1, RZ, 0xc0, !PT
  LOP3.LUT P4, RZ, R4, 0x2, RZ, 0xc0, !PT
  VOTE.ALL R16, P0, P2
  SEL R17, 1, 0, P0
  VOTE.ANY R18, P1, P2
  SEL R19, 1, 0, P1
  VOTE.EQ P3, P2
  SEL R20, 1, 0, P3
  VOTE.ANY R21, PT, !P2
  BSSY B0, JOIN
  @!P4 BRA SKIP
  VOTE.ALL R22, P5, P2
  SEL R23, 1, 0, P5
SKIP:
  BSYNC B0
JOIN:
  NOP
)", in);
    uint32_t ballot = 0, branch = 0;
    for (uint32_t l = 0; l < 32; ++l) ballot |= (in[l][0] & 1) << l, branch |= ((in[l][0] >> 1) & 1) << l;
    for (uint32_t l = 0; l < 32; ++l) {
      INFO("pattern " << pattern << " lane " << l);
      CHECK(out[l][0] == ballot);
      CHECK(out[l][1] == uint32_t{ballot == ~0u});
      CHECK(out[l][2] == ballot);
      CHECK(out[l][3] == uint32_t{ballot != 0});
      CHECK(out[l][4] == uint32_t{ballot == 0 || ballot == ~0u});
      CHECK(out[l][5] == ~ballot);
      const bool in_branch = (branch >> l) & 1;
      CHECK(out[l][6] == (in_branch ? (ballot & branch) : 0u));
      CHECK(out[l][7] == (in_branch ? uint32_t{(ballot & branch) == branch} : 0u));
    }
  }
}

TEST_CASE("ops: REDUX over all lanes and over partial masks, signed and unsigned", "[ops]") {
  auto in = lanes_with(53);
  for (size_t l = 0; l < 32; l += 5) in[l][0] |= 0x80000000u;  // negative values
  const auto out = run_lanes(R"(
  REDUX.SUM R16, R4
  REDUX.MIN.U32 R17, R4
  REDUX.MIN.S32 R18, R4
  REDUX.MAX.U32 R19, R4
  REDUX.MAX.S32 R20, R4
  REDUX.AND R21, R4
  REDUX.OR R22, R4
  REDUX.XOR R23, R4
)", in);
  const auto part = run_lanes(R"(
  LOP3.LUT P4, RZ, R5, 0x3, RZ, 0xc0, !PT
  @!P4 REDUX.SUM R16, R4
  @!P4 REDUX.MIN.S32 R17, R4
  @!P4 REDUX.MAX R18, R4
  BSSY B0, J
  @P4 BRA S
  REDUX.XOR R19, R4
  REDUX.MAX.S32 R20, R4
  REDUX.MIN R21, R4
S:
  BSYNC B0
J:
  NOP
)", in);
  auto reduce = [&](uint32_t mask, int op) {
    bool first = true;
    uint32_t acc = 0;
    for (uint32_t l = 0; l < 32; ++l) {
      if (!((mask >> l) & 1)) continue;
      const uint32_t v = in[l][0];
      const int32_t sv = static_cast<int32_t>(v), sa = static_cast<int32_t>(acc);
      if (first) acc = v, first = false;
      else if (op == 0) acc += v;
      else if (op == 1) acc = std::min(acc, v);
      else if (op == 2) acc = static_cast<uint32_t>(std::min(sa, sv));
      else if (op == 3) acc = std::max(acc, v);
      else if (op == 4) acc = static_cast<uint32_t>(std::max(sa, sv));
      else if (op == 5) acc &= v;
      else if (op == 6) acc |= v;
      else acc ^= v;
    }
    return acc;
  };
  uint32_t m = 0;
  for (uint32_t l = 0; l < 32; ++l) m |= uint32_t{(in[l][1] & 3) == 0} << l;  // lanes with !P4
  for (uint32_t l = 0; l < 32; ++l) {
    INFO("lane " << l);
    for (int op = 0; op < 8; ++op) CHECK(out[l][op] == reduce(~0u, op));
    const bool on = (m >> l) & 1;
    CHECK(part[l][0] == (on ? reduce(m, 0) : 0u));
    CHECK(part[l][1] == (on ? reduce(m, 2) : 0u));
    CHECK(part[l][2] == (on ? reduce(m, 3) : 0u));  // unsigned by default
    CHECK(part[l][3] == (on ? reduce(m, 7) : 0u));
    CHECK(part[l][4] == (on ? reduce(m, 4) : 0u));
    CHECK(part[l][5] == (on ? reduce(m, 1) : 0u));
  }
}

TEST_CASE("ops: nested BSSY/BSYNC reconverge inner then outer", "[ops]") {
  const auto out = run_lanes(R"(
  LOP3.LUT P0, RZ, R0, 0x1, RZ, 0xc0, !PT
  LOP3.LUT P1, RZ, R0, 0x2, RZ, 0xc0, !PT
  BSSY B0, J0
  @!P0 BRA ELSE0
  IADD3 R16, R16, 1, RZ
  BSSY B1, J1
  @!P1 BRA ELSE1
  IADD3 R16, R16, 10, RZ
  VOTE.ANY R19, PT, PT
  BRA END1
ELSE1:
  IADD3 R16, R16, 100, RZ
END1:
  BSYNC B1
J1:
  IADD3 R16, R16, 1000, RZ
  VOTE.ANY R17, PT, PT
  BRA END0
ELSE0:
  IADD3 R16, R16, 10000, RZ
END0:
  BSYNC B0
J0:
  VOTE.ANY R18, PT, PT
)", std::vector<Words>(32));
  for (uint32_t l = 0; l < 32; ++l) {
    INFO("lane " << l);
    const bool odd = l & 1, b1 = l & 2;
    CHECK(out[l][0] == (odd ? 1 + (b1 ? 10 : 100) + 1000u : 10000u));
    CHECK(out[l][1] == (odd ? 0xaaaaaaaau : 0u));      // the inner region reconverged
    CHECK(out[l][2] == 0xffffffffu);                    // and the outer one
    CHECK(out[l][3] == (odd && b1 ? 0x88888888u : 0u)); // the innermost branch alone
  }
}

TEST_CASE("ops: loops with divergent trip counts reconverge at BSYNC", "[ops]") {
  auto in = lanes_with(54);
  for (size_t l = 0; l < 32; ++l) in[l][1] = (in[l][1] % 13) * (l % 3);  // 0..24 iterations
  const auto out = run_lanes(R"(
  BSSY B0, AFTER
LOOP:
  ISETP.GE P0, R17, R5
  @P0 BRA DONE
  IMAD R16, R17, R17, R16
  IADD3 R17, R17, 1, RZ
  BRA LOOP
DONE:
  BSYNC B0
AFTER:
  VOTE.ANY R18, PT, PT
)", in);
  for (uint32_t l = 0; l < 32; ++l) {
    const uint32_t n = in[l][1];
    INFO("lane " << l << " n=" << n);
    CHECK(out[l][0] == (n == 0 ? 0 : (n - 1) * n * (2 * n - 1) / 6));  // sum of i^2, i < n
    CHECK(out[l][1] == n);
    CHECK(out[l][2] == 0xffffffffu);
  }
}

TEST_CASE("ops: lanes that EXIT inside a divergent region do not hold up BSYNC", "[ops]") {
  Run r(R"(
.kernel ex
.param out:u64
.regs 16
  S2R R0, SR_TID.X
  IMAD.WIDE.U32 R2, R0, 8, c[out]
  ISETP.LT.U32 P0, R0, 40
  LOP3.LUT P1, RZ, R0, 0x3, RZ, 0xc0, !PT
  BSSY B0, J
  @P1 BRA KEEP
  MOV R4, 0x777
  STG [R2], R4
  EXIT
KEEP:
  @P0 BRA NEAR
  IADD3 R5, R0, 1000, RZ
  BRA DONE
NEAR:
  IADD3 R5, R0, 2000, RZ
DONE:
  BSYNC B0
J:
  VOTE.ANY R4, PT, PT
  STG.64 [R2], R4
  EXIT
)");
  const uint64_t po = r.buffer(std::vector<uint32_t>(128), "out");
  r.go({1, 1, 1}, {64, 1, 1}, addr_words(po));
  const auto o = r.read(po, 128);
  for (uint32_t t = 0; t < 64; ++t) {
    INFO("thread " << t);
    if (t % 4 == 0) {
      CHECK(o[2 * t] == 0x777u);
      CHECK(o[2 * t + 1] == 0u);
    } else {
      CHECK(o[2 * t] == 0xeeeeeeeeu);  // the lanes of the warp that did not exit
      CHECK(o[2 * t + 1] == t + (t < 40 ? 2000u : 1000u));
    }
  }
}

TEST_CASE("ops: BAR.SYNC with a thread count synchronises two independent groups", "[ops]") {
  Run r(R"(
.kernel bars
.param out:u64
.regs 16
.shared sm 512
  S2R R0, SR_TID.X
  SHF.L.U32 R1, R0, 2, RZ
  ISETP.LT.U32 P0, R0, 64
  @!P0 BRA OTHER
  IMAD R4, R0, 3, RZ
  STS [R1+sm], R4
  BAR.SYNC 1, 64
  IADD3 R5, -R0, 63, RZ
  BRA END
OTHER:
  IMAD R4, R0, 5, RZ
  STS [R1+sm], R4
  MOV R6, 64
  BAR.SYNC 2, R6
  IADD3 R5, -R0, 191, RZ
END:
  SHF.L.U32 R5, R5, 2, RZ
  LDS R4, [R5+sm]
  IMAD.WIDE.U32 R2, R0, 4, c[out]
  STG [R2], R4
  EXIT
)");
  const uint64_t po = r.buffer(std::vector<uint32_t>(128), "out");
  r.go({1, 1, 1}, {128, 1, 1}, addr_words(po));
  const auto o = r.read(po, 128);
  for (uint32_t t = 0; t < 128; ++t) {
    const uint32_t p = t < 64 ? 63 - t : 191 - t;
    INFO("thread " << t);
    CHECK(o[t] == (p < 64 ? 3 * p : 5 * p));
  }
}

TEST_CASE("ops: BAR.SYNC after some threads exited waits only for the live ones", "[ops]") {
  Run r(R"(
.kernel bx
.param out:u64
.regs 16
.shared sm 512
  S2R R0, SR_TID.X
  LOP3.LUT P0, RZ, R0, 0x20, RZ, 0xc0, !PT
  @P0 EXIT
  SHF.L.U32 R1, R0, 2, RZ
  IADD3 R4, R0, 7, RZ
  STS [R1+sm], R4
  BAR.SYNC 0
  LOP3.LUT R5, R0, 0x40, RZ, 0x3c
  SHF.L.U32 R5, R5, 2, RZ
  LDS R4, [R5+sm]
  IMAD.WIDE.U32 R2, R0, 4, c[out]
  STG [R2], R4
  EXIT
)");
  const uint64_t po = r.buffer(std::vector<uint32_t>(128, 1), "out");
  r.go({1, 1, 1}, {128, 1, 1}, addr_words(po));
  const auto o = r.read(po, 128);
  for (uint32_t t = 0; t < 128; ++t) {
    INFO("thread " << t);
    CHECK(o[t] == ((t & 0x20) ? 1u : (t ^ 0x40) + 7));
  }
}

TEST_CASE("ops: predicated-off instructions write no register, predicate or memory", "[ops]") {
  Run r(R"(
.kernel pred
.param out:u64 bad:u64
.regs 16
  S2R R0, SR_TID.X
  MOV R4, 0x5a5a
  MOV R5, 0x5a5a
  LOP3.LUT P0, RZ, R0, 0x1, RZ, 0xc0, !PT
  ISETP.EQ P1, RZ, RZ
  @P0 MOV R4, R0
  @!P0 ISETP.NE P1, RZ, RZ
  @P0 IMAD.WIDE.U32 R6, R0, 1000, RZ
  SEL R5, 1, 0, P1
  @!PT MOV R5, 0x999
  IMAD.WIDE.U32 R2, R0, 8, c[out]
  @P0 STG.64 [R2], R4
  MOV R8, c[bad]
  MOV R9, c[bad+4]
  @!PT LDG R10, [R8]
  @!PT STG [R8], R10
  @!P0 STG [R2+4], R5
  EXIT
)");
  const uint64_t po = r.buffer(std::vector<uint32_t>(64, 0x11111111u), "out");
  r.go({1, 1, 1}, {32, 1, 1}, {static_cast<uint32_t>(po), static_cast<uint32_t>(po >> 32), 0, 0});
  const auto o = r.read(po, 64);
  for (uint32_t t = 0; t < 32; ++t) {
    INFO("thread " << t);
    if (t & 1) {
      CHECK(o[2 * t] == t);        // the guarded MOV ran
      CHECK(o[2 * t + 1] == 1u);   // P1 untouched by the predicated-off ISETP
    } else {
      CHECK(o[2 * t] == 0x11111111u);  // the guarded store did not run
      CHECK(o[2 * t + 1] == 0u);       // the ISETP ran: P1 false
    }
  }
}

TEST_CASE("ops: barrier misuse faults: id out of range, bad thread count", "[ops]") {
  Run r1(".kernel b1\n.regs 4\n  MOV R1, 16\n  BAR.SYNC R1\n  EXIT\n");
  CHECK_THROWS_WITH(r1.go({1, 1, 1}, {32, 1, 1}, {}), Catch::Contains("barrier id 16 out of range"));
  Run r2(".kernel b2\n.regs 4\n  MOV R1, 48\n  BAR.SYNC 0, R1\n  EXIT\n");
  CHECK_THROWS_WITH(r2.go({1, 1, 1}, {64, 1, 1}, {}), Catch::Contains("thread count 48"));
  // docs/isa.md §9.3: one warp waiting at two barriers, one barrier with two counts in a phase
  Run r5(".kernel b5\n.regs 4\n  S2R R0, SR_LANEID\n  ISETP.LT.U32 P0, R0, 16\n  @P0 BRA A\n  BAR.SYNC 2\n  EXIT\n"
         "A:\n  BAR.SYNC 1\n  EXIT\n");
  CHECK_THROWS_WITH(r5.go({1, 1, 1}, {64, 1, 1}, {}), Catch::Contains("waits on barriers"));
  Run r6(".kernel b6\n.regs 4\n  S2R R0, SR_TID.X\n  ISETP.LT.U32 P0, R0, 32\n  MOV R1, 96\n  @P0 MOV R1, 64\n"
         "  BAR.SYNC 1, R1\n  EXIT\n");
  CHECK_THROWS_WITH(r6.go({1, 1, 1}, {96, 1, 1}, {}), Catch::Contains("thread counts"));
  CHECK_THROWS_WITH(isa::assemble_text(".kernel b3\n.regs 4\n  BAR.SYNC 16\n  EXIT\n", "t.xasm"),
                    Catch::Contains("barrier id must be 0..15"));
  CHECK_THROWS_WITH(isa::assemble_text(".kernel b4\n.regs 4\n  BAR.SYNC 1, 40\n  EXIT\n", "t.xasm"),
                    Catch::Contains("positive multiple of 32"));
}
