// FP32, packed FP16/BF16 and FP64 opcodes (semantics: docs/isa.md, src/exec/ops_float.cc).
#include "src/isa/opdefs.h"
#include "src/isa/opdefs_util.h"

namespace xpusim::isa {
namespace {

// .FTZ, .SAT and a rounding mode: the modifiers of float arithmetic.
bool mod_farith(std::string_view t, Mods& m) {
  if (t == "FTZ") return m.flags |= kFtz, true;
  if (t == "SAT") return m.flags |= kSat, true;
  if (t == "RN" || t == "RZ" || t == "RM" || t == "RP") return parse_rnd(t, m.rnd);
  return is_hint_mod(t);
}

bool mod_darith(std::string_view t, Mods& m) {
  if (t == "RN" || t == "RZ" || t == "RM" || t == "RP") return parse_rnd(t, m.rnd);
  return is_hint_mod(t);
}
bool mod_ftz_only(std::string_view t, Mods& m) {
  if (t == "FTZ") return m.flags |= kFtz, true;
  return is_hint_mod(t);
}

void bind_fadd(Binder& b, Inst& in) { bind_farith(b, in, 2, 1, imm_to_f32); }
void bind_ffma(Binder& b, Inst& in) { bind_farith(b, in, 3, 1, imm_to_f32); }
void bind_dadd(Binder& b, Inst& in) { bind_farith(b, in, 2, 2, imm_to_f64); }
void bind_dfma(Binder& b, Inst& in) { bind_farith(b, in, 3, 2, imm_to_f64); }

// FMNMX / FSEL: Rd, Ra, Rb, Pc
void bind_fsel(Binder& b, Inst& in) {
  b.count(4, 4);
  b.dst(0, kR);
  b.src(1, kRIC);
  b.src(2, kRIC);
  b.src(3, kP);
  imm_to_f32(in.src[0]);
  imm_to_f32(in.src[1]);
}

bool mod_fsetp(std::string_view t, Mods& m) {
  if (parse_cmp(t, m.cmp)) return m.func = 1, true;
  if (parse_bop(t, m.bop)) return true;
  if (t == "FTZ") return m.flags |= kFtz, true;
  return is_hint_mod(t);
}

// Packed halves: .BF16_V2 (BF16 pairs instead of FP16), .F32 (FP32 result of the low
// half), .MMA (a scheduling hint in SASS), plus the float-arithmetic modifiers.
bool mod_h2(std::string_view t, Mods& m) {
  if (t == "BF16_V2" || t == "BF16") return m.flags |= kBf16, true;
  if (t == "F32") return m.flags |= kF32Out, true;
  if (t == "MMA" || t == "F16_V2") return true;
  return mod_farith(t, m);
}

void conv_h2(Operand& o) { imm_to_h2(o, false); }
void conv_bh2(Operand& o) { imm_to_h2(o, true); }

void bind_h2(Binder& b, Inst& in, int nsrc) {
  bind_farith(b, in, nsrc, 1, nullptr);
  for (int i = 0; i < in.nsrc; ++i) ((in.m.flags & kBf16) ? conv_bh2 : conv_h2)(in.src[i]);
}
void bind_hadd2(Binder& b, Inst& in) { bind_h2(b, in, 2); }
void bind_hfma2(Binder& b, Inst& in) { bind_h2(b, in, 3); }
void bind_hmnmx2(Binder& b, Inst& in) {
  b.count(4, 4);
  b.dst(0, kR);
  b.src(1, kRIC);
  b.src(2, kRIC);
  b.src(3, kP);
  for (int i = 0; i < 2; ++i) ((in.m.flags & kBf16) ? conv_bh2 : conv_h2)(in.src[i]);
}

}  // namespace

void register_float_ops(std::vector<OpDef>& t) {
  t.push_back({"FADD", Op::FADD, Unit::FP32, true, mod_farith, bind_fadd, nullptr});
  t.push_back({"FMUL", Op::FMUL, Unit::FP32, true, mod_farith, bind_fadd, nullptr});
  t.push_back({"FFMA", Op::FFMA, Unit::FP32, true, mod_farith, bind_ffma, nullptr});
  t.push_back({"FMNMX", Op::FMNMX, Unit::FP32, true, mod_ftz_only, bind_fsel, nullptr});
  t.push_back({"FSETP", Op::FSETP, Unit::FP32, true, mod_fsetp, bind_setp, check_setp});
  t.push_back({"FSEL", Op::FSEL, Unit::FP32, true, mod_none, bind_fsel, nullptr});
  t.push_back({"HADD2", Op::HADD2, Unit::FP16, true, mod_h2, bind_hadd2, nullptr});
  t.push_back({"HMUL2", Op::HMUL2, Unit::FP16, true, mod_h2, bind_hadd2, nullptr});
  t.push_back({"HFMA2", Op::HFMA2, Unit::FP16, true, mod_h2, bind_hfma2, nullptr});
  t.push_back({"HMNMX2", Op::HMNMX2, Unit::FP16, true, mod_h2, bind_hmnmx2, nullptr});
  t.push_back({"DADD", Op::DADD, Unit::FP64, true, mod_darith, bind_dadd, nullptr});
  t.push_back({"DMUL", Op::DMUL, Unit::FP64, true, mod_darith, bind_dadd, nullptr});
  t.push_back({"DFMA", Op::DFMA, Unit::FP64, true, mod_darith, bind_dfma, nullptr});
  t.push_back({"DSETP", Op::DSETP, Unit::FP64, true, mod_fsetp, bind_setp, check_setp});
}

}  // namespace xpusim::isa
