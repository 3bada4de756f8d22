#include "src/isa/opdefs_util.h"

#include <cstring>

#include "src/isa/numfmt.h"

namespace xpusim::isa {

bool mod_none(std::string_view t, Mods&) { return is_hint_mod(t); }

void bind_setp(Binder& b, Inst& in) {
  const uint8_t w = in.op == Op::DSETP ? 2 : 1;
  const uint16_t src_kinds = in.op == Op::DSETP ? static_cast<uint16_t>(kR | kI) : static_cast<uint16_t>(kRIC);
  b.dst(0, kP);
  size_t i = 1;
  if (b.is(1, kP)) b.dst(i++, kP);
  else b.dst_pred_true();
  b.src(i++, kR, w);
  b.src(i++, src_kinds, w);
  if (i < b.size()) b.src(i++, kP);
  else b.src_pred_true();
  if (i != b.size()) b.fail("too many operands");
  if (in.op == Op::FSETP) imm_to_f32(in.src[1]);
  if (in.op == Op::DSETP) imm_to_f64(in.src[1]);
}

std::string check_setp(const Inst& in) {
  if (in.m.func == 0) return "needs a comparison modifier (.LT, .EQ, .GE, ...)";
  if (in.op == Op::ISETP && in.m.cmp > static_cast<uint8_t>(Cmp::T))
    return "integer comparisons are .F .LT .EQ .LE .GT .NE .GE .T (the unordered ones are for floats)";
  return "";
}

namespace {
double literal_value(const Operand& o) { return (o.flags & kFloatLit) ? o.fimm : static_cast<double>(o.imm); }
}  // namespace

void imm_to_f32(Operand& o) {
  if (o.kind != Opd::Imm) return;
  o.imm = encode(Fmt::FP32, literal_value(o));
  o.flags &= static_cast<uint8_t>(~kFloatLit);
}

void imm_to_f64(Operand& o) {
  if (o.kind != Opd::Imm) return;
  const double v = literal_value(o);
  int64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  o.imm = bits;
  o.flags &= static_cast<uint8_t>(~kFloatLit);
}

void imm_to_h2(Operand& o, bool bf16) {
  if (o.kind != Opd::Imm) return;
  const uint32_t h = encode(bf16 ? Fmt::BF16 : Fmt::FP16, literal_value(o));
  o.imm = static_cast<int64_t>((h << 16) | h);
  o.flags &= static_cast<uint8_t>(~kFloatLit);
}

void bind_farith(Binder& b, Inst& in, int nsrc, uint8_t width, void (*conv)(Operand&)) {
  b.count(1 + nsrc, 1 + nsrc);
  b.dst(0, kR, width);
  const uint16_t kinds = width == 2 ? static_cast<uint16_t>(kR | kI) : static_cast<uint16_t>(kRIC);
  for (int i = 0; i < nsrc; ++i) {
    b.src(1 + i, i == 0 ? static_cast<uint16_t>(kR) : kinds, width);
    if (conv && in.nsrc > i) conv(in.src[i]);
  }
}

}  // namespace xpusim::isa
