// The memory hierarchy behind the SMs (gpu.memory_model = HIERARCHY): one L1 per SM, the
// crossbar, the L2 slices and the DRAM controllers, with every channel between them.
//
//   SM i --mem_out--> L1[i] --> crossbar --> L2 slice j --> DRAM controller j / per_controller
//   SM i <--mem_in--- L1[i] <-- crossbar <-- L2 slice j <-- DRAM controller
//
// Slice j serves DRAM controller j / slices_per_controller on its port
// j % slices_per_controller; the crossbar sends a line to the slice in front of the controller
// that owns it (models/memory/l2/slice_map.h). The GPU connects each SM to sm_endpoint(i)
// exactly as it connects it to the ideal memory. Names: gpu.memory.l1[i], gpu.memory.noc,
// gpu.memory.l2[j], gpu.memory.dram[c] (SystemC path = stat prefix).
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "config.pb.h"
#include "models/memory/dram/dram.h"
#include "models/memory/l1/l1_cache.h"
#include "models/memory/l2/l2_slice.h"
#include "models/memory/noc/crossbar.h"
#include "src/engine/env.h"
#include "src/engine/port.h"

namespace xpusim::mem {

class Hierarchy final : public sc_core::sc_module {
 public:
  Hierarchy(sc_core::sc_module_name name, const proto::GpuSpec& gpu, engine::Env& env, engine::ClockDomain core);
  ~Hierarchy() override;

  // SM i's side of the hierarchy: the component its request channel delivers to, and the
  // two ports the GPU connects the SM's mem_out/mem_in channels to.
  engine::Component* sm_endpoint(uint32_t sm) { return l1_[sm].get(); }
  engine::InPort<engine::MemReq>& req_in(uint32_t sm) { return l1_[sm]->from_sm; }
  engine::OutPort<engine::MemResp>& resp_out(uint32_t sm) { return l1_[sm]->to_sm; }

  // Before each kernel (memory idle): the shared memory one SM holds for it, which sets the
  // L1 carve-outs.
  void begin_kernel(uint32_t shared_bytes_per_sm);

  // Whether any part holds unfinished work, and the state of each part that does.
  bool busy() const;
  std::string describe() const;

  double dram_peak_bytes_per_second() const { return dram_params_.peak_bytes_per_second(); }
  const engine::ClockDomain& dram_clock() const { return dram_params_.clock; }
  uint32_t slices() const { return static_cast<uint32_t>(l2_.size()); }
  uint32_t slices_per_controller() const { return per_controller_; }
  uint32_t slice_of(uint64_t line_addr) const { return router_.slice_of(line_addr); }

 private:
  class Router final : public SliceRouter {
   public:
    Router(const DramParams& d, uint32_t per_controller, proto::L2Hash hash)
        : d_(d), per_(per_controller), hash_(hash) {}
    uint32_t slice_of(uint64_t line_addr) const override;

   private:
    const DramParams& d_;
    uint32_t per_;
    proto::L2Hash hash_;
  };

  template <typename T>
  engine::Channel<T>& channel(std::deque<engine::Channel<T>>& pool, std::string name, size_t capacity,
                              engine::Component* from, engine::Component* to);

  DramParams dram_params_;
  uint32_t per_controller_;
  Router router_;
  std::vector<std::unique_ptr<L1Cache>> l1_;
  std::unique_ptr<Crossbar> noc_;
  std::vector<std::unique_ptr<L2Slice>> l2_;
  std::vector<std::unique_ptr<DramController>> dram_;
  std::deque<engine::Channel<engine::MemReq>> req_ch_;
  std::deque<engine::Channel<engine::MemResp>> resp_ch_;
};

}  // namespace xpusim::mem
