// FLOP and datapath-operation counting per opcode (src/energy/op_class.h).
#include <catch2/catch.hpp>

#include "src/energy/op_class.h"
#include "src/isa/assembler.h"

using namespace xpusim;
using energy::OpKind;

namespace {
energy::OpCost cost_of(const std::string& line) {
  const auto ks = isa::assemble_text(".kernel k\n.regs 32\n  " + line + "\n  EXIT\n", "t.xasm");
  return energy::classify(ks[0].code[0]);
}
uint64_t flops(const std::string& line, uint32_t lanes) {
  const energy::OpCost c = cost_of(line);
  return c.ops(lanes) * energy::flops_per_op(c.kind);
}
}  // namespace

TEST_CASE("E1 FLOPs per opcode follow Nsight Compute: FFMA 2, FADD/FMUL 1, HFMA2 4, DFMA 2 per lane", "[energy]") {
  CHECK(flops("FFMA R0, R1, R2, R3", 32) == 64);
  CHECK(flops("FADD R0, R1, R2", 32) == 32);
  CHECK(flops("FMUL R0, R1, R2", 32) == 32);
  CHECK(flops("HFMA2 R0, R1, R2, R3", 32) == 128);
  CHECK(flops("DFMA R0, R2, R4, R6", 32) == 64);
  CHECK(flops("DADD R0, R2, R4", 8) == 8);
  CHECK(flops("FMNMX R0, R1, R2, PT", 32) == 0);   // compare/min/max are not FLOPs
  CHECK(cost_of("FMNMX R0, R1, R2, PT").kind == OpKind::kFp32Other);
  CHECK(flops("IADD3 R0, R1, R2, R3", 32) == 0);
  CHECK(cost_of("IADD3 R0, R1, R2, R3").kind == OpKind::kIntAdd);
  CHECK(cost_of("IMAD R0, R1, R2, R3").kind == OpKind::kIntMul);
}

TEST_CASE("E2 predicated-off lanes do not count", "[energy]") {
  CHECK(flops("FFMA R0, R1, R2, R3", 7) == 14);
  CHECK(flops("FFMA R0, R1, R2, R3", 0) == 0);
  CHECK(flops("HMMA.16816.F32 R0, R8, R12, R0", 0) == 0);
}

TEST_CASE("E3 tensor instructions: 2 x m x n x k per warp instruction, by input type", "[energy]") {
  const energy::OpCost h = cost_of("HMMA.16816.F32 R0, R8, R12, R0");
  CHECK(h.kind == OpKind::kMacFp16);
  CHECK(h.ops(32) == 16 * 8 * 16);
  CHECK(h.ops(1) == 16 * 8 * 16);  // a warp-wide operation: any executing lane runs all of it
  CHECK(flops("HMMA.16816.F32 R0, R8, R12, R0", 32) == 2 * 16 * 8 * 16);
  CHECK(flops("HMMA.1688.F32 R0, R8, R12, R0", 32) == 2 * 16 * 8 * 8);
  CHECK(cost_of("HMMA.16816.F32.BF16 R0, R8, R12, R0").kind == OpKind::kMacBf16);
  CHECK(energy::op_precision(OpKind::kMacFp16) == "fp16_tensor");
  const energy::OpCost i = cost_of("IMMA.16832.S8.S8 R0, R8, R12, R0");
  CHECK(i.kind == OpKind::kMacInt8);
  CHECK(i.ops(32) == 16 * 8 * 32);
}
