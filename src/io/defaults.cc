// Every default of the machine config, in one place (docs/config.md lists them). Values
// that describe a particular machine (latencies, clocks, unit widths, sizes) have no
// default: a config must state them, with their source.
#include "src/io/config.h"
#include "src/io/dram_config.h"
#include "src/io/memory_config.h"

namespace xpusim::io {

// gpu.l1 beyond the geometry (docs/models/l1_shared.md). Accel-Sim's Volta and Hopper configs
// (reference/accelsim/configs/SM7_QV100.config, SM90_H100.config) give the data cache as
// "-gpgpu_cache:dl1 S:4:128:64,L:T:m:L:L,A:512:8,16:0,32": 64 ways of 128-byte sectored lines,
// LRU, write-through ('T') with write-allocate ('L', lazy fetch on read), 512 MSHRs merging 8
// requests each, a 16-entry miss queue; "-gpgpu_l1_banks 4": 4 tag lookups a cycle;
// "-gpgpu_shmem_num_banks 32" banks of 4 bytes.
static void apply_l1_defaults(proto::GpuSpec& g) {
  proto::L1Spec& l1 = *g.mutable_l1();
  if (!l1.has_ways()) l1.set_ways(64);
  if (!l1.has_mshrs()) l1.set_mshrs(512);
  if (!l1.has_mshr_merges()) l1.set_mshr_merges(8);
  if (!l1.has_miss_queue()) l1.set_miss_queue(16);
  if (!l1.has_tag_lookups_per_cycle()) l1.set_tag_lookups_per_cycle(4);
  if (l1.write_policy() == proto::WRITE_POLICY_UNSPECIFIED) l1.set_write_policy(proto::WRITE_THROUGH_ALLOCATE);
  if (!l1.has_enabled()) l1.set_enabled(true);
  if (!l1.has_shared_banks()) l1.set_shared_banks(32);
  if (!l1.has_shared_bank_bytes()) l1.set_shared_bank_bytes(4);
  if (l1.carveout_kb_size() == 0) {
    // The shared-memory sizes the driver can configure per SM (CUDA C++ Programming Guide,
    // "Shared Memory" sections for compute capability 7.x, 8.x and 9.x; the Ampere Tuning
    // Guide: "A100 supports shared memory capacity of 0, 8, 16, 32, 64, 100, 132 or 164 KB
    // per SM. GPUs with compute capability 8.6 support 0, 8, 16, 32, 64 or 100 KB").
    const std::string& a = g.arch();
    std::vector<uint32_t> kb;
    if (a == "sm_70" || a == "sm_72") kb = {0, 8, 16, 32, 64, 96};
    else if (a == "sm_75") kb = {32, 64};
    else if (a == "sm_80" || a == "sm_87") kb = {0, 8, 16, 32, 64, 100, 132, 164};
    else if (a == "sm_86" || a == "sm_89") kb = {0, 8, 16, 32, 64, 100};
    else if (a == "sm_90" || a == "sm_100") kb = {0, 8, 16, 32, 64, 100, 132, 164, 196, 228};
    for (uint32_t k : kb)
      if (!l1.has_capacity_kb() || k <= l1.capacity_kb()) l1.add_carveout_kb(k);
  }
}

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
  // Microarchitecture of the sub-core pipeline: Ampere's, as Huerta et al. (MICRO'25) measured
  // it (../shared/reference/nvidia_sm_core.md); shipped configs state them with sources.
  proto::RegisterFileSpec& rf = *sm.mutable_register_file();
  if (!rf.has_banks()) rf.set_banks(2);
  if (!rf.has_read_ports_per_bank()) rf.set_read_ports_per_bank(1);
  if (!rf.has_read_cycles()) rf.set_read_cycles(3);
  if (!rf.cache().has_enabled()) rf.mutable_cache()->set_enabled(true);
  if (!rf.cache().has_slots()) rf.mutable_cache()->set_slots(3);
  proto::FrontEndSpec& fe = *sm.mutable_front_end();
  if (!fe.has_ibuffer_entries()) fe.set_ibuffer_entries(3);
  if (!fe.has_fetch_cycles()) fe.set_fetch_cycles(2);
  auto geometry = [](proto::CacheGeometry& g, uint32_t size, uint32_t ways) {
    if (!g.has_size_bytes()) g.set_size_bytes(size);
    if (!g.has_line_bytes()) g.set_line_bytes(128);
    if (!g.has_ways()) g.set_ways(ways);
  };
  geometry(*fe.mutable_l0i(), 32768, 32);
  geometry(*fe.mutable_l1i(), 131072, 16);
  if (!fe.has_l1i_latency_cycles()) fe.set_l1i_latency_cycles(39);
  if (!fe.has_l2_latency_cycles()) fe.set_l2_latency_cycles(200);
  if (!fe.has_prefetch_lines()) fe.set_prefetch_lines(8);
  if (!fe.has_perfect_icache()) fe.set_perfect_icache(false);
  proto::LsuSpec& lsu = *sm.mutable_lsu();
  if (!lsu.has_subcore_queue()) lsu.set_subcore_queue(5);
  if (!lsu.has_address_cycles()) lsu.set_address_cycles(4);
  if (!lsu.has_shared_interval_cycles()) lsu.set_shared_interval_cycles(2);
  if (!lsu.has_pending_requests()) lsu.set_pending_requests(128);
  if (!lsu.has_war_cycles()) lsu.set_war_cycles(11);
  if (!lsu.has_lines_per_cycle()) lsu.set_lines_per_cycle(1);
  if (!sm.scoreboard().has_war_consumers()) sm.mutable_scoreboard()->set_war_consumers(0);
  for (proto::UnitSpec& u : *sm.mutable_unit()) {
    if (!u.has_lanes()) u.set_lanes(32);
    if (!u.has_interval_cycles()) u.set_interval_cycles(1);
  }
  for (proto::TensorSpec& t : *sm.mutable_tensor())
    if (!t.has_interval_cycles()) t.set_interval_cycles(1);
  proto::L1Spec& l1 = *g.mutable_l1();
  if (!l1.has_line_bytes()) l1.set_line_bytes(128);
  if (!l1.has_sector_bytes()) l1.set_sector_bytes(32);
  apply_l1_defaults(g);  // ways, MSHRs, write policy, carve-outs, banks: below
  apply_memory_defaults(g);  // gpu.noc, gpu.l2: defaults_memory.cc
  apply_dram_defaults(g);    // gpu.dram: defaults_dram.cc
}

}  // namespace xpusim::io
