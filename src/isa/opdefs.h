// The assembler's view of each opcode: its name, unit class, how its modifiers and
// operands are read. One definition per opcode, grouped by family in opdefs_*.cc; the
// executor's semantics live in src/exec/ops_*.cc under the same Op.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "src/isa/inst.h"

namespace xpusim::isa {

// Operand kinds accepted in a slot (bit set).
enum : uint16_t {
  kR = 1 << 0,   // register (RZ included)
  kP = 1 << 1,   // predicate
  kI = 1 << 2,   // immediate
  kC = 1 << 3,   // constant bank c[...]
  kM = 1 << 4,   // memory address [...]
  kS = 1 << 5,   // special register SR_*
  kL = 1 << 6,   // label
  kB = 1 << 7,   // convergence barrier register B0..B15
  kSB = 1 << 8,  // dependence counter SB0..SB5
  kRIC = kR | kI | kC,
};

// Reads the operands of one instruction into Inst::dst / Inst::src, checking kinds.
// Errors name the operand position; the assembler adds file:line:col.
class Binder {
 public:
  Binder(const std::vector<Operand>& ops, Inst& in) : ops_(ops), in_(in) {}

  size_t size() const { return ops_.size(); }
  const Operand& at(size_t i) const { return ops_[i]; }
  bool is(size_t i, uint16_t kinds) const;
  // Requires between lo and hi operands.
  void count(size_t lo, size_t hi);
  void dst(size_t i, uint16_t kinds, uint8_t width = 1);
  void src(size_t i, uint16_t kinds, uint8_t width = 1);
  // Appends a constant operand (defaults such as PT or RZ for omitted operands).
  void src_pred_true();
  void dst_pred_true();
  const std::string& error() const { return error_; }
  void fail(std::string msg);

 private:
  bool check(size_t i, uint16_t kinds);
  const std::vector<Operand>& ops_;
  Inst& in_;
  std::string error_;
};

struct OpDef {
  std::string_view name;
  Op op;
  Unit unit;
  bool fixed_latency;
  // Applies one modifier token (without the dot); returns false if it is not valid here.
  bool (*mod)(std::string_view tok, Mods& m);
  // Binds operands (may consult the modifiers); reports problems through b.fail().
  void (*bind)(Binder& b, Inst& in);
  // Optional check once modifiers and operands are known; returns an error or "".
  std::string (*check)(const Inst& in);
};

// All opcodes, by name. Built once.
const OpDef* find_op(std::string_view name);
const OpDef& op_def(Op op);
std::vector<std::string_view> all_op_names();

// Registration, one call per family (the explicit list lives in opdefs.cc).
void register_int_ops(std::vector<OpDef>& t);
void register_float_ops(std::vector<OpDef>& t);
void register_sfu_ops(std::vector<OpDef>& t);
void register_mem_ops(std::vector<OpDef>& t);
void register_ctrl_ops(std::vector<OpDef>& t);
void register_tensor_ops(std::vector<OpDef>& t);

// Shared modifier vocabulary.
bool parse_cmp(std::string_view tok, uint8_t& cmp);
bool parse_bop(std::string_view tok, uint8_t& bop);
bool parse_rnd(std::string_view tok, uint8_t& rnd);
bool parse_dtype(std::string_view tok, uint8_t& type);
std::string_view dtype_token(DataType t);
// Modifiers that only hint at caching or ordering and do not change semantics (.E, .STRONG.GPU ...).
bool is_hint_mod(std::string_view tok);

}  // namespace xpusim::isa
