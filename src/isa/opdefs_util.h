// Helpers shared by the opdefs_*.cc families.
#pragma once

#include <string>
#include <string_view>

#include "src/isa/opdefs.h"

namespace xpusim::isa {

// Accepts only modifiers that do not change semantics (.E, .STRONG.GPU, ...).
bool mod_none(std::string_view t, Mods& m);

// xSETP: Pd, [Pq,] Ra, Rb [, Pc]; fills dst = {Pd, Pq}, src = {Ra, Rb, Pc}; DSETP sources
// are register pairs.
void bind_setp(Binder& b, Inst& in);
std::string check_setp(const Inst& in);

// Rewrites an immediate source operand to the bit pattern the instruction consumes:
// FP32 bits, FP16x2 (the value in both halves; BF16x2 with bf16) or FP64 (stored in imm).
// An integer literal in a float slot means that integer's value (FADD R0, R1, 1 adds 1.0).
void imm_to_f32(Operand& o);
void imm_to_f64(Operand& o);
void imm_to_h2(Operand& o, bool bf16);

// Binds Rd, Ra, Rb[, Rc] of a float arithmetic instruction with `nsrc` sources, each
// `width` registers wide, converting immediates with `conv`.
void bind_farith(Binder& b, Inst& in, int nsrc, uint8_t width, void (*conv)(Operand&));

}  // namespace xpusim::isa
