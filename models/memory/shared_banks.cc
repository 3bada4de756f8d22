#include "models/memory/shared_banks.h"

#include <algorithm>
#include <array>
#include <bit>

#include "src/engine/error.h"

namespace xpusim::mem {

namespace {

constexpr uint32_t kMaxBanks = 64;
constexpr uint32_t kMaxWords = 32 * 4;  // a phase touches at most 32 lanes x 16 bytes / 4

// Wavefronts for one phase: the lanes in `lanes` each touching `width` bytes from addr[l].
uint32_t phase_wavefronts(const BankParams& b, const uint64_t* addr, uint32_t lanes, uint32_t width) {
  // Aligned accesses of whole words (LDSM rows, LDS.64/.128): an access covers `width /
  // bank_bytes` consecutive banks, one word each, so counting distinct accesses per group of
  // banks gives the same answer with `width / bank_bytes` times fewer entries to compare.
  const uint32_t row = b.banks * b.bank_bytes;
  if (width > b.bank_bytes && width % b.bank_bytes == 0 && row % width == 0) {
    bool aligned = true;
    for (uint32_t m = lanes; m && aligned; m &= m - 1) aligned = addr[std::countr_zero(m)] % width == 0;
    if (aligned) {
      std::array<uint64_t, 32> units;
      uint32_t n = 0;
      for (uint32_t m = lanes; m; m &= m - 1) {
        const uint64_t u = addr[std::countr_zero(m)] / width;
        bool seen = false;
        for (uint32_t i = 0; i < n && !seen; ++i) seen = units[i] == u;
        if (!seen) units[n++] = u;
      }
      std::array<uint32_t, kMaxBanks> per_group{};
      uint32_t worst = 0;
      for (uint32_t i = 0; i < n; ++i) worst = std::max(worst, ++per_group[units[i] % (row / width)]);
      return worst;
    }
  }
  // The distinct words of the phase (a fixed array: at most kMaxWords of them), then per bank
  // the count of distinct words it holds.
  std::array<uint64_t, kMaxWords> words;
  uint32_t n = 0;
  for (uint32_t m = lanes; m; m &= m - 1) {
    const int l = std::countr_zero(m);
    const uint64_t first = addr[l] / b.bank_bytes, last = (addr[l] + width - 1) / b.bank_bytes;
    for (uint64_t w = first; w <= last; ++w) {
      bool seen = false;
      for (uint32_t i = 0; i < n && !seen; ++i) seen = words[i] == w;
      if (!seen && n < kMaxWords) words[n++] = w;
    }
  }
  std::array<uint32_t, kMaxBanks> per_bank{};
  uint32_t worst = 0;
  for (uint32_t i = 0; i < n; ++i) worst = std::max(worst, ++per_bank[words[i] % b.banks]);
  return worst;
}

void check(const BankParams& b, uint32_t width) {
  SIM_CHECK(b.banks >= 1 && b.banks <= kMaxBanks && b.bank_bytes >= 1, "shared banks {} x {} bytes", b.banks, b.bank_bytes);
  SIM_CHECK(width >= 1 && width <= 16, "shared access width {} bytes", width);
}

// Lanes per phase: a phase moves at most one row of the banks (banks x bank_bytes bytes).
uint32_t lanes_per_phase(const BankParams& b, uint32_t width) {
  const uint32_t row = b.banks * b.bank_bytes;
  return std::clamp<uint32_t>(row / width, 1, 32);
}

// Every active lane whose partner l ^ step is active reads the partner's address.
bool paired(const uint64_t* addr, uint32_t lane_mask, uint32_t step) {
  for (uint32_t m = lane_mask; m; m &= m - 1) {
    const uint32_t l = static_cast<uint32_t>(std::countr_zero(m));
    const uint32_t q = l ^ step;
    if ((lane_mask >> q & 1u) && addr[q] != addr[l]) return false;
  }
  return true;
}

Wavefronts phased(const BankParams& b, const uint64_t* addr, uint32_t lane_mask, uint32_t width, uint32_t per) {
  Wavefronts w;
  for (uint32_t first = 0; first < 32; first += per) {
    const uint32_t group = per >= 32 ? 0xffffffffu : ((1u << per) - 1) << first;
    const uint32_t lanes = lane_mask & group;
    if (!lanes) continue;
    ++w.phases;
    w.total += phase_wavefronts(b, addr, lanes, width);
  }
  return w;
}

}  // namespace

BankParams BankParams::from(const proto::GpuSpec& gpu) {
  BankParams b;
  const proto::L1Spec& l1 = gpu.l1();
  if (l1.has_shared_banks()) b.banks = l1.shared_banks();
  if (l1.has_shared_bank_bytes()) b.bank_bytes = l1.shared_bank_bytes();
  // Volta and Turing (sm_70, sm_72, sm_75): the pairing rule NVIDIA states for CC 7.0-7.5.
  b.uniform_pairs = gpu.arch().rfind("sm_7", 0) == 0;
  return b;
}

Wavefronts shared_wavefronts(const BankParams& b, const uint64_t* addr, uint32_t lane_mask, uint32_t width) {
  check(b, width);
  return phased(b, addr, lane_mask, width, lanes_per_phase(b, width));
}

Wavefronts shared_load_wavefronts(const BankParams& b, const uint64_t* addr, uint32_t lane_mask, uint32_t width) {
  check(b, width);
  uint32_t per = lanes_per_phase(b, width);
  if (b.uniform_pairs && per < 32 && (paired(addr, lane_mask, 1) || paired(addr, lane_mask, 2))) per *= 2;
  return phased(b, addr, lane_mask, width, per);
}

Wavefronts ldsm_wavefronts(const BankParams& b, const uint64_t* addr, uint32_t matrices) {
  check(b, 16);
  SIM_CHECK(matrices == 1 || matrices == 2 || matrices == 4, "LDSM with {} matrices", matrices);
  Wavefronts w;
  for (uint32_t j = 0; j < matrices; ++j) {
    ++w.phases;
    w.total += phase_wavefronts(b, addr, 0xffu << (8 * j), 16);
  }
  return w;
}

Wavefronts ldgsts_write_wavefronts(const BankParams& b, uint32_t lane_mask, uint32_t width) {
  check(b, width);
  const uint32_t row = b.banks * b.bank_bytes;
  const uint32_t bytes = static_cast<uint32_t>(std::popcount(lane_mask)) * width;
  const uint32_t n = (bytes + row - 1) / row;
  return Wavefronts{n, n};
}

}  // namespace xpusim::mem
