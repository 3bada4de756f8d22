#include "src/engine/component.h"

namespace xpusim::engine {

Component::Component(sc_core::sc_module_name name, Env& env, ClockDomain clk)
    : sc_module(name), env_(env), clk_(clk), path_(sc_module::name()) {
  SC_METHOD(step);
  sensitive << wake_;
  dont_initialize();
  env_.add_component(this);
}

void Component::wake() {
  const Tick now = now_tick();
  wake_.notify(ClockDomain::until(clk_.next_edge(now), now));
}

void Component::wake_at(Tick t) {
  const Tick now = now_tick();
  Tick at = clk_.edge_at_or_after(t);
  if (at <= now) at = clk_.next_edge(now);  // never re-run the current cycle
  wake_.notify(ClockDomain::until(at, now));
}

void Component::step() {
  const Tick now = now_tick();
  if (!clk_.on_edge(now)) {  // woken between edges: wait for the edge
    next_trigger(ClockDomain::until(clk_.next_edge(now), now));
    return;
  }
  const Cycle cyc = clk_.cycle(now);
  if (ran_ && cyc == last_run_) {  // a second trigger in the same cycle: the work is done
    next_trigger(ClockDomain::until(clk_.next_edge(now), now), wake_);
    return;
  }
  ran_ = true;
  last_run_ = cyc;
  bool progress = false;
  try {
    progress = do_cycle(cyc);
  } catch (...) {
    if (!env_.failed()) sc_core::sc_stop();  // once: later failures in this delta are dropped
    env_.fail(std::current_exception());
    return;
  }
  if (progress) {
    last_progress_ = cyc;
    next_trigger(ClockDomain::until(clk_.next_edge(now), now), wake_);
    return;
  }
  Tick t = next_event();
  for (const InputChannel* in : inputs_) {
    const Tick r = in->next_ready();
    if (r > now && r < t) t = r;  // a message still in flight
  }
  if (t == kNever) {
    next_trigger(wake_);
  } else {
    const Tick at = clk_.edge_at_or_after(t <= now ? now + 1 : t);
    next_trigger(ClockDomain::until(at, now), wake_);
  }
}

}  // namespace xpusim::engine
