// SM parameters resolved once from the config (after defaults), so the hot loop reads plain
// fields instead of protobuf accessors, plus each kernel's per-instruction timing.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config.pb.h"
#include "models/gpu/sm/front_end.h"
#include "models/gpu/sm/regfile.h"
#include "models/memory/shared_banks.h"
#include "src/energy/op_class.h"
#include "src/isa/inst.h"
#include "src/sim/inst_timing.h"

namespace xpusim::gpu {

inline constexpr size_t kNumUnits = static_cast<size_t>(isa::Unit::kCount);

struct LsuParams {
  uint32_t subcore_queue = 5;
  uint32_t address_cycles = 4;
  uint32_t shared_interval = 2;
  uint32_t pending = 128;
  uint32_t war_cycles = 11;
  uint32_t lines_per_cycle = 1;
};

struct SmParams {
  uint32_t subcores = 4;
  uint32_t max_warps = 64;
  uint32_t max_ctas = 32;
  proto::SchedulerPolicy policy = proto::GTO;
  proto::DependenceMode dependence = proto::CONTROL_BITS;
  uint32_t scoreboard_war_consumers = 0;   // 0 = unlimited
  sim::InstTimingTable timing;             // latency and interval of each instruction
  uint32_t shared_latency = 23;
  RegFileParams rf;
  FrontEndParams fe;
  LsuParams lsu;
  mem::BankParams shared_banks;            // from gpu.l1 (set by the GPU: not in SmSpec)

  static SmParams from(const proto::SmSpec& sm);
};

// The timing of one static instruction, resolved when a kernel starts.
struct InstTiming {
  uint8_t unit = 0;
  bool variable = false;     // variable latency: no Allocate, a queue, a dependence counter
  bool memory = false;       // goes through the LSU
  uint16_t latency = 1;
  uint16_t interval = 1;
  energy::OpCost cost;       // datapath operations per lane/warp (energy and FLOP counters)
};

std::vector<InstTiming> resolve_timing(const SmParams& p, const isa::Kernel& k);

}  // namespace xpusim::gpu
