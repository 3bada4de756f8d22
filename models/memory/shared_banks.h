// Shared-memory banks: how many wavefronts (bank passes, "replays") one warp's shared access
// needs. Shared memory is `banks` banks of `bank_bytes` each (32 x 4 bytes on every NVIDIA
// architecture since Maxwell); word w = address / bank_bytes lives in bank w % banks. In one
// wavefront a bank delivers one word, to any number of lanes (a broadcast), so a phase needs as
// many wavefronts as the largest number of distinct words any bank is asked for.
//
// Wide accesses are split into phases as the hardware does: 64-bit accesses in two half-warp
// phases, 128-bit accesses in four quarter-warp phases, as shared memory returns 128 bytes a
// cycle ("LDS.128 requires 4 requests per instruction", NVIDIA Developer Forums thread 77228;
// docs/models/l1_shared.md). On compute capability 7.0-7.5 a load whose lanes pair up on
// uniform addresses (lane l and l^1, or l and l^2, the same address for every active pair)
// packs two lanes into each returned row and needs half the phases: "the requests/instruction
// should reduce from 4 to 2" for LDS.128 (same thread, NVIDIA's answer). LDSM reads one 8 x 16-byte matrix per phase; the shared
// write of LDGSTS is counted from its width (the executor reports only its global addresses).
// Pure functions: no allocation, no state.
#pragma once

#include <cstdint>

#include "config.pb.h"

namespace xpusim::mem {

struct BankParams {
  uint32_t banks = 32;
  uint32_t bank_bytes = 4;
  bool uniform_pairs = false;  // CC 7.0-7.5 packing of paired uniform loads (set from gpu.arch)
  // gpu.l1.shared_banks / shared_bank_bytes; unset fields keep 32 x 4 bytes.
  static BankParams from(const proto::GpuSpec& gpu);
};

struct Wavefronts {
  uint32_t total = 0;    // bank passes the access takes
  uint32_t phases = 0;   // the conflict-free minimum (non-empty phases)
  uint32_t conflicts() const { return total - phases; }  // extra wavefronts (replays)
};

// LDS, STS, ATOMS: addr[l] is lane l's shared byte address for the lanes in lane_mask; width
// 1, 2, 4, 8 or 16 bytes.
Wavefronts shared_wavefronts(const BankParams& b, const uint64_t* addr, uint32_t lane_mask, uint32_t width);

// LDS: as shared_wavefronts, and on parts with uniform_pairs a wide load whose active lanes
// pair up on equal addresses (l with l^1, or l with l^2) moves twice the lanes per phase.
Wavefronts shared_load_wavefronts(const BankParams& b, const uint64_t* addr, uint32_t lane_mask, uint32_t width);

// LDSM .x1/.x2/.x4: lanes 8j..8j+7 give the 16-byte row addresses of matrix j.
Wavefronts ldsm_wavefronts(const BankParams& b, const uint64_t* addr, uint32_t matrices);

// The shared-memory write of LDGSTS: lanes in lane_mask write `width` bytes each, assumed to a
// conflict-free layout (the phases of a shared store of that width).
Wavefronts ldgsts_write_wavefronts(const BankParams& b, uint32_t lane_mask, uint32_t width);

}  // namespace xpusim::mem
