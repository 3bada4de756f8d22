// Hierarchical roofline placement of a kernel, as Nsight Compute defines it (the
// SpeedOfLight_HierarchicalRooflineChart sections): FLOPs counted from executed
// instructions (src/energy/op_class.h), bytes moved at each memory level, arithmetic
// intensity per level = FLOPs / bytes, and the attainable performance at each level
// min(peak FLOP/s, intensity x the level's bandwidth). The kernel is bound by the lowest
// roof: "compute" when every level's roof lies above the compute peak, else that level.
// Peaks are derived from the config (src/io/derived.cc), never typed by hand.
// docs/models/roofline.md.
#pragma once

#include <map>
#include <string>

#include "config.pb.h"
#include "report.pb.h"
#include "src/energy/counters.h"

namespace xpusim::energy {

// The roofs of a machine: compute peak per precision ("fp32", "fp16_tensor", ...) and
// bandwidth per level ("DRAM", "L2", "L1"), from io::derived_figures.
struct Roofs {
  std::map<std::string, double> flops_per_s;
  std::map<std::string, double> bytes_per_s;
  static Roofs from(const proto::SystemConfig& cfg);
};

// Bytes per level from the counters: DRAM = bytes the DRAM channels moved (energy.io_bytes),
// else the ideal memory's sectors x sector bytes; L2 = sectors read and written at the L2
// slices x sector bytes, else the ideal memory's (every access reaches it); L1 = global
// sectors the SMs requested x sector bytes (Nsight's l1tex__t_bytes); "shared" = bytes of
// shared-memory instructions, reported without a roof.
struct LevelBytes {
  std::string level;
  uint64_t bytes = 0;
  std::string from;
};
std::vector<LevelBytes> level_bytes(const Counters& d, uint32_t sector_bytes);

// FLOPs by precision from the datapath action counters.
std::map<std::string, uint64_t> flops_by_precision(const Counters& d);

// Placement from counted FLOPs and bytes over `seconds`.
proto::Roofline place(const Roofs& roofs, const std::map<std::string, uint64_t>& flops,
                      const std::vector<LevelBytes>& bytes, double seconds);

}  // namespace xpusim::energy
