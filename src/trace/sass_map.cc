#include "src/trace/sass_map.h"

#include <array>
#include <cctype>

#include "src/isa/opdefs.h"

namespace xpusim::trace {

namespace {

using isa::Unit;
using exec::Space;

// SASS names that differ from ours but time the same way: (SASS base, our opcode). Our
// opcode's OpDef then gives the unit and whether the latency is fixed.
constexpr std::array<std::pair<std::string_view, std::string_view>, 40> kAlias{{
    {"IADD", "IADD3"},   {"IADD32I", "IADD3"}, {"IMUL", "IMAD"},     {"IMUL32I", "IMAD"},   {"IMAD32I", "IMAD"},
    {"IMADSP", "IMAD"},  {"IDP", "IMAD"},      {"IDP4A", "IMAD"},    {"ISCADD", "LEA"},     {"LOP", "LOP3"},
    {"LOP32I", "LOP3"},  {"SHL", "SHF"},       {"SHR", "SHF"},       {"ICMP", "ISETP"},     {"ISET", "ISETP"},
    {"BMSK", "LOP3"},    {"SGXT", "SHF"},      {"P2R", "MOV"},       {"R2P", "MOV"},        {"LEPC", "MOV"},
    {"VIADD", "IADD3"},  {"VIMNMX", "IMNMX"},  {"VABSDIFF", "IADD3"}, {"VABSDIFF4", "IADD3"}, {"FADD32I", "FADD"},
    {"FMUL32I", "FMUL"}, {"FFMA32I", "FFMA"},  {"FSET", "FSETP"},    {"FCHK", "FSETP"},     {"FSWZADD", "FADD"},
    {"HADD2_32I", "HADD2"}, {"HMUL2_32I", "HMUL2"}, {"HFMA2_32I", "HFMA2"}, {"HSETP2", "HMNMX2"}, {"HSET2", "HMNMX2"},
    {"DMNMX", "DADD"},   {"I2I", "F2I"},       {"I2FP", "I2F"},      {"F2IP", "F2I"},       {"FRND", "F2F"},
}};

// Opcodes with no counterpart in our ISA, timed on a unit class of their own choosing.
struct Own {
  std::string_view sass;
  isa::Op op;
  Unit unit;
  bool fixed;
};
constexpr std::array<Own, 30> kOwn{{
    // control flow and convergence: the branch unit
    {"BRX", isa::Op::BRA, Unit::BRANCH, true},      {"JMP", isa::Op::BRA, Unit::BRANCH, true},
    {"JMX", isa::Op::BRA, Unit::BRANCH, true},      {"CALL", isa::Op::BRA, Unit::BRANCH, true},
    {"RET", isa::Op::BRA, Unit::BRANCH, true},      {"BREAK", isa::Op::NOP, Unit::BRANCH, true},
    {"BSSY", isa::Op::NOP, Unit::BRANCH, true},     {"BSYNC", isa::Op::NOP, Unit::BRANCH, true},
    {"BMOV", isa::Op::NOP, Unit::BRANCH, true},     {"BPT", isa::Op::NOP, Unit::BRANCH, true},
    {"KILL", isa::Op::NOP, Unit::BRANCH, true},     {"RPCMOV", isa::Op::NOP, Unit::BRANCH, true},
    {"YIELD", isa::Op::NOP, Unit::BRANCH, true},    {"NANOSLEEP", isa::Op::NOP, Unit::BRANCH, true},
    // fences, cache control, constant loads, special registers: the MISC unit
    {"MEMBAR", isa::Op::NOP, Unit::MISC, true},     {"FENCE", isa::Op::NOP, Unit::MISC, true},
    {"ERRBAR", isa::Op::NOP, Unit::MISC, true},     {"CCTL", isa::Op::NOP, Unit::MISC, true},
    {"CCTLL", isa::Op::NOP, Unit::MISC, true},      {"LDC", isa::Op::MOV, Unit::MISC, true},
    {"S2UR", isa::Op::S2R, Unit::MISC, false},      {"R2UR", isa::Op::MOV, Unit::MISC, true},
    {"B2R", isa::Op::MOV, Unit::MISC, true},        {"R2B", isa::Op::MOV, Unit::MISC, true},
    {"MATCH", isa::Op::VOTE, Unit::MISC, true},     {"VOTEU", isa::Op::VOTE, Unit::MISC, true},
    // tensor cores beyond HMMA/IMMA (Hopper's warpgroup MMAs included)
    {"BMMA", isa::Op::IMMA, Unit::TENSOR, true},    {"DMMA", isa::Op::HMMA, Unit::TENSOR, true},
    {"HGMMA", isa::Op::HMMA, Unit::TENSOR, true},   {"IGMMA", isa::Op::IMMA, Unit::TENSOR, true},
}};

// Memory behaviour by our opcode. The generic LD/ST arrive here as LDG/STG: the trace does not
// say which window a generic address falls in, so they count as global.
void set_memory(SassOp& s) {
  switch (s.op) {
    case isa::Op::LDG: case isa::Op::LDGSTS: s.space = Space::Global; break;
    case isa::Op::STG: s.space = Space::Global, s.store = true; break;
    case isa::Op::LDS: case isa::Op::LDSM: s.space = Space::Shared; break;
    case isa::Op::STS: s.space = Space::Shared, s.store = true; break;
    case isa::Op::LDL: s.space = Space::Local; break;
    case isa::Op::STL: s.space = Space::Local, s.store = true; break;
    case isa::Op::ATOM: case isa::Op::RED: s.space = Space::Global, s.store = s.atomic = true; break;
    case isa::Op::ATOMS: s.space = Space::Shared, s.store = s.atomic = true; break;
    default: break;
  }
}

bool from_ours(std::string_view name, SassOp& s) {
  const isa::OpDef* d = isa::find_op(name);
  if (!d) return false;
  s.op = d->op;
  s.unit = d->unit;
  s.fixed_latency = d->fixed_latency;
  return true;
}

}  // namespace

std::string_view base_opcode(std::string_view opcode) { return opcode.substr(0, opcode.find('.')); }

SassOp map_sass(std::string_view opcode) {
  const std::string_view base = base_opcode(opcode);
  SassOp s;
  bool found = false;
  // Generic loads and stores, and the global reductions/atomics under their SASS names.
  if (base == "LD") found = from_ours("LDG", s);
  else if (base == "ST") found = from_ours("STG", s);
  else if (base == "REDG") found = from_ours("RED", s);
  if (!found)
    for (const auto& [sass, ours] : kAlias)
      if (base == sass) found = from_ours(ours, s);
  if (!found)
    for (const Own& o : kOwn)
      if (base == o.sass) s.op = o.op, s.unit = o.unit, s.fixed_latency = o.fixed, found = true;
  if (!found) found = from_ours(base, s);
  // The uniform datapath (Turing on): UIADD3, UMOV, ULDC, ... run beside the vector units, one
  // per sub-core; MISC is the unit class with its own issue port that is closest.
  if (!found && base.size() > 1 && base[0] == 'U') {
    SassOp u;
    std::string_view rest = base.substr(1);
    if (rest == "LDC" || rest == "P2UR" || rest == "R2UP" || from_ours(rest, u) ||
        [&] {
          for (const auto& [sass, ours] : kAlias)
            if (rest == sass) return from_ours(ours, u);
          return false;
        }()) {
      s.op = isa::Op::MOV, s.unit = Unit::MISC, s.fixed_latency = true, found = true;
    }
  }
  if (!found) {  // documented: an issue slot on the INT unit, and counted by name
    s = SassOp{};
    s.known = false;
    return s;
  }
  set_memory(s);
  // BAR.ARV only arrives; BAR.SYNC, BAR.RED and plain BAR wait for the CTA.
  if (s.op == isa::Op::BAR) s.barrier = opcode.find(".ARV") == std::string_view::npos;
  return s;
}

bool mma_shape(std::string_view opcode, uint8_t& k, isa::DataType& ab) {
  const std::string_view base = base_opcode(opcode);
  const bool integer = base == "IMMA" || base == "IGMMA" || base == "BMMA";
  ab = integer ? isa::DataType::S8 : isa::DataType::F16;
  bool shape = false;
  size_t pos = base.size();
  while (pos < opcode.size()) {
    const size_t next = std::min(opcode.find('.', pos + 1), opcode.size());
    const std::string_view mod = opcode.substr(pos + 1, next - pos - 1);
    pos = next;
    if (!mod.empty() && std::isdigit(static_cast<unsigned char>(mod[0])) && !shape) {
      // "16816" = m16 n8 k16, "1688" = m16 n8 k8, "884" = m8 n8 k4, "16832" = m16 n8 k32
      const size_t m = mod.rfind("16", 0) == 0 ? 2 : 1;
      if (mod.size() <= m + 1) continue;
      const std::string_view kk = mod.substr(m + 1);
      int v = 0;
      for (char c : kk) {
        if (!std::isdigit(static_cast<unsigned char>(c))) { v = -1; break; }
        v = v * 10 + (c - '0');
      }
      if (v > 0 && v < 256) k = static_cast<uint8_t>(v), shape = true;
    } else if (mod == "BF16") {
      ab = isa::DataType::BF16;
    } else if (mod == "TF32") {
      ab = isa::DataType::TF32;
    } else if (mod == "E4M3") {
      ab = isa::DataType::E4M3;
    } else if (mod == "E5M2") {
      ab = isa::DataType::E5M2;
    } else if (mod == "U8") {
      ab = isa::DataType::U8;
    } else if (mod == "S4") {
      ab = isa::DataType::S4;
    } else if (mod == "U4") {
      ab = isa::DataType::U4;
    }
  }
  return shape;
}

}  // namespace xpusim::trace
