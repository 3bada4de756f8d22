// Trace replay's static side: the SASS opcode table, and the kernel built from a trace with its
// control bits inferred by the assembler's pass from the traced register dependences.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "src/trace/replay.h"

using namespace xpusim;
using namespace xpusim::trace;

TEST_CASE("trace: SASS opcodes map to our ops and units", "[trace]") {
  CHECK(map_sass("FFMA").unit == isa::Unit::FP32);
  CHECK(map_sass("FFMA.FTZ").op == isa::Op::FFMA);
  CHECK(map_sass("IADD3.X").unit == isa::Unit::INT);
  CHECK(map_sass("IMAD.WIDE.U32").op == isa::Op::IMAD);
  CHECK(map_sass("ISCADD").op == isa::Op::LEA);
  CHECK(map_sass("MUFU.EX2").unit == isa::Unit::SFU);
  CHECK_FALSE(map_sass("MUFU.EX2").fixed_latency);
  const SassOp ldg = map_sass("LDG.E.128.SYS");
  CHECK(ldg.op == isa::Op::LDG);
  CHECK(ldg.space == exec::Space::Global);
  CHECK_FALSE(ldg.store);
  CHECK(map_sass("STS.128").store);
  CHECK(map_sass("STS.128").space == exec::Space::Shared);
  CHECK(map_sass("LDGSTS.E.BYPASS.128").op == isa::Op::LDGSTS);
  CHECK(map_sass("ATOMG.E.ADD.STRONG.GPU").atomic);
  CHECK(map_sass("RED.E.ADD.F32").space == exec::Space::Global);
  CHECK(map_sass("ATOMS.ADD").space == exec::Space::Shared);
  CHECK(map_sass("STL.64").space == exec::Space::Local);
  CHECK(map_sass("LD.E").space == exec::Space::Global);
  CHECK(map_sass("HMMA.16816.F32").unit == isa::Unit::TENSOR);
  CHECK(map_sass("BAR.SYNC.DEFER_BLOCKING").barrier);
  CHECK_FALSE(map_sass("BAR.ARV").barrier);
  CHECK(map_sass("BSSY").unit == isa::Unit::BRANCH);
  CHECK(map_sass("ULDC.64").unit == isa::Unit::MISC);
  CHECK(map_sass("UIADD3").unit == isa::Unit::MISC);
  CHECK(map_sass("S2UR").op == isa::Op::S2R);
  CHECK(map_sass("EXIT").op == isa::Op::EXIT);
  const SassOp bogus = map_sass("FOOBAR.X");
  CHECK_FALSE(bogus.known);
  CHECK(bogus.unit == isa::Unit::INT);
  CHECK(base_opcode("LDG.E.64") == "LDG");
}

TEST_CASE("trace: MMA shape and type from the modifiers", "[trace]") {
  uint8_t k = 0;
  isa::DataType ab{};
  REQUIRE(mma_shape("HMMA.16816.F32.BF16", k, ab));
  CHECK(k == 16);
  CHECK(ab == isa::DataType::BF16);
  REQUIRE(mma_shape("HMMA.1688.F32.TF32", k, ab));
  CHECK(k == 8);
  CHECK(ab == isa::DataType::TF32);
  REQUIRE(mma_shape("HMMA.884.F32.F32.STEP2", k, ab));
  CHECK(k == 4);
  CHECK(ab == isa::DataType::F16);
  REQUIRE(mma_shape("IMMA.16832.S8.S8", k, ab));
  CHECK(k == 32);
  CHECK(ab == isa::DataType::S8);
  CHECK_FALSE(mma_shape("HMMA", k, ab));
}

TEST_CASE("trace: the kernel built from a trace gets inferred control bits", "[trace]") {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("xpusim_replay_test_{}", ::getpid());
  std::filesystem::create_directories(dir);
  const auto path = (dir / "k.traceg").string();
  std::ofstream(path) << "-kernel name = k\n-grid dim = (1,1,1)\n-block dim = (32,1,1)\n-shmem = 0\n-nregs = 8\n"
                         "-binary version = 80\n#BEGIN_TB\nthread block = 0,0,0\nwarp = 0\ninsts = 6\n"
                         "0000 ffffffff 1 R4 LDG.E 1 R2 4 1 0x1000 4 0\n"   // variable latency: a write counter
                         "0010 ffffffff 1 R5 FADD 2 R4 R4 0 0\n"            // waits on it
                         "0020 ffffffff 1 R6 FFMA 3 R5 R5 R5 0 0\n"         // needs FADD's 4 cycles
                         "0040 ffffffff 0 BRA 0 0 0\n"                       // pc 0x30 never traced
                         "0010 ffffffff 1 R5 FADD 2 R4 R4 0 0\n"
                         "0020 ffffffff 1 R6 FFMA 3 R5 R5 R5 0 0\n"
                         "#END_TB\n";
  const KernelTrace t = scan_kernel(path);
  isa::LatencyTable lat = isa::LatencyTable::defaults();
  const isa::Kernel k = build_kernel(t, lat);
  REQUIRE(k.code.size() == 5);
  CHECK(k.code[3].text == "NOP");  // the gap at pc 0x30
  CHECK(k.name == "k");
  CHECK(k.regs == 8);
  const isa::Inst& ldg = k.code[0];
  CHECK(ldg.op == isa::Op::LDG);
  REQUIRE(ldg.nreads == 1);
  CHECK(ldg.reads[0].reg == 2);
  CHECK(ldg.reads[0].count == 2);  // a 64-bit address pair
  REQUIRE(ldg.ctrl.wbar != isa::kNoBarrier);
  const isa::Inst& fadd = k.code[1];
  CHECK((fadd.ctrl.wait >> ldg.ctrl.wbar & 1) == 1);  // RAW through the load's counter
  CHECK(k.code[1].ctrl.stall >= lat.of(fadd).latency);  // FFMA reads R5 right after
  const isa::Inst& bra = k.code[4];
  CHECK(bra.op == isa::Op::BRA);
  CHECK(bra.src[0].imm == 1);  // the traced jump back to pc 0x10
  CHECK(bra.guard == isa::kPT);  // never fell through: unconditional
  CHECK(fadd.text == "FADD R5, R4, R4");
  std::filesystem::remove_all(dir);
}
