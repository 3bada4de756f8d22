// The base of every independently timed block (SM, L2 slice, router, DRAM channel).
//
// A component has exactly one SystemC process, step(), an SC_METHOD that
//   * calls do_cycle(cycle) at a clock edge;
//   * if that made progress, re-arms for the next edge;
//   * otherwise sleeps until next_event() (its earliest known internal event) or until
//     wake() is called (a port delivered a message or freed a slot), whichever comes first;
//   * with no internal event, sleeps on wake() alone: an idle component costs nothing.
#pragma once

#include <systemc>

#include <string>
#include <string_view>
#include <vector>

#include "src/engine/clock.h"
#include "src/engine/env.h"
#include "src/engine/types.h"

namespace xpusim::engine {

// The receiving side of a channel, as its owner sees it when deciding how long to sleep.
class InputChannel {
 public:
  virtual ~InputChannel() = default;
  // Tick at which the oldest waiting message becomes visible; kNever when empty.
  virtual Tick next_ready() const = 0;
};

class Component : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Component);
  Component(sc_core::sc_module_name name, Env& env, ClockDomain clk);

  // Run at the first clock edge strictly after now (new work arrived).
  void wake();
  // Run at the first clock edge at or after tick t (t >= now).
  void wake_at(Tick t);

  const ClockDomain& clock() const { return clk_; }
  const std::string& path() const { return path_; }

  // One cycle of work at `now`; returns whether anything happened.
  virtual bool do_cycle(Cycle now) = 0;
  // Earliest tick at which the component has something to do without new input; kNever if none.
  virtual Tick next_event() const = 0;
  // Whether it holds work that is not finished (used to tell a deadlock from completion).
  virtual bool busy() const = 0;
  // A readable account of the component's state, for deadlock and error dumps.
  virtual std::string describe() const = 0;

  // Energy accounting: a component counts its actions (an instruction issued, a register
  // read, a cache access) in integer counters named "<path>.energy.<action>"; the energy
  // model turns counts into joules at report time. Register in the constructor, keep the
  // reference, increment on the hot path.
  uint64_t& energy_counter(std::string_view action) {
    return env_.stats().counter(path_, std::string("energy.") + std::string(action));
  }

  // Last cycle at which do_cycle reported progress (watchdog).
  Cycle last_progress() const { return last_progress_; }

  // Channels delivering to this component (registered by Channel::bind). Their pending
  // messages bound how long the component sleeps, so a wake-up that SystemC merged with an
  // earlier notification is never lost.
  void add_input(const InputChannel* ch) { inputs_.push_back(ch); }

 protected:
  Env& env_;
  ClockDomain clk_;

 private:
  void step();

  sc_core::sc_event wake_;
  std::string path_;  // "gpu.sm[3]": SystemC path = config path = stat prefix
  std::vector<const InputChannel*> inputs_;
  Cycle last_progress_ = 0;
  Cycle last_run_ = 0;
  bool ran_ = false;
};

}  // namespace xpusim::engine
