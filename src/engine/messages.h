// Message types exchanged between components through ports. Plain values: they are copied
// into fixed channel rings, never allocated.
#pragma once

#include <cstdint>

#include "src/engine/types.h"

namespace xpusim::engine {

enum class MemOp : uint8_t { Load, Store, Atomic };

// One memory transaction: a 128-byte line with the 32-byte sectors it touches. The same
// message travels SM -> L1 -> NoC -> L2 slice -> DRAM controller; each level that forwards a
// request on its own behalf (a miss) rewrites source/tag to its own and keeps the rest.
struct MemReq {
  uint64_t line_addr = 0;  // 128-byte aligned
  uint8_t sector_mask = 0; // bit i: bytes [32i, 32i+32) of the line
  MemOp op = MemOp::Load;
  uint8_t flags = 0;       // kBypassL1, ...
  uint8_t atomics = 0;     // Atomic: lane operations in this line (the L2 performs each)
  uint16_t source = 0;     // requesting SM (or, below L2, the requesting slice's port)
  uint32_t tag = 0;        // requester's id for the response
  Tick issued = 0;         // when the SM sent it (latency statistics)
  static constexpr uint8_t kBypassL1 = 1;  // .cg loads, LDGSTS.BYPASS: not cached in L1
};

struct MemResp {
  uint32_t tag = 0;
  uint16_t source = 0;
  uint8_t sector_mask = 0;
  MemOp op = MemOp::Load;  // what it answers: a Store's acknowledgement carries no data sectors
};

// CTA dispatch between the GPU front end and the SMs.
struct CtaAssign {
  uint32_t cta = 0;        // linear CTA id in the grid
};

struct CtaDone {
  uint16_t sm = 0;
  uint32_t cta = 0;
};

}  // namespace xpusim::engine
