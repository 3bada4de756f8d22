// Register-file read ports and RF cache of one sub-core (see regfile.h for the rules).
#include "models/gpu/sm/regfile.h"

#include <algorithm>
#include <bit>

#include "src/engine/error.h"

namespace xpusim::gpu {

RegFileBanks::RegFileBanks(const RegFileParams& p)
    : p_(p), cache_(static_cast<size_t>(p.cache_slots) * p.banks) {
  SIM_CHECK(p.banks >= 1 && p.banks <= kMaxBanks, "regfile: banks must be 1..{}, got {}", kMaxBanks, p.banks);
  SIM_CHECK(p.read_ports >= 1 && p.read_ports <= kMaxPorts, "regfile: read_ports must be 1..{}, got {}", kMaxPorts,
            p.read_ports);
  SIM_CHECK(p.read_cycles >= 1 && p.read_cycles <= 16, "regfile: read_cycles must be 1..16, got {}", p.read_cycles);
  SIM_CHECK(p.cache_slots <= 8, "regfile: cache_slots must be at most 8 (reuse bits), got {}", p.cache_slots);
  for (uint32_t r = 0; r < bank_of_.size(); ++r) bank_of_[r] = static_cast<uint8_t>(r % p.banks);
}

void RegFileBanks::rebase(engine::Cycle start) {
  SIM_CHECK(start >= base_, "regfile: cycle {} is before the reservation window at {}", start, base_);
  if (start - base_ < 2 * kLookback) return;
  const engine::Cycle shift = start - kLookback - base_;
  for (uint64_t& m : busy_) m = shift >= 64 ? 0 : m >> shift;
  base_ += shift;
}

uint64_t RegFileBanks::span(engine::Cycle first, uint32_t len) const {
  const engine::Cycle off = first - base_;
  SIM_CHECK(first >= base_ && off + len <= 64, "regfile: cycles {}..{} are outside the reservation window at {}", first,
            first + len - 1, base_);
  return (len == 64 ? ~uint64_t{0} : (uint64_t{1} << len) - 1) << off;
}

bool RegFileBanks::cache_access(uint32_t slot, uint32_t reg, uint16_t warp, bool reuse) {
  CacheEntry& e = cache_[slot * p_.banks + bank_of_[reg]];
  const bool hit = e.valid && e.warp == warp && e.reg == reg;
  e.valid = false;  // any read of this [slot][bank] invalidates, hit or not
  if (reuse) e = CacheEntry{true, warp, static_cast<uint8_t>(reg)};
  return hit;
}

RegFileBanks::BankCounts RegFileBanks::port_reads(const isa::Inst& in, uint16_t warp, bool use_cache) {
  BankCounts n{};
  std::array<uint64_t, 4> seen{};  // a register read twice by one instruction needs one port
  auto need = [&](uint32_t r) {
    if (r >= isa::kRZ) return;
    const uint64_t bit = uint64_t{1} << (r & 63);
    if (seen[r >> 6] & bit) return;
    seen[r >> 6] |= bit;
    ++n[bank_of_[r]];
  };
  uint32_t slot = 0;
  for (uint32_t i = 0; i < in.nsrc && i < in.src.size(); ++i) {
    const isa::Operand& o = in.src[i];
    const uint32_t width = std::max<uint32_t>(o.width, 1);
    if (o.kind == isa::Opd::Mem) {
      if (o.reg != isa::kRZ)
        for (uint32_t k = 0; k < width; ++k) need(o.reg + k);
      continue;
    }
    if (o.kind != isa::Opd::Reg) continue;
    const uint32_t s = slot++;
    if (o.reg == isa::kRZ) continue;
    const bool cached = use_cache && s < p_.cache_slots;
    const bool reuse = (o.flags & isa::kReuse) || (s < 8 && ((in.ctrl.reuse >> s) & 1));
    for (uint32_t k = 0; k < width; ++k) {
      const uint32_t r = o.reg + k;
      if (cached && r < isa::kRZ && cache_access(s, r, warp, reuse)) {
        ++stats_.cache_hits;
        continue;
      }
      need(r);
    }
  }
  return n;
}

bool RegFileBanks::fits(const BankCounts& n, engine::Cycle first, uint32_t window) const {
  const uint64_t w = span(first, window);
  for (uint32_t b = 0; b < p_.banks; ++b) {
    if (n[b] == 0) continue;
    uint32_t free = 0;
    for (uint32_t j = 0; j < p_.read_ports && free < n[b]; ++j)
      free += static_cast<uint32_t>(std::popcount(~plane(b, j) & w));
    if (free < n[b]) return false;
  }
  return true;
}

engine::Cycle RegFileBanks::take(uint32_t bank, uint32_t count, engine::Cycle first) {
  engine::Cycle last = first;
  const uint64_t from = ~(span(first, 1) - 1);  // the bits of cycle first and later
  for (; count > 0; --count) {
    const uint64_t open = ~plane(bank, p_.read_ports - 1) & from;  // cycles with a free port
    SIM_CHECK(open != 0, "regfile: no free read port within the reservation window after cycle {}", first);
    const int k = std::countr_zero(open);
    const uint64_t bit = uint64_t{1} << k;
    uint32_t j = 0;
    while (plane(bank, j) & bit) ++j;  // the lowest free port
    plane(bank, j) |= bit;
    last = base_ + static_cast<engine::Cycle>(k);
  }
  return last;
}

engine::Cycle RegFileBanks::allocate(const isa::Inst& in, uint16_t warp, engine::Cycle a0) {
  rebase(a0);
  const bool use_cache = p_.cache && in.unit != isa::Unit::SFU && in.unit != isa::Unit::LSU;
  const BankCounts n = port_reads(in, warp, use_cache);
  uint32_t window = p_.read_cycles;
  for (uint32_t b = 0; b < p_.banks; ++b)
    if (n[b] > p_.read_ports * p_.read_cycles) window = std::max(window, (n[b] + p_.read_ports - 1) / p_.read_ports);
  // Terminates: past the last reservation every port is free and the window holds every read.
  engine::Cycle a = a0;
  while (!fits(n, a + 1, window)) ++a;
  for (uint32_t b = 0; b < p_.banks; ++b) {
    if (n[b] == 0) continue;
    take(b, n[b], a + 1);  // the earliest free port-cycles, all inside the window (fits)
    stats_.reads += n[b];
  }
  stats_.conflict_cycles += a - a0;
  return a;
}

engine::Cycle RegFileBanks::read_late(const isa::Inst& in, engine::Cycle from) {
  rebase(from);
  const BankCounts n = port_reads(in, 0, false);
  engine::Cycle last = from;
  for (uint32_t b = 0; b < p_.banks; ++b) {
    if (n[b] == 0) continue;
    last = std::max(last, take(b, n[b], from));
    stats_.reads += n[b];
  }
  return last;
}

void RegFileBanks::invalidate_warp(uint16_t warp) {
  for (CacheEntry& e : cache_)
    if (e.valid && e.warp == warp) e.valid = false;
}

}  // namespace xpusim::gpu
