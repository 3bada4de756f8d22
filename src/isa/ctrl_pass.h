// The control-bit pass: assigns stall counts, yield, dependence counters and wait masks to
// a kernel written without them (algorithm: docs/isa.md "How the assembler fills control
// bits").
#pragma once

#include "src/isa/assembler.h"
#include "src/isa/inst.h"

namespace xpusim::isa {

void fill_control_bits(Kernel& k, const LatencyTable& lat);

}  // namespace xpusim::isa
