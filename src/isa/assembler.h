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

// Latencies the control-bit pass assumes (cycles from issue until a dependent instruction
// may issue). With a machine config, `exact` gives each instruction the latency the model
// charges it (sim::latency_table); without one, `cycles` holds per-unit-class defaults
// (docs/isa.md).
struct LatencyTable {
  std::array<uint8_t, static_cast<size_t>(Unit::kCount)> cycles{};
  std::function<uint32_t(const Inst&)> exact;
  static LatencyTable defaults();
  uint32_t of(const Inst& in) const { return exact ? exact(in) : cycles[static_cast<size_t>(in.unit)]; }
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
