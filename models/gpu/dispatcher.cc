#include "models/gpu/dispatcher.h"

#include <fmt/format.h>

namespace xpusim::gpu {

CtaDispatcher::CtaDispatcher(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, size_t sms)
    : Component(name, env, clk), to_sm(sms), from_sm(sms), resident_(sms, 0) {}

void CtaDispatcher::begin_kernel(uint64_t ctas, uint32_t ctas_per_sm, uint32_t launch_cycles) {
  total_ = ctas;
  next_ = finished_ = 0;
  limit_ = ctas_per_sm;
  rr_ = 0;
  std::fill(resident_.begin(), resident_.end(), 0);
  start_ = clk_.cycle(engine::now_tick()) + launch_cycles;
  end_ = clk_.edge(start_);  // an empty grid ends when it starts
  wake_at(clk_.edge(start_));
}

bool CtaDispatcher::do_cycle(engine::Cycle now) {
  const engine::Tick t = clk_.edge(now);
  bool any = false;
  for (size_t i = 0; i < from_sm.size(); ++i) {
    while (from_sm[i].can_recv(t)) {
      from_sm[i].pop(t);
      --resident_[i];
      if (++finished_ == total_) end_ = t;
      any = true;
    }
  }
  if (now < start_) return any;
  // one CTA per SM per cycle, SMs visited round-robin from where the last pass stopped
  const size_t n = to_sm.size();
  const size_t first = rr_;
  for (size_t k = 0; k < n && next_ < total_; ++k) {
    const size_t i = (first + k) % n;
    if (resident_[i] >= limit_ || !to_sm[i].can_send(t)) continue;
    to_sm[i].send(t, {static_cast<uint32_t>(next_++)});
    ++resident_[i];
    any = true;
    rr_ = i + 1;
  }
  return any;
}

engine::Tick CtaDispatcher::next_event() const {
  const engine::Cycle now = clk_.cycle(engine::now_tick());
  return now < start_ ? clk_.edge(start_) : engine::kNever;
}

std::string CtaDispatcher::describe() const {
  return fmt::format("{}: {} of {} CTAs dispatched, {} finished\n", path(), next_, total_, finished_);
}

}  // namespace xpusim::gpu
