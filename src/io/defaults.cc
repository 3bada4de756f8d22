// Every default of the machine config, in one place (docs/config.md lists them). Values
// that describe a particular machine (latencies, clocks, unit widths, sizes) have no
// default: a config must state them, with their source.
#include "src/io/config.h"

namespace xpusim::io {

void apply_defaults(proto::SystemConfig& cfg) {
  proto::SimSpec& sim = *cfg.mutable_sim();
  if (!sim.has_seed()) sim.set_seed(1);
  if (!sim.has_max_cycles()) sim.set_max_cycles(0);
  if (!sim.has_watchdog_cycles()) sim.set_watchdog_cycles(1000000);
  if (!sim.has_functional()) sim.set_functional(true);
  if (!cfg.has_gpu()) return;

  proto::GpuSpec& g = *cfg.mutable_gpu();
  if (!g.has_kernel_launch_cycles()) g.set_kernel_launch_cycles(0);
  proto::SmSpec& sm = *g.mutable_sm();
  if (!sm.has_subcores()) sm.set_subcores(4);
  if (!sm.has_max_threads() && sm.has_max_warps()) sm.set_max_threads(sm.max_warps() * 32);
  if (!sm.has_register_alloc_unit()) sm.set_register_alloc_unit(256);    // CUDA occupancy calculator, sm_50+
  if (!sm.has_max_registers_per_thread()) sm.set_max_registers_per_thread(255);
  if (!sm.has_shared_alloc_unit_bytes()) sm.set_shared_alloc_unit_bytes(128);
  if (!sm.has_reserved_shared_per_cta_bytes()) sm.set_reserved_shared_per_cta_bytes(0);
  if (!sm.has_max_shared_per_cta_bytes() && sm.has_shared_memory_bytes())
    sm.set_max_shared_per_cta_bytes(sm.shared_memory_bytes());
  if (sm.scheduler() == proto::SCHEDULER_UNSPECIFIED) sm.set_scheduler(proto::GTO);
  if (sm.dependence() == proto::DEPENDENCE_UNSPECIFIED) sm.set_dependence(proto::CONTROL_BITS);
  proto::RegisterFileSpec& rf = *sm.mutable_register_file();
  if (!rf.has_banks()) rf.set_banks(2);
  if (!rf.has_read_ports_per_bank()) rf.set_read_ports_per_bank(1);
  for (proto::UnitSpec& u : *sm.mutable_unit()) {
    if (!u.has_lanes()) u.set_lanes(32);
    if (!u.has_interval_cycles()) u.set_interval_cycles(1);
  }
  for (proto::TensorSpec& t : *sm.mutable_tensor())
    if (!t.has_interval_cycles()) t.set_interval_cycles(1);
  proto::L1Spec& l1 = *g.mutable_l1();
  if (!l1.has_line_bytes()) l1.set_line_bytes(128);
  if (!l1.has_sector_bytes()) l1.set_sector_bytes(32);
}

}  // namespace xpusim::io
