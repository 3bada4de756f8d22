// Iterating over the lanes of a 32-bit warp mask.
#pragma once

#include <bit>
#include <cstdint>

namespace xpusim::exec {

// Calls f(lane) for every set bit of mask, lowest lane first.
template <typename F>
inline void for_lanes(uint32_t mask, F f) {
  while (mask) {
    const int l = std::countr_zero(mask);
    f(l);
    mask &= mask - 1;
  }
}

}  // namespace xpusim::exec
