// Elementwise reference expressions ("where(x > 0, 2*x, -x)"): parsed once by a small
// recursive-descent parser into postfix code, then evaluated per element on a fixed-size
// stack, without allocation. Grammar and functions: reference.h, reference_elementwise().
//
//   cmp   := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)*     left-associative
//   sum   := prod (('+' | '-') prod)*
//   prod  := unary (('*' | '/') unary)*
//   unary := ('-' | '+') unary | atom
//   atom  := number | name | name '(' cmp (',' cmp)* ')' | '(' cmp ')'
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/engine/error.h"

namespace xpusim::workload {

class Expr {
 public:
  // clang-format off
  enum class Op : uint8_t {
    // leaves
    kConst, kVar,
    // one operand
    kNeg, kAbs, kExp, kExp2, kLog, kLog2, kSqrt, kRsqrt, kSin, kCos, kTanh, kFloor, kCeil,
    // two operands
    kAdd, kSub, kMul, kDiv, kLt, kLe, kGt, kGe, kEq, kNe, kMin, kMax, kPow,
    // three operands
    kWhere,
  };
  // clang-format on
  struct Instr {
    Op op;
    uint32_t var;  // kVar: index into the variables
    double value;  // kConst
  };
  static constexpr int kMaxStack = 64;

  // Parses `text`; a name is variable k when vars[k] == name. Errors (syntax, unknown name or
  // function, wrong arity, nesting deeper than kMaxStack) throw InputErrors at `where`; the
  // message gives the 1-based column inside the expression.
  static Expr compile(const std::string& text, const std::vector<std::string>& vars, const SourceLoc& where);

  // The value for one element; vars[k] is variable k's value.
  double eval(const double* vars) const;
  // The variables the expression reads, ascending, each once.
  const std::vector<uint32_t>& used() const { return used_; }
  const std::vector<Instr>& code() const { return code_; }

 private:
  std::vector<Instr> code_;
  std::vector<uint32_t> used_;
};

}  // namespace xpusim::workload
