// The assembler: directives, operands, control bits as written, and the control-bit pass.
#include <catch2/catch.hpp>

#include "src/isa/assembler.h"

using namespace xpusim;
using namespace xpusim::isa;

namespace {

Kernel one(const std::string& text) { return assemble_text(text, "t.xasm")[0]; }

std::string first_error(const std::string& text) {
  try {
    assemble_text(text, "t.xasm");
  } catch (const InputErrors& e) {
    return e.errors().front().str();
  }
  return "";
}

}  // namespace

TEST_CASE("directives lay out parameters, shared symbols and registers", "[asm]") {
  const Kernel k = one(R"(
.kernel k
.param a:u64 n:u32 f:f32 d:f64
.regs 16
.shared s1 100
.shared s2 64 align 128
.local 12
        MOV R0, s2
        EXIT
)");
  REQUIRE(k.params.size() == 4);
  CHECK(k.params[0].offset == kCbParams);
  CHECK(k.params[1].offset == kCbParams + 8);
  CHECK(k.params[2].offset == kCbParams + 12);
  CHECK(k.params[3].offset == kCbParams + 16);  // f64 aligned to 8
  CHECK(k.shared_symbols[1].offset == 128);
  CHECK(k.shared_bytes == 192);
  CHECK(k.local_bytes == 12);
  CHECK(k.code[0].src[0].imm == 128);  // MOV R0, s2
}

TEST_CASE("control bits written in the source are kept and round-trip", "[asm]") {
  const Kernel k = one(R"(
.kernel k
.regs 8
  [0--3--:1:2:Y:S07]  LDG R2, [R4]
  [B------:R-:W-:-:S01] EXIT
)");
  CHECK(k.ctrl_given);
  const Ctrl& c = k.code[0].ctrl;
  CHECK(c.wait == 0b1001);
  CHECK(c.rbar == 1);
  CHECK(c.wbar == 2);
  CHECK(c.yield);
  CHECK(c.stall == 7);
  CHECK(format_ctrl(c) == "[0--3--:1:2:Y:S07]");
}

TEST_CASE("control bits on some instructions but not others are an error", "[asm]") {
  CHECK_THAT(first_error(".kernel k\n.regs 4\n[------:-:-:-:S01] NOP\nEXIT\n"),
             Catch::Contains("control bits must be written on every instruction or on none"));
}

TEST_CASE("the pass covers a fixed-latency dependence with a stall count", "[asm][ctrl]") {
  LatencyTable lat = LatencyTable::defaults();
  lat.cycles[static_cast<size_t>(Unit::FP32)] = 4;
  const Kernel k = assemble_text(R"(.kernel k
.regs 8
        FFMA R0, R1, R2, R3
        FFMA R4, R0, R2, R3
        FADD R5, R6, R7
        FADD R6, R4, R1
        EXIT
)", "t.xasm", {lat})[0];
  CHECK(k.code[0].ctrl.stall == 4);  // consumer right after: wait the full latency
  // R4 ready at 4+4 = 8; FADD R5 issues at 5, so FADD R6 (at 6) needs 2 more cycles
  CHECK(k.code[2].ctrl.stall == 3);
  CHECK(k.code[0].ctrl.wbar == kNoBarrier);
}

TEST_CASE("the pass gives variable-latency producers counters and consumers wait masks", "[asm][ctrl]") {
  const Kernel k = one(R"(.kernel k
.regs 12
        LDG R2, [R4]
        LDG R3, [R6]
        FADD R8, R2, R3
        MOV R4, RZ
        EXIT
)");
  const Ctrl &l0 = k.code[0].ctrl, &l1 = k.code[1].ctrl, &add = k.code[2].ctrl, &mov = k.code[3].ctrl;
  REQUIRE(l0.wbar != kNoBarrier);
  REQUIRE(l1.wbar != kNoBarrier);
  CHECK(l0.wbar != l1.wbar);
  CHECK(add.wait == ((1 << l0.wbar) | (1 << l1.wbar)));
  // MOV overwrites R4, the first load's address: a WAR wait on its read counter
  REQUIRE(l0.rbar != kNoBarrier);
  CHECK((mov.wait & (1 << l0.rbar)) != 0);
  // the instruction right before a waiting consumer stalls at least 2 cycles (counter visibility)
  CHECK(l1.stall >= 2);
}

TEST_CASE("counters named by DEPBAR are reserved for LDGDEPBAR", "[asm][ctrl]") {
  const Kernel k = one(R"(.kernel k
.regs 12
.shared buf 256
        LDGSTS.128 [R0+buf], [R2.64]
        LDGDEPBAR
        LDG R4, [R6]
        LDG R5, [R8]
        LDG R7, [R10]
        DEPBAR.LE SB0, 0
        FADD R4, R4, R5
        FADD R4, R4, R7
        EXIT
)");
  CHECK(k.code[1].ctrl.wbar == 0);  // LDGDEPBAR counts groups on SB0
  for (size_t pc : {0u, 2u, 3u, 4u}) {
    CHECK(k.code[pc].ctrl.wbar != 0);
    CHECK(k.code[pc].ctrl.rbar != 0);
  }
}

TEST_CASE("a latency longer than one stall count is spread over the instructions before the consumer",
          "[asm][ctrl]") {
  LatencyTable lat = LatencyTable::defaults();
  lat.cycles[static_cast<size_t>(Unit::TENSOR)] = 24;
  const Kernel k = assemble_text(R"(.kernel k
.regs 16
        HMMA.16816.F32 R0, R4, R8, R0
        MOV R12, RZ
        MOV R13, RZ
        HMMA.16816.F32 R0, R4, R8, R0
        EXIT
)", "t.xasm", {lat})[0];
  int cycles = 0;
  for (int pc = 0; pc < 3; ++pc) cycles += k.code[pc].ctrl.stall;
  CHECK(cycles >= 24);  // stall counts alone cover the 24 cycles...
  CHECK(k.code[0].ctrl.wbar == kNoBarrier);  // ...with no dependence counter
  // right after its producer there is no room for 24 cycles of stall: a counter is used
  const Kernel k2 = assemble_text(".kernel k\n.regs 16\nHMMA.16816.F32 R0, R4, R8, R0\nHMMA.16816.F32 R0, R4, R8, R0\nEXIT\n",
                                  "t.xasm", {lat})[0];
  REQUIRE(k2.code[0].ctrl.wbar != kNoBarrier);
  CHECK(k2.code[1].ctrl.wait == (1 << k2.code[0].ctrl.wbar));
}

TEST_CASE("counter state flows around a loop's back edge", "[asm][ctrl]") {
  const Kernel k = one(R"(.kernel k
.regs 12
        MOV R0, RZ
LOOP:   FADD R1, R2, R2
        LDG R2, [R4]
        IADD3 R0, R0, 1, RZ
        ISETP.LT P0, R0, 10
  @P0   BRA LOOP
        EXIT
)");
  // FADD at the loop head reads R2, which the LDG of the previous iteration writes
  const Ctrl& ldg = k.code[2].ctrl;
  REQUIRE(ldg.wbar != kNoBarrier);
  CHECK((k.code[1].ctrl.wait & (1 << ldg.wbar)) != 0);
}

TEST_CASE("register usage is derived for the timing model", "[asm]") {
  const Kernel k = one(".kernel k\n.regs 16\n@P1 HMMA.16816.F32 R0, R4, R8, R12\nLDG.128 R4, [R2.64+16]\nEXIT\n");
  const Inst& h = k.code[0];
  REQUIRE(h.nwrites == 1);
  CHECK(h.writes[0].reg == 0);
  CHECK(h.writes[0].count == 4);
  REQUIRE(h.nreads == 3);
  CHECK(h.reads[1].reg == 8);
  CHECK(h.reads[1].count == 2);  // B fragment
  CHECK(h.pred_reads == 0b10);   // the guard P1
  const Inst& l = k.code[1];
  CHECK(l.reads[0].count == 2);  // a 64-bit address pair
  CHECK(l.writes[0].count == 4);
  CHECK(l.src[0].imm == 16);
}

TEST_CASE("every error of a file is reported with its position", "[asm]") {
  try {
    assemble_text(".kernel k\n.regs 4\nFOO R0\nIADD3 R9, R0, R1, RZ\nEXIT\n", "t.xasm");
    FAIL("no error");
  } catch (const InputErrors& e) {
    REQUIRE(e.errors().size() == 2);
    CHECK(e.errors()[0].str() == "t.xasm:3:1: unknown opcode 'FOO' (docs/isa.md lists the opcodes)");
    CHECK_THAT(e.errors()[1].str(), Catch::StartsWith("t.xasm:4:1: IADD3 uses R9"));
  }
}
