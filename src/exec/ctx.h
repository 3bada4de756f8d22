// What an opcode handler sees while it executes one warp instruction (internal to exec/).
#pragma once

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <cstring>

#include "src/exec/executor.h"
#include "src/exec/lanes.h"
#include "src/isa/inst.h"
#include "src/isa/numfmt.h"

namespace xpusim::exec {

struct Ctx;
using Handler = void (*)(Ctx&);

// The handler for each opcode (ops_*.cc register theirs).
Handler handler_for(isa::Op op);
void register_int_handlers(Handler* t);
void register_float_handlers(Handler* t);
void register_sfu_handlers(Handler* t);
void register_mem_handlers(Handler* t);
void register_ctrl_handlers(Handler* t);
void register_tensor_handlers(Handler* t);

// Completes CTA barrier `id` when every expected thread has arrived (releasing the warps
// waiting on it); returns whether it did.
bool complete_barrier(Cta& cta, uint32_t id);

// Combines a comparison result with the Pc source and writes Pd / Pq (xSETP family).
void finish_setp(Ctx& x, uint32_t cmp_true);

// Instruction rounding modifier -> number-format rounding mode.
inline isa::Round round_of(uint8_t rnd) {
  switch (static_cast<isa::Rnd>(rnd)) {
    case isa::Rnd::RZ:
    case isa::Rnd::RZI: return isa::Round::RZ;
    case isa::Rnd::RM:
    case isa::Rnd::RMI: return isa::Round::RM;
    case isa::Rnd::RP:
    case isa::Rnd::RPI: return isa::Round::RP;
    case isa::Rnd::RNA: return isa::Round::RNA;
    default: return isa::Round::RN;
  }
}

// Float data types of modifiers -> number formats.
isa::Fmt fmt_of(isa::DataType t);

inline float as_f32(uint32_t b) { return std::bit_cast<float>(b); }
inline uint32_t bits_of(float f) { return std::bit_cast<uint32_t>(f); }
inline double as_f64(uint64_t b) { return std::bit_cast<double>(b); }
inline uint64_t bits_of(double d) { return std::bit_cast<uint64_t>(d); }

struct Ctx {
  Executor& ex;
  Cta& cta;
  Warp& w;
  const isa::Inst& in;
  DynInst& out;
  uint32_t pc;
  uint32_t active;    // lanes at this pc
  uint32_t exec;      // lanes whose guard is true
  uint64_t cycle;
  // Where lanes go next: by default every active lane to pc + 1. Handlers for branches,
  // EXIT, BSYNC and BAR change these.
  uint32_t taken = 0;        // exec lanes that jump to `target`
  uint32_t target = 0;
  uint32_t stay = 0;         // lanes that stay at pc (waiting)
  uint32_t exited = 0;       // lanes that exit
  uint32_t scratch[32];      // sink for writes to RZ

  // ---- sources (32-lane vectors) ----
  // A source as 32-bit integers: register (with sub-word selector), immediate or constant;
  // '-' negates (two's complement), '~' inverts, '| |' takes the absolute value.
  const uint32_t* u32(int i, uint32_t* tmp) const;
  // The same without applying '-' (for adders that negate as ~x + 1 themselves).
  const uint32_t* u32_unnegated(int i, uint32_t* tmp) const;
  // As FP32 bit patterns: '-' flips the sign bit, '| |' clears it.
  const uint32_t* f32(int i, uint32_t* tmp) const;
  // As packed half pairs (FP16 or BF16): selectors .H0_H0/.H1_H1 broadcast a half; '-'
  // and '| |' apply to both halves.
  const uint32_t* h2(int i, uint32_t* tmp) const;
  // 64-bit sources (register pairs, 64-bit constants, immediates).
  void u64(int i, uint64_t* v) const;
  void f64(int i, uint64_t* v) const;
  // A predicate source as a lane mask ('!' inverts).
  uint32_t pred(int i) const;

  // ---- destinations ----
  uint32_t* dst(int i, int reg_offset = 0) {
    const isa::Operand& o = in.dst[i];
    if (o.reg == isa::kRZ) return scratch;
    return w.regs + static_cast<size_t>(o.reg + reg_offset) * 32;
  }
  void set_pred(int i, uint32_t lanes_true, uint32_t mask) {
    const isa::Operand& o = in.dst[i];
    if (o.kind != isa::Opd::Pred || o.reg == isa::kPT) return;
    w.pred[o.reg] = (w.pred[o.reg] & ~mask) | (lanes_true & mask);
  }
  void write_u64(int i, int lane, uint64_t v) {
    if (in.dst[i].reg == isa::kRZ) return;
    dst(i, 0)[lane] = static_cast<uint32_t>(v);
    dst(i, 1)[lane] = static_cast<uint32_t>(v >> 32);
  }

  // ---- faults ----
  [[noreturn]] void fault(const std::string& what) const;
  template <typename... A>
  [[noreturn]] void faultf(fmt::format_string<A...> f, A&&... a) const {
    fault(fmt::format(f, std::forward<A>(a)...));
  }
  uint32_t cbank_u32(uint32_t offset) const;
};

}  // namespace xpusim::exec
