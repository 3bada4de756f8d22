// Register-file read ports and RF cache: Huerta et al.'s (MICRO'25 §5.3, §5.3.1) observations.
// A stream of instructions reaches Allocate one cycle after the previous one left it, as when
// the scheduler issues back to back; the gap between departures is 1 plus the lost cycles.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <vector>

#include "models/gpu/sm/regfile.h"
#include "src/isa/assembler.h"

using namespace xpusim;
using namespace xpusim::gpu;
using engine::Cycle;
using isa::Inst;
using isa::Opd;
using isa::Operand;

namespace {

constexpr uint8_t kReuse = isa::kReuse;

Operand R(uint8_t r, uint8_t flags = 0, uint8_t width = 1) {
  Operand o;
  o.kind = Opd::Reg;
  o.reg = r;
  o.flags = flags;
  o.width = width;
  return o;
}
Operand M(uint8_t r, uint8_t width = 1) {
  Operand o = R(r, 0, width);
  o.kind = Opd::Mem;
  return o;
}
Operand P(uint8_t p) {
  Operand o;
  o.kind = Opd::Pred;
  o.reg = p;
  return o;
}

Inst make(isa::Op op, isa::Unit unit, std::initializer_list<Operand> srcs) {
  Inst in;
  in.op = op;
  in.unit = unit;
  in.fixed_latency = unit != isa::Unit::LSU && unit != isa::Unit::SFU;
  in.ndst = 1;
  in.dst[0] = R(0);
  for (const Operand& o : srcs) in.src[in.nsrc++] = o;
  return in;
}
Inst fmul(Operand a, Operand b) { return make(isa::Op::FMUL, isa::Unit::FP32, {a, b}); }
Inst ffma(Operand a, Operand b, Operand c) { return make(isa::Op::FFMA, isa::Unit::FP32, {a, b, c}); }
Inst ldg(Operand addr) { return make(isa::Op::LDG, isa::Unit::LSU, {addr}); }

// Departure cycles of `n` copies of `in` issued back to back from cycle `start`.
std::vector<Cycle> stream(RegFileBanks& rf, const Inst& in, int n, uint16_t warp = 0, Cycle start = 0) {
  std::vector<Cycle> out;
  Cycle a0 = start;
  for (int i = 0; i < n; ++i) {
    out.push_back(rf.allocate(in, warp, a0));
    a0 = out.back() + 1;
  }
  return out;
}

// Gaps between consecutive departures from the `skip`-th on (steady state).
std::vector<Cycle> gaps(const std::vector<Cycle>& d, size_t skip) {
  std::vector<Cycle> g;
  for (size_t i = skip + 1; i < d.size(); ++i) g.push_back(d[i] - d[i - 1]);
  return g;
}

std::vector<Cycle> all(Cycle v, size_t n) { return std::vector<Cycle>(n, v); }

RegFileParams no_cache() {
  RegFileParams p;
  p.cache = false;
  return p;
}

}  // namespace

TEST_CASE("RF1 back-to-back FMULs lose a cycle each with both sources in one bank, none across banks",
          "[regfile]") {
  SECTION("R2 and R4 share bank 0: one bubble per instruction") {
    RegFileBanks rf(no_cache());
    const auto d = stream(rf, fmul(R(2), R(4)), 10);
    CHECK(gaps(d, 2) == all(2, 7));
    CHECK(rf.stats().conflict_cycles == 8);  // all but the first two wait one cycle
    CHECK(rf.stats().reads == 20);
  }
  SECTION("R2 and R5 are in different banks: no bubble") {
    RegFileBanks rf(no_cache());
    const auto d = stream(rf, fmul(R(2), R(5)), 10);
    CHECK(gaps(d, 0) == all(1, 9));
    CHECK(rf.stats().conflict_cycles == 0);
  }
  SECTION("a register read twice needs one port") {
    RegFileBanks rf(no_cache());
    CHECK(gaps(stream(rf, fmul(R(2), R(2)), 10), 0) == all(1, 9));
    CHECK(rf.stats().reads == 10);
  }
}

TEST_CASE("RF2 FFMAs with three sources in one bank lose two cycles each", "[regfile]") {
  RegFileBanks rf(no_cache());
  CHECK(gaps(stream(rf, ffma(R(2), R(4), R(6)), 8), 0) == all(3, 7));
  CHECK(rf.stats().conflict_cycles == 14);
  RegFileBanks mixed(no_cache());  // two in bank 0, one in bank 1: as an FMUL in one bank
  CHECK(gaps(stream(mixed, ffma(R(2), R(4), R(5)), 8), 2) == all(2, 5));
}

TEST_CASE("RF3 Allocate waits until the window holds its port-cycles: t-1 blocked, t allowed", "[regfile]") {
  RegFileBanks rf(no_cache());
  REQUIRE(rf.allocate(ffma(R(2), R(4), R(6)), 0, 10) == 10);  // bank 0 busy in 11, 12, 13
  // Bank 0 needs two free port-cycles: at a = 11 the window 12..14 holds one, at 12 two.
  CHECK(rf.allocate(fmul(R(8), R(10)), 0, 11) == 12);
  CHECK(rf.stats().conflict_cycles == 1);
  // Bank 1 is untouched.
  CHECK(rf.allocate(fmul(R(1), R(3)), 0, 11) == 11);
}

TEST_CASE("RF4 two read ports per bank remove the FMUL conflict", "[regfile]") {
  RegFileParams p = no_cache();
  p.read_ports = 2;
  RegFileBanks rf(p);
  CHECK(gaps(stream(rf, fmul(R(2), R(4)), 10), 0) == all(1, 9));
  CHECK(rf.stats().conflict_cycles == 0);
  SECTION("both ports of a bank serve one cycle") {
    RegFileBanks two(p);
    REQUIRE(two.allocate(ffma(R(2), R(4), R(6)), 0, 0) == 0);  // bank 0: 2 reads in cycle 1, 1 in 2
    CHECK(two.read_late(ldg(M(8)), 1) == 2);
    CHECK(two.read_late(ldg(M(10)), 1) == 3);
  }
}

TEST_CASE("RF5 RZ and predicates need no port, RZ still occupies a reuse slot", "[regfile]") {
  RegFileBanks rf(no_cache());
  Inst fsel = make(isa::Op::FSEL, isa::Unit::FP32, {R(isa::kRZ), R(3), P(1)});
  CHECK(rf.allocate(fsel, 0, 0) == 0);
  CHECK(rf.stats().reads == 1);
  RegFileBanks rf2(no_cache());  // FFMA R2, RZ, R4: two reads in bank 0, like an FMUL
  CHECK(gaps(stream(rf2, ffma(R(2), R(isa::kRZ), R(4)), 8), 2) == all(2, 5));
  RegFileBanks cached(RegFileParams{});
  cached.allocate(ffma(R(2), R(isa::kRZ), R(4, kReuse)), 0, 0);  // R4 sits in slot 2
  cached.allocate(ffma(R(6), R(8), R(4)), 0, 1);
  CHECK(cached.stats().cache_hits == 1);
}

TEST_CASE("RF6 the RF cache follows the rules of Listing 4", "[regfile]") {
  RegFileBanks rf(RegFileParams{});
  auto hits = [&] { return rf.stats().cache_hits; };
  Cycle t = 0;
  auto run = [&](const Inst& in, uint16_t warp = 0) { t = rf.allocate(in, warp, t) + 1; };
  run(fmul(R(2, kReuse), R(4)));
  REQUIRE(hits() == 0);
  SECTION("a hit with reuse keeps the value; a hit without reuse evicts it") {
    run(fmul(R(2, kReuse), R(4)));
    CHECK(hits() == 1);
    run(fmul(R(2), R(4)));
    CHECK(hits() == 2);
    run(fmul(R(2), R(4)));
    CHECK(hits() == 2);
  }
  SECTION("the same register in another slot misses") {
    run(fmul(R(4), R(2)));
    CHECK(hits() == 0);
  }
  SECTION("another register in the same bank and slot evicts; another bank does not") {
    run(fmul(R(7), R(5)));  // slot 0, bank 1
    run(fmul(R(2, kReuse), R(4)));
    CHECK(hits() == 1);
    run(fmul(R(6), R(5)));  // slot 0, bank 0: evicts R2
    run(fmul(R(2), R(4)));
    CHECK(hits() == 1);
  }
  SECTION("another warp misses") {
    run(fmul(R(2), R(4)), 1);
    CHECK(hits() == 0);
  }
  SECTION("the reuse bit in the control bits counts like the operand flag") {
    Inst in = fmul(R(2), R(4));
    in.ctrl.reuse = 0b01;
    run(in);
    run(fmul(R(2), R(4)));
    CHECK(hits() == 2);
  }
  SECTION("memory and SFU instructions neither read nor invalidate the cache") {
    run(make(isa::Op::MUFU, isa::Unit::SFU, {R(2)}));
    rf.read_late(ldg(M(2)), t);
    run(fmul(R(2), R(4)));
    CHECK(hits() == 1);
  }
}

TEST_CASE("RF7 an RF-cache hit with reuse removes the bank conflict", "[regfile]") {
  RegFileBanks rf(RegFileParams{});
  const auto d = stream(rf, fmul(R(2, kReuse), R(4)), 10);
  CHECK(gaps(d, 0) == all(1, 9));
  CHECK(rf.stats().cache_hits == 9);
  CHECK(rf.stats().reads == 11);  // R2 once, R4 ten times
  CHECK(rf.stats().conflict_cycles == 0);
  SECTION("disabled cache: no hits, the conflict stays") {
    RegFileBanks off(no_cache());
    CHECK(gaps(stream(off, fmul(R(2, kReuse), R(4)), 10), 2) == all(2, 7));
    CHECK(off.stats().cache_hits == 0);
  }
  SECTION("slots beyond cache_slots do not take part") {
    RegFileParams p;
    p.cache_slots = 1;
    RegFileBanks one(p);
    stream(one, fmul(R(4), R(2, kReuse)), 4);
    CHECK(one.stats().cache_hits == 0);
  }
}

TEST_CASE("RF8 .reuse written in xasm reaches the RF cache", "[regfile]") {
  // The MOV between them reads slot 0 in the other bank, so the flag on R2 is the author's,
  // not one the assembler would set (it flags only a register the next instruction rereads).
  const isa::Kernel k = isa::assemble_text(R"(
.kernel k
.regs 8
  FMUL R0, R2.reuse, R4
  MOV R5, R3
  FMUL R1, R2, R6
  EXIT
)", "t.xasm")[0];
  CHECK(k.code[0].ctrl.reuse == 1);
  CHECK(k.code[1].ctrl.reuse == 0);
  RegFileBanks rf(RegFileParams{});
  Cycle a = rf.allocate(k.code[0], 3, 0);
  a = rf.allocate(k.code[1], 3, a + 1);
  rf.allocate(k.code[2], 3, a + 1);
  CHECK(rf.stats().cache_hits == 1);
}

TEST_CASE("RF8b the assembler flags a register the next instruction reads in the same slot", "[regfile]") {
  const isa::Kernel k = isa::assemble_text(R"(
.kernel k
.regs 8
  FFMA R0, R2, R4, R6
  FFMA R1, R2, R5, R6
  FFMA R3, R4, R2, R6
  EXIT
)", "t.xasm")[0];
  CHECK(k.code[0].ctrl.reuse == 0b101);  // R2 in slot 0 and R6 in slot 2 come again
  CHECK_THAT(isa::format_inst(k.code[0]), Catch::EndsWith("# reuse R2 R6"));  // shown by `xpusim asm`
  CHECK(k.code[1].ctrl.reuse == 0b100);  // R2 moves to slot 1: only R6 is flagged
  CHECK(k.code[2].ctrl.reuse == 0);      // EXIT reads nothing
  const isa::Kernel acc = isa::assemble_text(R"(
.kernel k
.regs 8
  FFMA R0, R0, R1, R2
  FFMA R0, R0, R1, R2
  EXIT
)", "t.xasm")[0];
  CHECK(acc.code[0].ctrl.reuse == 0b110);  // R0 is overwritten: the next FFMA reads the new value
}

TEST_CASE("RF9 wide operands read one register per bank each", "[regfile]") {
  SECTION("DADD R2.64, R4.64: two reads per bank") {
    RegFileBanks rf(no_cache());
    const Inst dadd = make(isa::Op::DADD, isa::Unit::FP64, {R(2, 0, 2), R(4, 0, 2)});
    CHECK(gaps(stream(rf, dadd, 8), 2) == all(2, 5));
    CHECK(rf.stats().reads == 32);
  }
  SECTION("a reused pair hits in both banks") {
    RegFileBanks rf(RegFileParams{});
    rf.allocate(make(isa::Op::DADD, isa::Unit::FP64, {R(2, kReuse, 2), R(4, 0, 2)}), 0, 0);
    rf.allocate(make(isa::Op::DADD, isa::Unit::FP64, {R(2, 0, 2), R(8, 0, 2)}), 0, 1);
    CHECK(rf.stats().cache_hits == 2);
  }
  SECTION("five registers in a bank stretch the read window to five cycles") {
    RegFileBanks rf(no_cache());
    const Inst hmma = make(isa::Op::HMMA, isa::Unit::TENSOR, {R(4, 0, 4), R(8, 0, 2), R(12, 0, 4)});
    CHECK(rf.allocate(hmma, 0, 0) == 0);  // bank 1 busy in cycles 1..5
    CHECK(rf.stats().reads == 10);
    CHECK(rf.allocate(fmul(R(1), R(3)), 0, 1) == 4);
  }
}

TEST_CASE("RF10 variable-latency reads take leftover port-cycles", "[regfile]") {
  RegFileBanks rf(no_cache());
  REQUIRE(rf.allocate(ffma(R(2), R(4), R(6)), 0, 0) == 0);  // bank 0 busy in 1, 2, 3
  CHECK(rf.read_late(ldg(M(8)), 1) == 4);
  CHECK(rf.read_late(ldg(M(9)), 1) == 1);
  CHECK(rf.read_late(ldg(M(10, 2)), 1) == 5);  // R10 in bank 0 at 5, R11 in bank 1 at 2
  CHECK(rf.read_late(make(isa::Op::STG, isa::Unit::LSU, {M(isa::kRZ), R(isa::kRZ)}), 7) == 7);
  CHECK(rf.stats().reads == 7);
  CHECK(rf.stats().conflict_cycles == 0);
  // Ports taken late are no longer there for Allocate: bank 0 is busy through cycle 5.
  CHECK(rf.allocate(fmul(R(2), R(4)), 0, 2) == 4);
}

TEST_CASE("RF11 invalidate_warp forgets one warp's cached values", "[regfile]") {
  RegFileBanks rf(RegFileParams{});
  rf.allocate(fmul(R(2, kReuse), R(4)), 1, 0);
  rf.allocate(fmul(R(3, kReuse), R(4)), 2, 1);
  rf.invalidate_warp(1);
  rf.allocate(fmul(R(2), R(4)), 1, 2);
  CHECK(rf.stats().cache_hits == 0);
  rf.allocate(fmul(R(3), R(4)), 2, 3);
  CHECK(rf.stats().cache_hits == 1);
}
