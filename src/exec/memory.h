// Device global memory: a sparse, paged image. Buffers are allocated at GPU-like virtual
// addresses, each starting on a page boundary and followed by an unmapped guard gap, so
// an access past a buffer's end is caught. Pages (64 KiB) come into existence when first
// touched, so a huge buffer costs host memory only for what a kernel uses.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace xpusim::exec {

class GlobalMemory {
 public:
  static constexpr uint64_t kBase = 0x7f0000000000ull;
  static constexpr int kPageBits = 16;
  static constexpr uint64_t kPageBytes = 1ull << kPageBits;

  struct Allocation {
    uint64_t base;
    uint64_t bytes;
    std::string name;
  };

  // Reserves `bytes` (> 0) and returns the device address.
  uint64_t allocate(uint64_t bytes, std::string name);
  // The allocation containing [addr, addr+size), or null.
  const Allocation* find(uint64_t addr, uint64_t size = 1) const;
  // The nearest allocation to addr (for error messages), or null when there is none.
  const Allocation* nearest(uint64_t addr) const;

  // Pointer to `size` bytes at addr inside one page; the caller has checked find() and
  // natural alignment (so an access never crosses a page).
  uint8_t* at(uint64_t addr) {
    const uint64_t page = addr >> kPageBits;
    if (page != last_page_) {
      last_ptr_ = page_ptr(page);
      last_page_ = page;
    }
    return last_ptr_ + (addr & (kPageBytes - 1));
  }

  // Bulk copies for host transfers (any alignment; pages created as needed).
  void write(uint64_t addr, const void* src, uint64_t bytes);
  void read(uint64_t addr, void* dst, uint64_t bytes);

  uint64_t pages_touched() const { return pages_.size(); }

 private:
  uint8_t* page_ptr(uint64_t page);

  std::vector<Allocation> allocs_;  // ascending base
  uint64_t next_ = kBase;
  mutable size_t last_alloc_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages_;
  uint64_t last_page_ = ~0ull;
  uint8_t* last_ptr_ = nullptr;
};

}  // namespace xpusim::exec
