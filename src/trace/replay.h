// Accel-Sim trace replay: a timing-only front end for the SM model (docs/traces.md).
//
// Each traced kernel becomes an ordinary isa::Kernel, one instruction per 16-byte pc, its
// opcodes mapped by map_sass(), its registers those the trace lists and its control bits
// filled by the assembler's pass from the machine's latencies, so the SM times it like any
// kernel. TraceExecutor stands in for the functional executor: each warp replays its traced
// sequence (pcs, active masks, addresses; no values) through a WarpCursor (Accel-Sim text) or a
// BinWarpCursor (our binary format).
#pragma once

#include <string>
#include <vector>

#include "report.pb.h"
#include "src/exec/executor.h"
#include "src/io/config.h"
#include "src/isa/assembler.h"
#include "src/sim/device.h"
#include "src/sim/run.h"
#include "src/trace/sass_map.h"
#include "src/trace/trace_codec.h"
#include "src/trace/trace_reader.h"

namespace xpusim::trace {

// The kernel replay runs for a scanned trace.
isa::Kernel build_kernel(const KernelTrace& t, const isa::LatencyTable& lat);

class TraceExecutor final : public exec::Executor {
 public:
  TraceExecutor();
  ~TraceExecutor() override;
  // Makes `launch` (whose kernel build_kernel() made from `t`) replayable; `t` must outlive
  // the executor.
  void add(const exec::Launch* launch, const KernelTrace* t);

  void start_cta(exec::Cta& cta, const exec::Launch& launch, exec::Dim3 ctaid, uint32_t linear_id,
                 uint32_t sm_id) const override;
  void step(exec::Cta& cta, exec::Warp& w, exec::DynInst& out, uint64_t cycle = 0) override;

 private:
  struct Kernel {
    const exec::Launch* launch;
    const KernelTrace* trace;
    int fd;
    std::vector<SassOp> ops;  // by pc index
  };
  struct Cursor {
    WarpCursor in;            // text traces
    BinWarpCursor bin;        // binary traces
    InstLine next;            // the warp's next instruction
    const Kernel* kernel = nullptr;
    bool advance() { return kernel->trace->bin ? bin.next(next) : in.next(next); }
  };
  static bool try_release(exec::Cta& cta);

  std::vector<Kernel> kernels_;
  mutable std::vector<Cursor> cursors_;  // grows to the most warps resident at once
  mutable std::vector<uint32_t> free_;
};

// Replays every kernel of a trace (an Accel-Sim kernelslist.g or a file of our binary format) on
// the machine and returns the report. Bad traces throw InputErrors (exit 2).
proto::Report replay(const io::LoadedConfig& cfg, const std::string& trace, const sim::RunOptions& opt,
                     const sim::DeviceRegistry& registry);

}  // namespace xpusim::trace
