// SASS opcodes of traced kernels (Volta, Turing, Ampere, Ada, Hopper: sm_70..sm_90) mapped to
// the isa Op and unit class the SM model times them with. Only timing matters: the Op selects
// the few behaviours the SM attaches to an opcode (memory pipeline, barriers, LDGSTS groups),
// the unit selects the latency and issue interval (src/sim/inst_timing), and the traced
// mnemonic itself stays in Inst::text so gpu.sm.opcode entries ("MUFU.EX2") apply.
// The table and its reasons are in docs/traces.md.
#pragma once

#include <cstdint>
#include <string_view>

#include "src/exec/executor.h"
#include "src/isa/inst.h"

namespace xpusim::trace {

struct SassOp {
  isa::Op op = isa::Op::MOV;
  isa::Unit unit = isa::Unit::INT;
  bool fixed_latency = true;
  exec::Space space = exec::Space::None;  // memory instructions: the space their addresses are in
  bool store = false;                     // writes memory (stores, reductions, atomics)
  bool atomic = false;
  bool barrier = false;                   // a CTA barrier the warp waits at (BAR.SYNC, BAR.RED)
  bool known = true;                      // false: no mapping, timed as a generic INT instruction
};

// "LDG.E.64" -> "LDG"
std::string_view base_opcode(std::string_view opcode);

// The mapping of a full traced opcode (modifiers included).
SassOp map_sass(std::string_view opcode);

// Tensor instructions: the MMA K and A/B data type from the modifiers ("HMMA.16816.F32.BF16"
// -> 16, BF16), as the SM's tensor timing entries are keyed. Returns false if the opcode
// carries no shape.
bool mma_shape(std::string_view opcode, uint8_t& k, isa::DataType& ab);

}  // namespace xpusim::trace
