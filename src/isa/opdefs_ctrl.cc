// Control flow, barriers, special registers and warp-wide operations
// (semantics: docs/isa.md, src/exec/ops_ctrl.cc).
#include "src/isa/opdefs.h"
#include "src/isa/opdefs_util.h"

namespace xpusim::isa {
namespace {

void bind_none(Binder& b, Inst&) { b.count(0, 0); }

// ---- S2R Rd, SR_x ----
void bind_s2r(Binder& b, Inst&) {
  b.count(2, 2);
  b.dst(0, kR);
  b.src(1, kS);
}

// ---- SHFL.{IDX,UP,DOWN,BFLY} [Pd,] Rd, Ra, b, c ----
constexpr std::string_view kShfl[] = {"", "IDX", "UP", "DOWN", "BFLY"};
bool mod_shfl(std::string_view t, Mods& m) {
  for (size_t i = 1; i < std::size(kShfl); ++i)
    if (t == kShfl[i]) return m.func = static_cast<uint8_t>(i), true;
  return is_hint_mod(t);
}
void bind_shfl(Binder& b, Inst& in) {
  size_t i = 0;
  if (b.is(0, kP)) b.dst(i++, kP);
  else b.dst_pred_true();
  b.dst(i++, kR);
  b.src(i++, kR);
  b.src(i++, kRIC);
  b.src(i++, kRIC);
  if (i != b.size()) b.fail("SHFL takes [Pd,] Rd, Ra, lane-or-offset, clamp-and-segment");
  if (in.ndst == 2) std::swap(in.dst[0], in.dst[1]);  // dst[0] = Rd, dst[1] = Pd
}
std::string check_shfl(const Inst& in) { return in.m.func ? "" : "SHFL needs a mode: .IDX .UP .DOWN .BFLY"; }

// ---- VOTE.{ALL,ANY,EQ} [Rd,] [Pd,] Pa ----
constexpr std::string_view kVote[] = {"", "ALL", "ANY", "EQ"};
bool mod_vote(std::string_view t, Mods& m) {
  for (size_t i = 1; i < std::size(kVote); ++i)
    if (t == kVote[i]) return m.func = static_cast<uint8_t>(i), true;
  return is_hint_mod(t);
}
void bind_vote(Binder& b, Inst& in) {
  b.count(1, 3);
  size_t i = 0;
  Operand rz;
  rz.kind = Opd::Reg;
  rz.reg = kRZ;
  if (b.is(0, kR)) b.dst(i++, kR);
  else in.dst[in.ndst++] = rz;  // no ballot register
  if (b.size() - i == 2) b.dst(i++, kP);
  else b.dst_pred_true();
  b.src(i++, kP);
  if (i != b.size()) b.fail("VOTE takes [Rd,] [Pd,] Pa");
}
std::string check_vote(const Inst& in) { return in.m.func ? "" : "VOTE needs a mode: .ALL .ANY .EQ"; }

// ---- REDUX.{SUM,MIN,MAX,AND,OR,XOR}[.S32] Rd, Ra ----
constexpr std::string_view kRedux[] = {"", "SUM", "MIN", "MAX", "AND", "OR", "XOR"};
bool mod_redux(std::string_view t, Mods& m) {
  for (size_t i = 1; i < std::size(kRedux); ++i)
    if (t == kRedux[i]) return m.func = static_cast<uint8_t>(i), true;
  if (t == "S32" || t == "U32") return parse_dtype(t, m.type);
  return is_hint_mod(t);
}
void bind_redux(Binder& b, Inst&) {
  b.count(2, 2);
  b.dst(0, kR);
  b.src(1, kR);
}
std::string check_redux(const Inst& in) { return in.m.func ? "" : "REDUX needs an operation: .SUM .MIN .MAX .AND .OR .XOR"; }

// ---- BRA label ; BSSY Bx, label ; BSYNC Bx ; EXIT ----
bool mod_bra(std::string_view t, Mods&) { return t == "U" || t == "DIV" || t == "UNI" || is_hint_mod(t); }
void bind_bra(Binder& b, Inst&) {
  b.count(1, 1);
  b.src(0, kL);
}
void bind_bssy(Binder& b, Inst&) {
  b.count(2, 2);
  b.src(0, kB);
  b.src(1, kL);
}
void bind_bsync(Binder& b, Inst&) {
  b.count(1, 1);
  b.src(0, kB);
}

// ---- BAR.SYNC [id [, thread count]] ----
bool mod_bar(std::string_view t, Mods& m) {
  if (t == "SYNC") return m.func = 1, true;
  return is_hint_mod(t);
}
void bind_bar(Binder& b, Inst&) {
  b.count(0, 2);
  for (size_t i = 0; i < b.size(); ++i) b.src(i, kR | kI);
}
std::string check_bar(const Inst& in) {
  if (in.m.func != 1) return "BAR needs .SYNC";
  if (in.nsrc >= 1 && in.src[0].kind == Opd::Imm && (in.src[0].imm < 0 || in.src[0].imm > 15))
    return "barrier id must be 0..15";
  if (in.nsrc >= 2 && in.src[1].kind == Opd::Imm && (in.src[1].imm <= 0 || in.src[1].imm % 32 != 0))
    return "barrier thread count must be a positive multiple of 32";
  return "";
}

// ---- WARPSYNC mask ----
void bind_warpsync(Binder& b, Inst&) {
  b.count(1, 1);
  b.src(0, kRIC);
}

// ---- LDGDEPBAR ; DEPBAR.LE SBx, N ----
bool mod_depbar(std::string_view t, Mods& m) {
  if (t == "LE") return m.func = 1, true;
  return is_hint_mod(t);
}
void bind_depbar(Binder& b, Inst&) {
  b.count(2, 2);
  b.src(0, kSB);
  b.src(1, kI);
}
std::string check_depbar(const Inst& in) {
  if (in.m.func != 1) return "DEPBAR needs .LE";
  if (in.src[1].imm < 0 || in.src[1].imm > 63) return "DEPBAR count must be 0..63";
  return "";
}

}  // namespace

void register_ctrl_ops(std::vector<OpDef>& t) {
  t.push_back({"S2R", Op::S2R, Unit::MISC, false, mod_none, bind_s2r, nullptr});
  t.push_back({"CS2R", Op::S2R, Unit::MISC, false, mod_none, bind_s2r, nullptr});
  t.push_back({"SHFL", Op::SHFL, Unit::LSU, false, mod_shfl, bind_shfl, check_shfl});
  t.push_back({"VOTE", Op::VOTE, Unit::MISC, true, mod_vote, bind_vote, check_vote});
  t.push_back({"REDUX", Op::REDUX, Unit::MISC, true, mod_redux, bind_redux, check_redux});
  t.push_back({"BRA", Op::BRA, Unit::BRANCH, true, mod_bra, bind_bra, nullptr});
  t.push_back({"BSSY", Op::BSSY, Unit::BRANCH, true, mod_none, bind_bssy, nullptr});
  t.push_back({"BSYNC", Op::BSYNC, Unit::BRANCH, true, mod_none, bind_bsync, nullptr});
  t.push_back({"EXIT", Op::EXIT, Unit::BRANCH, true, mod_none, bind_none, nullptr});
  t.push_back({"BAR", Op::BAR, Unit::MISC, true, mod_bar, bind_bar, check_bar});
  t.push_back({"NOP", Op::NOP, Unit::MISC, true, mod_none, bind_none, nullptr});
  t.push_back({"WARPSYNC", Op::WARPSYNC, Unit::MISC, true, mod_none, bind_warpsync, nullptr});
  t.push_back({"LDGDEPBAR", Op::LDGDEPBAR, Unit::MISC, true, mod_none, bind_none, nullptr});
  t.push_back({"DEPBAR", Op::DEPBAR, Unit::MISC, true, mod_depbar, bind_depbar, check_depbar});
}

}  // namespace xpusim::isa
