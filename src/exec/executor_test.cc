#include <catch2/catch.hpp>

#include <bit>
#include <cstring>

#include "src/exec/exec_test_util.h"

using namespace xpusim;
using namespace xpusim::exec;
using testing::addr_words;
using testing::Run;

namespace {

uint32_t f2u(float f) { return std::bit_cast<uint32_t>(f); }
float u2f(uint32_t u) { return std::bit_cast<float>(u); }

std::vector<uint32_t> cat(std::initializer_list<std::vector<uint32_t>> parts) {
  std::vector<uint32_t> v;
  for (const auto& p : parts) v.insert(v.end(), p.begin(), p.end());
  return v;
}

const char* kVecAdd = R"(
.kernel vector_add
.param  a:u64  b:u64  c:u64  n:u32
.regs   12
        S2R      R0, SR_CTAID.X
        S2R      R1, SR_TID.X
        IMAD     R0, R0, c[ntid.x], R1
        ISETP.GE P0, R0, c[n]
  @P0   EXIT
        IMAD.WIDE R2, R0, 4, c[a]
        IMAD.WIDE R4, R0, 4, c[b]
        LDG.32   R6, [R2]
        LDG.32   R7, [R4]
        FADD     R8, R6, R7
        IMAD.WIDE R2, R0, 4, c[c]
        STG.32   [R2], R8
        EXIT
)";

}  // namespace

TEST_CASE("vector add runs functionally with a partial last CTA", "[exec]") {
  Run r(kVecAdd);
  const uint32_t n = 1000;
  std::vector<uint32_t> a(n), b(n);
  for (uint32_t i = 0; i < n; ++i) a[i] = f2u(0.5f * i), b[i] = f2u(1.0f + i);
  const uint64_t pa = r.buffer(a, "a"), pb = r.buffer(b, "b"), pc = r.buffer(std::vector<uint32_t>(n), "c");
  r.go({4, 1, 1}, {256, 1, 1}, cat({addr_words(pa), addr_words(pb), addr_words(pc), {n}}));
  const auto c = r.read(pc, n);
  for (uint32_t i = 0; i < n; ++i) REQUIRE(u2f(c[i]) == 0.5f * i + 1.0f + i);
}

TEST_CASE("an out-of-bounds load names the buffer, lane and source line", "[exec]") {
  Run r(kVecAdd);
  const uint32_t n = 100;
  const uint64_t pa = r.buffer(std::vector<uint32_t>(n), "a"), pb = r.buffer(std::vector<uint32_t>(n), "b"),
                 pc = r.buffer(std::vector<uint32_t>(n), "c");
  // n larger than the buffers: thread 100 reads past the end of 'a'
  try {
    r.go({1, 1, 1}, {128, 1, 1}, cat({addr_words(pa), addr_words(pb), addr_words(pc), {128}}));
    FAIL("no fault");
  } catch (const KernelFault& e) {
    const std::string m = e.what();
    INFO(m);
    CHECK(m.find("test.xasm:12:9:") == 0);
    CHECK(m.find("out-of-bounds global load of 4 bytes") != std::string::npos);
    CHECK(m.find("past the end of buffer 'a'") != std::string::npos);
    CHECK(m.find("lane 4") != std::string::npos);  // thread 100 = warp 3, lane 4
  }
}

TEST_CASE("divergent branches reconverge at BSYNC", "[exec]") {
  // out[i] = i odd ? 3*i : i+100, then every lane adds 1 after reconvergence
  Run r(R"(
.kernel diverge
.param out:u64
.regs 8
        S2R R0, SR_TID.X
        LOP3.LUT R1, R0, 1, RZ, 0xc0
        ISETP.NE P0, R1, RZ
        BSSY B0, JOIN
  @!P0  BRA EVEN
        IMAD R2, R0, 3, RZ
        BRA DONE
EVEN:   IADD3 R2, R0, 100, RZ
DONE:   BSYNC B0
JOIN:   IADD3 R2, R2, 1, RZ
        VOTE.ALL R6, P1, PT
        SEL R3, 1, 0, P1
        IMAD.WIDE R4, R0, 4, c[out]
        STG [R4], R2
        EXIT
)");
  const uint64_t po = r.buffer(std::vector<uint32_t>(64), "out");
  r.go({1, 1, 1}, {64, 1, 1}, addr_words(po));
  const auto o = r.read(po, 64);
  for (uint32_t i = 0; i < 64; ++i) REQUIRE(o[i] == ((i & 1) ? 3 * i : i + 100) + 1);
}

TEST_CASE("shuffle reduction and shared-memory barrier give a block sum", "[exec]") {
  Run r(R"(
.kernel reduce
.param in:u64 out:u64
.regs 12
.shared partial 32
        S2R R0, SR_TID.X
        IMAD.WIDE R2, R0, 4, c[in]
        LDG R4, [R2]
        SHFL.BFLY PT, R5, R4, 16, 0x1f
        IADD3 R4, R4, R5, RZ
        SHFL.BFLY PT, R5, R4, 8, 0x1f
        IADD3 R4, R4, R5, RZ
        SHFL.BFLY PT, R5, R4, 4, 0x1f
        IADD3 R4, R4, R5, RZ
        SHFL.BFLY PT, R5, R4, 2, 0x1f
        IADD3 R4, R4, R5, RZ
        SHFL.BFLY PT, R5, R4, 1, 0x1f
        IADD3 R4, R4, R5, RZ
        S2R R6, SR_LANEID
        SHF.R.U32.HI R7, RZ, 5, R0
        LEA R7, R7, RZ, 2
        ISETP.EQ P0, R6, RZ
  @P0   STS [R7+partial], R4
        BAR.SYNC 0
        ISETP.NE P1, R0, RZ
  @P1   EXIT
        MOV R8, RZ
        LDS R9, [partial]
        IADD3 R8, R8, R9, RZ
        LDS R9, [partial+4]
        IADD3 R8, R8, R9, RZ
        LDS R9, [partial+8]
        IADD3 R8, R8, R9, RZ
        LDS R9, [partial+12]
        IADD3 R8, R8, R9, RZ
        MOV R10, c[out]
        MOV R11, c[out+4]
        STG [R10], R8
        EXIT
)");
  std::vector<uint32_t> in(128);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < 128; ++i) in[i] = i * 7 + 3, sum += in[i];
  const uint64_t pi = r.buffer(in, "in"), po = r.buffer({0}, "out");
  r.go({1, 1, 1}, {128, 1, 1}, cat({addr_words(pi), addr_words(po)}));
  REQUIRE(r.read(po, 1)[0] == sum);
}

TEST_CASE("a barrier that not every thread reaches is a reported deadlock", "[exec]") {
  Run r(R"(
.kernel stuck
.regs 4
        S2R R0, SR_TID.X
        ISETP.LT P0, R0, 32
  @P0   BRA OTHER
        BAR.SYNC 1
        EXIT
OTHER:  BAR.SYNC 0
        EXIT
)");
  CHECK_THROWS_WITH(r.go({1, 1, 1}, {64, 1, 1}, {}), Catch::Contains("deadlocked"));
}

TEST_CASE("misaligned and out-of-range shared accesses fault", "[exec]") {
  Run r(R"(
.kernel bad
.regs 4
.shared buf 64
        MOV R0, 2
        LDS R1, [R0+buf]
        EXIT
)");
  CHECK_THROWS_WITH(r.go({1, 1, 1}, {32, 1, 1}, {}), Catch::Contains("misaligned shared load"));
  Run r2(R"(
.kernel bad2
.regs 4
.shared buf 64
        LDS R1, [buf+64]
        EXIT
)");
  CHECK_THROWS_WITH(r2.go({1, 1, 1}, {32, 1, 1}, {}), Catch::Contains("out-of-bounds shared load"));
}

TEST_CASE("global atomics serialise lanes deterministically", "[exec]") {
  Run r(R"(
.kernel count
.param ctr:u64 old:u64
.regs 8
        S2R R0, SR_TID.X
        MOV R2, c[ctr]
        MOV R3, c[ctr+4]
        MOV R5, 1
        ATOM.ADD R4, [R2], R5
        IMAD.WIDE R6, R0, 4, c[old]
        STG [R6], R4
        EXIT
)");
  const uint64_t pc = r.buffer({10}, "ctr"), po = r.buffer(std::vector<uint32_t>(64), "old");
  r.go({1, 1, 1}, {64, 1, 1}, cat({addr_words(pc), addr_words(po)}));
  REQUIRE(r.read(pc, 1)[0] == 74);
  const auto o = r.read(po, 64);
  for (uint32_t i = 0; i < 64; ++i) REQUIRE(o[i] == 10 + i);  // warp 0 before warp 1, lanes in order
}

TEST_CASE("timing-only runs follow values they do not compute through registers and memory", "[exec][timing-only]") {
  // A float result goes through shared memory and back, then decides a branch: the branch
  // is refused at its own line. The integer path to the same branch is fine.
  const char* k = R"(
.kernel k
.param  x:u64  float:u32
.regs   8
        S2R       R0, SR_TID.X
        IMAD.WIDE R2, R0, 4, c[x]
        LDG       R4, [R2]
        ISETP.NE  P1, RZ, c[float]
  @P1   FMUL      R4, R4, 2
        SHF.L.U32 R5, R0, 2, RZ
        STS       [R5], R4
        BAR.SYNC  0
        LDS       R6, [R5]
        ISETP.GT  P0, R6, 1
  @P0   BRA       OUT
        MOV       R7, R6
OUT:    EXIT
.shared buf 128
)";
  for (const bool with_float : {false, true}) {
    Run r(k);
    r.timing_only = true;
    const uint64_t px = r.buffer(std::vector<uint32_t>(32, 5), "x");
    const auto go = [&] { r.go({1, 1, 1}, {32, 1, 1}, cat({addr_words(px), {with_float ? 1u : 0u}})); };
    if (!with_float) {
      CHECK_NOTHROW(go());
    } else {
      try {
        go();
        FAIL("no fault");
      } catch (const KernelFault& e) {
        const std::string m = e.what();
        INFO(m);
        CHECK(m.find("test.xasm:15:") == 0);  // the BRA, not the FMUL, STS or LDS
        CHECK(m.find("control flow") != std::string::npos);
      }
    }
  }
}

TEST_CASE("timing-only runs refuse an address computed from a skipped result", "[exec][timing-only]") {
  Run r(R"(
.kernel k
.param  x:u64
.regs   8
        S2R       R0, SR_TID.X
        I2F.F32.S32 R1, R0
        F2I.S32.F32.TRUNC R2, R1
        IMAD.WIDE R4, R2, 4, c[x]
        LDG       R6, [R4]
        EXIT
)");
  const uint64_t px = r.buffer(std::vector<uint32_t>(32, 0), "x");
  r.timing_only = true;
  CHECK_THROWS_WITH(r.go({1, 1, 1}, {32, 1, 1}, addr_words(px)), Catch::Contains("test.xasm:9:") &&
                                                                      Catch::Contains("address"));
  r.timing_only = false;
  CHECK_NOTHROW(r.go({1, 1, 1}, {32, 1, 1}, addr_words(px)));
}
