#include "src/workload/expr.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <iterator>
#include <string_view>
#include <utility>

namespace xpusim::workload {
namespace {

using Op = Expr::Op;

struct Func {
  std::string_view name;
  int arity;
  Op op;
};
constexpr Func kFuncs[] = {
    {"abs", 1, Op::kAbs},   {"exp", 1, Op::kExp},   {"exp2", 1, Op::kExp2},   {"log", 1, Op::kLog},
    {"log2", 1, Op::kLog2}, {"sqrt", 1, Op::kSqrt}, {"rsqrt", 1, Op::kRsqrt}, {"sin", 1, Op::kSin},
    {"cos", 1, Op::kCos},   {"tanh", 1, Op::kTanh}, {"floor", 1, Op::kFloor}, {"ceil", 1, Op::kCeil},
    {"min", 2, Op::kMin},   {"max", 2, Op::kMax},   {"pow", 2, Op::kPow},     {"where", 3, Op::kWhere},
};

int arity(Op op) {
  if (op <= Op::kVar) return 0;
  if (op <= Op::kCeil) return 1;
  if (op <= Op::kPow) return 2;
  return 3;
}

enum class Tok : uint8_t { kEnd, kNum, kName, kOp, kLParen, kRParen, kComma };

class Parser {
 public:
  Parser(const std::string& text, const std::vector<std::string>& vars, const SourceLoc& where)
      : s_(text), vars_(vars), where_(where) {}

  std::vector<Expr::Instr> run() {
    next();
    cmp();
    if (tok_ != Tok::kEnd) fail(pos_, fmt::format("unexpected '{}'", text_));
    return std::move(code_);
  }

 private:
  [[noreturn]] void fail(size_t pos, const std::string& msg) const {
    throw InputErrors(where_, fmt::format("expression \"{}\": column {}: {}", s_, pos + 1, msg));
  }
  void emit(Op op, uint32_t var = 0, double value = 0) { code_.push_back({op, var, value}); }
  bool at_op(std::string_view op) const { return tok_ == Tok::kOp && text_ == op; }

  void next();
  void lex_number();
  void cmp();
  void sum();
  void prod();
  void unary();
  void atom();
  void call(std::string_view name, size_t pos);

  std::string_view s_;
  const std::vector<std::string>& vars_;
  const SourceLoc& where_;
  std::vector<Expr::Instr> code_;
  size_t at_ = 0;  // lexer position
  Tok tok_ = Tok::kEnd;
  size_t pos_ = 0;  // current token's position
  std::string_view text_;
  double num_ = 0;
  int depth_ = 0;
};

void Parser::lex_number() {
  size_t e = at_;
  while (e < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[e])) || s_[e] == '.')) ++e;
  if (e < s_.size() && (s_[e] == 'e' || s_[e] == 'E')) {
    size_t f = e + 1;
    if (f < s_.size() && (s_[f] == '+' || s_[f] == '-')) ++f;
    if (f < s_.size() && std::isdigit(static_cast<unsigned char>(s_[f]))) {
      e = f;
      while (e < s_.size() && std::isdigit(static_cast<unsigned char>(s_[e]))) ++e;
    }
  }
  const auto [end, ec] = std::from_chars(s_.data() + at_, s_.data() + e, num_);
  if (ec != std::errc() || end != s_.data() + e) fail(at_, fmt::format("bad number '{}'", s_.substr(at_, e - at_)));
  tok_ = Tok::kNum;
  at_ = e;
}

void Parser::next() {
  while (at_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[at_]))) ++at_;
  pos_ = at_;
  if (at_ >= s_.size()) {
    tok_ = Tok::kEnd;
    text_ = "end of expression";
    return;
  }
  const char c = s_[at_];
  const auto is_ident = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
  if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
    lex_number();
  } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
    while (at_ < s_.size() && is_ident(s_[at_])) ++at_;
    tok_ = Tok::kName;
  } else if (c == '(' || c == ')' || c == ',') {
    tok_ = c == '(' ? Tok::kLParen : c == ')' ? Tok::kRParen : Tok::kComma;
    ++at_;
  } else if (std::string_view("+-*/<>=!").find(c) != std::string_view::npos) {
    const bool two =
        at_ + 1 < s_.size() && s_[at_ + 1] == '=' && std::string_view("<>=!").find(c) != std::string_view::npos;
    at_ += two ? 2 : 1;
    tok_ = Tok::kOp;
    if (!two && (c == '=' || c == '!')) fail(pos_, fmt::format("unknown operator '{}' (use == or !=)", c));
  } else {
    fail(pos_, fmt::format("unexpected character '{}'", c));
  }
  text_ = s_.substr(pos_, at_ - pos_);
}

void Parser::cmp() {
  static constexpr std::pair<std::string_view, Op> kCmp[] = {{"<", Op::kLt},  {"<=", Op::kLe}, {">", Op::kGt},
                                                             {">=", Op::kGe}, {"==", Op::kEq}, {"!=", Op::kNe}};
  if (++depth_ > Expr::kMaxStack) fail(pos_, "expression nested too deeply");
  sum();
  for (;;) {
    const auto* it = std::find_if(std::begin(kCmp), std::end(kCmp), [&](const auto& p) { return at_op(p.first); });
    if (it == std::end(kCmp)) break;
    next();
    sum();
    emit(it->second);
  }
  --depth_;
}

void Parser::sum() {
  prod();
  while (at_op("+") || at_op("-")) {
    const Op op = at_op("+") ? Op::kAdd : Op::kSub;
    next();
    prod();
    emit(op);
  }
}

void Parser::prod() {
  unary();
  while (at_op("*") || at_op("/")) {
    const Op op = at_op("*") ? Op::kMul : Op::kDiv;
    next();
    unary();
    emit(op);
  }
}

void Parser::unary() {
  if (at_op("-") || at_op("+")) {
    const bool neg = at_op("-");
    if (++depth_ > Expr::kMaxStack) fail(pos_, "expression nested too deeply");
    next();
    unary();
    if (neg) emit(Op::kNeg);
    --depth_;
    return;
  }
  atom();
}

void Parser::atom() {
  const size_t pos = pos_;
  if (tok_ == Tok::kNum) {
    emit(Op::kConst, 0, num_);
    next();
  } else if (tok_ == Tok::kLParen) {
    next();
    cmp();
    if (tok_ != Tok::kRParen) fail(pos_, fmt::format("expected ')' to close the '(' at column {}", pos + 1));
    next();
  } else if (tok_ == Tok::kName) {
    const std::string_view name = text_;
    next();
    if (tok_ == Tok::kLParen) return call(name, pos);
    const auto it = std::find(vars_.begin(), vars_.end(), name);
    if (it == vars_.end()) fail(pos, fmt::format("unknown buffer '{}'", name));
    emit(Op::kVar, static_cast<uint32_t>(it - vars_.begin()));
  } else {
    fail(pos, tok_ == Tok::kEnd ? "unexpected end of expression" : fmt::format("unexpected '{}'", text_));
  }
}

void Parser::call(std::string_view name, size_t pos) {
  const auto* f = std::find_if(std::begin(kFuncs), std::end(kFuncs), [&](const Func& g) { return g.name == name; });
  if (f == std::end(kFuncs)) fail(pos, fmt::format("unknown function '{}'", name));
  next();  // '('
  int args = 0;
  if (tok_ != Tok::kRParen) {
    for (;;) {
      cmp();
      ++args;
      if (tok_ != Tok::kComma) break;
      next();
    }
  }
  if (tok_ != Tok::kRParen) fail(pos_, fmt::format("expected ',' or ')' in the call of {}()", name));
  next();
  if (args != f->arity)
    fail(pos, fmt::format("{}() takes {} argument{}, got {}", name, f->arity, f->arity == 1 ? "" : "s", args));
  emit(f->op);
}

double apply1(Op op, double x) {
  switch (op) {
    case Op::kNeg: return -x;
    case Op::kAbs: return std::fabs(x);
    case Op::kExp: return std::exp(x);
    case Op::kExp2: return std::exp2(x);
    case Op::kLog: return std::log(x);
    case Op::kLog2: return std::log2(x);
    case Op::kSqrt: return std::sqrt(x);
    case Op::kRsqrt: return 1.0 / std::sqrt(x);
    case Op::kSin: return std::sin(x);
    case Op::kCos: return std::cos(x);
    case Op::kTanh: return std::tanh(x);
    case Op::kFloor: return std::floor(x);
    default: return std::ceil(x);
  }
}

double apply2(Op op, double a, double b) {
  const double nan = std::nan("");
  switch (op) {
    case Op::kAdd: return a + b;
    case Op::kSub: return a - b;
    case Op::kMul: return a * b;
    case Op::kDiv: return a / b;
    case Op::kLt: return a < b ? 1.0 : 0.0;
    case Op::kLe: return a <= b ? 1.0 : 0.0;
    case Op::kGt: return a > b ? 1.0 : 0.0;
    case Op::kGe: return a >= b ? 1.0 : 0.0;
    case Op::kEq: return a == b ? 1.0 : 0.0;
    case Op::kNe: return a != b ? 1.0 : 0.0;
    case Op::kMin: return (std::isnan(a) || std::isnan(b)) ? nan : std::min(a, b);  // NaN propagates, as numpy
    case Op::kMax: return (std::isnan(a) || std::isnan(b)) ? nan : std::max(a, b);
    default: return std::pow(a, b);
  }
}

}  // namespace

Expr Expr::compile(const std::string& text, const std::vector<std::string>& vars, const SourceLoc& where) {
  Expr e;
  e.code_ = Parser(text, vars, where).run();
  int depth = 0, max_depth = 0;
  for (const Instr& in : e.code_) {
    depth += 1 - arity(in.op);
    max_depth = std::max(max_depth, depth);
    if (in.op == Op::kVar) e.used_.push_back(in.var);
  }
  if (max_depth > kMaxStack)
    throw InputErrors(where, fmt::format("expression \"{}\": needs more than {} stack slots", text, kMaxStack));
  std::sort(e.used_.begin(), e.used_.end());
  e.used_.erase(std::unique(e.used_.begin(), e.used_.end()), e.used_.end());
  return e;
}

double Expr::eval(const double* vars) const {
  double st[kMaxStack];
  int sp = 0;
  for (const Instr& in : code_) {
    if (in.op == Op::kConst) {
      st[sp++] = in.value;
    } else if (in.op == Op::kVar) {
      st[sp++] = vars[in.var];
    } else if (in.op <= Op::kCeil) {
      st[sp - 1] = apply1(in.op, st[sp - 1]);
    } else if (in.op <= Op::kPow) {
      --sp;
      st[sp - 1] = apply2(in.op, st[sp - 1], st[sp]);
    } else {  // where(c, a, b)
      sp -= 2;
      st[sp - 1] = st[sp - 1] != 0 ? st[sp] : st[sp + 1];
    }
  }
  return st[0];
}

}  // namespace xpusim::workload
