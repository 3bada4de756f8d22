// Test helpers: assemble a kernel from text and run a whole grid functionally.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "src/exec/executor.h"
#include "src/isa/assembler.h"

namespace xpusim::exec::testing {

struct Run {
  std::vector<isa::Kernel> kernels;
  GlobalMemory gmem;
  Launch launch;
  bool timing_only = false;

  explicit Run(const std::string& text) : kernels(isa::assemble_text(text, "test.xasm")) {
    launch.kernel = &kernels[0];
    launch.name = kernels[0].name;
  }
  uint64_t buffer(const std::vector<uint32_t>& words, const std::string& name = "buf") {
    const uint64_t a = gmem.allocate(words.size() * 4, name);
    gmem.write(a, words.data(), words.size() * 4);
    return a;
  }
  std::vector<uint32_t> read(uint64_t a, size_t n) {
    std::vector<uint32_t> v(n);
    gmem.read(a, v.data(), n * 4);
    return v;
  }
  // Parameters as 32-bit words (u64 as two words, low first).
  void go(Dim3 grid, Dim3 block, const std::vector<uint32_t>& params, uint32_t dyn_shared = 0) {
    launch.grid = grid;
    launch.block = block;
    launch.dynamic_shared_bytes = dyn_shared;
    std::vector<uint8_t> p(params.size() * 4);
    std::memcpy(p.data(), params.data(), p.size());
    launch.cbank = make_cbank(*launch.kernel, grid, block, p);
    Executor ex(gmem);
    ex.set_timing_only(timing_only);
    uint32_t id = 0;
    for (uint32_t z = 0; z < grid.z; ++z)
      for (uint32_t y = 0; y < grid.y; ++y)
        for (uint32_t x = 0; x < grid.x; ++x) {
          Cta cta;
          ex.start_cta(cta, launch, Dim3{x, y, z}, id++, 0);
          ex.run_cta(cta);
        }
  }
};

inline std::vector<uint32_t> addr_words(uint64_t a) {
  return {static_cast<uint32_t>(a), static_cast<uint32_t>(a >> 32)};
}

}  // namespace xpusim::exec::testing
