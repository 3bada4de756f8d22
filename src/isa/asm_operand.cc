#include "src/isa/asm_operand.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

namespace xpusim::isa {
namespace {

constexpr std::array<const char*, static_cast<size_t>(SReg::kCount)> kSRegNames = {
    "SR_TID.X",    "SR_TID.Y",     "SR_TID.Z",        "SR_CTAID.X",     "SR_CTAID.Y",     "SR_CTAID.Z",
    "SR_NTID.X",   "SR_NTID.Y",    "SR_NTID.Z",       "SR_NCTAID.X",    "SR_NCTAID.Y",    "SR_NCTAID.Z",
    "SR_LANEID",   "SR_WARPID",    "SR_SMID",         "SR_CLOCKLO",     "SR_CLOCKHI",     "SR_LANEMASK_EQ",
    "SR_LANEMASK_LT", "SR_LANEMASK_LE", "SR_LANEMASK_GT", "SR_LANEMASK_GE"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_ident(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  return true;
}

// "R12" -> 12, "RZ" -> kRZ; false if not a register name.
bool parse_reg_name(std::string_view s, uint8_t& reg) {
  if (s == "RZ") return reg = kRZ, true;
  if (s.size() < 2 || s[0] != 'R') return false;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v >= kMaxRegs) return false;
  reg = static_cast<uint8_t>(v);
  return true;
}

// Register suffixes: .reuse .H0 .H1 .H0_H0 .H1_H1 .B0-.B3 .64
bool apply_reg_suffix(std::string_view suf, Operand& o) {
  static constexpr std::pair<std::string_view, Sel> kSel[] = {
      {"H0", Sel::H0}, {"H1", Sel::H1}, {"H0_H0", Sel::H0_H0}, {"H1_H1", Sel::H1_H1},
      {"B0", Sel::B0}, {"B1", Sel::B1}, {"B2", Sel::B2},       {"B3", Sel::B3}};
  if (suf == "reuse" || suf == "REUSE") return o.flags |= kReuse, true;
  if (suf == "64") return o.flags |= kWide, true;
  for (auto [name, sel] : kSel)
    if (suf == name) return o.sel = sel, true;
  return false;
}

bool parse_register(std::string_view s, Operand& o, std::string* err) {
  const size_t dot = s.find('.');
  if (s.substr(0, dot) == "R255") {
    *err = "registers are R0..R254; R255 is the zero register, written RZ";
    return true;
  }
  if (!parse_reg_name(s.substr(0, dot), o.reg)) return false;
  o.kind = Opd::Reg;
  while (dot != std::string_view::npos && !s.empty()) {
    s = s.substr(s.find('.') + 1);
    const size_t next = s.find('.');
    const std::string_view suf = s.substr(0, next);
    if (!apply_reg_suffix(suf, o)) {
      *err = fmt::format("unknown register suffix .{}", suf);
      return true;
    }
    if (next == std::string_view::npos) break;
  }
  return true;
}

bool parse_float(std::string_view s, double& v) {
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "INF" || body == "inf") return v = neg ? -INFINITY : INFINITY, true;
  if (body == "NAN" || body == "nan" || body == "QNAN") return v = NAN, true;
  if (body.size() == 10 && body.substr(0, 2) == "0f") {  // 0f3f800000: exact FP32 bits
    uint32_t bits = 0;
    auto [p, ec] = std::from_chars(body.data() + 2, body.data() + body.size(), bits, 16);
    if (ec != std::errc() || p != body.data() + body.size()) return false;
    float f;
    std::memcpy(&f, &bits, 4);
    return v = neg ? -static_cast<double>(f) : static_cast<double>(f), true;
  }
  if (body.find_first_of(".eE") == std::string_view::npos || body.substr(0, 2) == "0x") return false;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec != std::errc() || p != body.data() + body.size()) return false;
  if (neg) v = -v;
  return true;
}

bool parse_sreg(std::string_view s, Operand& o) {
  for (size_t i = 0; i < kSRegNames.size(); ++i) {
    if (s == kSRegNames[i]) {
      o.kind = Opd::SReg;
      o.reg = static_cast<uint8_t>(i);
      return true;
    }
  }
  return false;
}

// Splits "a+b-c" into signed terms at top level.
std::vector<std::pair<int, std::string_view>> split_terms(std::string_view s) {
  std::vector<std::pair<int, std::string_view>> terms;
  int sign = 1;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || ((s[i] == '+' || s[i] == '-') && i > start)) {
      // a sign right after 'e'/'E' inside a number is part of it; xasm addresses are integers
      terms.emplace_back(sign, trim(s.substr(start, i - start)));
      if (i < s.size()) sign = s[i] == '-' ? -1 : 1;
      start = i + 1;
    } else if ((s[i] == '+' || s[i] == '-') && i == start) {
      sign = s[i] == '-' ? -sign : sign;
      start = i + 1;
    }
  }
  return terms;
}

// [R2+0x10], [R2.64-8], [0x100], [sA+R4+16]
bool parse_mem(std::string_view inner, const Symbols& syms, Operand& o, std::string* err) {
  o.kind = Opd::Mem;
  o.reg = kRZ;
  bool have_reg = false;
  for (auto [sign, t] : split_terms(inner)) {
    if (t.empty()) return *err = "empty term in address", false;
    Operand r;
    std::string rerr;
    if (parse_register(t, r, &rerr)) {
      if (!rerr.empty()) return *err = rerr, false;
      if (have_reg) return *err = "an address takes at most one register", false;
      if (sign < 0) return *err = "an address register cannot be subtracted", false;
      if (r.sel != Sel::None || (r.flags & kReuse))
        return *err = "an address register takes no suffix but .64", false;
      have_reg = true;
      o.reg = r.reg;
      o.flags |= r.flags & kWide;
      continue;
    }
    int64_t v;
    if (parse_int(t, v)) {
      o.imm += sign * v;
      continue;
    }
    auto it = syms.shared.find(t);
    if (it == syms.shared.end()) return *err = fmt::format("unknown symbol '{}' in address", t), false;
    o.imm += sign * static_cast<int64_t>(it->second);
  }
  return true;
}

// c[name], c[name+4], c[0x10], c[0x0][0x10]
bool parse_const(std::string_view s, const Symbols& syms, Operand& o, std::string* err) {
  o.kind = Opd::Const;
  std::string_view inner = s.substr(2, s.find(']') - 2);
  std::string_view rest = s.substr(s.find(']') + 1);
  if (!rest.empty()) {  // c[bank][offset]
    int64_t bank;
    if (!parse_int(inner, bank) || bank != 0) return *err = "only constant bank 0 exists", false;
    if (rest.size() < 2 || rest.front() != '[' || rest.back() != ']') return *err = "malformed c[bank][offset]", false;
    inner = rest.substr(1, rest.size() - 2);
  }
  static constexpr std::pair<std::string_view, uint32_t> kBuiltins[] = {
      {"ntid.x", kCbNtid},       {"ntid.y", kCbNtid + 4},       {"ntid.z", kCbNtid + 8},
      {"nctaid.x", kCbNctaid},   {"nctaid.y", kCbNctaid + 4},   {"nctaid.z", kCbNctaid + 8}};
  for (auto [sign, t] : split_terms(inner)) {
    int64_t v;
    if (parse_int(t, v)) {
      o.imm += sign * v;
      continue;
    }
    bool found = false;
    for (auto [name, off] : kBuiltins)
      if (t == name) o.imm += sign * static_cast<int64_t>(off), found = true;
    if (found) continue;
    auto it = syms.params.find(t);
    if (it == syms.params.end()) return *err = fmt::format("unknown parameter '{}' in c[...]", t), false;
    o.imm += sign * static_cast<int64_t>(it->second);
  }
  if (o.imm < 0 || o.imm % 4 != 0) return *err = "constant offset must be a non-negative multiple of 4", false;
  return true;
}

}  // namespace

const char* sreg_name(SReg r) { return kSRegNames[static_cast<size_t>(r)]; }

bool parse_int(std::string_view s, int64_t& v) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t u = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), u, base);
  if (ec != std::errc() || p != s.data() + s.size()) return false;
  v = neg ? -static_cast<int64_t>(u) : static_cast<int64_t>(u);
  return true;
}

bool parse_operand(std::string_view text, const Symbols& syms, Operand& out, std::string* err) {
  std::string_view s = trim(text);
  out = Operand{};
  if (s.empty()) return *err = "empty operand", false;
  // Prefixes: - (negate), ! (predicate not), ~ (bitwise not), |x| (absolute value).
  uint8_t flags = 0;
  if (s[0] == '!') flags |= kNot, s.remove_prefix(1);
  else if (s[0] == '~') flags |= kNot, s.remove_prefix(1);
  if (s.size() > 1 && s[0] == '-' && !std::isdigit(static_cast<unsigned char>(s[1])) && s[1] != '.' &&
      s.substr(1) != "INF" && s.substr(1) != "inf" && s.substr(1) != "NAN" && s.substr(1) != "nan")
    flags |= kNeg, s.remove_prefix(1);
  if (s.size() >= 2 && s.front() == '|' && s.back() == '|') flags |= kAbs, s = trim(s.substr(1, s.size() - 2));
  if (s.empty()) return *err = "empty operand", false;

  bool ok = true;
  if (s.front() == '[') {
    if (s.back() != ']') return *err = "missing ']' in address", false;
    ok = parse_mem(trim(s.substr(1, s.size() - 2)), syms, out, err);
  } else if (s.size() > 2 && s[0] == 'c' && s[1] == '[') {
    ok = parse_const(s, syms, out, err);
  } else if (parse_register(s, out, err)) {
    ok = err->empty();
  } else if (s == "PT" || (s.size() == 2 && s[0] == 'P' && s[1] >= '0' && s[1] <= '6')) {
    out.kind = Opd::Pred;
    out.reg = s == "PT" ? kPT : static_cast<uint8_t>(s[1] - '0');
  } else if (s.size() >= 2 && s[0] == 'B' && std::isdigit(static_cast<unsigned char>(s[1]))) {
    int64_t b;
    if (!parse_int(s.substr(1), b) || b > 15) return *err = "barrier registers are B0..B15", false;
    out.kind = Opd::BReg;
    out.reg = static_cast<uint8_t>(b);
  } else if (s.size() == 3 && s.substr(0, 2) == "SB" && s[2] >= '0' && s[2] <= '5') {
    out.kind = Opd::SBReg;
    out.reg = static_cast<uint8_t>(s[2] - '0');
  } else if (s.substr(0, 3) == "SR_") {
    if (!parse_sreg(s, out)) return *err = fmt::format("unknown special register {}", s), false;
  } else if (int64_t v; parse_int(s, v)) {
    out.kind = Opd::Imm;
    out.imm = v;
  } else if (double d; parse_float(s, d)) {
    out.kind = Opd::Imm;
    out.fimm = d;
    out.flags |= kFloatLit;
  } else if (is_ident(s)) {
    if (auto it = syms.shared.find(s); it != syms.shared.end()) {
      out.kind = Opd::Imm;
      out.imm = it->second;
    } else if (auto lt = syms.labels.find(s); lt != syms.labels.end()) {
      out.kind = Opd::Label;
      out.imm = lt->second;
    } else {
      return *err = fmt::format("unknown label or symbol '{}'", s), false;
    }
  } else {
    return *err = fmt::format("cannot read operand '{}'", s), false;
  }
  if (!ok) return false;
  if ((flags & kNot) && out.kind != Opd::Pred && out.kind != Opd::Reg && out.kind != Opd::Imm)
    return *err = "'!' and '~' apply to predicates and registers", false;
  if ((flags & (kNeg | kAbs)) && out.kind != Opd::Reg && out.kind != Opd::Const)
    return *err = "'-' and '| |' apply to registers and constants", false;
  if (out.kind == Opd::Imm && (flags & kNot)) out.imm = ~out.imm;
  else out.flags |= flags;
  return true;
}

}  // namespace xpusim::isa
