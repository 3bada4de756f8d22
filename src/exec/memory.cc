#include "src/exec/memory.h"

#include <algorithm>
#include <cstring>

namespace xpusim::exec {

uint64_t GlobalMemory::allocate(uint64_t bytes, std::string name) {
  const uint64_t base = next_;
  allocs_.push_back({base, bytes, std::move(name)});
  // next allocation: past this one, rounded to a page, plus one unmapped guard page
  next_ = (base + bytes + kPageBytes - 1) / kPageBytes * kPageBytes + kPageBytes;
  return base;
}

const GlobalMemory::Allocation* GlobalMemory::find(uint64_t addr, uint64_t size) const {
  if (allocs_.empty()) return nullptr;
  auto inside = [&](const Allocation& a) { return addr >= a.base && addr + size <= a.base + a.bytes; };
  if (last_alloc_ < allocs_.size() && inside(allocs_[last_alloc_])) return &allocs_[last_alloc_];
  auto it = std::upper_bound(allocs_.begin(), allocs_.end(), addr,
                             [](uint64_t v, const Allocation& a) { return v < a.base; });
  if (it == allocs_.begin()) return nullptr;
  --it;
  if (!inside(*it)) return nullptr;
  last_alloc_ = static_cast<size_t>(it - allocs_.begin());
  return &*it;
}

const GlobalMemory::Allocation* GlobalMemory::nearest(uint64_t addr) const {
  const Allocation* best = nullptr;
  uint64_t dist = ~0ull;
  for (const auto& a : allocs_) {
    const uint64_t d = addr < a.base ? a.base - addr : (addr >= a.base + a.bytes ? addr - (a.base + a.bytes) + 1 : 0);
    if (d < dist) dist = d, best = &a;
  }
  return best;
}

uint8_t* GlobalMemory::page_ptr(uint64_t page) {
  auto& p = pages_[page];
  if (!p) {
    p.reset(new uint8_t[kPageBytes]);
    std::memset(p.get(), 0, kPageBytes);
  }
  return p.get();
}

void GlobalMemory::write(uint64_t addr, const void* src, uint64_t bytes) {
  const auto* s = static_cast<const uint8_t*>(src);
  while (bytes) {
    const uint64_t off = addr & (kPageBytes - 1);
    const uint64_t n = std::min(bytes, kPageBytes - off);
    std::memcpy(page_ptr(addr >> kPageBits) + off, s, n);
    addr += n, s += n, bytes -= n;
  }
  last_page_ = ~0ull;
}

void GlobalMemory::read(uint64_t addr, void* dst, uint64_t bytes) {
  auto* d = static_cast<uint8_t*>(dst);
  while (bytes) {
    const uint64_t off = addr & (kPageBytes - 1);
    const uint64_t n = std::min(bytes, kPageBytes - off);
    std::memcpy(d, page_ptr(addr >> kPageBits) + off, n);
    addr += n, d += n, bytes -= n;
  }
}

}  // namespace xpusim::exec
