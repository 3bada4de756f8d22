// The energy model: turns a kernel's action counters into joules per component, using the
// machine's energy table (proto/energy.proto, configs/energy/). Dynamic energy is integer
// counts x integer femtojoules per action (exact and order-independent); static, constant
// and activation power are multiplied by the kernel's time. docs/models/energy.md.
//
// Components, in report order:
//   sm.fp64 sm.fp32 sm.fp16 sm.int sm.sfu sm.tensor   datapath operations by unit
//   instruction     instruction-cache lookups + decode/issue of every warp instruction
//   register_file   warp-wide reads through the ports and writes
//   rf_cache        operands served by the register-file cache
//   shared l1 noc l2 dram                              memory levels (missing counters = 0)
//   leakage         static power of SMs, L2 and DRAM stacks x time
//   constant        the rest of the board x time
//   activation      SM pipelines while they hold work (AccelWattch "first-lane activation")
//   unpriced        actions counted by a component the table has no figure for (0 J)
#pragma once

#include <cstdint>
#include <string>

#include "config.pb.h"
#include "report.pb.h"
#include "src/energy/counters.h"

namespace xpusim::energy {

// The machine facts the power terms need, taken from the config.
struct Machine {
  double core_hz = 0;
  uint32_t num_sms = 0;
  uint32_t subcores = 4;
  double l2_mb = 0;
  uint32_t dram_stacks = 0;
  uint32_t sector_bytes = 32;
  static Machine from(const proto::SystemConfig& cfg);
};

// pJ -> integer fJ (the unit energy is accumulated in).
uint64_t to_fj(double pj);

// Energy of one kernel (or any counter difference) lasting `seconds`; `flops` for pJ/FLOP.
// An empty report (no components) when the config has no energy table.
proto::EnergyReport kernel_energy(const proto::EnergySpec& table, const Machine& m, const Counters& d,
                                  double seconds, uint64_t flops);

// The whole run: components summed over the kernels.
proto::EnergyReport total_energy(const proto::Report& rep);

// "12nm: <source>" for the report and `xpusim info`.
std::string table_name(const proto::EnergySpec& table);

}  // namespace xpusim::energy
