#include "src/energy/op_class.h"

namespace xpusim::energy {

using isa::DataType;
using isa::Op;

namespace {

struct KindInfo {
  std::string_view name;
  uint32_t flops;
  std::string_view precision;
};

constexpr std::array<KindInfo, kNumOpKinds> kInfo = {{
    {"none", 0, ""},
    {"fp64_fma", 2, "fp64"}, {"fp64_add", 1, "fp64"}, {"fp64_mul", 1, "fp64"}, {"fp64_other", 0, ""},
    {"fp32_fma", 2, "fp32"}, {"fp32_add", 1, "fp32"}, {"fp32_mul", 1, "fp32"}, {"fp32_other", 0, ""},
    {"fp16_fma", 2, "fp16"}, {"fp16_add", 1, "fp16"}, {"fp16_mul", 1, "fp16"}, {"fp16_other", 0, ""},
    {"bf16_fma", 2, "bf16"}, {"bf16_add", 1, "bf16"}, {"bf16_mul", 1, "bf16"}, {"bf16_other", 0, ""},
    {"int_add", 0, ""}, {"int_mul", 0, ""},
    {"sfu", 0, ""},
    {"mac_fp16", 2, "fp16_tensor"}, {"mac_bf16", 2, "bf16_tensor"}, {"mac_tf32", 2, "tf32_tensor"},
    {"mac_fp8", 2, "fp8_tensor"}, {"mac_fp4", 2, "fp4_tensor"}, {"mac_int8", 2, "int8_tensor"},
    {"mac_int4", 2, "int4_tensor"},
}};

OpKind tensor_kind(DataType a) {
  switch (a) {
    case DataType::F16: return OpKind::kMacFp16;
    case DataType::BF16: return OpKind::kMacBf16;
    case DataType::TF32: return OpKind::kMacTf32;
    case DataType::E4M3:
    case DataType::E5M2: return OpKind::kMacFp8;
    case DataType::E2M1:
    case DataType::E3M2:
    case DataType::E2M3: return OpKind::kMacFp4;  // FP6 is charged as FP4 (no table entry of its own)
    case DataType::S8:
    case DataType::U8: return OpKind::kMacInt8;
    case DataType::S4:
    case DataType::U4: return OpKind::kMacInt4;
    default: return OpKind::kMacFp16;
  }
}

// FP32-family kind shifted to the packed-half family (kFp16* or kBf16*).
OpKind half(OpKind fp32_kind, bool bf16) {
  const auto off = static_cast<int>(fp32_kind) - static_cast<int>(OpKind::kFp32Fma);
  return static_cast<OpKind>(static_cast<int>(bf16 ? OpKind::kBf16Fma : OpKind::kFp16Fma) + off);
}

}  // namespace

std::string_view op_kind_name(OpKind k) { return kInfo[static_cast<size_t>(k)].name; }
uint32_t flops_per_op(OpKind k) { return kInfo[static_cast<size_t>(k)].flops; }
std::string_view op_precision(OpKind k) { return kInfo[static_cast<size_t>(k)].precision; }

OpCost classify(const isa::Inst& in) {
  const bool bf16 = in.m.flags & isa::kBf16;
  switch (in.op) {
    case Op::DFMA: return {OpKind::kFp64Fma, 1, 0};
    case Op::DADD: return {OpKind::kFp64Add, 1, 0};
    case Op::DMUL: return {OpKind::kFp64Mul, 1, 0};
    case Op::DSETP: return {OpKind::kFp64Other, 1, 0};
    case Op::FFMA: return {OpKind::kFp32Fma, 1, 0};
    case Op::FADD: return {OpKind::kFp32Add, 1, 0};
    case Op::FMUL: return {OpKind::kFp32Mul, 1, 0};
    case Op::FMNMX:
    case Op::FSETP:
    case Op::FSEL: return {OpKind::kFp32Other, 1, 0};
    case Op::HFMA2: return {half(OpKind::kFp32Fma, bf16), 2, 0};
    case Op::HADD2: return {half(OpKind::kFp32Add, bf16), 2, 0};
    case Op::HMUL2: return {half(OpKind::kFp32Mul, bf16), 2, 0};
    case Op::HMNMX2: return {half(OpKind::kFp32Other, bf16), 2, 0};
    case Op::IMAD: return {OpKind::kIntMul, 1, 0};
    case Op::HMMA:
    case Op::IMMA: return {tensor_kind(static_cast<DataType>(in.m.type)), 0, static_cast<uint16_t>(16 * 8 * in.m.size)};
    default: break;
  }
  if (in.unit == isa::Unit::INT) return {OpKind::kIntAdd, 1, 0};
  if (in.unit == isa::Unit::SFU) return {OpKind::kSfu, 1, 0};
  return {};
}

}  // namespace xpusim::energy
