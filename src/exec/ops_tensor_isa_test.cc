// HMMA / IMMA / LDSM through the ISA: every supported shape and type is run as a tiny kernel
// on fragments built here from logical matrices with the PTX mma.sync / ldmatrix layouts
// (../shared/reference/ptx_tensor_async.md §2.2-3, docs/isa.md §7), and the result is compared
// with a float64 / int64 GEMM of the logical matrices.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "src/exec/exec_test_util.h"
#include "src/isa/numfmt.h"

using namespace xpusim;
using namespace xpusim::exec;
using testing::addr_words;
using testing::Run;
using isa::Fmt;

namespace {

enum class T { F16, BF16, TF32, E4M3, E5M2, S8, U8, S4, U4 };
int bits(T t) {
  switch (t) {
    case T::F16:
    case T::BF16: return 16;
    case T::TF32: return 32;
    case T::S4:
    case T::U4: return 4;
    default: return 8;
  }
}
const char* tok(T t) {
  static const char* kTok[] = {"F16", "BF16", "TF32", "E4M3", "E5M2", "S8", "U8", "S4", "U4"};
  return kTok[static_cast<int>(t)];
}
bool is_int(T t) { return t == T::S8 || t == T::U8 || t == T::S4 || t == T::U4; }

// The element code of value v (exactly representable) in format t.
uint32_t code(T t, double v) {
  switch (t) {
    case T::F16: return isa::encode(Fmt::FP16, v);
    case T::BF16: return isa::encode(Fmt::BF16, v);
    case T::TF32: return std::bit_cast<uint32_t>(static_cast<float>(v));
    case T::E4M3: return isa::encode(Fmt::E4M3, v);
    case T::E5M2: return isa::encode(Fmt::E5M2, v);
    default: return static_cast<uint32_t>(static_cast<int64_t>(v)) & ((1u << bits(t)) - 1);
  }
}

// A random value exactly representable in t (small integers, or scaled mantissas).
double random_value(T t, std::mt19937& rng, bool small) {
  if (t == T::S8) return static_cast<int>(rng() % 256) - 128;
  if (t == T::U8) return rng() % 256;
  if (t == T::S4) return static_cast<int>(rng() % 16) - 8;
  if (t == T::U4) return rng() % 16;
  if (small) return (static_cast<int>(rng() % 7) - 3) * std::ldexp(1.0, static_cast<int>(rng() % 3) - 1);
  // a few significant bits within the format's range, then rounded into the format
  const double v = (static_cast<double>(rng() % 2000) - 1000.0) / 256.0;
  switch (t) {
    case T::F16: return isa::decode(Fmt::FP16, isa::encode(Fmt::FP16, v));
    case T::BF16: return isa::decode(Fmt::BF16, isa::encode(Fmt::BF16, v));
    case T::TF32: return isa::decode(Fmt::TF32, isa::encode(Fmt::TF32, v));
    case T::E4M3: return isa::decode(Fmt::E4M3, isa::encode(Fmt::E4M3, v));
    default: return isa::decode(Fmt::E5M2, isa::encode(Fmt::E5M2, v));
  }
}

struct Mma {
  T a, b;
  int k;          // K
  bool f16acc;    // F16 accumulator (F16 inputs only)
  bool sat;       // IMMA .SAT
  std::string text() const {
    const std::string shape = k == 4 ? "1684" : k == 8 ? "1688" : fmt::format("168{}", k);
    if (is_int(a)) return fmt::format("IMMA.{}.{}.{}{}", shape, tok(a), tok(b), sat ? ".SAT" : "");
    return fmt::format("HMMA.{}.{}.{}.{}", shape, f16acc ? "F16" : "F32", tok(a), tok(b));
  }
};

// Per-lane registers: A 4 words, B 2, C 4; D comes back as 4 words.
struct Frags {
  std::vector<uint32_t> a = std::vector<uint32_t>(128), b = std::vector<uint32_t>(64), c = std::vector<uint32_t>(128);
};

// Packs logical A (16 x K), B (K x 8) and C (16 x 8) into fragments (docs/isa.md §7.2).
Frags pack(const Mma& m, const std::vector<double>& A, const std::vector<double>& B, const std::vector<double>& C,
           uint32_t tf32_garbage = 0) {
  Frags f;
  const int bt = bits(m.a), e = 32 / bt, full = m.k == 8 * e;
  const uint32_t mask = bt == 32 ? 0xffffffffu : (1u << bt) - 1;
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane >> 2, q = lane & 3;
    for (int r = 0; r < (full ? 4 : 2); ++r)
      for (int j = 0; j < e; ++j) {
        const int row = full ? g + 8 * (r & 1) : g + 8 * r, kk = e * q + j + (full ? 4 * e * (r >> 1) : 0);
        f.a[lane * 4 + r] |= ((code(m.a, A[row * m.k + kk]) & mask) | (bt == 32 ? tf32_garbage : 0)) << (j * bt % 32);
      }
    for (int r = 0; r < (full ? 2 : 1); ++r)
      for (int j = 0; j < e; ++j) {
        const int kk = e * q + j + 4 * e * r;
        f.b[lane * 2 + r] |= ((code(m.b, B[kk * 8 + g]) & mask) | (bt == 32 ? tf32_garbage : 0)) << (j * bt % 32);
      }
    for (int i = 0; i < 4; ++i) {
      const double v = C[(g + 8 * (i >> 1)) * 8 + 2 * q + (i & 1)];
      if (m.f16acc) f.c[lane * 4 + (i >> 1)] |= isa::encode(Fmt::FP16, v) << (16 * (i & 1));
      else if (is_int(m.a)) f.c[lane * 4 + i] = static_cast<uint32_t>(static_cast<int64_t>(v));
      else f.c[lane * 4 + i] = std::bit_cast<uint32_t>(static_cast<float>(v));
    }
  }
  return f;
}

// Runs one MMA for a full warp; returns D per lane (4 words). `c_rz`: C operand RZ.
std::vector<uint32_t> run_mma(const Mma& m, const Frags& f, bool c_rz, uint32_t threads = 32, bool alias = false) {
  const std::string c = c_rz ? "RZ" : "R12";
  Run r(fmt::format(R"(
.kernel mma
.param a:u64 b:u64 c:u64 d:u64
.regs 40
  S2R R0, SR_LANEID
  IMAD.WIDE.U32 R2, R0, 16, c[a]
  LDG.128 R4, [R2]
  IMAD.WIDE.U32 R2, R0, 8, c[b]
  LDG.64 R8, [R2]
  IMAD.WIDE.U32 R2, R0, 16, c[c]
  LDG.128 R12, [R2]
  {} {}, R4, R8, {}
  IMAD.WIDE.U32 R2, R0, 16, c[d]
  STG.128 [R2], {}
  EXIT
)",
                    m.text(), alias ? "R12" : "R16", c, alias ? "R12" : "R16"));
  const uint64_t pa = r.buffer(f.a, "a"), pb = r.buffer(f.b, "b"), pc = r.buffer(f.c, "c");
  const uint64_t pd = r.buffer(std::vector<uint32_t>(128), "d");
  std::vector<uint32_t> p;
  for (uint64_t x : {pa, pb, pc, pd})
    for (uint32_t w : addr_words(x)) p.push_back(w);
  r.go({1, 1, 1}, {threads, 1, 1}, p);
  return r.read(pd, 128);
}

// D element (row, col) from the per-lane words (F16 accumulators as pairs).
double d_at(const Mma& m, const std::vector<uint32_t>& d, int row, int col) {
  const int lane = (row % 8) * 4 + col / 2, i = (row / 8) * 2 + (col & 1);
  if (m.f16acc) return isa::decode(Fmt::FP16, (d[lane * 4 + (i >> 1)] >> (16 * (i & 1))) & 0xffff);
  if (is_int(m.a)) return static_cast<int32_t>(d[lane * 4 + i]);
  return std::bit_cast<float>(d[lane * 4 + i]);
}

// Checks an MMA on random logical matrices against a float64/int64 GEMM.
void check_mma(const Mma& m, uint32_t seed, bool small, bool c_rz) {
  std::mt19937 rng(seed);
  std::vector<double> A(16 * m.k), B(m.k * 8), C(16 * 8, 0.0);
  for (auto& v : A) v = random_value(m.a, rng, small);
  for (auto& v : B) v = random_value(m.b, rng, small);
  if (!c_rz)
    for (auto& v : C) v = is_int(m.a) ? static_cast<int>(rng() % 200001) - 100000 : static_cast<int>(rng() % 201) - 100;
  const Frags f = pack(m, A, B, C, m.a == T::TF32 ? 0x1fffu : 0);  // TF32: low 13 bits ignored
  const auto d = run_mma(m, f, c_rz);
  for (int row = 0; row < 16; ++row)
    for (int col = 0; col < 8; ++col) {
      double ref = C[row * 8 + col], mag = std::fabs(ref);
      for (int kk = 0; kk < m.k; ++kk) ref += A[row * m.k + kk] * B[kk * 8 + col], mag += std::fabs(A[row * m.k + kk] * B[kk * 8 + col]);
      const double got = d_at(m, d, row, col);
      INFO(m.text() << " seed " << seed << " D[" << row << "][" << col << "] ref " << ref);
      if (is_int(m.a)) {
        CHECK(got == static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(ref)))));
      } else if (small) {
        CHECK(got == ref);  // every partial sum is exact
      } else {
        // k additions each rounded to FP32 (plus one FP16 rounding for an F16 accumulator)
        const double tol = (m.k + 1) * 0x1p-24 * mag + (m.f16acc ? std::fabs(ref) * 0x1p-11 : 0.0) + 1e-30;
        CHECK(std::fabs(got - ref) <= tol);
      }
    }
}

const std::vector<Mma>& all_mmas() {
  static const std::vector<Mma> kAll = {
      {T::F16, T::F16, 8, false, false},    {T::F16, T::F16, 16, false, false},  {T::F16, T::F16, 8, true, false},
      {T::F16, T::F16, 16, true, false},    {T::BF16, T::BF16, 8, false, false}, {T::BF16, T::BF16, 16, false, false},
      {T::TF32, T::TF32, 4, false, false},  {T::TF32, T::TF32, 8, false, false}, {T::E4M3, T::E4M3, 16, false, false},
      {T::E4M3, T::E4M3, 32, false, false}, {T::E4M3, T::E5M2, 32, false, false}, {T::E5M2, T::E4M3, 32, false, false},
      {T::E5M2, T::E5M2, 16, false, false}, {T::S8, T::S8, 16, false, false},    {T::S8, T::S8, 32, false, false},
      {T::U8, T::U8, 32, false, false},     {T::S8, T::U8, 32, false, false},    {T::U8, T::S8, 16, false, false},
      {T::S4, T::S4, 32, false, false},     {T::S4, T::S4, 64, false, false},    {T::U4, T::U4, 64, false, false},
      {T::S4, T::U4, 64, false, false},     {T::S8, T::S8, 32, false, true},
  };
  return kAll;
}

}  // namespace

TEST_CASE("ops: HMMA/IMMA every shape and type, exact small values, C given or RZ", "[ops]") {
  uint32_t seed = 60;
  for (const Mma& m : all_mmas()) {
    check_mma(m, seed++, true, false);
    check_mma(m, seed++, true, true);
  }
}

TEST_CASE("ops: HMMA/IMMA every shape and type on random values against a float64 GEMM", "[ops]") {
  uint32_t seed = 160;
  for (const Mma& m : all_mmas()) check_mma(m, seed++, false, false);
}

TEST_CASE("ops: IMMA wraps without .SAT and clamps with it, D may alias C", "[ops]") {
  for (bool sat : {false, true}) {
    const Mma m{T::S8, T::S8, 32, false, sat};
    std::vector<double> A(16 * 32, -128.0), B(32 * 8, -128.0), C(128, 2147400000.0);
    for (int col = 0; col < 8; col += 2)
      for (int kk = 0; kk < 32; ++kk) B[kk * 8 + col] = 127;  // negative dot products
    for (int i = 0; i < 128; i += 2) C[i] = -2147400000.0;
    const auto d = run_mma(m, pack(m, A, B, C), false, 32, true);
    for (int row = 0; row < 16; ++row)
      for (int col = 0; col < 8; ++col) {
        int64_t ref = static_cast<int64_t>(C[row * 8 + col]);
        for (int kk = 0; kk < 32; ++kk) ref += static_cast<int64_t>(A[row * 32 + kk] * B[kk * 8 + col]);
        const int64_t exp = sat ? std::clamp<int64_t>(ref, INT32_MIN, INT32_MAX)
                                : static_cast<int32_t>(static_cast<uint32_t>(ref));
        INFO("sat " << sat << " D[" << row << "][" << col << "] ref " << ref);
        CHECK(d_at(m, d, row, col) == static_cast<double>(exp));
      }
  }
}

TEST_CASE("ops: HMMA with an F16 accumulator rounds once to FP16, Inf*0 gives the canonical NaN", "[ops]") {
  const Mma m{T::F16, T::F16, 16, true, false};
  std::vector<double> A(16 * 16, 0.0), B(16 * 8, 0.0), C(128, 0.0);
  // row 0: 2048 + 16 products of 0.125, each below FP16 resolution at 2048 but not together
  for (int kk = 0; kk < 16; ++kk) A[kk] = 0.5, B[kk * 8] = 0.25;  // 16 * 0.125 = 2
  C[0] = 2048;                                                    // 2050 is exact in FP16 (ulp 2)
  C[1 * 8 + 2] = 1.0;
  Frags f = pack(m, A, B, C);
  const auto d = run_mma(m, f, false);
  CHECK(d_at(m, d, 0, 0) == 2050.0);
  CHECK(d_at(m, d, 1, 2) == 1.0);
  // F32 accumulator with an Inf input times zero
  const Mma m32{T::F16, T::F16, 16, false, false};
  std::vector<double> A2(16 * 16, 1.0), B2(16 * 8, 0.0), C2(128, 0.0);
  A2[0] = INFINITY;
  const auto d2 = run_mma(m32, pack(m32, A2, B2, C2), false);
  CHECK(d2[0] == 0x7fffffffu);  // lane 0 holds D[0][0], D[0][1], D[8][0], D[8][1]
  CHECK(d2[1] == 0x7fffffffu);
  CHECK(d2[2] == 0u);
}

TEST_CASE("ops: LDSM .1/.2/.4 with and without .MT88 give the ldmatrix fragments", "[ops]") {
  Run r(R"(
.kernel ldsm
.param src:u64 rows:u64 out:u64
.regs 40
.shared sm 4096
  S2R R0, SR_LANEID
  SHF.L.U32 R1, R0, 7, RZ
  IMAD.WIDE.U32 R2, R0, 128, c[src]
  LDG.128 R4, [R2]
  STS.128 [R1+sm], R4
  LDG.128 R4, [R2+16]
  STS.128 [R1+sm+16], R4
  LDG.128 R4, [R2+32]
  STS.128 [R1+sm+32], R4
  LDG.128 R4, [R2+48]
  STS.128 [R1+sm+48], R4
  LDG.128 R4, [R2+64]
  STS.128 [R1+sm+64], R4
  LDG.128 R4, [R2+80]
  STS.128 [R1+sm+80], R4
  LDG.128 R4, [R2+96]
  STS.128 [R1+sm+96], R4
  LDG.128 R4, [R2+112]
  STS.128 [R1+sm+112], R4
  BAR.SYNC 0
  IMAD.WIDE.U32 R2, R0, 4, c[rows]
  LDG R1, [R2]
  ISETP.LT.U32 P0, R0, 8
  SEL R20, R1, 0xfff3, P0
  LDSM.16.M88.4 R4, [R1+sm]
  LDSM.16.MT88.4 R8, [R1+sm]
  LDSM.16.M88.2 R12, [R1+sm]
  LDSM.16.MT88.2 R14, [R1+sm]
  LDSM.16.M88.1 R16, [R20]
  LDSM.16.MT88.1 R17, [R20]
  IMAD.WIDE.U32 R2, R0, 64, c[out]
  STG.128 [R2], R4
  STG.128 [R2+16], R8
  STG.128 [R2+32], R12
  STG.128 [R2+48], R16
  EXIT
)");
  std::vector<uint32_t> src(1024);
  for (uint32_t i = 0; i < 1024; ++i) src[i] = (2 * i) | ((2 * i + 1) << 16);  // b16 element e holds e
  // Row address of lane l: scattered, 16-byte aligned rows: row r of matrix j at 512j + 48(7-r) + 16(j&1)
  std::vector<uint32_t> rows(32);
  for (uint32_t l = 0; l < 32; ++l) rows[l] = 512 * (l / 8) + 48 * (7 - l % 8) + 16 * ((l / 8) & 1);
  const uint64_t ps = r.buffer(src, "src"), pr = r.buffer(rows, "rows"), po = r.buffer(std::vector<uint32_t>(512), "out");
  std::vector<uint32_t> p;
  for (uint64_t x : {ps, pr, po})
    for (uint32_t w : addr_words(x)) p.push_back(w);
  r.go({1, 1, 1}, {32, 1, 1}, p);
  const auto o = r.read(po, 512);
  // M_j[r][c] = element at byte rows[8j + r] + 2c, i.e. element index rows/2 + c
  auto M = [&](int j, int row, int col) { return rows[8 * j + row] / 2 + col; };
  auto frag = [&](int j, int lane, bool trans) {
    const int g = lane >> 2, q = lane & 3;
    const uint32_t lo = trans ? M(j, 2 * q, g) : M(j, g, 2 * q), hi = trans ? M(j, 2 * q + 1, g) : M(j, g, 2 * q + 1);
    return lo | hi << 16;
  };
  for (int lane = 0; lane < 32; ++lane) {
    const uint32_t* w = o.data() + lane * 16;
    INFO("lane " << lane);
    for (int j = 0; j < 4; ++j) {
      CHECK(w[j] == frag(j, lane, false));
      CHECK(w[4 + j] == frag(j, lane, true));
    }
    for (int j = 0; j < 2; ++j) {
      CHECK(w[8 + j] == frag(j, lane, false));
      CHECK(w[10 + j] == frag(j, lane, true));
    }
    CHECK(w[12] == frag(0, lane, false));  // .1 ignores lanes 8..31 (their address is bad)
    CHECK(w[13] == frag(0, lane, true));
  }
}

TEST_CASE("ops: the docs' LDSM + HMMA.16816 recipe multiplies row-major A by column-major B", "[ops]") {
  Run r(R"(
.kernel mma16816
.param  A:u64  B:u64  D:u64
.regs   24
.shared sA 512
.shared sB 256
        S2R       R20, SR_LANEID
        IMAD.WIDE.U32 R16, R20, 16, c[A]
        LDG.128   R4, [R16]
        IMAD      R21, R20, 16, RZ
        STS.128   [R21+sA], R4
        ISETP.LT.U32 P0, R20, 16
        IMAD.WIDE.U32 R16, R20, 16, c[B]
  @P0   LDG.128   R4, [R16]
  @P0   STS.128   [R21+sB], R4
        BAR.SYNC  0
        LOP3.LUT  R22, R20, 15, RZ, 0xc0
        SHF.R.U32.HI R23, RZ, 4, R20
        IMAD      R22, R22, 32, RZ
        LEA       R22, R23, R22, 4
        LDSM.16.M88.4 R8, [R22+sA]
        LOP3.LUT  R22, R20, 7, RZ, 0xc0
        SHF.R.U32.HI R23, RZ, 3, R20
        LOP3.LUT  R23, R23, 1, RZ, 0xc0
        IMAD      R22, R22, 32, RZ
        LEA       R22, R23, R22, 4
        LDSM.16.M88.2 R12, [R22+sB]
        HMMA.16816.F32 R0, R8, R12, RZ
        SHF.R.U32.HI R22, RZ, 2, R20
        LOP3.LUT  R23, R20, 3, RZ, 0xc0
        IMAD      R22, R22, 32, RZ
        LEA       R22, R23, R22, 3
        IMAD.WIDE.U32 R16, R22, 1, c[D]
        STG.64    [R16], R0
        STG.64    [R16+256], R2
        EXIT
)");
  std::mt19937 rng(70);
  std::vector<double> A(256), B(128);  // A row-major 16x16, B column-major 16x8 (B[n][k] in memory)
  for (auto& v : A) v = (static_cast<int>(rng() % 17) - 8) / 4.0;
  for (auto& v : B) v = (static_cast<int>(rng() % 17) - 8) / 8.0;
  std::vector<uint32_t> a(128), b(64);
  for (int i = 0; i < 256; ++i) a[i / 2] |= isa::encode(Fmt::FP16, A[i]) << (16 * (i & 1));
  for (int i = 0; i < 128; ++i) b[i / 2] |= isa::encode(Fmt::FP16, B[i]) << (16 * (i & 1));
  const uint64_t pa = r.buffer(a, "A"), pb = r.buffer(b, "B"), pd = r.buffer(std::vector<uint32_t>(128), "D");
  std::vector<uint32_t> p;
  for (uint64_t x : {pa, pb, pd})
    for (uint32_t w : addr_words(x)) p.push_back(w);
  r.go({1, 1, 1}, {32, 1, 1}, p);
  const auto d = r.read(pd, 128);
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) {
      double ref = 0;
      for (int k = 0; k < 16; ++k) ref += A[m * 16 + k] * B[n * 16 + k];
      INFO("D[" << m << "][" << n << "]");
      CHECK(std::bit_cast<float>(d[m * 8 + n]) == ref);  // small dyadic values: exact
    }
}

TEST_CASE("ops: HMMA, IMMA and LDSM fault unless all 32 lanes execute them, LDSM checks rows", "[ops]") {
  const Mma m{T::F16, T::F16, 16, false, false};
  const Frags f = pack(m, std::vector<double>(256, 1.0), std::vector<double>(128, 1.0), std::vector<double>(128, 0.0));
  CHECK_THROWS_WITH(run_mma(m, f, false, 16), Catch::Contains("warp-collective"));
  const Mma mi{T::S8, T::S8, 32, false, false};
  CHECK_THROWS_WITH(run_mma(mi, pack(mi, std::vector<double>(512, 1.0), std::vector<double>(256, 1.0),
                                     std::vector<double>(128, 0.0)), false, 48),
                    Catch::Contains("warp-collective"));
  auto fault = [](const std::string& body, uint32_t threads, const std::string& what) {
    Run r(".kernel f\n.regs 16\n.shared sm 256\n  S2R R0, SR_LANEID\n  SHF.L.U32 R1, R0, 4, RZ\n"
          "  ISETP.LT.U32 P0, R0, 16\n" + body + "\n  EXIT\n");
    INFO(body);
    CHECK_THROWS_WITH(r.go({1, 1, 1}, {threads, 1, 1}, {}), Catch::Contains(what));
  };
  fault("  LDSM.16.M88.4 R4, [R1+sm]", 16, "LDSM is warp-collective");
  fault("  @P0 LDSM.16.M88.1 R4, [R1+sm]", 32, "LDSM is warp-collective");
  fault("  @P0 HMMA.1688.F32 R4, R8, R12, RZ", 32, "warp-collective");
  fault("  LDSM.16.M88.1 R4, [R1+sm+8]", 32, "not 16-byte aligned");
  fault("  LDSM.16.M88.2 R4, [R1+sm+128]", 32, "outside shared memory");
}
