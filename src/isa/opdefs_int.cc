// Integer, logic and predicate opcodes (semantics: docs/isa.md, src/exec/ops_int.cc).
#include "src/isa/opdefs.h"
#include "src/isa/opdefs_util.h"

namespace xpusim::isa {
namespace {

// Integer signedness lives in Mods::type (DataType::U32 / S32; None = the opcode's default).
bool mod_int_type(std::string_view t, Mods& m) {
  if (t == "U32" || t == "S32") return parse_dtype(t, m.type);
  return is_hint_mod(t);
}

// ---- MOV Rd, src ----
void bind_mov(Binder& b, Inst&) {
  b.count(2, 3);  // SASS prints an optional lane mask: MOV R1, R2, 0xf
  b.dst(0, kR);
  b.src(1, kRIC);
}

// ---- IADD3[.X] Rd, [Pco0, [Pco1,]] Ra, Rb, Rc [, Pci0 [, Pci1]] ----
bool mod_iadd3(std::string_view t, Mods& m) {
  if (t == "X") return m.flags |= kX, true;
  return is_hint_mod(t) || t == "U32" || t == "S32";
}
void bind_iadd3(Binder& b, Inst& in) {
  b.dst(0, kR);
  size_t i = 1;
  while (i < b.size() && b.is(i, kP) && in.ndst < 3) b.dst(i++, kP);
  for (int k = 0; k < 3; ++k) b.src(i++, kRIC);
  if (in.m.flags & kX) {
    if (i >= b.size()) return b.fail("IADD3.X needs a carry-in predicate after the three sources");
    if (b.size() - i > 2) return b.fail("IADD3.X takes at most two carry-in predicates");
    while (i < b.size()) b.src(i++, kP);
  }
  if (i != b.size()) b.fail("too many operands");
}

// ---- IMAD[.WIDE][.HI][.X][.U32] Rd, Ra, Rb, Rc [, Pci]   (signed unless .U32) ----
bool mod_imad(std::string_view t, Mods& m) {
  if (t == "WIDE") return m.flags |= kWideRes, true;
  if (t == "HI") return m.flags |= kHi, true;
  if (t == "X") return m.flags |= kX, true;
  if (t == "MOV" || t == "SHL" || t == "IADD") return true;  // compiler idiom names, same operation
  return mod_int_type(t, m);
}
void bind_imad(Binder& b, Inst& in) {
  const bool wide = in.m.flags & kWideRes;
  const bool x = in.m.flags & kX;
  if (wide && (in.m.flags & kHi)) return b.fail(".WIDE and .HI cannot be combined");
  b.count(x ? 5 : 4, x ? 5 : 4);
  b.dst(0, kR, wide ? 2 : 1);
  b.src(1, kR);
  b.src(2, kRIC);
  b.src(3, kRIC, wide ? 2 : 1);
  if (x) b.src(4, kP);
}

// ---- LEA[.HI][.X][.SX32] Rd, [Pco,] Ra, Rb, [Rc,] shift [, Pci] ----
bool mod_lea(std::string_view t, Mods& m) {
  if (t == "HI") return m.flags |= kHi, true;
  if (t == "X") return m.flags |= kX, true;
  if (t == "SX32") return m.flags |= kSx32, true;
  return is_hint_mod(t);
}
void bind_lea(Binder& b, Inst& in) {
  b.dst(0, kR);
  size_t i = 1;
  if (b.is(i, kP)) {
    if (in.m.flags & kHi) return b.fail("LEA.HI produces no carry-out predicate (the low half, LEA, does)");
    b.dst(i++, kP);
  }
  b.src(i++, kR);                                   // Ra
  b.src(i++, kRIC);                                 // Rb
  const bool hi = in.m.flags & kHi;
  if (hi && !(in.m.flags & kSx32)) b.src(i++, kR);  // Rc: high word of the shifted value
  b.src(i++, kI);                                   // shift
  if (in.m.flags & kX) b.src(i++, kP);
  if (i != b.size()) b.fail("wrong number of operands for LEA (see docs/isa.md)");
}
std::string check_lea(const Inst& in) {
  const Operand& s = in.src[(in.m.flags & kHi) && !(in.m.flags & kSx32) ? 3 : 2];
  if (s.imm < 0 || s.imm > 31) return "LEA shift must be 0..31";
  return "";
}

// ---- LOP3.LUT [Pd,] Rd, Ra, Rb, Rc, lut [, Pq] ----
bool mod_lop3(std::string_view t, Mods&) { return t == "LUT" || is_hint_mod(t); }
void bind_lop3(Binder& b, Inst&) {
  size_t i = 0;
  if (b.is(0, kP)) b.dst(i++, kP);
  b.dst(i++, kR);
  for (int k = 0; k < 3; ++k) b.src(i++, kRIC);
  b.src(i++, kI);
  if (i < b.size()) b.src(i++, kP);  // SASS prints "!PT" here: an extra predicate input
  if (i != b.size()) b.fail("too many operands");
}
std::string check_lop3(const Inst& in) {
  const Operand& lut = in.src[3];
  return (lut.imm < 0 || lut.imm > 255) ? "LOP3 lookup table must be 0..0xff" : "";
}

// ---- SHF.{L,R}[.W].{U32,S32,U64,S64}[.HI] Rd, Ra, shift, Rc ----
bool mod_shf(std::string_view t, Mods& m) {
  if (t == "L") return m.flags |= kLeft, m.func |= 1, true;
  if (t == "R") return m.flags &= ~kLeft, m.func |= 1, true;
  if (t == "HI") return m.flags |= kHi, true;
  if (t == "W") return m.rnd = 1, true;  // wrap the shift amount
  if (t == "U32" || t == "S32" || t == "U64" || t == "S64") return parse_dtype(t, m.type);
  return is_hint_mod(t);
}
void bind_shf(Binder& b, Inst&) {
  b.count(4, 4);
  b.dst(0, kR);
  b.src(1, kRIC);
  b.src(2, kRIC);
  b.src(3, kRIC);
}
std::string check_shf(const Inst& in) {
  if (!(in.m.func & 1)) return "SHF needs a direction, .L or .R";
  if (in.m.type == 0) return "SHF needs a type: .U32, .S32, .U64 or .S64";
  return "";
}

// ---- ISETP.cmp[.U32][.AND|OR|XOR] Pd, [Pq,] Ra, Rb [, Pc]   (signed unless .U32) ----
bool mod_isetp(std::string_view t, Mods& m) {
  if (parse_cmp(t, m.cmp)) return m.func = 1, true;
  if (parse_bop(t, m.bop)) return true;
  return mod_int_type(t, m);
}

// ---- SEL Rd, Ra, Rb, Pc ----
void bind_sel(Binder& b, Inst&) {
  b.count(4, 4);
  b.dst(0, kR);
  b.src(1, kRIC);
  b.src(2, kRIC);
  b.src(3, kP);
}

// ---- PRMT Rd, Ra, sel, Rb ----
void bind_prmt(Binder& b, Inst&) {
  b.count(4, 4);
  b.dst(0, kR);
  b.src(1, kRIC);
  b.src(2, kRIC);
  b.src(3, kRIC);
}

// ---- IMNMX[.U32] Rd, Ra, Rb, Pc   (Pc true: minimum; signed unless .U32) ----

// ---- FLO[.U32|.S32][.SH] Rd, Ra ----
bool mod_flo(std::string_view t, Mods& m) {  // unsigned unless .S32
  if (t == "SH") return m.flags |= kHi, true;
  return mod_int_type(t, m);
}
void bind_unary(Binder& b, Inst&) {
  b.count(2, 2);
  b.dst(0, kR);
  b.src(1, kRIC);
}

// ---- PLOP3.LUT Pd, Pq, Pa, Pb, Pc, lut, lut2 ----
void bind_plop3(Binder& b, Inst&) {
  b.count(7, 7);
  b.dst(0, kP);
  b.dst(1, kP);
  b.src(2, kP);
  b.src(3, kP);
  b.src(4, kP);
  b.src(5, kI);
  b.src(6, kI);
}

}  // namespace

void register_int_ops(std::vector<OpDef>& t) {
  t.push_back({"MOV", Op::MOV, Unit::INT, true, mod_none, bind_mov, nullptr});
  t.push_back({"IADD3", Op::IADD3, Unit::INT, true, mod_iadd3, bind_iadd3, nullptr});
  t.push_back({"IMAD", Op::IMAD, Unit::FP32, true, mod_imad, bind_imad, nullptr});
  t.push_back({"LEA", Op::LEA, Unit::INT, true, mod_lea, bind_lea, check_lea});
  t.push_back({"LOP3", Op::LOP3, Unit::INT, true, mod_lop3, bind_lop3, check_lop3});
  t.push_back({"SHF", Op::SHF, Unit::INT, true, mod_shf, bind_shf, check_shf});
  t.push_back({"ISETP", Op::ISETP, Unit::INT, true, mod_isetp, bind_setp, check_setp});
  t.push_back({"SEL", Op::SEL, Unit::INT, true, mod_none, bind_sel, nullptr});
  t.push_back({"PRMT", Op::PRMT, Unit::INT, true, mod_none, bind_prmt, nullptr});
  t.push_back({"IABS", Op::IABS, Unit::INT, true, mod_none, bind_unary, nullptr});
  t.push_back({"IMNMX", Op::IMNMX, Unit::INT, true, mod_int_type, bind_sel, nullptr});
  t.push_back({"POPC", Op::POPC, Unit::INT, true, mod_none, bind_unary, nullptr});
  t.push_back({"FLO", Op::FLO, Unit::INT, true, mod_flo, bind_unary, nullptr});
  t.push_back({"BREV", Op::BREV, Unit::INT, true, mod_none, bind_unary, nullptr});
  t.push_back({"PLOP3", Op::PLOP3, Unit::INT, true, mod_lop3, bind_plop3, nullptr});
}

}  // namespace xpusim::isa
