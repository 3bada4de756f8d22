// `xpusim trace-info`: what a traced kernel holds, without simulating it: its header, the
// instruction mix by unit class and by opcode, the static code size, the FLOPs it performs and
// the bytes its memory instructions move (docs/traces.md "Inspecting a trace").
#pragma once

#include <string>

#include "src/trace/trace_reader.h"

namespace xpusim::trace {

struct TraceFigures {
  uint64_t warp_instructions = 0, thread_instructions = 0;
  double flops = 0;                      // FP32/FP16/FP64 and tensor FLOPs (integer MMA counted as ops)
  uint64_t global_bytes = 0, shared_bytes = 0, local_bytes = 0;  // requested by the lanes
};

// The figures above from a scanned trace.
TraceFigures figures(const KernelTrace& t);

// A readable summary of one kernel's trace.
std::string describe(const KernelTrace& t);

}  // namespace xpusim::trace
