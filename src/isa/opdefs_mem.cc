// Memory opcodes (semantics: docs/isa.md, src/exec/ops_mem.cc). Global addresses are
// 64-bit register pairs ([R2] or [R2.64]); shared and local addresses are 32-bit byte
// offsets into the CTA's shared memory or the thread's local memory.
#include "src/isa/opdefs.h"
#include "src/isa/opdefs_util.h"

namespace xpusim::isa {
namespace {

// Access size per lane in Mods::size (bytes); S8/S16 set kSigned.
bool mod_size(std::string_view t, Mods& m) {
  if (t == "U8") return m.size = 1, true;
  if (t == "S8") return m.size = 1, m.flags |= kSigned, true;
  if (t == "U16") return m.size = 2, true;
  if (t == "S16") return m.size = 2, m.flags |= kSigned, true;
  if (t == "32") return m.size = 4, true;
  if (t == "64") return m.size = 8, true;
  if (t == "128") return m.size = 16, true;
  return false;
}

// Cache hints that keep an access out of the SM's L1: .BYPASS (cp.async.cg), and GPU or system
// scope (.STRONG.GPU / .STRONG.SYS: ld.cg and ld.volatile compile to these on sm_70+, since
// the SM's L1 is not coherent).
void mod_cache(std::string_view t, Mods& m) {
  if (t == "BYPASS" || t == "GPU" || t == "SYS") m.flags |= kBypassL1;
}

bool mod_ldst(std::string_view t, Mods& m) {
  if (mod_size(t, m)) return true;
  mod_cache(t, m);
  return is_hint_mod(t);
}

uint8_t data_regs(const Mods& m) { return m.size <= 4 ? 1 : m.size / 4; }

void bind_load(Binder& b, Inst& in, uint8_t addr_width) {
  b.count(2, 2);
  if (in.m.size == 0) in.m.size = 4;
  b.dst(0, kR, data_regs(in.m));
  b.src(1, kM, addr_width);
}
void bind_store(Binder& b, Inst& in, uint8_t addr_width) {
  b.count(2, 2);
  if (in.m.size == 0) in.m.size = 4;
  b.src(0, kM, addr_width);
  b.src(1, kR, data_regs(in.m));
}
void bind_ldg(Binder& b, Inst& in) { bind_load(b, in, 2); }
void bind_stg(Binder& b, Inst& in) { bind_store(b, in, 2); }
void bind_lds(Binder& b, Inst& in) { bind_load(b, in, 1); }
void bind_sts(Binder& b, Inst& in) { bind_store(b, in, 1); }

// ---- atomics: ATOM.op[.type] Rd, [addr], Rb [, Rc]; RED.op[.type] [addr], Rb ----
constexpr std::string_view kAtomOps[] = {"", "ADD", "MIN", "MAX", "INC", "DEC", "AND", "OR", "XOR", "EXCH", "CAS"};

bool mod_atom(std::string_view t, Mods& m) {
  for (size_t i = 1; i < std::size(kAtomOps); ++i)
    if (t == kAtomOps[i]) return m.func = static_cast<uint8_t>(i), true;
  if (t == "U32" || t == "S32" || t == "U64" || t == "S64" || t == "F32" || t == "F64" || t == "F16x2" ||
      t == "BF16x2")
    return parse_dtype(t, m.type);
  if (t == "64") return m.type = static_cast<uint8_t>(DataType::U64), true;
  if (t == "FTZ" || t == "RN") return true;  // FP32 atomics round to nearest and flush denormals
  return is_hint_mod(t);
}

uint8_t atom_width(const Mods& m) {
  const auto t = static_cast<DataType>(m.type);
  return (t == DataType::U64 || t == DataType::S64 || t == DataType::F64) ? 2 : 1;
}

void bind_atom_common(Binder& b, Inst& in, uint8_t addr_width, bool has_result) {
  if (in.m.type == 0) in.m.type = static_cast<uint8_t>(DataType::U32);
  const uint8_t w = atom_width(in.m);
  in.m.size = w * 4;
  size_t i = 0;
  if (has_result && b.is(0, kP)) ++i;  // SASS prints a predicate result first (usually PT): ignored
  if (has_result) b.dst(i++, kR, w);
  b.src(i++, kM, addr_width);
  b.src(i++, kR, w);
  if (in.m.func == 10) b.src(i++, kR, w);  // CAS: compare value, then new value
  if (i != b.size()) b.fail("wrong number of operands (CAS takes a compare and a swap value)");
}
void bind_atom(Binder& b, Inst& in) { bind_atom_common(b, in, 2, true); }
void bind_atoms(Binder& b, Inst& in) { bind_atom_common(b, in, 1, true); }
void bind_red(Binder& b, Inst& in) { bind_atom_common(b, in, 2, false); }

std::string check_atom(const Inst& in) {
  if (in.m.func == 0) return "needs an operation: .ADD .MIN .MAX .INC .DEC .AND .OR .XOR .EXCH .CAS";
  const auto t = static_cast<DataType>(in.m.type);
  const bool fl = t == DataType::F32 || t == DataType::F64 || t == DataType::F16x2 || t == DataType::BF16x2;
  if (fl && in.m.func != 1 && in.m.func != 9) return "floating-point atomics support .ADD and .EXCH only";
  if (in.op == Op::RED && (in.m.func == 9 || in.m.func == 10)) return "RED cannot .EXCH or .CAS (use ATOM)";
  return "";
}

// ---- LDGSTS[.size][.ZFILL] [smem], [gmem] [, Pcopy] ----
bool mod_ldgsts(std::string_view t, Mods& m) {
  if (t == "ZFILL") return m.flags |= kZfill, true;
  if (t == "32") return m.size = 4, true;
  if (t == "64") return m.size = 8, true;
  if (t == "128") return m.size = 16, true;
  mod_cache(t, m);
  return is_hint_mod(t);
}
void bind_ldgsts(Binder& b, Inst& in) {
  if (in.m.size == 0) in.m.size = 16;
  b.count((in.m.flags & kZfill) ? 3 : 2, (in.m.flags & kZfill) ? 3 : 2);
  b.src(0, kM, 1);
  b.src(1, kM, 2);
  if (in.m.flags & kZfill) b.src(2, kP);
}

// ---- LDSM.16.{M88,MT88}.{1,2,4} Rd, [addr] ----
bool mod_ldsm(std::string_view t, Mods& m) {
  if (t == "16") return true;
  if (t == "M88") return m.flags &= ~kTrans, m.func = 1, true;
  if (t == "MT88") return m.flags |= kTrans, m.func = 1, true;
  if (t == "1" || t == "2" || t == "4") return m.size = static_cast<uint8_t>(t[0] - '0'), true;
  return false;
}
void bind_ldsm(Binder& b, Inst& in) {
  b.count(2, 2);
  b.dst(0, kR, in.m.size ? in.m.size : 1);
  b.src(1, kM, 1);
}
std::string check_ldsm(const Inst& in) {
  if (in.m.func == 0) return "LDSM needs .M88 or .MT88";
  if (in.m.size == 0) return "LDSM needs a matrix count: .1, .2 or .4";
  return "";
}

}  // namespace

void register_mem_ops(std::vector<OpDef>& t) {
  t.push_back({"LDG", Op::LDG, Unit::LSU, false, mod_ldst, bind_ldg, nullptr});
  t.push_back({"STG", Op::STG, Unit::LSU, false, mod_ldst, bind_stg, nullptr});
  t.push_back({"LDS", Op::LDS, Unit::LSU, false, mod_ldst, bind_lds, nullptr});
  t.push_back({"STS", Op::STS, Unit::LSU, false, mod_ldst, bind_sts, nullptr});
  t.push_back({"LDL", Op::LDL, Unit::LSU, false, mod_ldst, bind_lds, nullptr});
  t.push_back({"STL", Op::STL, Unit::LSU, false, mod_ldst, bind_sts, nullptr});
  t.push_back({"ATOM", Op::ATOM, Unit::LSU, false, mod_atom, bind_atom, check_atom});
  t.push_back({"ATOMG", Op::ATOM, Unit::LSU, false, mod_atom, bind_atom, check_atom});
  t.push_back({"ATOMS", Op::ATOMS, Unit::LSU, false, mod_atom, bind_atoms, check_atom});
  t.push_back({"RED", Op::RED, Unit::LSU, false, mod_atom, bind_red, check_atom});
  t.push_back({"LDGSTS", Op::LDGSTS, Unit::LSU, false, mod_ldgsts, bind_ldgsts, nullptr});
  t.push_back({"LDSM", Op::LDSM, Unit::LSU, false, mod_ldsm, bind_ldsm, check_ldsm});
}

}  // namespace xpusim::isa
