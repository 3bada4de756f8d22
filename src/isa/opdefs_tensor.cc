// Tensor-core opcodes: HMMA (f16/bf16/tf32/fp8 inputs) and IMMA (int8/int4 inputs), the
// PTX mma.sync m16n8kK shapes (semantics: src/exec/tensor_ops.h, docs/isa.md).
#include "src/isa/opdefs.h"
#include "src/isa/opdefs_util.h"

#include <fmt/format.h>

namespace xpusim::isa {
namespace {

// Shape tokens; Mods::size holds K.
bool parse_shape(std::string_view t, uint8_t& k) {
  if (t == "1684") return k = 4, true;
  if (t == "1688") return k = 8, true;
  if (t == "16816") return k = 16, true;
  if (t == "16832") return k = 32, true;
  if (t == "16864") return k = 64, true;
  return false;
}

// HMMA.shape.Dtype[.Atype[.Btype]]: type3 = accumulator, type = A, type2 = B.
bool mod_hmma(std::string_view t, Mods& m) {
  if (parse_shape(t, m.size)) return true;
  uint8_t ty;
  if (!parse_dtype(t, ty)) return false;
  if (m.type3 == 0) m.type3 = ty;
  else if (m.type == 0) m.type = ty;
  else if (m.type2 == 0) m.type2 = ty;
  else return false;
  return true;
}

// IMMA.shape.Atype.Btype[.SAT]: accumulator S32.
bool mod_imma(std::string_view t, Mods& m) {
  if (parse_shape(t, m.size)) return true;
  if (t == "SAT" || t == "SATFINITE") return m.flags |= kSat, true;
  uint8_t ty;
  if (!parse_dtype(t, ty)) return false;
  if (m.type == 0) m.type = ty;
  else if (m.type2 == 0) m.type2 = ty;
  else return false;
  m.type3 = static_cast<uint8_t>(DataType::S32);
  return true;
}

int type_bits(DataType t) {
  switch (t) {
    case DataType::F16:
    case DataType::BF16: return 16;
    case DataType::TF32: return 32;
    case DataType::E4M3:
    case DataType::E5M2:
    case DataType::S8:
    case DataType::U8: return 8;
    case DataType::S4:
    case DataType::U4: return 4;
    default: return 0;
  }
}

// Defaults: HMMA A defaults to F16, B to A's type.
void fill_defaults(Mods& m) {
  if (m.type == 0) m.type = static_cast<uint8_t>(DataType::F16);
  if (m.type2 == 0) m.type2 = m.type;
}

void bind_mma(Binder& b, Inst& in) {
  fill_defaults(in.m);
  const int bits = type_bits(static_cast<DataType>(in.m.type));
  const int k = in.m.size;
  const auto acc = static_cast<DataType>(in.m.type3);
  const uint8_t cd = acc == DataType::F16 ? 2 : 4;
  const uint8_t a = bits && k ? static_cast<uint8_t>(16 * k * bits / 1024) : 1;
  const uint8_t bb = bits && k ? static_cast<uint8_t>(8 * k * bits / 1024) : 1;
  b.count(4, 4);
  b.dst(0, kR, cd);
  b.src(1, kR, a ? a : 1);
  b.src(2, kR, bb ? bb : 1);
  b.src(3, kR, cd);
}

// Valid combinations, as PTX mma.sync defines them.
std::string check_mma(const Inst& in) {
  const auto a = static_cast<DataType>(in.m.type);
  const auto bt = static_cast<DataType>(in.m.type2);
  const auto acc = static_cast<DataType>(in.m.type3);
  const int k = in.m.size;
  const int bits = type_bits(a);
  if (k == 0) return "needs a shape: .1684, .1688, .16816, .16832 or .16864";
  if (bits == 0) return fmt::format("unsupported A type .{}", dtype_token(a));
  const bool fp8 = a == DataType::E4M3 || a == DataType::E5M2;
  const bool integer = a == DataType::S8 || a == DataType::U8 || a == DataType::S4 || a == DataType::U4;
  const bool same = fp8 ? (bt == DataType::E4M3 || bt == DataType::E5M2)
                        : integer ? type_bits(bt) == bits && (bt == DataType::S8 || bt == DataType::U8 ||
                                                              bt == DataType::S4 || bt == DataType::U4)
                                  : bt == a;
  if (!same) return "A and B types must match (E4M3/E5M2 may mix, and so may S8/U8 and S4/U4)";
  // K of the full shape is 256 / bits; the half shape is half of that (TF32 also K=4).
  const int full = 256 / bits;
  if (k != full && k != full / 2) return fmt::format("shape m16n8k{} does not exist for .{} inputs", k, dtype_token(a));
  if (in.op == Op::HMMA) {
    if (a == DataType::S8 || a == DataType::U8 || a == DataType::S4 || a == DataType::U4)
      return "integer inputs use IMMA";
    if (acc != DataType::F32 && !(acc == DataType::F16 && a == DataType::F16))
      return "accumulator must be .F32 (or .F16 with .F16 inputs)";
  } else if (bits > 8 || fp8) {
    return "IMMA takes .S8/.U8/.S4/.U4 inputs";
  }
  return "";
}

}  // namespace

void register_tensor_ops(std::vector<OpDef>& t) {
  t.push_back({"HMMA", Op::HMMA, Unit::TENSOR, true, mod_hmma, bind_mma, check_mma});
  t.push_back({"IMMA", Op::IMMA, Unit::TENSOR, true, mod_imma, bind_mma, check_mma});
}

}  // namespace xpusim::isa
