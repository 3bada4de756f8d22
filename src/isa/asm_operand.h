// Operand syntax of xasm (docs/isa.md "Operands"), used by the assembler.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "src/isa/inst.h"

namespace xpusim::isa {

struct Symbols {
  std::map<std::string, uint32_t, std::less<>> params;   // name -> constant-bank offset
  std::map<std::string, uint32_t, std::less<>> shared;   // name -> shared-memory offset
  std::map<std::string, uint32_t, std::less<>> labels;   // name -> pc
};

// Parses one operand. On error returns false with a message in *err (no location).
bool parse_operand(std::string_view text, const Symbols& syms, Operand& out, std::string* err);

// Integer literal: decimal, 0x hex, optional sign. Returns false if `s` is not one.
bool parse_int(std::string_view s, int64_t& v);

}  // namespace xpusim::isa
