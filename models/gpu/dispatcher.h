// The GPU front end: starts a kernel after the launch overhead and hands CTAs to SMs as
// they have room (at most one new CTA per SM per cycle), in CTA order.
#pragma once

#include <string>
#include <vector>

#include "src/engine/component.h"
#include "src/engine/messages.h"
#include "src/engine/port.h"

namespace xpusim::gpu {

class CtaDispatcher final : public engine::Component {
 public:
  CtaDispatcher(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, size_t sms);

  std::vector<engine::OutPort<engine::CtaAssign>> to_sm;
  std::vector<engine::InPort<engine::CtaDone>> from_sm;

  void begin_kernel(uint64_t ctas, uint32_t ctas_per_sm, uint32_t launch_cycles);
  bool done() const { return finished_ == total_; }
  engine::Tick end_tick() const { return end_; }

  bool do_cycle(engine::Cycle now) override;
  engine::Tick next_event() const override;
  bool busy() const override { return !done(); }
  std::string describe() const override;

 private:
  uint64_t total_ = 0, next_ = 0, finished_ = 0;
  uint32_t limit_ = 0;
  engine::Cycle start_ = 0;
  engine::Tick end_ = 0;
  std::vector<uint32_t> resident_;
  size_t rr_ = 0;
};

}  // namespace xpusim::gpu
