// HMMA / IMMA: warp-collective mma.sync through src/exec/tensor_ops.
#include <cstring>

#include "src/exec/ctx.h"
#include "src/exec/tensor_ops.h"

namespace xpusim::exec {
namespace {

using isa::DataType;

MmaElem elem(DataType t) {
  switch (t) {
    case DataType::BF16: return MmaElem::BF16;
    case DataType::TF32: return MmaElem::TF32;
    case DataType::E4M3: return MmaElem::E4M3;
    case DataType::E5M2: return MmaElem::E5M2;
    case DataType::S8: return MmaElem::S8;
    case DataType::U8: return MmaElem::U8;
    case DataType::S4: return MmaElem::S4;
    case DataType::U4: return MmaElem::U4;
    case DataType::F32: return MmaElem::F32;
    case DataType::S32: return MmaElem::S32;
    default: return MmaElem::F16;
  }
}

// Pointer to an operand's consecutive registers ([n][32]), or zeros for RZ.
const uint32_t* regs_of(Ctx& x, const isa::Operand& o, const uint32_t* zeros) {
  if (o.reg == isa::kRZ) return zeros;
  return x.w.regs + static_cast<size_t>(o.reg) * 32;
}

void op_mma(Ctx& x) {
  if (x.exec != 0xffffffffu) x.fault("HMMA/IMMA are warp-collective: all 32 lanes must execute them");
  MmaDesc d;
  d.m = 16;
  d.n = 8;
  d.k = x.in.m.size;
  d.a = elem(static_cast<DataType>(x.in.m.type));
  d.b = elem(static_cast<DataType>(x.in.m.type2));
  d.c = d.d = elem(static_cast<DataType>(x.in.m.type3));
  d.satfinite = x.in.m.flags & isa::kSat;
  static const uint32_t kZeros[4 * 32] = {};
  uint32_t out[4 * 32];
  mma_sync(d, regs_of(x, x.in.src[0], kZeros), regs_of(x, x.in.src[1], kZeros),
           regs_of(x, x.in.src[2], kZeros), out);
  if (x.in.dst[0].reg == isa::kRZ) return;
  std::memcpy(x.w.regs + static_cast<size_t>(x.in.dst[0].reg) * 32, out, sizeof(uint32_t) * 32 * mma_regs_c(d));
}

}  // namespace

void register_tensor_handlers(Handler* t) {
  t[static_cast<size_t>(isa::Op::HMMA)] = op_mma;
  t[static_cast<size_t>(isa::Op::IMMA)] = op_mma;
}

}  // namespace xpusim::exec
