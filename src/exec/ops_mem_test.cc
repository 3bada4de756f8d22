// Opcode-by-opcode checks of the memory instructions: loads and stores of every width on
// global, shared and local memory; atomics (serialised in thread order, old values
// returned); LDGSTS with zero fill; LDSM against fragments derived from the PTX ldmatrix
// description; and the faults an access can raise.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "src/exec/exec_test_util.h"
#include "src/isa/numfmt.h"

using namespace xpusim;
using namespace xpusim::exec;
using testing::addr_words;
using testing::Run;

namespace {

std::vector<uint32_t> params(std::initializer_list<uint64_t> addrs, std::initializer_list<uint32_t> words = {}) {
  std::vector<uint32_t> p;
  for (uint64_t a : addrs)
    for (uint32_t w : addr_words(a)) p.push_back(w);
  p.insert(p.end(), words.begin(), words.end());
  return p;
}

std::vector<uint32_t> random_words(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint32_t> v(n);
  for (auto& w : v) w = static_cast<uint32_t>(rng());
  return v;
}

uint8_t byte_at(const std::vector<uint32_t>& v, size_t i) { return static_cast<uint8_t>(v[i / 4] >> (8 * (i % 4))); }
uint16_t half_at(const std::vector<uint32_t>& v, size_t i) { return static_cast<uint16_t>(byte_at(v, i) | byte_at(v, i + 1) << 8); }

// The sub-word loads (global LDG, shared LDS and local LDL all share this layout): per thread
// 16 source bytes at `s`, the results as 12 words, and a 16-byte store tail.
void check_loads(const std::vector<uint32_t>& src, const std::vector<uint32_t>& out, uint32_t t) {
  const size_t s = t * 16;
  const uint32_t* o = out.data() + t * 16;
  INFO("thread " << t);
  CHECK(o[0] == byte_at(src, s + 1));                                                       // U8
  CHECK(o[1] == static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(byte_at(src, s + 3)))));    // S8
  CHECK(o[2] == half_at(src, s + 2));                                                       // U16
  CHECK(o[3] == static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(half_at(src, s + 6)))));   // S16
  CHECK(o[4] == src[t * 4 + 2]);                                                            // 32
  CHECK(o[5] == src[t * 4 + 3]);                                                            // default size
  CHECK(o[6] == src[t * 4 + 2]);                                                            // 64
  CHECK(o[7] == src[t * 4 + 3]);
  for (int k = 0; k < 4; ++k) CHECK(o[8 + k] == src[t * 4 + k]);                           // 128
  // Stores at +48: U8 then 0xAA filler, U16 at +50, 64-bit at +56
  CHECK(o[12] == (0xaaaa0000u | 0xaa00u | byte_at(src, s)));
  CHECK(o[13] == 0xaaaaaaaau);
  CHECK(o[14] == src[t * 4 + 2]);
  CHECK(o[15] == src[t * 4 + 3]);
}

}  // namespace

TEST_CASE("ops: global loads and stores of U8/S8/U16/S16/32/64/128 with immediate offsets", "[ops]") {
  Run r(R"(
.kernel g
.param src:u64 dst:u64
.regs 24
  S2R R0, SR_TID.X
  IMAD.WIDE.U32 R2, R0, 16, c[src]
  LDG.U8 R4, [R2+1]
  LDG.S8 R5, [R2+3]
  LDG.U16 R6, [R2+2]
  LDG.S16 R7, [R2+6]
  LDG.32 R8, [R2+8]
  LDG R9, [R2.64+12]
  LDG.64 R10, [R2+8]
  LDG.128 R12, [R2]
  IMAD.WIDE.U32 R2, R0, 64, c[dst]
  STG.128 [R2], R4
  STG.128 [R2+16], R8
  STG.128 [R2+32], R12
  STG.U8 [R2+48], R12
  STG.S16 [R2+54], R17
  STG.U16 [R2+54], RZ
  STG.S8 [R2+55], R13
  STG.64 [R2+56], R14
  EXIT
)");
  const uint32_t n = 40;
  const auto src = random_words(n * 4, 41);
  std::vector<uint32_t> dst(n * 16, 0xaaaaaaaau);
  const uint64_t ps = r.buffer(src, "src"), pd = r.buffer(dst, "dst");
  r.go({1, 1, 1}, {n, 1, 1}, params({ps, pd}));
  auto out = r.read(pd, n * 16);
  for (uint32_t t = 0; t < n; ++t) {
    // bytes 54..55: U16 store of RZ, then byte 55 <- low byte of R13 (= src word 1)
    const uint32_t w13 = out[t * 16 + 13];
    CHECK(w13 == (0xaaaau | (uint32_t{byte_at(src, t * 16 + 4)} << 24)));
    out[t * 16 + 13] = 0xaaaaaaaau;
    check_loads(src, out, t);
  }
}

TEST_CASE("ops: shared loads and stores of every width, across threads after a barrier", "[ops]") {
  Run r(R"(
.kernel s
.param src:u64 dst:u64
.regs 24
.shared pad 48
.shared buf 1024
  S2R R0, SR_TID.X
  IMAD.WIDE.U32 R2, R0, 16, c[src]
  LDG.128 R4, [R2]
  SHF.L.U32 R1, R0, 4, RZ
  STS.128 [R1+buf], R4
  BAR.SYNC 0
  IADD3 R20, R0, 1, RZ
  LOP3.LUT R20, R20, 63, RZ, 0xc0
  SHF.L.U32 R1, R20, 4, RZ
  LDS.U8 R4, [R1+buf+1]
  LDS.S8 R5, [R1+buf+3]
  LDS.U16 R6, [R1+buf+2]
  LDS.S16 R7, [R1+buf+6]
  LDS.32 R8, [R1+buf+8]
  LDS R9, [R1+buf+12]
  LDS.64 R10, [R1+buf+8]
  LDS.128 R12, [R1+buf]
  BAR.SYNC 0
  STS.128 [R1+buf], RZ
  STS.U8 [R1+buf], R12
  STS.U16 [R1+buf+2], R12
  STS.64 [R1+buf+8], R14
  LDS.128 R16, [R1+buf]
  IMAD.WIDE.U32 R2, R0, 64, c[dst]
  STG.128 [R2], R4
  STG.128 [R2+16], R8
  STG.128 [R2+32], R12
  STG.128 [R2+48], R16
  EXIT
)");
  const uint32_t n = 64;
  const auto src = random_words(n * 4, 42);
  const uint64_t ps = r.buffer(src, "src"), pd = r.buffer(std::vector<uint32_t>(n * 16), "dst");
  r.go({1, 1, 1}, {n, 1, 1}, params({ps, pd}));
  const auto out = r.read(pd, n * 16);
  for (uint32_t t = 0; t < n; ++t) {
    const uint32_t u = (t + 1) % n;  // the neighbour's slot
    std::vector<uint32_t> o(out.begin() + t * 16, out.begin() + t * 16 + 16);
    std::vector<uint32_t> expect_src(src.begin() + u * 4, src.begin() + u * 4 + 4);
    // reuse check_loads by building a one-thread view
    std::vector<uint32_t> view(o);
    view[12] = 0xaaaa0000u | 0xaa00u | byte_at(expect_src, 0);
    view[13] = 0xaaaaaaaau;
    check_loads(expect_src, view, 0);
    INFO("thread " << t);
    const uint32_t w0 = expect_src[0];
    CHECK(o[12] == ((w0 & 0xff) | ((w0 & 0xffff) << 16)));  // U8 at +0, U16 at +2, rest zero
    CHECK(o[13] == 0u);
    CHECK(o[14] == expect_src[2]);
    CHECK(o[15] == expect_src[3]);
  }
}

TEST_CASE("ops: local memory is per thread, with every width and register offsets", "[ops]") {
  Run r(R"(
.kernel l
.param src:u64 dst:u64
.regs 24
.local 32
  S2R R0, SR_TID.X
  IMAD.WIDE.U32 R2, R0, 16, c[src]
  LDG.128 R4, [R2]
  STL.128 [0x10], R4
  STL [0x0], R0
  MOV R1, 0x10
  LDL.U8 R4, [R1+1]
  LDL.S8 R5, [R1+3]
  LDL.U16 R6, [R1+2]
  LDL.S16 R7, [R1+6]
  LDL.32 R8, [R1+8]
  LDL R9, [0x1c]
  LDL.64 R10, [R1+8]
  LDL.128 R12, [0x10]
  STL.U8 [0x4], R12
  STL.U16 [0x6], R12
  STL.64 [0x8], R14
  LDL.128 R16, [RZ]
  IMAD.WIDE.U32 R2, R0, 64, c[dst]
  STG.128 [R2], R4
  STG.128 [R2+16], R8
  STG.128 [R2+32], R12
  STG.128 [R2+48], R16
  EXIT
)");
  const uint32_t n = 48;
  const auto src = random_words(n * 4, 43);
  const uint64_t ps = r.buffer(src, "src"), pd = r.buffer(std::vector<uint32_t>(n * 16), "dst");
  r.go({1, 1, 1}, {n, 1, 1}, params({ps, pd}));
  const auto out = r.read(pd, n * 16);
  for (uint32_t t = 0; t < n; ++t) {
    std::vector<uint32_t> view(out.begin() + t * 16, out.begin() + t * 16 + 16);
    const std::vector<uint32_t> s(src.begin() + t * 4, src.begin() + t * 4 + 4);
    INFO("thread " << t);
    CHECK(view[12] == t);                                              // [0x0]
    CHECK(view[13] == ((s[0] & 0xff) | ((s[0] & 0xffff) << 16)));      // U8 at 4, U16 at 6
    view[12] = 0xaaaa0000u | 0xaa00u | byte_at(s, 0);
    view[13] = 0xaaaaaaaau;
    check_loads(s, view, 0);
  }
}

TEST_CASE("ops: misaligned and out-of-bounds accesses fault in every space", "[ops]") {
  auto fault = [](const std::string& body, const std::string& decl, const std::string& what) {
    Run r(".kernel f\n.param p:u64\n.regs 8\n" + decl + "  MOV R2, c[p]\n  MOV R3, c[p+4]\n" + body + "\n  EXIT\n");
    const uint64_t pb = r.buffer(std::vector<uint32_t>(16), "buf");
    INFO(body);
    CHECK_THROWS_WITH(r.go({1, 1, 1}, {32, 1, 1}, addr_words(pb)), Catch::Contains(what));
  };
  fault("  LDG.64 R4, [R2+4]", "", "misaligned global load of 8 bytes");
  fault("  STG.128 [R2+8], R4", "", "misaligned global store of 16 bytes");
  fault("  LDG.U16 R4, [R2+1]", "", "misaligned global load of 2 bytes");
  fault("  LDG.128 R4, [R2+64]", "", "out-of-bounds global load of 16 bytes");
  fault("  STG [R2-4], R4", "", "out-of-bounds global store of 4 bytes");
  fault("  ATOM.ADD R4, [R2+2], R4", "", "misaligned global atomic");
  fault("  LDS.128 R4, [0x8]", ".shared b 64\n", "misaligned shared load of 16 bytes");
  fault("  STS.64 [0x40], R4", ".shared b 64\n", "out-of-bounds shared store of 8 bytes");
  fault("  ATOMS.ADD R4, [0x44], R4", ".shared b 64\n", "out-of-bounds shared atomic");
  fault("  LDL R4, [0x2]", ".local 16\n", "misaligned local load of 4 bytes");
  fault("  STL.64 [0x10], R4", ".local 16\n", "out-of-bounds local store of 8 bytes");
  fault("  LDL R4, [0x0]", "", "out-of-bounds local load");
  fault("  LDGSTS.128 [0x8], [R2]", ".shared b 64\n", "misaligned shared LDGSTS write of 16 bytes");
  fault("  LDGSTS.64 [0x8], [R2+4]", ".shared b 64\n", "misaligned global LDGSTS read of 8 bytes");
}

namespace {

// One atomic test: 64 threads (two warps); thread t applies `line` with operands b[t] (R4:R5)
// and c[t] (R6:R7) at byte offset slot[t] (R8) of an 8-byte-per-slot counter array, in
// global (ATOM/RED) or shared (ATOMS) memory. The result register is R16(:R17).
struct AtomRun {
  std::vector<uint64_t> old, final_;
};
AtomRun run_atomic(const std::string& line, bool shared, const std::vector<uint64_t>& b, const std::vector<uint64_t>& c,
                   const std::vector<uint32_t>& slot, const std::vector<uint64_t>& init) {
  const uint32_t n = static_cast<uint32_t>(b.size()), ns = static_cast<uint32_t>(init.size());
  std::string text = ".kernel a\n.param ctr:u64 in:u64 old:u64\n.regs 24\n.shared sl 64\n"
                     "  S2R R0, SR_TID.X\n  IMAD.WIDE.U32 R2, R0, 32, c[in]\n  LDG.128 R4, [R2]\n  LDG.128 R8, [R2+16]\n";
  if (shared) {
    text += fmt::format("  ISETP.LT.U32 P0, R0, {}\n  SHF.L.U32 R1, R0, 3, RZ\n  IMAD.WIDE.U32 R2, R0, 8, c[ctr]\n"
                        "  @P0 LDG.64 R12, [R2]\n  @P0 STS.64 [R1+sl], R12\n  BAR.SYNC 0\n", ns);
    text += "  " + line + "\n  BAR.SYNC 0\n  @P0 LDS.64 R12, [R1+sl]\n  @P0 STG.64 [R2], R12\n";
  } else {
    text += "  IMAD.WIDE.U32 R12, R8, 1, c[ctr]\n  " + line + "\n";
  }
  text += "  IMAD.WIDE.U32 R2, R0, 8, c[old]\n  STG.64 [R2], R16\n  EXIT\n";
  Run r(text);
  std::vector<uint32_t> in(n * 8), ctr(ns * 2);
  for (uint32_t t = 0; t < n; ++t) {
    in[t * 8 + 0] = static_cast<uint32_t>(b[t]), in[t * 8 + 1] = static_cast<uint32_t>(b[t] >> 32);
    in[t * 8 + 2] = static_cast<uint32_t>(c[t]), in[t * 8 + 3] = static_cast<uint32_t>(c[t] >> 32);
    in[t * 8 + 4] = slot[t] * 8;
  }
  for (uint32_t s = 0; s < ns; ++s) ctr[2 * s] = static_cast<uint32_t>(init[s]), ctr[2 * s + 1] = static_cast<uint32_t>(init[s] >> 32);
  const uint64_t pc = r.buffer(ctr, "ctr"), pi = r.buffer(in, "in"), po = r.buffer(std::vector<uint32_t>(n * 2), "old");
  r.go({1, 1, 1}, {n, 1, 1}, params({pc, pi, po}));
  AtomRun res;
  const auto o = r.read(po, n * 2), f = r.read(pc, ns * 2);
  for (uint32_t t = 0; t < n; ++t) res.old.push_back(o[2 * t] | (uint64_t{o[2 * t + 1]} << 32));
  for (uint32_t s = 0; s < ns; ++s) res.final_.push_back(f[2 * s] | (uint64_t{f[2 * s + 1]} << 32));
  return res;
}

}  // namespace

TEST_CASE("ops: ATOM/ATOMS/RED integer operations serialise in thread order and return old values", "[ops]") {
  using Fn = std::function<uint64_t(uint64_t, uint64_t, uint64_t)>;
  auto s32 = [](uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); };
  auto u32 = [](uint64_t v) { return static_cast<uint32_t>(v); };
  struct Op {
    const char* mods;
    bool wide;
    Fn f;  // new value from (old, b, c), PTX atom semantics
  };
  const std::vector<Op> ops = {
      {"ADD.U32", false, [&](uint64_t o, uint64_t b, uint64_t) { return uint64_t{u32(o + b)}; }},
      {"ADD.S32", false, [&](uint64_t o, uint64_t b, uint64_t) { return uint64_t{u32(o + b)}; }},
      {"ADD.64", true, [](uint64_t o, uint64_t b, uint64_t) { return o + b; }},
      {"MIN.U32", false, [&](uint64_t o, uint64_t b, uint64_t) { return uint64_t{std::min(u32(o), u32(b))}; }},
      {"MIN.S32", false, [&](uint64_t o, uint64_t b, uint64_t) { return uint64_t{u32(static_cast<uint32_t>(std::min(s32(o), s32(b))))}; }},
      {"MAX.U32", false, [&](uint64_t o, uint64_t b, uint64_t) { return uint64_t{std::max(u32(o), u32(b))}; }},
      {"MAX.S32", false, [&](uint64_t o, uint64_t b, uint64_t) { return uint64_t{u32(static_cast<uint32_t>(std::max(s32(o), s32(b))))}; }},
      {"MIN.U64", true, [](uint64_t o, uint64_t b, uint64_t) { return std::min(o, b); }},
      {"MAX.S64", true, [](uint64_t o, uint64_t b, uint64_t) { return static_cast<uint64_t>(std::max(static_cast<int64_t>(o), static_cast<int64_t>(b))); }},
      {"INC.U32", false, [&](uint64_t o, uint64_t b, uint64_t) { return uint64_t{u32(o) >= u32(b) ? 0u : u32(o) + 1}; }},
      {"DEC.U32", false, [&](uint64_t o, uint64_t b, uint64_t) { return uint64_t{(u32(o) == 0 || u32(o) > u32(b)) ? u32(b) : u32(o) - 1}; }},
      {"AND", false, [&](uint64_t o, uint64_t b, uint64_t) { return uint64_t{u32(o & b)}; }},
      {"OR", false, [&](uint64_t o, uint64_t b, uint64_t) { return uint64_t{u32(o | b)}; }},
      {"XOR.U64", true, [](uint64_t o, uint64_t b, uint64_t) { return o ^ b; }},
      {"EXCH", false, [&](uint64_t, uint64_t b, uint64_t) { return uint64_t{u32(b)}; }},
      {"EXCH.64", true, [](uint64_t, uint64_t b, uint64_t) { return b; }},
      {"CAS", false, [&](uint64_t o, uint64_t b, uint64_t c) { return uint64_t{u32(o) == u32(b) ? u32(c) : u32(o)}; }},
      {"CAS.64", true, [](uint64_t o, uint64_t b, uint64_t c) { return o == b ? c : o; }},
  };
  std::mt19937_64 rng(44);
  const uint32_t n = 64;
  for (const Op& op : ops) {
    for (int nslots : {1, 3}) {
      for (int space = 0; space < 3; ++space) {  // 0 ATOM, 1 ATOMS, 2 RED
        const std::string name = op.mods;
        if (space == 2 && (name.rfind("EXCH", 0) == 0 || name.rfind("CAS", 0) == 0)) continue;
        std::vector<uint64_t> b(n), c(n), init(nslots);
        std::vector<uint32_t> slot(n);
        for (uint32_t t = 0; t < n; ++t) {
          slot[t] = nslots == 1 ? 0 : (t * 7) % nslots;
          b[t] = rng();
          if (!op.wide) b[t] &= 0xffffffffu;
          if (name.rfind("INC", 0) == 0 || name.rfind("DEC", 0) == 0) b[t] = 3 + rng() % 20;  // wrap points
          if (name.rfind("CAS", 0) == 0) b[t] = t / 2 + (t % 5 == 0 ? 1000 : 0), c[t] = t / 2 + 1;  // a chain of swaps
          if (name.rfind("MIN", 0) == 0 || name.rfind("MAX", 0) == 0) b[t] = op.wide ? rng() : (rng() & 0xffffffffu);
        }
        for (auto& v : init) v = name.rfind("CAS", 0) == 0 ? 0 : (op.wide ? rng() : (rng() & 0xffffffffu));
        const std::string line = space == 0   ? fmt::format("ATOM.{} R16, [R12], R4{}", op.mods, name.rfind("CAS", 0) == 0 ? ", R6" : "")
                                 : space == 1 ? fmt::format("ATOMS.{} R16, [R8+sl], R4{}", op.mods, name.rfind("CAS", 0) == 0 ? ", R6" : "")
                                              : fmt::format("RED.{} [R12], R4", op.mods);
        const AtomRun res = run_atomic(line, space == 1, b, c, slot, init);
        std::vector<uint64_t> mem = init;
        INFO(line << " with " << nslots << " slot(s)");
        for (uint32_t t = 0; t < n; ++t) {
          const uint64_t old = mem[slot[t]];
          mem[slot[t]] = op.f(old, b[t], c[t]);
          if (space != 2) {
            INFO("thread " << t);
            CHECK(res.old[t] == old);
          }
        }
        for (int s = 0; s < nslots; ++s) CHECK(res.final_[s] == mem[s]);
      }
    }
  }
}

TEST_CASE("ops: F32 and F16x2 atomic adds round per step in thread order", "[ops]") {
  std::mt19937 rng(45);
  const uint32_t n = 64;
  std::vector<uint64_t> bf32(n), bh2(n), c(n);
  std::vector<uint32_t> slot(n, 0);
  for (uint32_t t = 0; t < n; ++t) {
    bf32[t] = std::bit_cast<uint32_t>(std::ldexp(static_cast<float>(rng() % 10000) - 3000.0f, static_cast<int>(rng() % 30) - 20));
    bh2[t] = isa::encode(isa::Fmt::FP16, (static_cast<double>(rng() % 2000) - 900) / 64.0) |
             isa::encode(isa::Fmt::FP16, (static_cast<double>(rng() % 2000)) / 8.0) << 16;
  }
  for (int space = 0; space < 3; ++space) {
    const char* pre = space == 0 ? "ATOM" : space == 1 ? "ATOMS" : "RED";
    const char* addr = space == 1 ? "[R8+sl]" : "[R12]";
    const std::string dst = space == 2 ? "" : "R16, ";
    const auto rf = run_atomic(fmt::format("{}.ADD.F32.FTZ.RN {}{}, R4", pre, dst, addr), space == 1, bf32, c, slot, {std::bit_cast<uint32_t>(1.0f)});
    const auto rh = run_atomic(fmt::format("{}.ADD.F16x2 {}{}, R4", pre, dst, addr), space == 1, bh2, c, slot, {0x3c00bc00u});
    float acc = 1.0f;
    uint32_t h = 0x3c00bc00u;
    for (uint32_t t = 0; t < n; ++t) {
      INFO(pre << " thread " << t);
      if (space != 2) CHECK(rf.old[t] == std::bit_cast<uint32_t>(acc));
      if (space != 2) CHECK(rh.old[t] == h);
      acc = acc + std::bit_cast<float>(static_cast<uint32_t>(bf32[t]));
      uint32_t nh = 0;
      for (int k = 0; k < 2; ++k) {
        const double s = isa::decode(isa::Fmt::FP16, (h >> (16 * k)) & 0xffff) +
                         isa::decode(isa::Fmt::FP16, static_cast<uint32_t>(bh2[t] >> (16 * k)) & 0xffff);
        nh |= isa::encode(isa::Fmt::FP16, s) << (16 * k);  // exact sum, one RN rounding
      }
      h = nh;
    }
    CHECK(rf.final_[0] == std::bit_cast<uint32_t>(acc));
    CHECK(rh.final_[0] == h);
  }
}

TEST_CASE("ops: F64 and BF16x2 atomic adds round to nearest in thread order", "[ops]") {
  std::mt19937_64 rng(47);
  const uint32_t n = 64;
  std::vector<uint64_t> bd(n), bb(n), c(n);
  for (uint32_t t = 0; t < n; ++t) {
    bd[t] = std::bit_cast<uint64_t>(std::ldexp(static_cast<double>(rng() % 100000) - 30000.0, static_cast<int>(rng() % 80) - 40));
    bb[t] = isa::encode(isa::Fmt::BF16, (static_cast<double>(rng() % 2000) - 900) / 16.0) |
            isa::encode(isa::Fmt::BF16, static_cast<double>(rng() % 300)) << 16;
  }
  for (int space = 0; space < 2; ++space) {
    const char* pre = space == 0 ? "ATOM" : "ATOMS";
    const char* addr = space == 1 ? "[R8+sl]" : "[R12]";
    const auto rd = run_atomic(fmt::format("{}.ADD.F64 R16, {}, R4", pre, addr), space == 1, bd, c, std::vector<uint32_t>(n, 0),
                               {std::bit_cast<uint64_t>(0.5)});
    const auto rb = run_atomic(fmt::format("{}.ADD.BF16x2 R16, {}, R4", pre, addr), space == 1, bb, c, std::vector<uint32_t>(n, 0),
                               {0x3f80bf80u});
    double acc = 0.5;
    uint32_t h = 0x3f80bf80u;
    for (uint32_t t = 0; t < n; ++t) {
      INFO(pre << " thread " << t);
      CHECK(rd.old[t] == std::bit_cast<uint64_t>(acc));
      CHECK(rb.old[t] == h);
      acc += std::bit_cast<double>(bd[t]);
      uint32_t nh = 0;
      for (int k = 0; k < 2; ++k) {
        const double sum = isa::decode(isa::Fmt::BF16, (h >> (16 * k)) & 0xffff) +
                           isa::decode(isa::Fmt::BF16, static_cast<uint32_t>(bb[t] >> (16 * k)) & 0xffff);
        nh |= isa::encode(isa::Fmt::BF16, sum) << (16 * k);  // exact sum, one RN rounding
      }
      h = nh;
    }
    CHECK(rd.final_[0] == std::bit_cast<uint64_t>(acc));
    CHECK(rb.final_[0] == h);
  }
}

// CUDA C++ Programming Guide, "Floating-Point Standard": atomic FP32 adds on global memory
// behave like FADD.F32.FTZ.RN; on shared memory they keep denormals.
TEST_CASE("ops: ATOMS.ADD.F32 keeps subnormals", "[ops]") {
  const uint32_t n = 32;
  std::vector<uint64_t> b(n, std::bit_cast<uint32_t>(0x1p-140f)), c(n);
  const auto rs = run_atomic("ATOMS.ADD.F32 R16, [R8+sl], R4", true, b, c, std::vector<uint32_t>(n, 0), {0});
  CHECK(rs.final_[0] == std::bit_cast<uint32_t>(32 * 0x1p-140f));
}

// Found by this test before c86131a (no flush). Global FP32 atomic adds behave like
// FADD.F32.FTZ.RN (CUDA C++ Programming Guide, "Floating-Point Standard"; docs/isa.md §5.7).
TEST_CASE("ops: ATOM/RED.ADD.F32 on global memory flush subnormals", "[ops]") {
  const uint32_t n = 32;
  std::vector<uint64_t> b(n, std::bit_cast<uint32_t>(0x1p-140f)), c(n);
  const std::vector<uint32_t> slot(n, 0);
  const auto ra = run_atomic("ATOM.ADD.F32 R16, [R12], R4", false, b, c, slot, {0});
  const auto rr = run_atomic("RED.ADD.F32 [R12], R4", false, b, c, slot, {std::bit_cast<uint32_t>(0x1p-126f)});
  CHECK(ra.final_[0] == 0u);
  CHECK(rr.final_[0] == std::bit_cast<uint32_t>(0x1p-126f));
}

// Found by this test before c86131a (the operand's NaN payload came back). CUDA C++
// Programming Guide, "Floating-Point Standard": a single-precision operation with a NaN input
// gives 0x7fffffff; docs/isa.md §5.7.
TEST_CASE("ops: ATOM.ADD.F32 with a NaN gives the canonical NaN", "[ops]") {
  std::vector<uint64_t> b(1, 0x7fc01234u), c(1);
  const auto ra = run_atomic("ATOM.ADD.F32 R16, [R12], R4", false, b, c, {0}, {std::bit_cast<uint32_t>(1.0f)});
  CHECK(ra.final_[0] == 0x7fffffffu);
}

TEST_CASE("ops: LDGSTS .32/.64/.128 copy global to shared, .ZFILL writes zeros", "[ops]") {
  const char* kText = R"(
.kernel cp
.param src:u64 dst:u64 far:u32
.regs 24
.shared sm 2048
  S2R R0, SR_TID.X
  SHF.L.U32 R1, R0, 5, RZ
  MOV R4, -1
  MOV R5, -1
  MOV R6, -1
  MOV R7, -1
  STS.128 [R1+sm], R4
  STS.128 [R1+sm+16], R4
  IMAD.WIDE.U32 R2, R0, 32, c[src]
  LOP3.LUT P0, RZ, R0, 0x1, RZ, 0xc0, !PT
  SEL R20, RZ, c[far], P0
  LDGSTS.32 [R1+sm], [R2.64+4]
  LDGSTS.64 [R1+sm+8], [R2.64+8]
  IADD3 R2, P1, R2, R20, RZ
  IADD3.X R3, R3, RZ, RZ, P1, !PT
  LDGSTS.128.ZFILL [R1+sm+16], [R2.64+16], P0
  LDGDEPBAR
  DEPBAR.LE SB0, 0
  BAR.SYNC 0
  LDS.128 R4, [R1+sm]
  LDS.128 R8, [R1+sm+16]
  IMAD.WIDE.U32 R2, R0, 32, c[dst]
  STG.128 [R2], R4
  STG.128 [R2+16], R8
  EXIT
)";
  for (uint32_t far : {0u, 0x40000000u}) {  // zero-filled lanes may even point outside any buffer
    Run r(kText);
    const uint32_t n = 64;
    const auto src = random_words(n * 8, 46);
    const uint64_t ps = r.buffer(src, "src"), pd = r.buffer(std::vector<uint32_t>(n * 8), "dst");
    r.go({1, 1, 1}, {n, 1, 1}, params({ps, pd}, {far}));
    const auto out = r.read(pd, n * 8);
    for (uint32_t t = 0; t < n; ++t) {
      INFO("thread " << t << " far " << far);
      const uint32_t* o = out.data() + t * 8;
      const uint32_t* s = src.data() + t * 8;
      CHECK(o[0] == s[1]);
      CHECK(o[1] == 0xffffffffu);
      CHECK(o[2] == s[2]);
      CHECK(o[3] == s[3]);
      for (int k = 4; k < 8; ++k) CHECK(o[k] == ((t & 1) ? s[k] : 0u));
    }
  }
}

TEST_CASE("ops: reading cp.async data before its wait (and, across warps, a barrier) faults", "[ops]") {
  // 64 threads copy one 16-byte chunk each (LDGSTS at issue, as the executor does), then read
  // their own chunk (`R1`) or the other warp's (`R8` = tid ^ 32). A wait is needed for the own
  // warp's data, a wait and a barrier for another warp's; the message says what was missing.
  auto run = [](const std::string& body) {
    Run r(".kernel f\n.param p:u64\n.regs 16\n.shared b 2048\n"
          "  S2R R0, SR_TID.X\n  SHF.L.U32 R1, R0, 4, RZ\n  LOP3.LUT R8, R0, 32, RZ, 0x3c, !PT\n"
          "  SHF.L.U32 R8, R8, 4, RZ\n  IMAD.WIDE.U32 R2, R0, 16, c[p]\n" + body + "\n  EXIT\n");
    const uint64_t pb = r.buffer(std::vector<uint32_t>(64 * 8), "buf");
    r.go({1, 1, 1}, {64, 1, 1}, addr_words(pb));
  };
  const std::string copy2 = "  LDGSTS.128 [R1], [R2.64]\n  LDGDEPBAR\n  LDGSTS.128 [R1+1024], [R2.64+1024]\n  LDGDEPBAR\n";
  INFO("own chunk, group open");
  CHECK_THROWS_WITH(run("  LDGSTS.128 [R1], [R2.64]\n  LDS.128 R4, [R1]"),
                    Catch::Contains("before an LDGDEPBAR closed its group and a DEPBAR waited for it"));
  INFO("own chunk, committed, not waited");
  CHECK_THROWS_WITH(run("  LDGSTS.128 [R1], [R2.64]\n  LDGDEPBAR\n  LDS.128 R4, [R1]"),
                    Catch::Contains("before a DEPBAR of that warp waited for it"));
  INFO("own chunk, waited: fine; DEPBAR.LE 1 leaves the second group in flight");
  CHECK_NOTHROW(run(copy2 + "  DEPBAR.LE SB0, 1\n  LDS.128 R4, [R1]"));
  CHECK_THROWS_WITH(run(copy2 + "  DEPBAR.LE SB0, 1\n  LDS.128 R4, [R1+1024]"),
                    Catch::Contains("LDS reads shared bytes"));
  INFO("the other warp's chunk: a wait is not enough, a barrier after it is");
  CHECK_THROWS_WITH(run("  LDGSTS.128 [R1], [R2.64]\n  LDGDEPBAR\n  DEPBAR.LE SB0, 0\n  LDS.128 R4, [R8]"),
                    Catch::Contains("before a BAR.SYNC after that warp's DEPBAR made it visible"));
  CHECK_THROWS_WITH(run("  LDGSTS.128 [R1], [R2.64]\n  LDGDEPBAR\n  BAR.SYNC 0\n  DEPBAR.LE SB0, 0\n  LDS.128 R4, [R8]"),
                    Catch::Contains("made it visible"));
  CHECK_NOTHROW(run("  LDGSTS.128 [R1], [R2.64]\n  LDGDEPBAR\n  DEPBAR.LE SB0, 0\n  BAR.SYNC 0\n  LDS.128 R4, [R8]"));
  INFO("a synchronous store settles the chunk; LDSM rows are checked too");
  CHECK_NOTHROW(run("  LDGSTS.128 [R1], [R2.64]\n  STS.128 [R1], RZ\n  LDS.128 R4, [R1]"));
  CHECK_THROWS_WITH(run("  LDGSTS.128 [R1], [R2.64]\n  LDGDEPBAR\n  LDSM.16.M88.4 R4, [R1]"),
                    Catch::Contains("LDSM reads shared bytes"));
}
