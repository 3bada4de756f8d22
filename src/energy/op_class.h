// What one executed instruction does, for energy and FLOP counting: its kind of datapath
// operation (precision x FMA/add/mul, or tensor MAC by input type) and how many such
// operations it performs per active lane and per warp instruction. Resolved once per static
// instruction when a kernel starts, so counting at issue is two integer multiply-adds.
//
// FLOPs follow Nsight Compute's definitions: an FMA is 2 FLOPs, an add or a multiply 1,
// compares/min/max 0; HFMA2 is 2 FMAs per lane (4 FLOPs); an HMMA m16n8kK performs
// 16 x 8 x K MACs per warp instruction (2 FLOPs each; IMMA: integer OPs). Predicated-off
// lanes do not count, and a tensor instruction counts only if some lane executes it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "src/isa/inst.h"

namespace xpusim::energy {

enum class OpKind : uint8_t {
  kNone,
  kFp64Fma, kFp64Add, kFp64Mul, kFp64Other,
  kFp32Fma, kFp32Add, kFp32Mul, kFp32Other,
  kFp16Fma, kFp16Add, kFp16Mul, kFp16Other,   // per half: HFMA2 counts 2 per lane
  kBf16Fma, kBf16Add, kBf16Mul, kBf16Other,
  kIntAdd, kIntMul,                           // INT unit (add, logic, compare, move) / IMAD
  kSfu,                                       // MUFU and conversions
  kMacFp16, kMacBf16, kMacTf32, kMacFp8, kMacFp4, kMacInt8, kMacInt4,
  kCount
};
inline constexpr size_t kNumOpKinds = static_cast<size_t>(OpKind::kCount);

// The counter action ("energy.<name>") of each kind: "fp32_fma", "mac_fp16", ...
std::string_view op_kind_name(OpKind k);

// FLOPs (integer tensor: OPs) of one operation of the kind: 2 for FMA/MAC, 1 for add/mul.
uint32_t flops_per_op(OpKind k);

// Roofline precision the kind's FLOPs count towards ("fp32", "fp16_tensor", ...); empty for
// kinds that are not FLOPs.
std::string_view op_precision(OpKind k);

struct OpCost {
  OpKind kind = OpKind::kNone;
  uint16_t per_lane = 0;  // operations per executing lane
  uint16_t per_warp = 0;  // operations per warp instruction with at least one executing lane
  // Operations of one dynamic instance with `lanes` executing lanes.
  uint64_t ops(uint32_t lanes) const { return uint64_t{per_lane} * lanes + (lanes ? per_warp : 0); }
};

OpCost classify(const isa::Inst& in);

}  // namespace xpusim::energy
