#include "models/gpu/occupancy.h"

#include <fmt/format.h>

#include <algorithm>

namespace xpusim::gpu {

uint32_t registers_per_warp(const proto::SmSpec& sm, uint32_t regs_per_thread) {
  const uint32_t unit = sm.register_alloc_unit();
  return (regs_per_thread * 32 + unit - 1) / unit * unit;
}

uint32_t shared_per_cta(const proto::SmSpec& sm, const exec::Launch& launch) {
  const uint32_t unit = sm.shared_alloc_unit_bytes();
  const uint32_t bytes = launch.shared_bytes_per_cta() + sm.reserved_shared_per_cta_bytes();
  return (bytes + unit - 1) / unit * unit;
}

std::string check_fits(const proto::SmSpec& sm, const exec::Launch& launch) {
  const uint32_t threads = launch.threads_per_cta();
  if (threads == 0) return "the block has no threads";
  if (threads > sm.max_threads()) return fmt::format("{} threads per block exceed the SM's {}", threads, sm.max_threads());
  const uint32_t regs = launch.kernel->regs;
  if (regs > sm.max_registers_per_thread())
    return fmt::format("{} registers per thread exceed the limit of {}", regs, sm.max_registers_per_thread());
  if (registers_per_warp(sm, regs) * launch.warps_per_cta() > sm.registers())
    return fmt::format("a block needs {} registers, the SM has {}", registers_per_warp(sm, regs) * launch.warps_per_cta(),
                       sm.registers());
  const uint32_t smem = launch.shared_bytes_per_cta();
  if (smem > sm.max_shared_per_cta_bytes())
    return fmt::format("{} bytes of shared memory per block exceed the limit of {}", smem, sm.max_shared_per_cta_bytes());
  return "";
}

sim::Occupancy occupancy(const proto::SmSpec& sm, const exec::Launch& launch) {
  const uint32_t warps = launch.warps_per_cta();
  struct Limit {
    const char* name;
    uint32_t ctas;
  };
  const uint32_t regs_warp = registers_per_warp(sm, launch.kernel->regs);
  const uint32_t smem = shared_per_cta(sm, launch);
  const Limit limits[] = {
      {"ctas", sm.max_ctas()},
      {"warps", sm.max_warps() / warps},
      {"threads", sm.max_threads() / launch.threads_per_cta()},
      {"registers", regs_warp ? sm.registers() / (regs_warp * warps) : sm.max_ctas()},
      {"shared", smem ? sm.shared_memory_bytes() / smem : sm.max_ctas()},
  };
  sim::Occupancy o;
  o.ctas_per_sm = UINT32_MAX;
  for (const Limit& l : limits) {
    if (l.ctas < o.ctas_per_sm) {
      o.ctas_per_sm = l.ctas;
      o.limiter = l.name;
    }
  }
  o.theoretical = static_cast<double>(o.ctas_per_sm * warps) / sm.max_warps();
  return o;
}

}  // namespace xpusim::gpu
