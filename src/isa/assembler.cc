#include "src/isa/assembler.h"

#include <algorithm>
#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "src/isa/asm_operand.h"
#include "src/isa/ctrl_pass.h"
#include "src/isa/opdefs.h"
#include "src/isa/opdefs_util.h"

namespace xpusim::isa {

LatencyTable LatencyTable::defaults() {
  // Dependent-issue latencies of an Ampere SM (docs/isa.md lists the sources); machine
  // configs override them with their own unit latencies.
  LatencyTable t;
  auto set = [&](Unit u, uint8_t c) { t.cycles[static_cast<size_t>(u)] = c; };
  set(Unit::INT, 4);
  set(Unit::FP32, 4);
  set(Unit::FP16, 5);
  set(Unit::FP64, 8);
  set(Unit::SFU, 14);
  set(Unit::TENSOR, 24);
  set(Unit::LSU, 30);
  set(Unit::BRANCH, 2);
  set(Unit::MISC, 2);
  return t;
}

namespace {

struct Token {
  std::string text;
  int col = 0;  // 1-based
};

// One instruction line after pass 1 (operands still text).
struct Stmt {
  int line;
  Token ctrl;       // "[...]" or empty
  Token guard;      // "@P0" / "@!P0" or empty
  Token opcode;     // "ISETP.GE.AND"
  std::vector<Token> operands;
  std::string text;
};

struct PendingKernel {
  Kernel k;
  int line;
  std::vector<Stmt> stmts;
  Symbols syms;
  uint32_t shared_top = 0;
  bool has_regs = false;
};

std::string_view trim(std::string_view s, int* lead = nullptr) {
  int n = 0;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1), ++n;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (lead) *lead += n;
  return s;
}

std::vector<Token> split_words(std::string_view s, int col0) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    const size_t st = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > st) out.push_back({std::string(s.substr(st, i - st)), col0 + static_cast<int>(st)});
  }
  return out;
}

// Splits operands at top-level commas (not inside [...] or |...|).
std::vector<Token> split_operands(std::string_view s, int col0) {
  std::vector<Token> out;
  int depth = 0;
  bool bar = false;
  size_t st = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || (s[i] == ',' && depth == 0 && !bar)) {
      int lead = 0;
      std::string_view t = trim(s.substr(st, i - st), &lead);
      out.push_back({std::string(t), col0 + static_cast<int>(st) + lead});
      st = i + 1;
    } else if (s[i] == '[') {
      ++depth;
    } else if (s[i] == ']') {
      --depth;
    } else if (s[i] == '|') {
      bar = !bar;
    }
  }
  if (out.size() == 1 && out[0].text.empty()) out.clear();
  return out;
}

class Assembler {
 public:
  Assembler(std::string file, const AsmOptions& opt) : file_(std::move(file)), opt_(opt) {}

  std::vector<Kernel> run(const std::string& text);

 private:
  SourceLoc loc(int line, int col) const { return {file_, line, col}; }
  void read_line(std::string_view line, int ln);
  void directive(std::string_view body, int ln, int col);
  void statement(std::string_view body, int ln, int col);
  void finish(PendingKernel& pk);
  bool build_inst(PendingKernel& pk, const Stmt& st, Inst& in);
  bool parse_ctrl(const Token& t, int ln, Ctrl& c);
  void check_regs(const PendingKernel& pk, const Stmt& st, const Inst& in);
  void derive_usage(Inst& in);
  PendingKernel* cur() { return kernels_.empty() ? nullptr : &kernels_.back(); }

  std::string file_;
  AsmOptions opt_;
  ErrorList errors_;
  std::vector<PendingKernel> kernels_;
};

std::vector<Kernel> Assembler::run(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  int ln = 0;
  while (std::getline(in, line)) read_line(line, ++ln);
  if (kernels_.empty()) errors_.add(loc(ln ? 1 : 0, 0), "no kernel in file (expected '.kernel NAME')");
  std::vector<Kernel> out;
  for (auto& pk : kernels_) {
    finish(pk);
    out.push_back(std::move(pk.k));
  }
  errors_.throw_if_any();
  return out;
}

void Assembler::read_line(std::string_view line, int ln) {
  // Comments: '#' or '//' to the end of the line.
  size_t cut = line.find('#');
  const size_t slashes = line.find("//");
  if (slashes < cut) cut = slashes;
  if (cut != std::string_view::npos) line = line.substr(0, cut);
  int col = 1;
  std::string_view body = trim(line, &col);
  if (!body.empty() && body.back() == ';') body = trim(body.substr(0, body.size() - 1));
  if (body.empty()) return;
  if (body[0] == '.') return directive(body, ln, col);
  // Labels: "NAME:" (possibly followed by an instruction).
  for (;;) {
    const size_t colon = body.find(':');
    if (colon == std::string_view::npos || body[0] == '[' || body[0] == '@') break;
    std::string_view name = body.substr(0, colon);
    if (name.find_first_of(" \t,") != std::string_view::npos) break;
    PendingKernel* pk = cur();
    if (!pk) return errors_.add(loc(ln, col), "label outside a kernel (add '.kernel NAME' first)");
    const std::string label(name);
    if (pk->syms.labels.count(label) || pk->syms.shared.count(label))
      errors_.addf(loc(ln, col), "'{}' is defined twice", label);
    pk->syms.labels[label] = static_cast<uint32_t>(pk->stmts.size());
    int skip = static_cast<int>(colon) + 1;
    body = trim(body.substr(colon + 1), &skip);
    col += skip;
    if (body.empty()) return;
  }
  statement(body, ln, col);
}

void Assembler::directive(std::string_view body, int ln, int col) {
  const std::vector<Token> w = split_words(body, col);
  const std::string& d = w[0].text;
  if (d == ".kernel") {
    if (w.size() != 2) return errors_.add(loc(ln, col), ".kernel takes one name");
    kernels_.emplace_back();
    kernels_.back().k.name = w[1].text;
    kernels_.back().k.file = file_;
    kernels_.back().line = ln;
    return;
  }
  PendingKernel* pk = cur();
  if (!pk) return errors_.addf(loc(ln, col), "{} outside a kernel (add '.kernel NAME' first)", d);
  Kernel& k = pk->k;
  int64_t v = 0;
  auto number = [&](const Token& t, int64_t lo, int64_t hi) {
    if (!parse_int(t.text, v) || v < lo || v > hi) {
      errors_.addf(loc(ln, t.col), "{} expects an integer in [{}, {}], got '{}'", d, lo, hi, t.text);
      return false;
    }
    return true;
  };
  if (d == ".regs") {
    if (w.size() != 2) return errors_.add(loc(ln, col), ".regs takes one number");
    if (number(w[1], 1, kMaxRegs)) k.regs = static_cast<uint32_t>(v), pk->has_regs = true;
  } else if (d == ".local") {
    if (w.size() != 2) return errors_.add(loc(ln, col), ".local takes one number of bytes");
    if (number(w[1], 0, 1 << 20)) k.local_bytes = static_cast<uint32_t>((v + 3) & ~3);
  } else if (d == ".shared") {
    // .shared BYTES   |   .shared NAME BYTES [align A]
    size_t i = 1;
    std::string name;
    int64_t ignored;
    if (w.size() >= 3 && !parse_int(w[1].text, ignored)) name = w[i++].text;
    if (i >= w.size()) return errors_.add(loc(ln, col), ".shared takes [NAME] BYTES [align A]");
    if (!number(w[i++], 1, 1 << 30)) return;
    const uint32_t bytes = static_cast<uint32_t>(v);
    uint32_t align = 16;
    if (i < w.size()) {
      if (w[i].text != "align" || i + 1 >= w.size()) return errors_.add(loc(ln, w[i].col), "expected 'align N'");
      if (!number(w[i + 1], 1, 4096)) return;
      if (v & (v - 1)) return errors_.add(loc(ln, w[i + 1].col), "alignment must be a power of two");
      align = static_cast<uint32_t>(v);
    }
    const uint32_t off = (pk->shared_top + align - 1) / align * align;
    pk->shared_top = off + bytes;
    if (!name.empty()) {
      if (pk->syms.shared.count(name)) errors_.addf(loc(ln, w[1].col), "shared symbol '{}' is defined twice", name);
      pk->syms.shared[name] = off;
      k.shared_symbols.push_back({name, off, bytes});
    }
  } else if (d == ".param") {
    for (size_t i = 1; i < w.size(); ++i) {
      const std::string& p = w[i].text;
      const size_t c = p.find(':');
      if (c == std::string::npos) return errors_.addf(loc(ln, w[i].col), "parameter '{}' needs a type: name:u32", p);
      const std::string name = p.substr(0, c), ty = p.substr(c + 1);
      static constexpr std::tuple<std::string_view, ParamType, uint32_t> kTypes[] = {
          {"u32", ParamType::U32, 4}, {"s32", ParamType::S32, 4}, {"f32", ParamType::F32, 4},
          {"u64", ParamType::U64, 8}, {"s64", ParamType::S64, 8}, {"f64", ParamType::F64, 8}};
      bool found = false;
      for (auto [tn, tt, sz] : kTypes) {
        if (ty != tn) continue;
        found = true;
        const uint32_t off = (k.cbank_bytes + sz - 1) / sz * sz;
        if (pk->syms.params.count(name)) errors_.addf(loc(ln, w[i].col), "parameter '{}' is declared twice", name);
        k.params.push_back({name, tt, off, sz});
        pk->syms.params[name] = off;
        k.cbank_bytes = off + sz;
      }
      if (!found) errors_.addf(loc(ln, w[i].col + static_cast<int>(c) + 1), "unknown parameter type '{}' (u32 s32 f32 u64 s64 f64)", ty);
    }
  } else {
    errors_.addf(loc(ln, col), "unknown directive {} (.kernel .param .regs .shared .local)", d);
  }
}

void Assembler::statement(std::string_view body, int ln, int col) {
  PendingKernel* pk = cur();
  if (!pk) return errors_.add(loc(ln, col), "instruction outside a kernel (add '.kernel NAME' first)");
  Stmt st;
  st.line = ln;
  st.text = std::string(body);
  int c = col;
  if (body[0] == '[') {
    const size_t e = body.find(']');
    if (e == std::string_view::npos) return errors_.add(loc(ln, c), "missing ']' after control bits");
    st.ctrl = {std::string(body.substr(1, e - 1)), c};
    int skip = static_cast<int>(e) + 1;
    body = trim(body.substr(e + 1), &skip);
    c += skip;
  }
  if (!body.empty() && body[0] == '@') {
    size_t e = 1;
    while (e < body.size() && !std::isspace(static_cast<unsigned char>(body[e]))) ++e;
    st.guard = {std::string(body.substr(1, e - 1)), c};
    int skip = static_cast<int>(e);
    body = trim(body.substr(e), &skip);
    c += skip;
  }
  if (body.empty()) return errors_.add(loc(ln, c), "missing opcode");
  size_t e = 0;
  while (e < body.size() && !std::isspace(static_cast<unsigned char>(body[e]))) ++e;
  st.opcode = {std::string(body.substr(0, e)), c};
  int skip = static_cast<int>(e);
  std::string_view rest = trim(body.substr(e), &skip);
  st.operands = split_operands(rest, c + skip);
  pk->stmts.push_back(std::move(st));
}

bool Assembler::parse_ctrl(const Token& t, int ln, Ctrl& c) {
  // [wait:rbar:wbar:yield:stall], e.g. [0-----:-:1:Y:S04]; CuAssembler's B/R/W prefixes allowed.
  std::vector<std::string> f;
  std::string cur_f;
  for (char ch : t.text) {
    if (ch == ':') f.push_back(cur_f), cur_f.clear();
    else if (!std::isspace(static_cast<unsigned char>(ch))) cur_f += ch;
  }
  f.push_back(cur_f);
  auto bad = [&](const std::string& why) {
    errors_.addf(loc(ln, t.col), "bad control bits [{}]: {} (expected [wait:rbar:wbar:yield:stall], e.g. [0-----:-:1:-:S04])", t.text, why);
    return false;
  };
  if (f.size() != 5) return bad("five fields separated by ':'");
  auto strip = [](std::string& s, char p) {
    if (!s.empty() && s[0] == p) s.erase(0, 1);
  };
  strip(f[0], 'B');
  strip(f[1], 'R');
  strip(f[2], 'W');
  if (f[0].size() != 6) return bad("the wait mask has six positions");
  c.wait = 0;
  for (int i = 0; i < 6; ++i) {
    if (f[0][i] == '-') continue;
    if (f[0][i] != '0' + i) return bad(fmt::format("wait-mask position {} must be '{}' or '-'", i, i));
    c.wait |= 1 << i;
  }
  auto barrier = [&](const std::string& s, uint8_t& b) {
    if (s == "-") return b = kNoBarrier, true;
    if (s.size() == 1 && s[0] >= '0' && s[0] <= '5') return b = static_cast<uint8_t>(s[0] - '0'), true;
    return false;
  };
  if (!barrier(f[1], c.rbar)) return bad("read barrier must be 0-5 or '-'");
  if (!barrier(f[2], c.wbar)) return bad("write barrier must be 0-5 or '-'");
  if (f[3] != "Y" && f[3] != "-") return bad("yield must be 'Y' or '-'");
  c.yield = f[3] == "Y";
  int64_t stall;
  if (f[4].size() != 3 || f[4][0] != 'S' || !parse_int(f[4].substr(1), stall) || stall < 0 || stall > 15)
    return bad("stall must be S00..S15");
  c.stall = static_cast<uint8_t>(stall);
  c.given = true;
  return true;
}

void Assembler::finish(PendingKernel& pk) {
  Kernel& k = pk.k;
  const size_t before = errors_.size();
  if (!pk.has_regs) errors_.addf(loc(pk.line, 1), "kernel '{}' has no .regs directive", k.name);
  k.shared_bytes = (pk.shared_top + 15) / 16 * 16;
  if (pk.stmts.empty()) errors_.addf(loc(pk.line, 1), "kernel '{}' has no instructions", k.name);
  for (const auto& [name, pc] : pk.syms.labels) {
    if (pc >= pk.stmts.size()) errors_.addf(loc(pk.line, 1), "label '{}' is not followed by an instruction", name);
    if (pk.syms.shared.count(name)) errors_.addf(loc(pk.line, 1), "'{}' is both a label and a shared symbol", name);
  }
  int with_ctrl = 0;
  for (const Stmt& st : pk.stmts) {
    Inst in;
    if (!build_inst(pk, st, in)) continue;
    in.line = static_cast<uint32_t>(st.line);
    in.col = static_cast<uint16_t>(st.opcode.col);
    in.text = st.opcode.text;
    for (size_t i = 0; i < st.operands.size(); ++i) in.text += (i ? ", " : " ") + st.operands[i].text;
    if (in.ctrl.given) ++with_ctrl;
    k.code.push_back(std::move(in));
  }
  if (errors_.size() != before) return;
  // The last instruction must end the warp: falling off the end of a kernel is an error.
  const Inst& last = k.code.back();
  if (!((last.op == Op::EXIT || last.op == Op::BRA) && last.guard == kPT && !last.guard_not))
    errors_.add(loc(static_cast<int>(last.line), last.col), "the last instruction must be an unconditional EXIT or BRA");
  if (with_ctrl != 0 && with_ctrl != static_cast<int>(k.code.size()))
    errors_.addf(loc(pk.line, 1), "kernel '{}': control bits must be written on every instruction or on none ({} of {} have them)",
                 k.name, with_ctrl, k.code.size());
  k.ctrl_given = with_ctrl != 0;
  k.has_ldgsts = std::any_of(k.code.begin(), k.code.end(), [](const Inst& in) { return in.op == Op::LDGSTS; });
  if (!k.ctrl_given) {
    // LDGDEPBAR counts groups on the one counter the kernel's DEPBARs wait on.
    const Inst* first = nullptr;
    for (const Inst& in : k.code) {
      if (in.op != Op::DEPBAR) continue;
      if (!first) first = &in;
      else if (in.src[0].reg != first->src[0].reg)
        errors_.addf(loc(static_cast<int>(in.line), in.col),
                     "DEPBAR waits on SB{} but line {} waits on SB{}: without written control bits, every DEPBAR "
                     "of a kernel must name the counter LDGDEPBAR increments",
                     in.src[0].reg, first->line, first->src[0].reg);
    }
    if (errors_.size() == before) fill_control_bits(k, opt_.latency);
  }
}

bool Assembler::build_inst(PendingKernel& pk, const Stmt& st, Inst& in) {
  const size_t before = errors_.size();
  if (!st.ctrl.text.empty() || st.ctrl.col) parse_ctrl(st.ctrl, st.line, in.ctrl);
  if (!st.guard.text.empty()) {
    std::string g = st.guard.text;
    if (!g.empty() && g[0] == '!') in.guard_not = true, g.erase(0, 1);
    if (g == "PT") in.guard = kPT;
    else if (g.size() == 2 && g[0] == 'P' && g[1] >= '0' && g[1] <= '6') in.guard = static_cast<uint8_t>(g[1] - '0');
    else errors_.addf(loc(st.line, st.guard.col), "bad guard predicate @{} (expected @P0..@P6, @PT, @!P0...)", st.guard.text);
  }
  // Opcode and modifiers.
  std::vector<std::string_view> parts;
  std::string_view op = st.opcode.text;
  for (size_t p = 0; p <= op.size();) {
    const size_t d = op.find('.', p);
    parts.push_back(op.substr(p, d == std::string_view::npos ? std::string_view::npos : d - p));
    if (d == std::string_view::npos) break;
    p = d + 1;
  }
  const OpDef* def = find_op(parts[0]);
  if (!def) {
    errors_.addf(loc(st.line, st.opcode.col), "unknown opcode '{}' (docs/isa.md lists the opcodes)", parts[0]);
    return false;
  }
  in.op = def->op;
  in.unit = def->unit;
  in.fixed_latency = def->fixed_latency;
  int mcol = st.opcode.col + static_cast<int>(parts[0].size());
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty() || !def->mod(parts[i], in.m))
      errors_.addf(loc(st.line, mcol + 1), "{} does not take modifier .{}", def->name, parts[i]);
    mcol += static_cast<int>(parts[i].size()) + 1;
  }
  // Operands.
  std::vector<Operand> ops(st.operands.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    std::string err;
    if (!parse_operand(st.operands[i].text, pk.syms, ops[i], &err))
      errors_.add(loc(st.line, st.operands[i].col), err);
  }
  if (errors_.size() != before) return false;
  Binder b(ops, in);
  def->bind(b, in);
  if (!b.error().empty()) {
    errors_.addf(loc(st.line, st.opcode.col), "{}: {}", def->name, b.error());
    return false;
  }
  for (int i = 0; i < in.nsrc; ++i) {  // a float literal in a raw 32-bit slot means its FP32 bits
    Operand& o = in.src[i];
    if (o.kind == Opd::Imm && (o.flags & kFloatLit)) imm_to_f32(o);
  }
  if (def->check) {
    const std::string e = def->check(in);
    if (!e.empty()) errors_.addf(loc(st.line, st.opcode.col), "{}: {}", def->name, e);
  }
  if (errors_.size() != before) return false;
  check_regs(pk, st, in);
  derive_usage(in);
  return errors_.size() == before;
}

// Register numbers within .regs, vectors aligned to their width.
void Assembler::check_regs(const PendingKernel& pk, const Stmt& st, const Inst& in) {
  auto one = [&](const Operand& o, bool is_addr) {
    if (o.kind != Opd::Reg && !(o.kind == Opd::Mem && o.reg != kRZ)) return;
    if (o.reg == kRZ) return;
    const uint32_t w = is_addr ? (o.kind == Opd::Mem ? o.width : 1) : o.width;
    if (o.reg + w > pk.k.regs)
      errors_.addf(loc(st.line, st.opcode.col), "{} uses R{}{} but the kernel declares .regs {}", op_def(in.op).name,
                   o.reg, w > 1 ? fmt::format("..R{}", o.reg + w - 1) : "", pk.k.regs);
    const uint32_t align = w >= 4 ? 4 : w;
    if (o.reg % align != 0)
      errors_.addf(loc(st.line, st.opcode.col), "{}: a {}-register operand must start at a multiple of {} (got R{})",
                   op_def(in.op).name, w, align, o.reg);
  };
  for (int i = 0; i < in.ndst; ++i) one(in.dst[i], false);
  for (int i = 0; i < in.nsrc; ++i) one(in.src[i], in.src[i].kind == Opd::Mem);
}

// Registers and predicates read and written, for the timing model and the control pass.
void Assembler::derive_usage(Inst& in) {
  auto add = [](auto& arr, uint8_t& n, uint8_t reg, uint8_t count) {
    if (reg == kRZ || count == 0 || n >= arr.size()) return;
    arr[n++] = {reg, count};
  };
  if (in.guard != kPT) in.pred_reads |= 1 << in.guard;
  for (int i = 0; i < in.nsrc; ++i) {
    const Operand& o = in.src[i];
    if (o.kind == Opd::Reg) add(in.reads, in.nreads, o.reg, o.width);
    else if (o.kind == Opd::Mem) add(in.reads, in.nreads, o.reg, o.width);
    else if (o.kind == Opd::Pred && o.reg != kPT) in.pred_reads |= 1 << o.reg;
  }
  for (int i = 0; i < in.ndst; ++i) {
    const Operand& o = in.dst[i];
    if (o.kind == Opd::Reg) add(in.writes, in.nwrites, o.reg, o.width);
    else if (o.kind == Opd::Pred && o.reg != kPT) in.pred_writes |= 1 << o.reg;
  }
  // Reuse flags: one per source-register slot, in order.
  int slot = 0;
  for (int i = 0; i < in.nsrc && slot < 4; ++i) {
    if (in.src[i].kind != Opd::Reg) continue;
    if (in.src[i].flags & kReuse) in.ctrl.reuse |= 1 << slot;
    ++slot;
  }
  set_slot_masks(in);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputErrors(SourceLoc{path, 0, 0}, "cannot open kernel file");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<Kernel> assemble_text(const std::string& text, const std::string& name, const AsmOptions& opt) {
  return Assembler(name, opt).run(text);
}

std::vector<Kernel> assemble_file(const std::string& path, const AsmOptions& opt) {
  return assemble_text(read_file(path), path, opt);
}

std::string format_ctrl(const Ctrl& c) {
  std::string w(6, '-');
  for (int i = 0; i < 6; ++i)
    if (c.wait & (1 << i)) w[i] = static_cast<char>('0' + i);
  auto bar = [](uint8_t b) { return b == kNoBarrier ? std::string("-") : std::to_string(b); };
  return fmt::format("[{}:{}:{}:{}:S{:02}]", w, bar(c.rbar), bar(c.wbar), c.yield ? "Y" : "-", c.stall);
}

std::string format_inst(const Inst& in) {
  std::string guard;
  if (in.guard != kPT || in.guard_not)
    guard = fmt::format("@{}{} ", in.guard_not ? "!" : "", in.guard == kPT ? "PT" : fmt::format("P{}", in.guard));
  std::string reuse;  // the registers the RF cache keeps for the next instruction
  int slot = 0;
  for (int i = 0; i < in.nsrc; ++i) {
    if (in.src[i].kind != Opd::Reg) continue;
    if (slot < 8 && ((in.ctrl.reuse >> slot) & 1)) reuse += fmt::format("{}R{}", reuse.empty() ? "   # reuse " : " ", in.src[i].reg);
    ++slot;
  }
  return fmt::format("{} {:>5}{}{}", format_ctrl(in.ctrl), guard, in.text, reuse);
}

}  // namespace xpusim::isa
