// Defaults of the crossbar and the L2 (gpu.noc, gpu.l2). Structural choices get a default;
// latencies and sizes that describe a machine do not (validate_memory.cc asks for them when
// gpu.memory_model is HIERARCHY). Sources: docs/models/l2_noc.md.
#include "src/io/memory_config.h"

namespace xpusim::io {

void apply_memory_defaults(proto::GpuSpec& g) {
  proto::NocSpec& noc = *g.mutable_noc();
  proto::L2Spec& l2 = *g.mutable_l2();
  if (!noc.has_queue()) noc.set_queue(8);
  if (!noc.has_header_bytes()) noc.set_header_bytes(8);  // GPGPU-Sim's control packet size (mem_fetch)
  if (!l2.has_partitions()) l2.set_partitions(1);
  if (!noc.has_far_latency_cycles() && l2.partitions() <= 1) noc.set_far_latency_cycles(0);
  if (!l2.has_line_bytes()) l2.set_line_bytes(128);
  if (!l2.has_sector_bytes()) l2.set_sector_bytes(32);
  if (!l2.has_ways()) l2.set_ways(16);          // Accel-Sim SM86_RTX3070/SM80_A100 -gpgpu_cache:dl2 S:64:128:16
  // Accel-Sim -gpgpu_cache:dl2 "A:192:4" (192 MSHRs, 4 merged requests each) in every tested config
  if (!l2.has_mshrs()) l2.set_mshrs(192);
  if (!l2.has_mshr_merges()) l2.set_mshr_merges(4);
  if (!l2.has_queue()) l2.set_queue(16);
  if (!l2.has_atomic_cycles()) l2.set_atomic_cycles(1);
  if (l2.hash() == proto::L2_HASH_UNSPECIFIED) l2.set_hash(proto::XOR);
  if (l2.write_policy() == proto::WRITE_POLICY_UNSPECIFIED) l2.set_write_policy(proto::WRITE_BACK);
  // one 32-byte sector per slice per cycle
  if (!l2.has_bytes_per_cycle() && l2.has_slices()) l2.set_bytes_per_cycle(32 * l2.slices());
  // The slice's own pipeline is what remains of the measured load-to-use hit latency after
  // the L1 miss path and the crossbar both ways.
  if (!l2.has_access_latency_cycles() && l2.has_hit_latency_cycles() && noc.has_latency_cycles()) {
    const int64_t rest = static_cast<int64_t>(l2.hit_latency_cycles()) - 2 * static_cast<int64_t>(noc.latency_cycles()) -
                         static_cast<int64_t>(g.l1().has_hit_latency_cycles() ? g.l1().hit_latency_cycles() : 0);
    l2.set_access_latency_cycles(static_cast<uint32_t>(rest > 1 ? rest : 1));
  }
}

}  // namespace xpusim::io
