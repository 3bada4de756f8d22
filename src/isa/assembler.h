// The xasm assembler: text -> Kernel. Errors are InputErrors with file:line:col; every
// error in the file is reported, not just the first. Language: docs/isa.md.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "src/engine/error.h"
#include "src/isa/inst.h"

namespace xpusim::isa {

// What the control-bit pass assumes about an instruction: its latency (cycles from issue
// until a dependent instruction may issue) and its unit's initiation interval (cycles until
// the unit takes the next instruction of the sub-core).
struct IssueCost {
  uint32_t latency = 1;
  uint32_t interval = 1;
};

// With a machine config, `exact` gives each instruction the cost the model charges it
// (sim::latency_table); without one, `cycles` holds per-unit-class latency defaults
// (docs/isa.md) and every interval is 1.
struct LatencyTable {
  std::array<uint8_t, static_cast<size_t>(Unit::kCount)> cycles{};
  std::function<IssueCost(const Inst&)> exact;
  static LatencyTable defaults();
  IssueCost of(const Inst& in) const {
    return exact ? exact(in) : IssueCost{cycles[static_cast<size_t>(in.unit)], 1};
  }
};

struct AsmOptions {
  LatencyTable latency = LatencyTable::defaults();
};

// All kernels in a file (each starts with .kernel).
std::vector<Kernel> assemble_file(const std::string& path, const AsmOptions& opt = {});
std::vector<Kernel> assemble_text(const std::string& text, const std::string& name, const AsmOptions& opt = {});

// The instruction in xasm syntax with its control bits: "[0-----:-:1:-:S04] @!P0 FADD R2, R3, R4".
std::string format_ctrl(const Ctrl& c);
std::string format_inst(const Inst& in);

}  // namespace xpusim::isa
