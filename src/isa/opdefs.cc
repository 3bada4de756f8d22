#include "src/isa/opdefs.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

namespace xpusim::isa {

const char* unit_name(Unit u) {
  static constexpr std::array<const char*, static_cast<size_t>(Unit::kCount)> kNames = {
      "INT", "FP32", "FP16", "FP64", "SFU", "TENSOR", "LSU", "BRANCH", "MISC"};
  return kNames[static_cast<size_t>(u)];
}

// ---- Binder ---------------------------------------------------------------------------

namespace {

std::string kinds_text(uint16_t kinds) {
  static constexpr std::pair<uint16_t, const char*> kNames[] = {
      {kR, "register"}, {kP, "predicate"},         {kI, "immediate"},          {kC, "constant c[...]"},
      {kM, "address [...]"}, {kS, "special register"}, {kL, "label"}, {kB, "barrier register B0-B15"},
      {kSB, "dependence counter SB0-SB5"}};
  std::string s;
  for (auto [bit, name] : kNames) {
    if (!(kinds & bit)) continue;
    if (!s.empty()) s += " or ";
    s += name;
  }
  return s;
}

uint16_t kind_bit(Opd k) {
  switch (k) {
    case Opd::Reg: return kR;
    case Opd::Pred: return kP;
    case Opd::Imm: return kI;
    case Opd::Const: return kC;
    case Opd::Mem: return kM;
    case Opd::SReg: return kS;
    case Opd::Label: return kL;
    case Opd::BReg: return kB;
    case Opd::SBReg: return kSB;
    case Opd::None: return 0;
  }
  return 0;
}

}  // namespace

bool Binder::is(size_t i, uint16_t kinds) const { return i < ops_.size() && (kind_bit(ops_[i].kind) & kinds); }

void Binder::fail(std::string msg) {
  if (error_.empty()) error_ = std::move(msg);
}

void Binder::count(size_t lo, size_t hi) {
  if (ops_.size() < lo || ops_.size() > hi) {
    if (lo == hi)
      fail(fmt::format("expects {} operand{}, got {}", lo, lo == 1 ? "" : "s", ops_.size()));
    else
      fail(fmt::format("expects {} to {} operands, got {}", lo, hi, ops_.size()));
  }
}

bool Binder::check(size_t i, uint16_t kinds) {
  if (i >= ops_.size()) {
    fail(fmt::format("operand {} is missing", i + 1));
    return false;
  }
  if (!(kind_bit(ops_[i].kind) & kinds)) {
    fail(fmt::format("operand {} must be a {}", i + 1, kinds_text(kinds)));
    return false;
  }
  return true;
}

void Binder::dst(size_t i, uint16_t kinds, uint8_t width) {
  if (!check(i, kinds)) return;
  if (in_.ndst >= in_.dst.size()) return fail("too many destination operands");
  Operand o = ops_[i];
  o.width = width;
  if (o.kind == Opd::Reg && (o.flags & (kNeg | kAbs | kNot)))
    return fail(fmt::format("operand {}: a destination register takes no -, | | or ~", i + 1));
  in_.dst[in_.ndst++] = o;
}

void Binder::src(size_t i, uint16_t kinds, uint8_t width) {
  if (!check(i, kinds)) return;
  if (in_.nsrc >= in_.src.size()) return fail("too many source operands");
  Operand o = ops_[i];
  o.width = width;
  in_.src[in_.nsrc++] = o;
}

void Binder::src_pred_true() {
  Operand o;
  o.kind = Opd::Pred;
  o.reg = kPT;
  in_.src[in_.nsrc++] = o;
}

void Binder::dst_pred_true() {
  Operand o;
  o.kind = Opd::Pred;
  o.reg = kPT;
  in_.dst[in_.ndst++] = o;
}

// ---- vocabulary -------------------------------------------------------------------------

bool parse_cmp(std::string_view tok, uint8_t& cmp) {
  static const std::map<std::string_view, Cmp, std::less<>> kCmp = {
      {"F", Cmp::F},       {"LT", Cmp::LT},   {"EQ", Cmp::EQ},   {"LE", Cmp::LE},   {"GT", Cmp::GT},
      {"NE", Cmp::NE},     {"GE", Cmp::GE},   {"T", Cmp::T},     {"NUM", Cmp::NUM}, {"NAN", Cmp::NAN_},
      {"LTU", Cmp::LTU},   {"EQU", Cmp::EQU}, {"LEU", Cmp::LEU}, {"GTU", Cmp::GTU}, {"NEU", Cmp::NEU},
      {"GEU", Cmp::GEU}};
  auto it = kCmp.find(tok);
  if (it == kCmp.end()) return false;
  cmp = static_cast<uint8_t>(it->second);
  return true;
}

bool parse_bop(std::string_view tok, uint8_t& bop) {
  if (tok == "AND") bop = static_cast<uint8_t>(BoolOp::AND);
  else if (tok == "OR") bop = static_cast<uint8_t>(BoolOp::OR);
  else if (tok == "XOR") bop = static_cast<uint8_t>(BoolOp::XOR);
  else return false;
  return true;
}

bool parse_rnd(std::string_view tok, uint8_t& rnd) {
  static const std::map<std::string_view, Rnd, std::less<>> kRnd = {
      {"RN", Rnd::RN},   {"RZ", Rnd::RZ},   {"RM", Rnd::RM},   {"RP", Rnd::RP},  {"RNA", Rnd::RNA},
      {"RNI", Rnd::RNI}, {"RZI", Rnd::RZI}, {"RMI", Rnd::RMI}, {"RPI", Rnd::RPI}, {"TRUNC", Rnd::RZI},
      {"FLOOR", Rnd::RMI}, {"CEIL", Rnd::RPI}};
  auto it = kRnd.find(tok);
  if (it == kRnd.end()) return false;
  rnd = static_cast<uint8_t>(it->second);
  return true;
}

namespace {
constexpr std::pair<std::string_view, DataType> kTypes[] = {
    {"U8", DataType::U8},       {"S8", DataType::S8},       {"U16", DataType::U16},    {"S16", DataType::S16},
    {"U32", DataType::U32},     {"S32", DataType::S32},     {"U64", DataType::U64},    {"S64", DataType::S64},
    {"U4", DataType::U4},       {"S4", DataType::S4},       {"F16", DataType::F16},    {"BF16", DataType::BF16},
    {"F32", DataType::F32},     {"F64", DataType::F64},     {"TF32", DataType::TF32},  {"E4M3", DataType::E4M3},
    {"E5M2", DataType::E5M2},   {"E3M2", DataType::E3M2},   {"E2M3", DataType::E2M3},  {"E2M1", DataType::E2M1},
    {"UE8M0", DataType::UE8M0}, {"UE4M3", DataType::UE4M3}, {"F16x2", DataType::F16x2}, {"BF16x2", DataType::BF16x2},
};
}  // namespace

bool parse_dtype(std::string_view tok, uint8_t& type) {
  for (auto [name, t] : kTypes) {
    if (name == tok) {
      type = static_cast<uint8_t>(t);
      return true;
    }
  }
  return false;
}

std::string_view dtype_token(DataType t) {
  for (auto [name, tt] : kTypes)
    if (tt == t) return name;
  return "?";
}

bool is_hint_mod(std::string_view tok) {
  static constexpr std::string_view kHints[] = {
      "E",        "STRONG",  "GPU",  "SYS",     "SM",    "CTA",       "CONSTANT", "WEAK",    "EF",
      "EL",       "LU",      "EU",   "NA",      "LTC64B", "LTC128B", "LTC256B", "BYPASS", "PRIVATE",
      "MMIO",     "ZD",      "DEFER_BLOCKING", "SYNC_ONLY", "U", "ALIGN", "CONV"};
  return std::find(std::begin(kHints), std::end(kHints), tok) != std::end(kHints);
}

// ---- the table ----------------------------------------------------------------------------

namespace {

struct Table {
  std::vector<OpDef> defs;
  std::map<std::string_view, size_t, std::less<>> by_name;
  std::array<size_t, static_cast<size_t>(Op::kCount)> by_op{};

  Table() {
    register_int_ops(defs);
    register_float_ops(defs);
    register_sfu_ops(defs);
    register_mem_ops(defs);
    register_ctrl_ops(defs);
    register_tensor_ops(defs);
    by_op.fill(SIZE_MAX);
    for (size_t i = 0; i < defs.size(); ++i) {
      by_name.emplace(defs[i].name, i);
      if (by_op[static_cast<size_t>(defs[i].op)] == SIZE_MAX) by_op[static_cast<size_t>(defs[i].op)] = i;
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

const OpDef* find_op(std::string_view name) {
  const Table& t = table();
  auto it = t.by_name.find(name);
  return it == t.by_name.end() ? nullptr : &t.defs[it->second];
}

const OpDef& op_def(Op op) {
  const Table& t = table();
  return t.defs[t.by_op[static_cast<size_t>(op)]];
}

std::vector<std::string_view> all_op_names() {
  std::vector<std::string_view> names;
  for (const auto& d : table().defs) names.push_back(d.name);
  return names;
}

}  // namespace xpusim::isa
