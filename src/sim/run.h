// The run driver: a machine config plus a workload in, a Report out. It assembles the
// kernels, builds and initialises the buffers, builds the machine through the device
// registry, runs each launch to completion under SystemC, checks the outputs against their
// references and assembles the report. It knows no concrete model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report.pb.h"
#include "src/io/config.h"
#include "src/io/workload_file.h"
#include "src/isa/assembler.h"
#include "src/sim/device.h"

namespace xpusim::sim {

struct RunOptions {
  std::optional<uint64_t> seed;   // overrides sim.seed
  std::string dump_dir;           // --dump-buffers: write every buffer as .npy here
  bool progress = false;          // draw a progress bar on stderr
  bool timing_only = false;       // skip value-only arithmetic (sim.functional = false)
  TraceRequest trace;             // the pipeline view, when trace.path is set
};

// Runs `launches` in order on `dev` (built in `env`), stepping warps with `ex`, and fills the
// report's per-kernel and whole-run figures (cycles, instructions, mix, stalls, counters);
// finishes the device. Shared by workload runs and trace replay (src/trace).
void simulate(const proto::SystemConfig& cfg, Device& dev, engine::Env& env, const std::vector<exec::Launch>& launches,
              exec::Executor& ex, bool show_progress, proto::Report& rep);

// Throws InputErrors (bad input, exit 2), KernelFault (a kernel misbehaved, exit 2),
// ModelError (simulator bug or deadlock, exit 1).
proto::Report run(const io::LoadedConfig& cfg, const io::LoadedWorkload& wl, const RunOptions& opt,
                  const DeviceRegistry& registry);

}  // namespace xpusim::sim
