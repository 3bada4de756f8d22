// Tests for src/exec/tensor_ops: fragment maps against the reference formulas (written out
// here independently), mma_sync on every supported shape/type against a reference computed
// from the logical matrices, ldmatrix, and an ldmatrix -> mma_sync end-to-end tile.
#include "src/exec/tensor_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "src/engine/rng.h"
#include "src/isa/numfmt.h"

namespace xpusim::exec {
namespace {

using isa::Fmt;

// Every supported combination (brief + PTX §9.7.14.5.14), written out.
std::vector<MmaDesc> all_supported() {
  using E = MmaElem;
  std::vector<MmaDesc> v;
  auto add = [&v](uint8_t k, E a, E b, E c, bool sat = false) { v.push_back({16, 8, k, a, b, c, c, sat}); };
  for (const uint8_t k : {8, 16}) {
    add(k, E::F16, E::F16, E::F32);
    add(k, E::F16, E::F16, E::F16);
    add(k, E::BF16, E::BF16, E::F32);
  }
  for (const uint8_t k : {4, 8}) add(k, E::TF32, E::TF32, E::F32);
  for (const uint8_t k : {16, 32})
    for (const E a : {E::E4M3, E::E5M2})
      for (const E b : {E::E4M3, E::E5M2}) add(k, a, b, E::F32);
  for (const bool sat : {false, true}) {
    for (const uint8_t k : {16, 32})
      for (const E a : {E::S8, E::U8})
        for (const E b : {E::S8, E::U8}) add(k, a, b, E::S32, sat);
    for (const uint8_t k : {32, 64})
      for (const E a : {E::S4, E::U4})
        for (const E b : {E::S4, E::U4}) add(k, a, b, E::S32, sat);
  }
  return v;
}

int width(MmaElem e) {
  switch (e) {
    case MmaElem::F16:
    case MmaElem::BF16: return 16;
    case MmaElem::TF32: return 32;
    case MmaElem::S4:
    case MmaElem::U4: return 4;
    default: return 8;
  }
}
bool is_int(MmaElem e) { return e == MmaElem::S8 || e == MmaElem::U8 || e == MmaElem::S4 || e == MmaElem::U4; }

std::string name(const MmaDesc& d) {
  static const char* kNames[] = {"f16", "bf16", "tf32", "e4m3", "e5m2", "s8", "u8", "s4", "u4", "f32", "s32"};
  return fmt::format("m16n8k{}.{}.{}.{}{}", d.k, kNames[static_cast<int>(d.d)], kNames[static_cast<int>(d.a)],
                     kNames[static_cast<int>(d.b)], d.satfinite ? ".satfinite" : "");
}

// The reference §2.2 formulas, per element index i (E = 32 / element width).
struct Rc {
  int row, col;
};
Rc ref_a(const MmaDesc& d, int lane, int i) {
  const int E = 32 / width(d.a), g = lane / 4, q = lane % 4;
  if (d.k == 8 * E) return {g + 8 * ((i / E) & 1), E * q + (i % E) + 4 * E * (i / (2 * E))};
  return {g + 8 * (i / E), E * q + (i % E)};
}
Rc ref_b(const MmaDesc& d, int lane, int i) {
  const int E = 32 / width(d.a), g = lane / 4, q = lane % 4;
  if (d.k == 8 * E) return {E * q + (i % E) + 4 * E * (i / E), g};
  return {E * q + i, g};
}
Rc ref_c(int lane, int i) { return {lane / 4 + 8 * (i >> 1), 2 * (lane % 4) + (i & 1)}; }

// Logical operands: A[16][K], B[K][8] as element codes, C[16][8] as accumulator codes.
struct Tile {
  int K = 0;
  std::vector<uint32_t> a, b;
  uint32_t c[16][8] = {};
};

// Registers from logical matrices through the reference fragment formulas.
void pack(const MmaDesc& d, const Tile& t, std::vector<uint32_t>& A, std::vector<uint32_t>& B,
          std::vector<uint32_t>& C) {
  const int w = width(d.a), E = 32 / w;
  const uint32_t mask = w == 32 ? 0xffffffffu : (1u << w) - 1;
  A.assign(32 * mma_regs_a(d), 0);
  B.assign(32 * mma_regs_b(d), 0);
  C.assign(32 * mma_regs_c(d), 0);
  for (int lane = 0; lane < 32; ++lane) {
    for (int i = 0; i < mma_regs_a(d) * E; ++i) {
      const Rc rc = ref_a(d, lane, i);
      A[(i / E) * 32 + lane] |= (t.a[rc.row * t.K + rc.col] & mask) << (i % E * w);
    }
    for (int i = 0; i < mma_regs_b(d) * E; ++i) {
      const Rc rc = ref_b(d, lane, i);
      B[(i / E) * 32 + lane] |= (t.b[rc.row * 8 + rc.col] & mask) << (i % E * w);
    }
    for (int i = 0; i < 4; ++i) {
      const Rc rc = ref_c(lane, i);
      if (d.c == MmaElem::F16) C[(i / 2) * 32 + lane] |= t.c[rc.row][rc.col] << (16 * (i % 2));
      else C[i * 32 + lane] = t.c[rc.row][rc.col];
    }
  }
}

// D register contents back to a logical 16x8 matrix of codes.
void unpack_d(const MmaDesc& d, const std::vector<uint32_t>& D, uint32_t out[16][8]) {
  for (int lane = 0; lane < 32; ++lane) {
    for (int i = 0; i < 4; ++i) {
      const Rc rc = ref_c(lane, i);
      out[rc.row][rc.col] = d.d == MmaElem::F16 ? (D[(i / 2) * 32 + lane] >> (16 * (i % 2))) & 0xffff : D[i * 32 + lane];
    }
  }
}

Fmt fmt_of(MmaElem e) {
  switch (e) {
    case MmaElem::F16: return Fmt::FP16;
    case MmaElem::BF16: return Fmt::BF16;
    case MmaElem::TF32: return Fmt::TF32;
    case MmaElem::E4M3: return Fmt::E4M3;
    default: return Fmt::E5M2;
  }
}

uint32_t random_elem(MmaElem e, engine::Rng& rng) {
  if (is_int(e)) return static_cast<uint32_t>(rng.next());  // any bit pattern is valid
  const double x = rng.uniform(-4.0, 4.0) * (rng.below(8) == 0 ? 1.0 / 64 : 1.0);
  const uint32_t code = isa::encode(fmt_of(e), x);
  return e == MmaElem::TF32 ? code | static_cast<uint32_t>(rng.below(0x2000)) : code;  // junk low bits
}

Tile random_tile(const MmaDesc& d, engine::Rng& rng) {
  Tile t;
  t.K = d.k;
  for (int i = 0; i < 16 * d.k; ++i) t.a.push_back(random_elem(d.a, rng));
  for (int i = 0; i < d.k * 8; ++i) t.b.push_back(random_elem(d.b, rng));
  for (auto& row : t.c) {
    for (uint32_t& c : row) {
      if (d.c == MmaElem::S32) c = static_cast<uint32_t>(rng.next());
      else if (d.c == MmaElem::F16) c = isa::encode(Fmt::FP16, rng.uniform(-8, 8));
      else c = std::bit_cast<uint32_t>(static_cast<float>(rng.uniform(-8, 8)));
    }
  }
  return t;
}

int64_t int_elem(MmaElem e, uint32_t code) {
  const bool s = e == MmaElem::S8 || e == MmaElem::S4;
  return isa::int_from_bits(code, width(e), s);
}

// Expected D code for (row, col); *bound_ok reports the float64 closeness check.
uint32_t reference(const MmaDesc& d, const Tile& t, int row, int col, bool* bound_ok) {
  *bound_ok = true;
  if (is_int(d.a)) {
    int64_t sum = static_cast<int32_t>(t.c[row][col]);
    for (int k = 0; k < t.K; ++k) sum += int_elem(d.a, t.a[row * t.K + k]) * int_elem(d.b, t.b[k * 8 + col]);
    if (d.satfinite) sum = std::min<int64_t>(std::max<int64_t>(sum, INT32_MIN), INT32_MAX);
    return static_cast<uint32_t>(sum);
  }
  const double c = d.c == MmaElem::F16 ? isa::decode(Fmt::FP16, t.c[row][col]) : isa::decode(Fmt::FP32, t.c[row][col]);
  float acc = static_cast<float>(c);
  double exact = c, mag = std::fabs(c);
  for (int k = 0; k < t.K; ++k) {
    const long double p = static_cast<long double>(isa::decode(fmt_of(d.a), t.a[row * t.K + k])) *
                          isa::decode(fmt_of(d.b), t.b[k * 8 + col]);
    acc = static_cast<float>(static_cast<long double>(acc) + p);  // FP32 RN, k order
    exact += static_cast<double>(p);
    mag += std::fabs(static_cast<double>(p));
  }
  double err_bound = (t.K + 1) * 0x1p-24 * mag + 0x1p-140;
  if (d.d == MmaElem::F16) {
    err_bound += 0x1p-11 * std::fabs(exact) + 0x1p-24;
    *bound_ok = std::fabs(isa::decode(Fmt::FP16, isa::encode(Fmt::FP16, acc)) - exact) <= err_bound;
    return isa::encode(Fmt::FP16, acc);
  }
  *bound_ok = std::fabs(static_cast<double>(acc) - exact) <= err_bound;
  return std::bit_cast<uint32_t>(acc);
}

// Runs one random tile through mma_sync; returns the number of mismatching D elements.
int run_random(const MmaDesc& d, engine::Rng& rng, std::string* first) {
  const Tile t = random_tile(d, rng);
  std::vector<uint32_t> A, B, C;
  pack(d, t, A, B, C);
  std::vector<uint32_t> D(C.size(), 0xdeadbeef);
  mma_sync(d, A.data(), B.data(), C.data(), D.data());
  uint32_t got[16][8];
  unpack_d(d, D, got);
  int bad = 0;
  for (int row = 0; row < 16; ++row) {
    for (int col = 0; col < 8; ++col) {
      bool bound_ok;
      const uint32_t want = reference(d, t, row, col, &bound_ok);
      if ((got[row][col] != want || !bound_ok) && bad++ == 0)
        *first = fmt::format("({},{}) got {:#x} want {:#x}{}", row, col, got[row][col], want,
                             bound_ok ? "" : " (float64 bound)");
    }
  }
  return bad;
}

}  // namespace

TEST_CASE("tensor: mma_check accepts every supported shape and type", "[tensor]") {
  const auto all = all_supported();
  CHECK(all.size() == 48);
  for (const MmaDesc& d : all) {
    INFO(name(d));
    CHECK(mma_check(d).empty());
  }
}

TEST_CASE("tensor: mma_check rejects everything else with a reason", "[tensor]") {
  using E = MmaElem;
  const MmaDesc bad[] = {
      {8, 8, 4, E::F16, E::F16, E::F32, E::F32, false},      // m8n8k4 not modelled
      {16, 16, 16, E::F16, E::F16, E::F32, E::F32, false},   // n16
      {16, 8, 32, E::F16, E::F16, E::F32, E::F32, false},    // k32 for 16-bit
      {16, 8, 16, E::TF32, E::TF32, E::F32, E::F32, false},  // k16 for tf32
      {16, 8, 16, E::BF16, E::BF16, E::F16, E::F16, false},  // bf16 with f16 accumulator
      {16, 8, 16, E::F16, E::BF16, E::F32, E::F32, false},   // mixed 16-bit
      {16, 8, 32, E::E4M3, E::S8, E::F32, E::F32, false},    // fp8 with int
      {16, 8, 32, E::E4M3, E::E5M2, E::S32, E::S32, false},  // fp8 to s32
      {16, 8, 32, E::S8, E::S8, E::F32, E::F32, false},      // int to f32
      {16, 8, 16, E::S4, E::S4, E::S32, E::S32, false},      // k16 for 4-bit
      {16, 8, 16, E::F16, E::F16, E::F16, E::F32, false},    // c != d
      {16, 8, 16, E::F16, E::F16, E::F32, E::F32, true},     // satfinite on float
      {16, 8, 8, E::F32, E::F32, E::F32, E::F32, false},     // f32 inputs
      {16, 8, 32, E::S8, E::S4, E::S32, E::S32, false},      // mixed widths
  };
  for (const MmaDesc& d : bad) {
    const std::string why = mma_check(d);
    INFO(name(d) << " m" << int{d.m} << "n" << int{d.n});
    CHECK_FALSE(why.empty());
  }
  CHECK(mma_check(bad[0]).find("m8n8k4") != std::string::npos);
  CHECK(mma_check(bad[2]).find("k32") != std::string::npos);
  CHECK(mma_check(bad[11]).find("satfinite") != std::string::npos);
}

TEST_CASE("tensor: register and element counts per operand", "[tensor]") {
  for (const MmaDesc& d : all_supported()) {
    INFO(name(d));
    const int E = 32 / width(d.a);
    const bool full = d.k == 8 * E;
    CHECK(mma_regs_a(d) == (full ? 4 : 2));
    CHECK(mma_regs_b(d) == (full ? 2 : 1));
    CHECK(mma_regs_c(d) == (d.c == MmaElem::F16 ? 2 : 4));
    CHECK(mma_elems_a(d) * 32 == 16 * d.k);  // the warp holds A exactly once
    CHECK(mma_elems_b(d) * 32 == d.k * 8);
    CHECK(mma_elems_c(d) == 4);
  }
}

TEST_CASE("tensor: fragment maps equal the reference formulas and cover each element once", "[tensor]") {
  for (const MmaDesc& d : all_supported()) {
    INFO(name(d));
    std::vector<int> seen_a(16 * d.k, 0), seen_b(d.k * 8, 0), seen_c(128, 0);
    int mismatches = 0;
    for (int lane = 0; lane < 32; ++lane) {
      for (int i = 0; i < mma_elems_a(d); ++i) {
        const Coord c = mma_frag_a(d, lane, i);
        const Rc r = ref_a(d, lane, i);
        mismatches += c.row != r.row || c.col != r.col;
        ++seen_a[r.row * d.k + r.col];
      }
      for (int i = 0; i < mma_elems_b(d); ++i) {
        const Coord c = mma_frag_b(d, lane, i);
        const Rc r = ref_b(d, lane, i);
        mismatches += c.row != r.row || c.col != r.col;
        ++seen_b[r.row * 8 + r.col];
      }
      for (int i = 0; i < 4; ++i) {
        const Coord c = mma_frag_c(d, lane, i);
        const Rc r = ref_c(lane, i);
        mismatches += c.row != r.row || c.col != r.col;
        ++seen_c[r.row * 8 + r.col];
      }
    }
    CHECK(mismatches == 0);
    CHECK(std::count(seen_a.begin(), seen_a.end(), 1) == 16 * d.k);
    CHECK(std::count(seen_b.begin(), seen_b.end(), 1) == d.k * 8);
    CHECK(std::count(seen_c.begin(), seen_c.end(), 1) == 128);
  }
}

TEST_CASE("tensor: fragment spot checks from the PTX figures", "[tensor]") {
  const MmaDesc f16{16, 8, 16, MmaElem::F16, MmaElem::F16, MmaElem::F32, MmaElem::F32, false};
  const int a_lane0[8][2] = {{0, 0}, {0, 1}, {8, 0}, {8, 1}, {0, 8}, {0, 9}, {8, 8}, {8, 9}};
  for (int i = 0; i < 8; ++i) {
    CHECK(mma_frag_a(f16, 0, i).row == a_lane0[i][0]);
    CHECK(mma_frag_a(f16, 0, i).col == a_lane0[i][1]);
  }
  CHECK(mma_frag_a(f16, 5, 0).row == 1);  // g = 1, q = 1
  CHECK(mma_frag_a(f16, 5, 0).col == 2);
  CHECK(mma_frag_b(f16, 0, 2).row == 8);
  CHECK(mma_frag_b(f16, 31, 3).row == 15);
  CHECK(mma_frag_b(f16, 31, 3).col == 7);
  CHECK(mma_frag_c(f16, 31, 3).row == 15);
  CHECK(mma_frag_c(f16, 31, 3).col == 7);
  const MmaDesc s8{16, 8, 32, MmaElem::S8, MmaElem::S8, MmaElem::S32, MmaElem::S32, false};
  CHECK(mma_frag_a(s8, 0, 7).row == 8);
  CHECK(mma_frag_a(s8, 0, 7).col == 3);
  CHECK(mma_frag_a(s8, 0, 8).row == 0);
  CHECK(mma_frag_a(s8, 0, 8).col == 16);
  // TF32, written out from §2.2's TF32 list.
  const MmaDesc t8{16, 8, 8, MmaElem::TF32, MmaElem::TF32, MmaElem::F32, MmaElem::F32, false};
  const MmaDesc t4{16, 8, 4, MmaElem::TF32, MmaElem::TF32, MmaElem::F32, MmaElem::F32, false};
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane >> 2, q = lane & 3;
    for (int i = 0; i < 4; ++i) {
      CHECK(mma_frag_a(t8, lane, i).row == g + 8 * (i & 1));
      CHECK(mma_frag_a(t8, lane, i).col == q + 4 * (i >> 1));
    }
    for (int i = 0; i < 2; ++i) {
      CHECK(mma_frag_b(t8, lane, i).row == q + 4 * i);
      CHECK(mma_frag_a(t4, lane, i).row == g + 8 * i);
      CHECK(mma_frag_a(t4, lane, i).col == q);
    }
    CHECK(mma_frag_b(t4, lane, 0).row == q);
    CHECK(mma_frag_b(t4, lane, 0).col == g);
  }
}

TEST_CASE("tensor: mma_sync matches the reference on every shape and type", "[tensor]") {
  engine::Rng rng(2024);
  for (const MmaDesc& d : all_supported()) {
    int bad = 0;
    std::string first;
    for (int trial = 0; trial < 12; ++trial) bad += run_random(d, rng, &first);
    INFO(name(d) << ": " << first);
    CHECK(bad == 0);
  }
}

TEST_CASE("tensor: D may alias C or A", "[tensor]") {
  engine::Rng rng(5);
  const MmaDesc d{16, 8, 16, MmaElem::F16, MmaElem::F16, MmaElem::F32, MmaElem::F32, false};
  const MmaDesc di{16, 8, 32, MmaElem::S8, MmaElem::U8, MmaElem::S32, MmaElem::S32, true};
  for (const MmaDesc& desc : {d, di}) {
    const Tile t = random_tile(desc, rng);
    std::vector<uint32_t> A, B, C;
    pack(desc, t, A, B, C);
    std::vector<uint32_t> D(C.size());
    mma_sync(desc, A.data(), B.data(), C.data(), D.data());
    std::vector<uint32_t> C2 = C;
    mma_sync(desc, A.data(), B.data(), C2.data(), C2.data());
    CHECK(C2 == D);
    std::vector<uint32_t> A2 = A;  // A has 4 registers: room for D's 4
    mma_sync(desc, A2.data(), B.data(), C.data(), A2.data());
    CHECK(std::vector<uint32_t>(A2.begin(), A2.begin() + D.size()) == D);
  }
}

namespace {
// One-element products: A(row, k0) * B(k0, col) with everything else zero.
MmaDesc int_desc(MmaElem a, MmaElem b, uint8_t k, bool sat) { return {16, 8, k, a, b, MmaElem::S32, MmaElem::S32, sat}; }

int32_t int_result(const MmaDesc& d, int32_t c, uint32_t a_code, uint32_t b_code) {
  Tile t;
  t.K = d.k;
  t.a.assign(16 * d.k, a_code);  // all K products of row 0 x col 0 are a*b
  t.b.assign(d.k * 8, b_code);
  t.c[0][0] = static_cast<uint32_t>(c);
  std::vector<uint32_t> A, B, C;
  pack(d, t, A, B, C);
  std::vector<uint32_t> D(C.size());
  mma_sync(d, A.data(), B.data(), C.data(), D.data());
  uint32_t out[16][8];
  unpack_d(d, D, out);
  return static_cast<int32_t>(out[0][0]);
}
}  // namespace

TEST_CASE("tensor: integer overflow wraps, or clamps with satfinite", "[tensor]") {
  const int32_t near_max = INT32_MAX - 1000;
  // s8: 32 products of 127*127 = 516128 past INT32_MAX - 1000.
  const MmaDesc w = int_desc(MmaElem::S8, MmaElem::S8, 32, false), s = int_desc(MmaElem::S8, MmaElem::S8, 32, true);
  const int64_t sum = int64_t{near_max} + 32 * 127 * 127;
  CHECK(int_result(w, near_max, 0x7f, 0x7f) == static_cast<int32_t>(static_cast<uint32_t>(sum)));
  CHECK(int_result(s, near_max, 0x7f, 0x7f) == INT32_MAX);
  // Negative: -128 * 255 (s8 x u8) from near INT32_MIN.
  const MmaDesc wn = int_desc(MmaElem::S8, MmaElem::U8, 16, false), sn = int_desc(MmaElem::S8, MmaElem::U8, 16, true);
  const int32_t near_min = INT32_MIN + 10;
  CHECK(int_result(sn, near_min, 0x80, 0xff) == INT32_MIN);
  CHECK(int_result(wn, near_min, 0x80, 0xff) ==
        static_cast<int32_t>(static_cast<uint32_t>(int64_t{near_min} - 16 * 128 * 255)));
  // s4/u4: -8 * 15 * 64 and 7 * 7 * 32.
  CHECK(int_result(int_desc(MmaElem::S4, MmaElem::U4, 64, true), INT32_MIN + 5, 0x8, 0xf) == INT32_MIN);
  CHECK(int_result(int_desc(MmaElem::S4, MmaElem::U4, 64, false), 0, 0x8, 0xf) == -8 * 15 * 64);
  CHECK(int_result(int_desc(MmaElem::S4, MmaElem::S4, 32, false), 3, 0x7, 0x7) == 3 + 49 * 32);
  CHECK(int_result(int_desc(MmaElem::U4, MmaElem::S4, 32, true), 0, 0xf, 0x9) == 15 * -7 * 32);
  // In range: satfinite changes nothing.
  CHECK(int_result(s, -5, 0x80, 0x80) == -5 + 32 * 16384);
}

TEST_CASE("tensor: f16 accumulator rounds once at the end, NaN is canonical", "[tensor]") {
  // Row 0 x col 0: 1*1 + 15 * 2^-6 * 2^-6. In f16 each 2^-12 would vanish (half ulp of 1 is
  // 2^-11); in FP32 they sum to 15 * 2^-12, which rounds (once) to 1 + 2^-8.
  const MmaDesc d{16, 8, 16, MmaElem::F16, MmaElem::F16, MmaElem::F16, MmaElem::F16, false};
  Tile t;
  t.K = 16;
  t.a.assign(16 * 16, 0x2400);  // 2^-6
  t.b.assign(16 * 8, 0x2400);
  t.a[0] = 0x3c00;
  t.b[0] = 0x3c00;
  std::vector<uint32_t> A, B, C;
  pack(d, t, A, B, C);
  std::vector<uint32_t> D(C.size());
  mma_sync(d, A.data(), B.data(), C.data(), D.data());
  uint32_t out[16][8];
  unpack_d(d, D, out);
  CHECK(out[0][0] == 0x3c04);
  CHECK(out[1][1] == isa::encode(Fmt::FP16, 16 * 0x1p-12));
  // E4M3 NaN input -> canonical FP32 NaN; Inf - Inf in E5M2 -> canonical NaN too.
  const MmaDesc f8{16, 8, 32, MmaElem::E4M3, MmaElem::E5M2, MmaElem::F32, MmaElem::F32, false};
  Tile n;
  n.K = 32;
  n.a.assign(16 * 32, 0x38);  // 1.0
  n.b.assign(32 * 8, 0x3c);   // 1.0
  n.a[0] = 0xff;              // NaN in row 0
  n.b[0] = 0x7c;              // +Inf at (k 0, col 0)
  n.b[8] = 0xfc;              // -Inf at (k 1, col 0)
  pack(f8, n, A, B, C);
  D.assign(C.size(), 0);
  mma_sync(f8, A.data(), B.data(), C.data(), D.data());
  unpack_d(f8, D, out);
  CHECK(out[0][3] == 0x7fffffffu);
  CHECK(out[5][0] == 0x7fffffffu);
  CHECK(out[5][1] == std::bit_cast<uint32_t>(32.0f));
}

TEST_CASE("tensor: products are exact even below the FP32 range", "[tensor]") {
  // bf16 2^-75 * 2^-75 = 2^-150 is half of FP32's smallest subnormal. Added exactly to
  // C = 3 * 2^-149 it gives 3.5 * 2^-149, a tie that rounds to even: 4 * 2^-149. Rounding
  // the product to FP32 first (to 0, also a tie) would leave 3 * 2^-149.
  for (const MmaElem e : {MmaElem::BF16, MmaElem::TF32}) {
    const MmaDesc d{16, 8, 8, e, e, MmaElem::F32, MmaElem::F32, false};
    Tile t;
    t.K = 8;
    const uint32_t tiny = isa::encode(fmt_of(e), 0x1p-75);
    t.a.assign(16 * 8, 0);
    t.b.assign(8 * 8, 0);
    t.a[3 * 8 + 5] = tiny;  // A(3, 5)
    t.b[5 * 8 + 6] = tiny;  // B(5, 6)
    t.c[3][6] = std::bit_cast<uint32_t>(3 * 0x1p-149f);
    std::vector<uint32_t> A, B, C;
    pack(d, t, A, B, C);
    std::vector<uint32_t> D(C.size());
    mma_sync(d, A.data(), B.data(), C.data(), D.data());
    uint32_t out[16][8];
    unpack_d(d, D, out);
    CHECK(out[3][6] == std::bit_cast<uint32_t>(4 * 0x1p-149f));
  }
}

namespace {
// A 16x16 f16 A (row-major, padded rows) and a 16x8 B laid out in a byte array like shared
// memory, loaded with ldmatrix and multiplied. B is stored K-rows (k x 8 n, loaded with
// .x2.trans) or N-rows (n x 16 k, loaded with .x2).
void run_ldmatrix_gemm(bool b_k_rows) {
  engine::Rng rng(b_k_rows ? 31 : 37);
  constexpr uint32_t kAStride = 48, kBBase = 1024, kSmem = 2048;  // padded A rows
  std::vector<uint8_t> smem(kSmem, 0xcd);
  Tile t;
  t.K = 16;
  t.a.resize(16 * 16);
  t.b.resize(16 * 8);
  auto put = [&smem](uint32_t addr, uint32_t h) {
    smem[addr] = static_cast<uint8_t>(h);
    smem[addr + 1] = static_cast<uint8_t>(h >> 8);
  };
  for (int m = 0; m < 16; ++m)
    for (int k = 0; k < 16; ++k) put(m * kAStride + 2 * k, t.a[m * 16 + k] = random_elem(MmaElem::F16, rng));
  for (int k = 0; k < 16; ++k) {
    for (int n = 0; n < 8; ++n) {
      t.b[k * 8 + n] = random_elem(MmaElem::F16, rng);
      put(b_k_rows ? kBBase + k * 16 + 2 * n : kBBase + n * 32 + 2 * k, t.b[k * 8 + n]);
    }
  }
  for (auto& row : t.c)
    for (uint32_t& c : row) c = std::bit_cast<uint32_t>(static_cast<float>(rng.uniform(-1, 1)));
  uint32_t addr[32];
  for (int lane = 0; lane < 32; ++lane) {  // x4: lanes 8j..8j+7 give matrix j's rows
    const int j = lane / 8, r = lane % 8;
    addr[lane] = (r + 8 * (j & 1)) * kAStride + 16 * (j >> 1);
  }
  uint32_t A[128], B[64];
  std::string err;
  REQUIRE(ldmatrix(4, false, addr, smem.data(), kSmem, A, &err));
  for (int lane = 0; lane < 32; ++lane) {
    const int j = (lane / 8) % 2, r = lane % 8;  // lanes 16-31 are ignored by .x2
    addr[lane] = b_k_rows ? kBBase + (8 * j + r) * 16 : kBBase + r * 32 + 16 * j;
  }
  REQUIRE(ldmatrix(2, b_k_rows, addr, smem.data(), kSmem, B, &err));
  const MmaDesc d{16, 8, 16, MmaElem::F16, MmaElem::F16, MmaElem::F32, MmaElem::F32, false};
  std::vector<uint32_t> Aref, Bref, C;
  pack(d, t, Aref, Bref, C);
  CHECK(std::vector<uint32_t>(A, A + 128) == Aref);  // ldmatrix.x4 gives the A fragment
  CHECK(std::vector<uint32_t>(B, B + 64) == Bref);
  std::vector<uint32_t> D(128);
  mma_sync(d, A, B, C.data(), D.data());
  uint32_t out[16][8];
  unpack_d(d, D, out);
  int bad = 0;
  for (int row = 0; row < 16; ++row) {
    for (int col = 0; col < 8; ++col) {
      bool bound_ok;
      bad += out[row][col] != reference(d, t, row, col, &bound_ok) || !bound_ok;
    }
  }
  CHECK(bad == 0);
}
}  // namespace

TEST_CASE("tensor: ldmatrix.x4 + ldmatrix.x2(.trans) feed mma_sync m16n8k16 end to end", "[tensor]") {
  SECTION("B stored as K rows, loaded with .trans") { run_ldmatrix_gemm(true); }
  SECTION("B stored as N rows, loaded without .trans") { run_ldmatrix_gemm(false); }
}

TEST_CASE("tensor: ldmatrix fragment layout, x1/x2/x4, with and without .trans", "[tensor]") {
  std::vector<uint8_t> smem(4096);
  for (size_t i = 0; i < smem.size(); i += 2) {  // each b16 holds its own halfword index
    smem[i] = static_cast<uint8_t>(i / 2);
    smem[i + 1] = static_cast<uint8_t>(i / 2 >> 8);
  }
  engine::Rng rng(3);
  for (const int num : {1, 2, 4}) {
    for (const bool trans : {false, true}) {
      uint32_t addr[32];
      for (uint32_t& a : addr) a = static_cast<uint32_t>(rng.below(4096 / 16)) * 16;  // rows anywhere
      uint32_t D[128];
      std::fill(std::begin(D), std::end(D), 0xdeadbeefu);
      REQUIRE(ldmatrix(num, trans, addr, smem.data(), 4096, D, nullptr));
      int bad = 0;
      for (int j = 0; j < num; ++j) {
        for (int lane = 0; lane < 32; ++lane) {
          // M_j[r][c] = halfword index addr[8j + r] / 2 + c (reference §3).
          auto m = [&](int r, int c) { return (addr[8 * j + r] / 2 + c) & 0xffff; };
          const int g = lane / 4, q = lane % 4;
          const uint32_t want = trans ? m(2 * q, g) | m(2 * q + 1, g) << 16 : m(g, 2 * q) | m(g, 2 * q + 1) << 16;
          bad += D[j * 32 + lane] != want;
        }
      }
      for (int i = 32 * num; i < 128; ++i) bad += D[i] != 0xdeadbeefu;  // nothing past num regs
      INFO("x" << num << (trans ? ".trans" : ""));
      CHECK(bad == 0);
    }
  }
  // D may alias the address registers.
  uint32_t regs[128];
  for (int i = 0; i < 32; ++i) regs[i] = 64 * i;
  uint32_t want[128];
  REQUIRE(ldmatrix(4, true, regs, smem.data(), 4096, want, nullptr));
  REQUIRE(ldmatrix(4, true, regs, smem.data(), 4096, regs, nullptr));
  CHECK(std::equal(std::begin(regs), std::end(regs), std::begin(want)));
  // Thread 0 receives the first 4 bytes of row 0.
  uint32_t addr[32] = {};
  uint32_t D[32];
  addr[0] = 256;
  REQUIRE(ldmatrix(1, false, addr, smem.data(), 4096, D, nullptr));
  CHECK(D[0] == (128u | 129u << 16));
}

TEST_CASE("tensor: ldmatrix rejects misaligned and out-of-range rows, writes nothing", "[tensor]") {
  std::vector<uint8_t> smem(1024, 0x11);
  uint32_t addr[32];
  for (int i = 0; i < 32; ++i) addr[i] = 16 * i;
  uint32_t D[128];
  std::fill(std::begin(D), std::end(D), 0xabcdabcdu);
  std::string err;
  auto untouched = [&D] { return std::all_of(std::begin(D), std::end(D), [](uint32_t v) { return v == 0xabcdabcdu; }); };
  SECTION("misaligned row") {
    addr[3] = 40;
    CHECK_FALSE(ldmatrix(1, false, addr, smem.data(), 1024, D, &err));
    CHECK(err.find("lane 3") != std::string::npos);
    CHECK(err.find("aligned") != std::string::npos);
    CHECK(untouched());
  }
  SECTION("row runs past the end of shared memory") {
    addr[20] = 1024;
    CHECK_FALSE(ldmatrix(4, true, addr, smem.data(), 1024, D, &err));
    CHECK(err.find("lane 20") != std::string::npos);
    addr[20] = 1008;  // the last whole row fits
    CHECK(ldmatrix(4, true, addr, smem.data(), 1024, D, &err));
    CHECK_FALSE(ldmatrix(1, false, addr, smem.data(), 8, D, nullptr));  // smaller than a row
  }
  SECTION("huge address does not wrap") {
    addr[0] = 0xfffffff0u;
    CHECK_FALSE(ldmatrix(1, false, addr, smem.data(), 1024, D, &err));
    CHECK(untouched());
  }
  SECTION("bad count") {
    CHECK_FALSE(ldmatrix(3, false, addr, smem.data(), 1024, D, &err));
    CHECK(err.find("x3") != std::string::npos);
    CHECK(untouched());
  }
  SECTION("lanes beyond 8*num are not checked") {
    addr[8] = 7;
    addr[31] = 0xffffffffu;
    CHECK(ldmatrix(1, false, addr, smem.data(), 1024, D, &err));
    CHECK(D[0] == 0x11111111u);
  }
}

}  // namespace xpusim::exec
