// SM parameters resolved once from the config (after defaults), so the hot loop reads
// plain fields instead of protobuf accessors.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "config.pb.h"
#include "src/isa/inst.h"

namespace xpusim::gpu {

inline constexpr size_t kNumUnits = static_cast<size_t>(isa::Unit::kCount);

struct UnitTiming {
  uint32_t latency = 1;
  uint32_t interval = 1;
};

struct TensorTiming {
  uint8_t k;                 // MMA K (shape m16n8k)
  isa::DataType a;           // A/B type
  UnitTiming t;
};

struct SmParams {
  uint32_t subcores = 4;
  uint32_t max_warps = 64;
  uint32_t max_ctas = 32;
  proto::SchedulerPolicy policy = proto::GTO;
  std::array<UnitTiming, kNumUnits> unit{};
  std::vector<TensorTiming> tensor;
  uint32_t shared_latency = 23;
  uint32_t war_cycles = 3;        // register sources read (WAR released) after issue, fixed-latency units
  uint32_t lsu_war_cycles = 9;    // ... for memory instructions (Huerta et al. Table 2)
  uint32_t max_inflight = 128;    // pending memory instructions per SM
  uint32_t lines_per_cycle = 1;   // line requests the SM sends per cycle

  static SmParams from(const proto::SmSpec& sm);
  const UnitTiming& timing(const isa::Inst& in) const;
};

}  // namespace xpusim::gpu
