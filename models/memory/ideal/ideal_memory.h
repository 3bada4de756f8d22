// The placeholder memory system: every global access is answered after a fixed latency,
// with no bandwidth limit beyond the SMs' own ports. A design point ("perfect memory") and
// the stand-in until the cache/NoC/DRAM models are selected.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "src/engine/component.h"
#include "src/engine/messages.h"
#include "src/engine/port.h"

namespace xpusim::mem {

class IdealMemory final : public engine::Component {
 public:
  IdealMemory(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, size_t ports);

  std::vector<engine::InPort<engine::MemReq>> req_in;    // one per SM
  std::vector<engine::OutPort<engine::MemResp>> resp_out;

  bool do_cycle(engine::Cycle now) override;
  engine::Tick next_event() const override { return engine::kNever; }
  bool busy() const override;
  std::string describe() const override;

 private:
  uint64_t* requests_;
  uint64_t* sectors_;
};

}  // namespace xpusim::mem
