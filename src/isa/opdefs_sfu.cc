// Special functions and conversions (semantics: docs/isa.md, src/exec/ops_sfu.cc).
#include "src/isa/opdefs.h"
#include "src/isa/opdefs_util.h"

#include <fmt/format.h>

namespace xpusim::isa {
namespace {

// MUFU functions, in Mods::func.
constexpr std::string_view kMufu[] = {"", "EX2", "LG2", "RCP", "RSQ", "SIN", "COS", "SQRT", "TANH"};

bool mod_mufu(std::string_view t, Mods& m) {
  for (size_t i = 1; i < std::size(kMufu); ++i)
    if (t == kMufu[i]) return m.func = static_cast<uint8_t>(i), true;
  if (t == "FTZ") return m.flags |= kFtz, true;
  return is_hint_mod(t);
}
void bind_mufu(Binder& b, Inst& in) {
  b.count(2, 2);
  b.dst(0, kR);
  b.src(1, kRIC);
  imm_to_f32(in.src[0]);
}
std::string check_mufu(const Inst& in) {
  return in.m.func == 0 ? "MUFU needs a function: .EX2 .LG2 .RCP .RSQ .SIN .COS .SQRT .TANH" : "";
}

// Conversions: the first type token is the destination, the second the source.
bool mod_cvt(std::string_view t, Mods& m) {
  uint8_t ty;
  if (parse_dtype(t, ty)) {
    if (m.type == 0) m.type = ty;
    else if (m.type2 == 0) m.type2 = ty;
    else return false;
    return true;
  }
  if (parse_rnd(t, m.rnd)) return true;
  if (t == "SAT" || t == "SATFINITE") return m.flags |= kSat, true;
  if (t == "RELU") return m.flags |= kRelu, true;
  if (t == "FTZ" || t == "NTZ") return m.flags |= kFtz, true;
  if (t == "PACK_AB") return true;
  if (t == "UNPACK_B") return m.flags |= kUnpack, true;
  return is_hint_mod(t);
}

bool is_float_type(uint8_t t) {
  const auto d = static_cast<DataType>(t);
  return d >= DataType::F16 && d <= DataType::UE4M3;
}
bool is_int_type(uint8_t t) {
  const auto d = static_cast<DataType>(t);
  return d >= DataType::U8 && d <= DataType::S4;
}
bool is_64(uint8_t t) {
  const auto d = static_cast<DataType>(t);
  return d == DataType::F64 || d == DataType::U64 || d == DataType::S64;
}

// F2F.dst.src  /  I2F.dst.src  /  F2I.dst.src: Rd, Ra
void bind_cvt(Binder& b, Inst& in) {
  b.count(2, 2);
  b.dst(0, kR, is_64(in.m.type) ? 2 : 1);
  b.src(1, kRIC, is_64(in.m.type2) ? 2 : 1);
  if (in.nsrc == 1 && in.src[0].kind == Opd::Imm && (in.src[0].flags & kFloatLit)) {
    const auto st = static_cast<DataType>(in.m.type2);
    if (st == DataType::F64) imm_to_f64(in.src[0]);
    else if (st == DataType::F16 || st == DataType::BF16) {
      imm_to_h2(in.src[0], st == DataType::BF16);
      in.src[0].imm &= 0xffff;
    } else if (in.op == Op::I2F) {
      b.fail("I2F takes an integer source; write the literal without a decimal point");
    } else {
      imm_to_f32(in.src[0]);
    }
  }
}

std::string check_f2f(const Inst& in) {
  if (!is_float_type(in.m.type) || !is_float_type(in.m.type2))
    return "F2F needs a float destination and source type, e.g. F2F.F16.F32";
  return "";
}

std::string check_i2f(const Inst& in) {
  if (in.m.type == 0) return "I2F needs types, e.g. I2F.F32.S32";
  if (!is_float_type(in.m.type)) return "I2F destination must be a float type";
  if (in.m.type2 != 0 && !is_int_type(in.m.type2)) return "I2F source must be an integer type";
  return "";
}

std::string check_f2i(const Inst& in) {
  if (in.m.type == 0) return "F2I needs types, e.g. F2I.S32.F32";
  if (!is_int_type(in.m.type)) return "F2I destination must be an integer type";
  if (in.m.type2 != 0 && !is_float_type(in.m.type2)) return "F2I source must be a float type";
  return "";
}

// F2FP.dst.F32.PACK_AB Rd, Ra, Rb | F2FP.dst.{F16x2,BF16x2} Rd, Ra | F2FP.{F16,BF16}.src.UNPACK_B Rd, Ra
void bind_f2fp(Binder& b, Inst& in) {
  const auto src = static_cast<DataType>(in.m.type2);
  const bool two = !(in.m.flags & kUnpack) && src != DataType::F16x2 && src != DataType::BF16x2;
  b.count(two ? 3 : 2, two ? 3 : 2);
  b.dst(0, kR);
  b.src(1, kRIC);
  if (two) b.src(2, kRIC);
  if (two) {
    imm_to_f32(in.src[0]);
    imm_to_f32(in.src[1]);
  }
}

std::string check_f2fp(const Inst& in) {
  const auto dst = static_cast<DataType>(in.m.type);
  const auto src = static_cast<DataType>(in.m.type2);
  if (in.m.flags & kUnpack) {
    if (dst != DataType::F16 && dst != DataType::BF16) return "F2FP.UNPACK_B produces .F16 or .BF16 pairs";
    if (src < DataType::E4M3 || src > DataType::E2M1) return "F2FP.UNPACK_B unpacks .E4M3, .E5M2, .E3M2, .E2M3 or .E2M1";
    return "";
  }
  if (dst == DataType::None || dst < DataType::F16 || dst > DataType::E2M1 || dst == DataType::F32 ||
      dst == DataType::F64 || dst == DataType::TF32)
    return "F2FP packs to .F16, .BF16, .E4M3, .E5M2, .E3M2, .E2M3 or .E2M1";
  if (src != DataType::F32 && src != DataType::F16x2 && src != DataType::BF16x2)
    return "F2FP source is .F32 (two registers) or .F16x2/.BF16x2 (one register)";
  if ((src == DataType::F16x2 || src == DataType::BF16x2) && (dst == DataType::F16 || dst == DataType::BF16))
    return "F2FP from a packed half source needs an 8-, 6- or 4-bit destination";
  return "";
}

}  // namespace

void register_sfu_ops(std::vector<OpDef>& t) {
  t.push_back({"MUFU", Op::MUFU, Unit::SFU, false, mod_mufu, bind_mufu, check_mufu});
  t.push_back({"F2F", Op::F2F, Unit::SFU, false, mod_cvt, bind_cvt, check_f2f});
  t.push_back({"F2FP", Op::F2FP, Unit::SFU, false, mod_cvt, bind_f2fp, check_f2fp});
  t.push_back({"I2F", Op::I2F, Unit::SFU, false, mod_cvt, bind_cvt, check_i2f});
  t.push_back({"F2I", Op::F2I, Unit::SFU, false, mod_cvt, bind_cvt, check_f2i});
}

}  // namespace xpusim::isa
