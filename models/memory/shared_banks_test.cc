// Shared-memory banks: wavefronts for strided, broadcast and wide accesses, LDSM, LDGSTS.
#include <catch2/catch.hpp>

#include <array>

#include "models/memory/shared_banks.h"
#include "models/memory/test_lanes.h"

using namespace xpusim::mem;

using testing::strided;

TEST_CASE("banks: 32-bit strides of 1 to 32 words cost as many wavefronts", "[banks]") {
  const BankParams b;
  for (uint32_t s : {1u, 2u, 4u, 8u, 16u, 32u}) {
    const auto a = strided(0x100, 4 * s);
    const Wavefronts w = shared_wavefronts(b, a.data(), 0xffffffffu, 4);
    CHECK(w.total == s);
    CHECK(w.phases == 1);
    CHECK(w.conflicts() == s - 1);
  }
  // odd strides are conflict-free
  const auto odd = strided(0, 4 * 3);
  CHECK(shared_wavefronts(b, odd.data(), 0xffffffffu, 4).total == 1);
}

TEST_CASE("banks: lanes reading the same word are served by one broadcast", "[banks]") {
  const BankParams b;
  const auto same = strided(0x40, 0);
  CHECK(shared_wavefronts(b, same.data(), 0xffffffffu, 4).total == 1);
  // pairs of lanes on the same word, words consecutive: still one wavefront
  std::array<uint64_t, 32> pairs{};
  for (uint32_t l = 0; l < 32; ++l) pairs[l] = 4 * (l / 2);
  CHECK(shared_wavefronts(b, pairs.data(), 0xffffffffu, 4).total == 1);
  // bytes of one word (8-bit accesses): one wavefront
  const auto bytes = strided(0, 1);
  CHECK(shared_wavefronts(b, bytes.data(), 0xffffffffu, 1).total == 1);
  // two distinct words in bank 0 for half the lanes each: two
  std::array<uint64_t, 32> two{};
  for (uint32_t l = 0; l < 32; ++l) two[l] = l < 16 ? 0 : 128;
  CHECK(shared_wavefronts(b, two.data(), 0xffffffffu, 4).total == 2);
}

TEST_CASE("banks: sequential 64- and 128-bit accesses take 2 and 4 wavefronts", "[banks]") {
  const BankParams b;
  const auto a8 = strided(0, 8);
  const Wavefronts w8 = shared_wavefronts(b, a8.data(), 0xffffffffu, 8);
  CHECK(w8.total == 2);
  CHECK(w8.conflicts() == 0);
  const auto a16 = strided(0, 16);
  const Wavefronts w16 = shared_wavefronts(b, a16.data(), 0xffffffffu, 16);
  CHECK(w16.total == 4);
  CHECK(w16.conflicts() == 0);
  // a 64-bit access with a 256-byte stride: each half-warp's 16 lanes hit the same 2 banks
  const auto c8 = strided(0, 256);
  CHECK(shared_wavefronts(b, c8.data(), 0xffffffffu, 8).total == 32);
  // half the lanes active: only the phases with lanes count
  CHECK(shared_wavefronts(b, a16.data(), 0x0000ffffu, 16).total == 2);
  CHECK(shared_wavefronts(b, a16.data(), 0, 16).total == 0);
}

TEST_CASE("banks: LDSM reads one 8x16-byte matrix per wavefront unless its rows conflict", "[banks]") {
  const BankParams b;
  // rows of a 16x16 half tile stored 32 bytes apart (a 64-byte pitch would be the usual padding)
  const auto dense = strided(0, 16);  // rows packed: conflict-free
  CHECK(ldsm_wavefronts(b, dense.data(), 4).total == 4);
  CHECK(ldsm_wavefronts(b, dense.data(), 1).total == 1);
  const auto pitch128 = strided(0, 128);  // every row starts in bank 0: 8-way conflict
  const Wavefronts w = ldsm_wavefronts(b, pitch128.data(), 2);
  CHECK(w.total == 16);
  CHECK(w.conflicts() == 14);
  const auto pitch144 = strided(0, 144);  // padded by 16 bytes: conflict-free again
  CHECK(ldsm_wavefronts(b, pitch144.data(), 4).total == 4);
}

TEST_CASE("banks: the LDGSTS shared write moves 128 bytes a wavefront", "[banks]") {
  const BankParams b;
  CHECK(ldgsts_write_wavefronts(b, 0xffffffffu, 16).total == 4);
  CHECK(ldgsts_write_wavefronts(b, 0xffffffffu, 4).total == 1);
  CHECK(ldgsts_write_wavefronts(b, 0x1u, 8).total == 1);
  CHECK(ldgsts_write_wavefronts(b, 0, 8).total == 0);
}

TEST_CASE("banks: the bank count and width are parameters", "[banks]") {
  const BankParams b{16, 8};  // 16 banks of 8 bytes
  const auto a = strided(0, 8);  // 8-byte stride: consecutive banks, 128 bytes a phase
  CHECK(shared_wavefronts(b, a.data(), 0xffffffffu, 8).total == 2);
  const auto c = strided(0, 4);  // 4-byte stride: pairs of lanes share a bank word
  CHECK(shared_wavefronts(b, c.data(), 0xffffffffu, 4).total == 1);
}

TEST_CASE("banks: Volta/Turing loads pairing uniform addresses need half the phases", "[banks]") {
  // NVIDIA Developer Forums thread 77228: on CC 7.0-7.5, LDS.128 whose lanes l and l^1 (or l
  // and l^2) read the same address needs 2 requests, not 4; the asker's pattern (tid % 4) * 16
  // meets neither rule and stays at 4.
  BankParams volta;
  volta.uniform_pairs = true;
  const BankParams ampere;
  const auto uniform = strided(0x200, 0);
  CHECK(shared_load_wavefronts(volta, uniform.data(), 0xffffffffu, 16).total == 2);
  CHECK(shared_load_wavefronts(ampere, uniform.data(), 0xffffffffu, 16).total == 4);
  CHECK(shared_wavefronts(volta, uniform.data(), 0xffffffffu, 16).total == 4);  // stores do not pack
  std::array<uint64_t, 32> by1{}, by2{}, forum{};
  for (uint32_t l = 0; l < 32; ++l) {
    by1[l] = 16 * (l / 2);                  // l == l^1
    by2[l] = 16 * ((l / 4) * 2 + (l & 1));  // l == l^2
    forum[l] = 16 * (l % 4);
  }
  CHECK(shared_load_wavefronts(volta, by1.data(), 0xffffffffu, 16).total == 2);
  CHECK(shared_load_wavefronts(volta, by2.data(), 0xffffffffu, 16).total == 2);
  CHECK(shared_load_wavefronts(volta, forum.data(), 0xffffffffu, 16).total == 4);
  std::array<uint64_t, 32> by1_64{};
  for (uint32_t l = 0; l < 32; ++l) by1_64[l] = 8 * (l / 2);
  CHECK(shared_load_wavefronts(volta, by1_64.data(), 0xffffffffu, 8).total == 1);  // 64-bit: 2 -> 1
  CHECK(shared_load_wavefronts(ampere, by1_64.data(), 0xffffffffu, 8).total == 2);
  // an inactive partner does not break the pairing; a differing active one does
  CHECK(shared_load_wavefronts(volta, by1.data(), 0x55555555u, 16).total == 2);
  by1[7] += 16;
  CHECK(shared_load_wavefronts(volta, by1.data(), 0xffffffffu, 16).total == 4);
  // 32-bit loads already move a whole warp per phase
  CHECK(shared_load_wavefronts(volta, uniform.data(), 0xffffffffu, 4).total == 1);
}

TEST_CASE("banks: the pairing rule follows gpu.arch", "[banks]") {
  xpusim::proto::GpuSpec g;
  g.set_arch("sm_70");
  CHECK(BankParams::from(g).uniform_pairs);
  g.set_arch("sm_75");
  CHECK(BankParams::from(g).uniform_pairs);
  g.set_arch("sm_80");
  CHECK_FALSE(BankParams::from(g).uniform_pairs);
}

TEST_CASE("banks: aligned wide accesses count as the word-by-word rule does", "[banks]") {
  // The model counts aligned 8- and 16-byte accesses per group of banks (fewer entries to
  // compare); the definition is per word: distinct words asked of each bank, the worst bank.
  auto by_words = [](const uint64_t* addr, uint32_t lanes, uint32_t width) {
    std::array<std::array<uint64_t, 128>, 32> words{};
    std::array<uint32_t, 32> n{};
    for (uint32_t l = 0; l < 32; ++l)
      if (lanes >> l & 1u)
        for (uint64_t w = addr[l] / 4; w < (addr[l] + width) / 4; ++w) {
          auto& bank = words[w % 32];
          bool seen = false;
          for (uint32_t i = 0; i < n[w % 32]; ++i) seen |= bank[i] == w;
          if (!seen) bank[n[w % 32]++] = w;
        }
    uint32_t worst = 0;
    for (uint32_t c : n) worst = std::max(worst, c);
    return worst;
  };
  const BankParams b;
  uint64_t seed = 12345;
  auto next = [&] { return seed = seed * 6364136223846793005ull + 1442695040888963407ull, seed >> 33; };
  for (uint32_t width : {8u, 16u})
    for (int trial = 0; trial < 2000; ++trial) {
      std::array<uint64_t, 32> a{};
      const uint64_t span = 1 + next() % 64;  // few distinct units: broadcasts and conflicts
      for (auto& x : a) x = (next() % span) * width;
      const uint32_t lanes = trial % 3 ? 0xffffffffu : static_cast<uint32_t>(next());
      const uint32_t per = 128 / width;
      uint32_t expect = 0;
      for (uint32_t first = 0; first < 32; first += per) {
        const uint32_t group = lanes & (((1u << per) - 1) << first);
        expect += group ? by_words(a.data(), group, width) : 0;
      }
      CHECK(shared_wavefronts(b, a.data(), lanes, width).total == expect);
    }
}
