// Warp-collective tensor-core semantics: mma.sync and ldmatrix. The fragment maps are the
// generic-in-E formulas of the reference §2.2; mma_sync decodes every operand element once
// into a small logical matrix on the stack, then runs plain k-order loops.
#include "src/exec/tensor_ops.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <climits>
#include <cmath>
#include <type_traits>

#include "src/isa/numfmt.h"

namespace xpusim::exec {
namespace {

constexpr int kM = 16;
constexpr int kN = 8;
constexpr int kMaxK = 64;  // m16n8k64 s4/u4
constexpr int kLanes = 32;

bool is_int(MmaElem e) {
  return e == MmaElem::S8 || e == MmaElem::U8 || e == MmaElem::S4 || e == MmaElem::U4 || e == MmaElem::S32;
}

int elem_bits(MmaElem e) {
  switch (e) {
    case MmaElem::F16:
    case MmaElem::BF16: return 16;
    case MmaElem::E4M3:
    case MmaElem::E5M2:
    case MmaElem::S8:
    case MmaElem::U8: return 8;
    case MmaElem::S4:
    case MmaElem::U4: return 4;
    case MmaElem::TF32:
    case MmaElem::F32:
    case MmaElem::S32: return 32;
  }
  return 32;
}

const char* elem_name(MmaElem e) {
  static constexpr const char* kNames[] = {"f16", "bf16", "tf32", "e4m3", "e5m2", "s8",
                                           "u8",  "s4",   "u4",   "f32",  "s32"};
  return kNames[static_cast<int>(e)];
}

// Operand geometry derived from the A type: E elements per register; a "full" shape has
// K = 8E (4 A registers, 2 B registers), a "half" shape K = 4E (2 and 1).
struct Geom {
  int e;
  bool full;
  int k() const { return full ? 8 * e : 4 * e; }
};
Geom geom(const MmaDesc& d) {
  const int e = 32 / elem_bits(d.a);
  return {e, d.k == 8 * e};
}

// §2.2 per register r and element j (i = r*E + j):
//   A full: row = g + 8*(r & 1), k = E*q + j + 4E*(r >> 1);   A half: row = g + 8r, k = E*q + j.
//   B: k = E*q + j + 4E*r, n = g (the half shape has only r = 0).
//   C/D: c_i at row = g + 8*(i >> 1), col = 2q + (i & 1).
Coord frag_a(Geom s, int lane, int r, int j) {
  const int g = lane >> 2, q = lane & 3;
  if (s.full) return {g + 8 * (r & 1), s.e * q + j + 4 * s.e * (r >> 1)};
  return {g + 8 * r, s.e * q + j};
}
Coord frag_b(Geom s, int lane, int r, int j) { return {s.e * (lane & 3) + j + 4 * s.e * r, lane >> 2}; }
Coord frag_c(int lane, int i) { return {(lane >> 2) + 8 * (i >> 1), 2 * (lane & 3) + (i & 1)}; }

std::string check_inputs(const MmaDesc& d) {
  auto same_family = [](MmaElem a, MmaElem b) {
    if (a == MmaElem::E4M3 || a == MmaElem::E5M2) return b == MmaElem::E4M3 || b == MmaElem::E5M2;
    if (a == MmaElem::S8 || a == MmaElem::U8) return b == MmaElem::S8 || b == MmaElem::U8;
    if (a == MmaElem::S4 || a == MmaElem::U4) return b == MmaElem::S4 || b == MmaElem::U4;
    return a == b;
  };
  if (d.a == MmaElem::F32 || d.a == MmaElem::S32)
    return fmt::format("{} is an accumulator type, not an A/B input type", elem_name(d.a));
  if (!same_family(d.a, d.b))
    return fmt::format("A type {} cannot be combined with B type {}", elem_name(d.a), elem_name(d.b));
  return {};
}

std::string check_accumulator(const MmaDesc& d) {
  if (d.c != d.d)
    return fmt::format("C type {} differs from D type {} (c == d required)", elem_name(d.c), elem_name(d.d));
  const bool ok = is_int(d.a) ? d.c == MmaElem::S32
                              : d.c == MmaElem::F32 || (d.a == MmaElem::F16 && d.c == MmaElem::F16);
  if (!ok) return fmt::format("accumulator {} is not allowed with {} inputs", elem_name(d.c), elem_name(d.a));
  if (d.satfinite && !is_int(d.a)) return "satfinite applies to integer mma only";
  return {};
}

// ---- operand decoding ------------------------------------------------------------------

using FloatTable = std::array<float, 256>;
FloatTable make_table(isa::Fmt f) {
  FloatTable t{};
  for (uint32_t c = 0; c < 256; ++c) t[c] = static_cast<float>(isa::decode(f, c));
  return t;
}
const FloatTable& fp8_table(MmaElem e) {
  static const FloatTable kE4M3 = make_table(isa::Fmt::E4M3);
  static const FloatTable kE5M2 = make_table(isa::Fmt::E5M2);
  return e == MmaElem::E4M3 ? kE4M3 : kE5M2;
}

// Where a logical matrix lives: element (row, col) at out[row * rs + col * cs].
struct Layout {
  int rs, cs;
};

// Decodes every element of operand A (kB false) or B (kB true) into its logical matrix.
// The kE elements of one register hold consecutive k (§2.2), so each register is one
// contiguous run: along a row of A, down a column of B.
template <int kE, bool kB, typename T, typename Dec>
void unpack(const uint32_t* X, bool full, Dec dec, T* out, Layout l) {
  constexpr int kBits = 32 / kE;
  constexpr uint32_t kMask = kBits == 32 ? 0xffffffffu : (1u << kBits) - 1;
  const Geom s{kE, full};
  const int regs = kB ? (full ? 2 : 1) : (full ? 4 : 2);
  const int step = kB ? l.rs : l.cs;
  for (int r = 0; r < regs; ++r) {
    for (int lane = 0; lane < kLanes; ++lane) {
      const Coord c = kB ? frag_b(s, lane, r, 0) : frag_a(s, lane, r, 0);
      T* dst = out + c.row * l.rs + c.col * l.cs;
      const uint32_t w = X[r * kLanes + lane];
      for (int j = 0; j < kE; ++j) dst[j * step] = dec((w >> (j * kBits)) & kMask);
    }
  }
}

// Every float input value is exactly an FP32 value (bf16, tf32, f16 and fp8 all are).
template <bool kB>
void unpack_float(MmaElem t, const uint32_t* X, bool full, float* out, Layout l) {
  switch (t) {
    case MmaElem::F16:
      return unpack<2, kB>(X, full, [](uint32_t v) { return isa::f16_to_f32(static_cast<uint16_t>(v)); }, out, l);
    case MmaElem::BF16:
      return unpack<2, kB>(X, full, [](uint32_t v) { return isa::bf16_to_f32(static_cast<uint16_t>(v)); }, out, l);
    case MmaElem::TF32:  // the hardware ignores the low 13 bits
      return unpack<1, kB>(X, full, [](uint32_t v) { return std::bit_cast<float>(v & 0xffffe000u); }, out, l);
    default: {
      const FloatTable& tab = fp8_table(t);
      return unpack<4, kB>(X, full, [&tab](uint32_t v) { return tab[v]; }, out, l);
    }
  }
}

// Integer inputs (at most 8 bits) are widened to int16.
template <int kBits>
int16_t sext(uint32_t v) {
  return static_cast<int16_t>(static_cast<int32_t>(v << (32 - kBits)) >> (32 - kBits));
}
template <bool kB>
void unpack_int(MmaElem t, const uint32_t* X, bool full, int16_t* out, Layout l) {
  auto zext = [](uint32_t v) { return static_cast<int16_t>(v); };
  switch (t) {
    case MmaElem::S8: return unpack<4, kB>(X, full, sext<8>, out, l);
    case MmaElem::U8: return unpack<4, kB>(X, full, zext, out, l);
    case MmaElem::S4: return unpack<8, kB>(X, full, sext<4>, out, l);
    default: return unpack<8, kB>(X, full, zext, out, l);
  }
}

// Whether every product of two of these values is exact in FP32 arithmetic. Products of
// inputs have at most 22 significant bits, so they are exact unless they leave the normal
// FP32 range: f16 and fp8 never do; bf16/tf32 values within [2^-63, 2^63] (or 0, Inf, NaN,
// which propagate the same way in either precision) cannot.
bool products_fit_f32(MmaElem t, const float* x, int rows, int cols, int ld) {
  if (t != MmaElem::BF16 && t != MmaElem::TF32) return true;
  bool ok = true;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const uint32_t bits = std::bit_cast<uint32_t>(x[r * ld + c]);
      const uint32_t e = (bits >> 23) & 0xff;
      ok &= (e >= 127 - 63 && e <= 127 + 63) || e == 0xff || (bits << 1) == 0;
    }
  }
  return ok;
}

// ---- the two datapaths -----------------------------------------------------------------

// acc (row-major 16x8) from C, whose registers hold f32/s32 elements or f16x2 pairs.
template <typename T>
void read_acc(const uint32_t* C, bool f16_pairs, T* acc) {
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 4; ++i) {
      const Coord c = frag_c(lane, i);
      if (f16_pairs) {
        const uint32_t w = C[(i >> 1) * kLanes + lane] >> (16 * (i & 1));
        acc[c.row * kN + c.col] = static_cast<T>(isa::f16_to_f32(static_cast<uint16_t>(w)));
      } else if constexpr (std::is_same_v<T, float>) {
        acc[c.row * kN + c.col] = std::bit_cast<float>(C[i * kLanes + lane]);
      } else {
        acc[c.row * kN + c.col] = static_cast<int32_t>(C[i * kLanes + lane]);
      }
    }
  }
}

void write_f32(const float* acc, uint32_t* D) {
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 4; ++i) {
      const Coord c = frag_c(lane, i);
      const float v = acc[c.row * kN + c.col];
      D[i * kLanes + lane] = std::isnan(v) ? 0x7fffffffu : std::bit_cast<uint32_t>(v);  // canonical NaN
    }
  }
}

void write_f16(const float* acc, uint32_t* D) {  // one RN rounding per element, at the end
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int r = 0; r < 2; ++r) {
      const Coord lo = frag_c(lane, 2 * r), hi = frag_c(lane, 2 * r + 1);
      D[r * kLanes + lane] = isa::f32_to_f16(acc[lo.row * kN + lo.col]) |
                             static_cast<uint32_t>(isa::f32_to_f16(acc[hi.row * kN + hi.col])) << 16;
    }
  }
}

// acc += a * b in k order, one FP32 round-to-nearest per product. P is the precision the
// product and sum are formed in: float when every product is exact in FP32 (then acc + p
// is one correctly rounded FP32 addition), else double, where the product is always exact
// and the sum then rounded to FP32: acc has 24 significant bits and p at most 22, so their
// double sum is exact unless the smaller is below 2^-28 of the larger's leading power of two,
// and then too small to move the sum within a double ulp of an FP32 tie, so rounding to
// double first changes nothing.
template <typename P>
void accumulate(const float* __restrict a, const float* __restrict b, int K, float* __restrict acc) {
  for (int row = 0; row < kM; ++row) {
    float out[kN];  // the 8 columns are independent chains, each in k order
    for (int col = 0; col < kN; ++col) out[col] = acc[row * kN + col];
    for (int k = 0; k < K; ++k) {
      const P av = a[row * 32 + k];
      for (int col = 0; col < kN; ++col) out[col] = static_cast<float>(out[col] + av * static_cast<P>(b[k * kN + col]));
    }
    for (int col = 0; col < kN; ++col) acc[row * kN + col] = out[col];
  }
}

void mma_float(const MmaDesc& d, const uint32_t* A, const uint32_t* B, const uint32_t* C, uint32_t* D) {
  const Geom s = geom(d);
  const int K = s.k();
  float a[kM * 32];  // a[row][k]
  float b[32 * kN];  // b[k][col]
  float acc[kM * kN];
  unpack_float<false>(d.a, A, s.full, a, {32, 1});
  unpack_float<true>(d.b, B, s.full, b, {kN, 1});
  read_acc(C, d.c == MmaElem::F16, acc);
  if (products_fit_f32(d.a, a, kM, K, 32) && products_fit_f32(d.b, b, K, kN, kN)) accumulate<float>(a, b, K, acc);
  else accumulate<double>(a, b, K, acc);
  if (d.c == MmaElem::F16) write_f16(acc, D);
  else write_f32(acc, D);
}

// Integer products are exact and so is their sum (|dot| <= 64 * 255 * 255 < 2^22), so the
// k sum may be formed in any order: a plain dot product over k-contiguous int16 rows.
void mma_int(const MmaDesc& d, const uint32_t* A, const uint32_t* B, const uint32_t* C, uint32_t* D) {
  const Geom s = geom(d);
  const int K = s.k();
  int16_t a[kM * kMaxK];   // a[row][k]
  int16_t bt[kN * kMaxK];  // bt[col][k]
  int64_t acc[kM * kN];
  unpack_int<false>(d.a, A, s.full, a, {kMaxK, 1});
  unpack_int<true>(d.b, B, s.full, bt, {1, kMaxK});
  read_acc(C, false, acc);
  for (int row = 0; row < kM; ++row) {
    for (int col = 0; col < kN; ++col) {
      int32_t dot = 0;
      for (int k = 0; k < K; ++k) dot += a[row * kMaxK + k] * bt[col * kMaxK + k];
      acc[row * kN + col] += dot;
    }
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 4; ++i) {
      const Coord c = frag_c(lane, i);
      int64_t v = acc[c.row * kN + c.col];
      if (d.satfinite) v = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v;
      D[i * kLanes + lane] = static_cast<uint32_t>(v);  // wraps mod 2^32 without satfinite
    }
  }
}

}  // namespace

std::string mma_check(const MmaDesc& d) {
  if (d.m != 16 || d.n != 8) return fmt::format("shape m{}n{}k{} is not supported (only m16n8kX)", d.m, d.n, d.k);
  if (std::string err = check_inputs(d); !err.empty()) return err;
  const int e = 32 / elem_bits(d.a);
  if (d.k != 4 * e && d.k != 8 * e)
    return fmt::format("k{} is not supported for {} inputs (k{} or k{})", d.k, elem_name(d.a), 4 * e, 8 * e);
  return check_accumulator(d);
}

int mma_regs_a(const MmaDesc& d) { return geom(d).full ? 4 : 2; }
int mma_regs_b(const MmaDesc& d) { return geom(d).full ? 2 : 1; }
int mma_regs_c(const MmaDesc& d) { return d.c == MmaElem::F16 ? 2 : 4; }

int mma_elems_a(const MmaDesc& d) { return mma_regs_a(d) * geom(d).e; }
int mma_elems_b(const MmaDesc& d) { return mma_regs_b(d) * geom(d).e; }
int mma_elems_c(const MmaDesc&) { return 4; }

Coord mma_frag_a(const MmaDesc& d, int lane, int i) {
  const Geom s = geom(d);
  return frag_a(s, lane, i / s.e, i % s.e);
}
Coord mma_frag_b(const MmaDesc& d, int lane, int i) {
  const Geom s = geom(d);
  return frag_b(s, lane, i / s.e, i % s.e);
}
Coord mma_frag_c(const MmaDesc&, int lane, int i) { return frag_c(lane, i); }

void mma_sync(const MmaDesc& d, const uint32_t* A, const uint32_t* B, const uint32_t* C, uint32_t* D) {
  if (is_int(d.a)) mma_int(d, A, B, C, D);
  else mma_float(d, A, B, C, D);
}

bool ldmatrix(int num, bool trans, const uint32_t* lane_addr, const uint8_t* smem, uint32_t smem_bytes,
              uint32_t* D, std::string* err) {
  auto fail = [err](std::string msg) {
    if (err != nullptr) *err = std::move(msg);
    return false;
  };
  if (num != 1 && num != 2 && num != 4) return fail(fmt::format("ldmatrix: .x{} is not one of x1, x2, x4", num));
  uint32_t rows[kLanes];  // copied first: D may alias lane_addr
  for (int lane = 0; lane < 8 * num; ++lane) {
    const uint32_t addr = rows[lane] = lane_addr[lane];
    if (addr % 16 != 0) return fail(fmt::format("ldmatrix: lane {} row address {:#x} is not 16-byte aligned", lane, addr));
    if (smem_bytes < 16 || addr > smem_bytes - 16)
      return fail(fmt::format("ldmatrix: lane {} row [{:#x}, {:#x}) is outside shared memory of {} bytes", lane, addr,
                              uint64_t{addr} + 16, smem_bytes));
  }
  if (smem == nullptr) return true;  // rows checked only
  // M_j[r][c] is the c-th little-endian b16 of the row addressed by lane 8j + r.
  auto elem = [&](int j, int r, int c) -> uint32_t {
    const uint8_t* p = smem + rows[8 * j + r] + 2 * c;
    return p[0] | static_cast<uint32_t>(p[1]) << 8;
  };
  for (int j = 0; j < num; ++j) {
    for (int lane = 0; lane < kLanes; ++lane) {
      const int g = lane >> 2, q = lane & 3;
      const uint32_t lo = trans ? elem(j, 2 * q, g) : elem(j, g, 2 * q);
      const uint32_t hi = trans ? elem(j, 2 * q + 1, g) : elem(j, g, 2 * q + 1);
      D[j * kLanes + lane] = lo | hi << 16;
    }
  }
  return true;
}

}  // namespace xpusim::exec
