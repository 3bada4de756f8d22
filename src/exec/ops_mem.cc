// Memory semantics (docs/isa.md): loads, stores, atomics, LDGSTS (cp.async), LDSM
// (ldmatrix). Every access is checked: alignment to its size and bounds of the buffer
// (global), the CTA's shared memory, or the thread's local memory.
#include <cmath>
#include <cstring>

#include "src/exec/ctx.h"
#include "src/exec/tensor_ops.h"
#include "src/isa/numfmt.h"

namespace xpusim::exec {
namespace {

using isa::DataType;

const char* space_name(Space s) {
  switch (s) {
    case Space::Global: return "global";
    case Space::Shared: return "shared";
    case Space::Local: return "local";
    default: return "?";
  }
}

// Computes the addresses of memory operand `i` for the executing lanes into out.addr.
void addresses(Ctx& x, int i, Space sp, uint8_t bytes, bool store) {
  const isa::Operand& o = x.in.src[i];
  x.out.space = sp;
  x.out.bytes = bytes;
  x.out.store = store;
  if (sp == Space::Global) {
    uint64_t base[32];
    if (o.reg == isa::kRZ) std::memset(base, 0, sizeof base);
    else x.u64(i, base);
    for_lanes(x.exec, [&](int l) { x.out.addr[l] = base[l] + static_cast<uint64_t>(o.imm); });
  } else {
    const uint32_t* base = o.reg == isa::kRZ ? nullptr : x.w.regs + static_cast<size_t>(o.reg) * 32;
    for_lanes(x.exec, [&](int l) {
      x.out.addr[l] = static_cast<uint32_t>((base ? base[l] : 0) + static_cast<uint32_t>(o.imm));
    });
  }
}

[[noreturn]] void bad_global(Ctx& x, int lane, uint64_t a, uint8_t bytes, const char* what) {
  const GlobalMemory::Allocation* near = x.ex.gmem().nearest(a);
  std::string where = "no buffer is allocated there";
  if (near) {
    if (a >= near->base + near->bytes)
      where = fmt::format("{} bytes past the end of buffer '{}' [{:#x}, +{})", a - (near->base + near->bytes),
                          near->name, near->base, near->bytes);
    else if (a < near->base)
      where = fmt::format("{} bytes before buffer '{}' [{:#x}, +{})", near->base - a, near->name, near->base, near->bytes);
    else
      where = fmt::format("runs past the end of buffer '{}' [{:#x}, +{})", near->name, near->base, near->bytes);
  }
  x.faultf("out-of-bounds global {} of {} bytes at {:#x} by lane {}: {}", what, bytes, a, lane, where);
}

// Pointer to `bytes` bytes at the lane's address, after alignment and bounds checks.
uint8_t* locate(Ctx& x, int lane, Space sp, uint8_t bytes, const char* what) {
  const uint64_t a = x.out.addr[lane];
  if (a % bytes != 0)
    x.faultf("misaligned {} {} of {} bytes at {:#x} by lane {} (must be {}-byte aligned)", space_name(sp), what, bytes,
             a, lane, bytes);
  switch (sp) {
    case Space::Global:
      if (!x.ex.gmem().find(a, bytes)) bad_global(x, lane, a, bytes, what);
      return x.ex.gmem().at(a);
    case Space::Shared:
      if (a + bytes > x.cta.shared.size())
        x.faultf("out-of-bounds shared {} of {} bytes at offset {} by lane {} (the CTA has {} bytes of shared memory)",
                 what, bytes, a, lane, x.cta.shared.size());
      return x.cta.shared.data() + a;
    case Space::Local: {
      const uint32_t lb = x.cta.launch->kernel->local_bytes;
      if (a + bytes > lb)
        x.faultf("out-of-bounds local {} of {} bytes at offset {} by lane {} (.local is {} bytes)", what, bytes, a, lane,
                 lb);
      return x.w.local + static_cast<size_t>(lane) * lb + a;
    }
    default:
      x.fault("memory access without a space");
  }
}

Space space_of(isa::Op op) {
  switch (op) {
    case isa::Op::LDG:
    case isa::Op::STG: return Space::Global;
    case isa::Op::LDS:
    case isa::Op::STS: return Space::Shared;
    default: return Space::Local;
  }
}

// cp.async hazards: shared bytes an LDGSTS copied may be read by its own warp once a DEPBAR
// waited for their commit group, by other warps once a barrier followed that wait. The
// functional copy happens at issue, so without this a kernel missing a wait would still pass.
// Callers check that the CTA's kernel has the table (async_warp not empty).
void mark_async(Ctx& x, uint64_t addr, uint32_t bytes, bool async) {
  for (uint64_t c = addr / 16; c <= (addr + bytes - 1) / 16 && c < x.cta.async_warp.size(); ++c) {
    x.cta.async_warp[c] = async ? static_cast<uint16_t>(x.w.index + 1) : 0;
    x.cta.async_group[c] = x.w.groups_committed;  // the open group
  }
}

void check_async(Ctx& x, uint64_t addr, uint32_t bytes, const char* what) {
  for (uint64_t c = addr / 16; c <= (addr + bytes - 1) / 16 && c < x.cta.async_warp.size(); ++c) {
    const uint16_t tag = x.cta.async_warp[c];
    if (!tag) continue;
    const Warp& wr = x.cta.warps[tag - 1u];
    const bool own = &wr == &x.w;
    const uint32_t g = x.cta.async_group[c];
    if (g < (own ? wr.groups_done : wr.groups_visible)) continue;
    x.faultf("{} reads shared bytes {:#x}..{:#x} that warp {}'s LDGSTS (commit group {}) copies, before {}", what,
             c * 16, c * 16 + 15, wr.index, g,
             g >= wr.groups_committed ? "an LDGDEPBAR closed its group and a DEPBAR waited for it"
             : g >= wr.groups_done    ? "a DEPBAR of that warp waited for it"
                                      : "a BAR.SYNC after that warp's DEPBAR made it visible");
  }
}

void op_load(Ctx& x) {
  const Space sp = space_of(x.in.op);
  const uint8_t n = x.in.m.size;
  addresses(x, 0, sp, n, false);
  const bool sgn = x.in.m.flags & isa::kSigned;
  const int regs = n <= 4 ? 1 : n / 4;
  uint32_t vals[4][32];
  if (sp == Space::Shared && !x.cta.async_warp.empty())  // only kernels with LDGSTS pay for the check
    for_lanes(x.exec, [&](int l) { check_async(x, x.out.addr[l], n, "LDS"); });
  for_lanes(x.exec, [&](int l) {
    const uint8_t* p = locate(x, l, sp, n, "load");
    if (n == 1) vals[0][l] = sgn ? static_cast<uint32_t>(static_cast<int8_t>(p[0])) : p[0];
    else if (n == 2) {
      uint16_t h;
      std::memcpy(&h, p, 2);
      vals[0][l] = sgn ? static_cast<uint32_t>(static_cast<int16_t>(h)) : h;
    } else {
      for (int r = 0; r < regs; ++r) std::memcpy(&vals[r][l], p + 4 * r, 4);
    }
  });
  if (x.in.dst[0].reg == isa::kRZ) return;
  for (int r = 0; r < regs; ++r) {
    uint32_t* d = x.dst(0, r);
    for_lanes(x.exec, [&](int l) { d[l] = vals[r][l]; });
  }
}

void op_store(Ctx& x) {
  const Space sp = space_of(x.in.op);
  const uint8_t n = x.in.m.size;
  addresses(x, 0, sp, n, true);
  if (sp == Space::Shared && !x.cta.async_warp.empty())
    for_lanes(x.exec, [&](int l) { mark_async(x, x.out.addr[l], n, false); });
  const isa::Operand& data = x.in.src[1];
  for_lanes(x.exec, [&](int l) {
    uint8_t* p = locate(x, l, sp, n, "store");
    if (data.reg == isa::kRZ) {
      std::memset(p, 0, n);
      return;
    }
    const uint32_t* r0 = x.w.regs + static_cast<size_t>(data.reg) * 32;
    if (n < 4) {
      const uint32_t v = r0[l];
      std::memcpy(p, &v, n);
    } else {
      for (int r = 0; r < n / 4; ++r) std::memcpy(p + 4 * r, &r0[r * 32 + l], 4);
    }
  });
}

// ---- atomics ----

template <typename T>
T int_atom(uint8_t op, T old, T b, T c) {
  switch (op) {
    case 1: return old + b;
    case 2: return std::min(old, b);
    case 3: return std::max(old, b);
    case 4: return old >= b ? T{0} : static_cast<T>(old + 1);
    case 5: return (old == 0 || old > b) ? b : static_cast<T>(old - 1);
    case 6: return old & b;
    case 7: return old | b;
    case 8: return old ^ b;
    case 9: return b;
    case 10: return old == b ? c : old;
  }
  return old;
}

// New memory value for one lane; `old` and the results are raw bits (64-bit wide). `global`:
// PTX atom.add.f32 flushes subnormal inputs and results on global memory, not on shared.
uint64_t atom_apply(uint8_t op, DataType t, uint64_t old, uint64_t b, uint64_t c, bool global) {
  switch (t) {
    case DataType::S32:
      return static_cast<uint32_t>(int_atom<int32_t>(op, static_cast<int32_t>(old), static_cast<int32_t>(b), static_cast<int32_t>(c)));
    case DataType::U64: return int_atom<uint64_t>(op, old, b, c);
    case DataType::S64:
      return static_cast<uint64_t>(int_atom<int64_t>(op, static_cast<int64_t>(old), static_cast<int64_t>(b), static_cast<int64_t>(c)));
    case DataType::F32: {  // round to nearest; on global memory subnormals are flushed
      if (op == 9) return b;
      double x = as_f32(static_cast<uint32_t>(old)), y = as_f32(static_cast<uint32_t>(b));
      if (global) x = isa::flush_subnormal(isa::Fmt::FP32, x), y = isa::flush_subnormal(isa::Fmt::FP32, y);
      const uint32_t r = isa::encode(isa::Fmt::FP32, x + y, isa::Round::RN, false, global);
      return isa::is_nan(isa::Fmt::FP32, r) ? 0x7fffffffu : r;
    }
    case DataType::F64:
      if (op == 9) return b;
      return bits_of(as_f64(old) + as_f64(b));
    case DataType::F16x2:
    case DataType::BF16x2: {
      if (op == 9) return b;
      const isa::Fmt f = t == DataType::F16x2 ? isa::Fmt::FP16 : isa::Fmt::BF16;
      uint64_t r = 0;
      for (int h = 0; h < 2; ++h) {
        const double s = isa::decode(f, static_cast<uint32_t>(old >> (16 * h)) & 0xffff) +
                         isa::decode(f, static_cast<uint32_t>(b >> (16 * h)) & 0xffff);
        r |= static_cast<uint64_t>(isa::encode(f, s)) << (16 * h);
      }
      return r;
    }
    default:
      return static_cast<uint32_t>(int_atom<uint32_t>(op, static_cast<uint32_t>(old), static_cast<uint32_t>(b), static_cast<uint32_t>(c)));
  }
}

void op_atom(Ctx& x) {
  const bool has_result = x.in.op != isa::Op::RED;
  const int addr_i = 0;
  const Space sp = x.in.op == isa::Op::ATOMS ? Space::Shared : Space::Global;
  const uint8_t n = x.in.m.size;
  addresses(x, addr_i, sp, n, true);
  x.out.atomic = true;
  uint64_t b[32], c[32] = {};
  auto operand = [&](int i, uint64_t* v) {
    if (n == 8) return x.u64(i, v);
    uint32_t t[32];
    const uint32_t* s = x.u32(i, t);
    for (int l = 0; l < 32; ++l) v[l] = s[l];
  };
  operand(addr_i + 1, b);
  if (x.in.m.func == 10) operand(addr_i + 2, c);
  const auto t = static_cast<DataType>(x.in.m.type);
  for_lanes(x.exec, [&](int l) {  // lanes in ascending order: a deterministic serialisation
    uint8_t* p = locate(x, l, sp, n, "atomic");
    uint64_t old = 0;
    std::memcpy(&old, p, n);
    const uint64_t nv = atom_apply(x.in.m.func, t, old, b[l], c[l], sp == Space::Global);
    std::memcpy(p, &nv, n);
    if (has_result) {
      if (n == 8) x.write_u64(0, l, old);
      else x.dst(0)[l] = static_cast<uint32_t>(old);
    }
  });
}

// ---- LDGSTS: copy global -> shared (zero fill where the .ZFILL predicate is false) ----
void op_ldgsts(Ctx& x) {
  const uint8_t n = x.in.m.size;
  const uint32_t copy = (x.in.m.flags & isa::kZfill) ? x.pred(2) : 0xffffffffu;
  // shared destination addresses first, then global sources (reported to the timing model)
  addresses(x, 0, Space::Shared, n, true);
  uint64_t dst[32];
  for_lanes(x.exec, [&](int l) {
    dst[l] = x.out.addr[l];
    mark_async(x, dst[l], n, true);
  });
  addresses(x, 1, Space::Global, n, false);
  for_lanes(x.exec, [&](int l) {
    const uint64_t g = x.out.addr[l];
    x.out.addr[l] = dst[l];
    uint8_t* s = locate(x, l, Space::Shared, n, "LDGSTS write");
    x.out.addr[l] = g;
    if ((copy >> l) & 1) std::memcpy(s, locate(x, l, Space::Global, n, "LDGSTS read"), n);
    else std::memset(s, 0, n);
  });
  x.out.space = Space::Global;
  x.out.store = false;
}

// ---- LDSM: ldmatrix ----
void op_ldsm(Ctx& x) {
  if (x.exec != 0xffffffffu) x.fault("LDSM is warp-collective: all 32 lanes must execute it");
  addresses(x, 0, Space::Shared, 16, false);
  uint32_t lane_addr[32];
  for (int l = 0; l < 32; ++l) lane_addr[l] = static_cast<uint32_t>(x.out.addr[l]);
  if (!x.cta.async_warp.empty())
    for (int l = 0; l < 8 * x.in.m.size; ++l) check_async(x, lane_addr[l], 16, "LDSM");
  uint32_t d[4 * 32];
  std::string err;
  const int num = x.in.m.size;
  // Timing only: the rows are checked (a faulting kernel faults either way), the data, which
  // only feeds the tensor cores, is not moved.
  const uint8_t* smem = x.ex.timing_only() ? nullptr : x.cta.shared.data();
  if (!ldmatrix(num, x.in.m.flags & isa::kTrans, lane_addr, smem, static_cast<uint32_t>(x.cta.shared.size()), d, &err))
    x.fault("LDSM: " + err);
  if (!smem) return;
  if (x.in.dst[0].reg == isa::kRZ) return;
  for (int j = 0; j < num; ++j) std::memcpy(x.dst(0, j), d + j * 32, 32 * sizeof(uint32_t));
}

}  // namespace

void register_mem_handlers(Handler* t) {
  using isa::Op;
  for (Op op : {Op::LDG, Op::LDS, Op::LDL}) t[static_cast<size_t>(op)] = op_load;
  for (Op op : {Op::STG, Op::STS, Op::STL}) t[static_cast<size_t>(op)] = op_store;
  for (Op op : {Op::ATOM, Op::ATOMS, Op::RED}) t[static_cast<size_t>(op)] = op_atom;
  t[static_cast<size_t>(Op::LDGSTS)] = op_ldgsts;
  t[static_cast<size_t>(Op::LDSM)] = op_ldsm;
}

}  // namespace xpusim::exec
