// Test-only lane addresses for warp-wide memory accesses (coalescer and shared-bank tests).
#pragma once

#include <array>
#include <cstdint>

namespace xpusim::mem::testing {

// Lane l's address is base + l * stride, for the 32 lanes of a warp.
inline std::array<uint64_t, 32> strided(uint64_t base, uint64_t stride) {
  std::array<uint64_t, 32> a{};
  for (uint32_t l = 0; l < 32; ++l) a[l] = base + l * stride;
  return a;
}

}  // namespace xpusim::mem::testing
