// CTA residency per SM under the CUDA occupancy rules: warps, registers, shared memory,
// CTA slots (CUDA Programming Guide, "Occupancy" / the occupancy calculator).
#pragma once

#include <string>

#include "config.pb.h"
#include "src/exec/state.h"
#include "src/sim/device.h"

namespace xpusim::gpu {

// Registers one warp of this kernel holds, rounded to the allocation unit.
uint32_t registers_per_warp(const proto::SmSpec& sm, uint32_t regs_per_thread);
// Shared memory one CTA holds (static + dynamic + reserved, rounded to the allocation unit).
uint32_t shared_per_cta(const proto::SmSpec& sm, const exec::Launch& launch);

// "" if one CTA fits on an SM, else why not.
std::string check_fits(const proto::SmSpec& sm, const exec::Launch& launch);
sim::Occupancy occupancy(const proto::SmSpec& sm, const exec::Launch& launch);

}  // namespace xpusim::gpu
