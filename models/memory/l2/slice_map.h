// Which L2 slice serves a line. A slice sits in front of one DRAM controller, so the slice
// of an address is chosen among the slices of the controller that owns it:
//
//   slice = controller_of(addr) * slices_per_controller + h(line) % slices_per_controller
//
// with h, per gpu.l2.hash:
//   LINEAR  h = q = line / controllers: consecutive lines of one controller rotate through its
//           slices when the DRAM mapping interleaves controllers line by line;
//   XOR     h = q + (the bits of q above the slice bits, folded onto themselves by XOR in chunks
//           of that width), so every address bit above the line offset moves the slice and
//           power-of-two strides do not pile onto one slice (in the spirit of GPGPU-Sim's XOR
//           partition indexing; docs/models/l2_noc.md). Adding instead of XORing the fold keeps
//           sequential lines exactly even when slices_per_controller is not a power of two.
#pragma once

#include <bit>
#include <cstdint>

#include "config.pb.h"

namespace xpusim::mem {

inline uint32_t slice_hash(uint64_t line_addr, uint32_t controllers, uint32_t per_controller, proto::L2Hash hash) {
  if (per_controller <= 1) return 0;
  const uint64_t q = (line_addr >> 7) / controllers;  // 128-byte lines
  if (hash != proto::XOR) return static_cast<uint32_t>(q % per_controller);
  const int bits = std::bit_width(per_controller - 1u);
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  uint64_t fold = 0;
  for (uint64_t v = q >> bits; v; v >>= bits) fold ^= v & mask;
  return static_cast<uint32_t>((q + fold) % per_controller);
}

inline uint32_t slice_of(uint32_t controller, uint64_t line_addr, uint32_t controllers, uint32_t per_controller,
                         proto::L2Hash hash) {
  return controller * per_controller + slice_hash(line_addr, controllers, per_controller, hash);
}

}  // namespace xpusim::mem
