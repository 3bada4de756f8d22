// Time. engine::Tick is absolute simulated time in picoseconds; engine::Cycle counts edges
// of one clock domain. Convert between them only through ClockDomain.
#pragma once

#include <cstdint>
#include <limits>

namespace xpusim::engine {

using Tick = uint64_t;   // picoseconds
using Cycle = uint64_t;  // edges of one clock domain

inline constexpr Tick kNever = std::numeric_limits<Tick>::max();

}  // namespace xpusim::engine
