// A clock domain: a period in picoseconds and the conversions between ticks and cycles.
// Edges fall at integer multiples of the period, starting at tick 0.
#pragma once

#include <systemc>

#include "src/engine/error.h"
#include "src/engine/types.h"

namespace xpusim::engine {

class ClockDomain {
 public:
  ClockDomain() = default;
  explicit ClockDomain(Tick period_ps) : period_(period_ps), hz_(1e12 / static_cast<double>(period_ps)) {
    SIM_CHECK(period_ps > 0, "zero clock period");
  }
  // The period is rounded to a whole picosecond; hz() keeps the exact frequency, which is
  // what converts cycle counts to seconds in reports.
  static ClockDomain from_mhz(double mhz) {
    ClockDomain c(static_cast<Tick>(1e6 / mhz + 0.5));
    c.hz_ = mhz * 1e6;
    return c;
  }

  Tick period() const { return period_; }
  double hz() const { return hz_; }
  double seconds(Cycle cycles) const { return static_cast<double>(cycles) / hz_; }
  // The cycle containing tick t (edge at or before t).
  Cycle cycle(Tick t) const { return t / period_; }
  Tick edge(Cycle c) const { return c * period_; }
  bool on_edge(Tick t) const { return t % period_ == 0; }
  // First edge strictly after t.
  Tick next_edge(Tick t) const { return (t / period_ + 1) * period_; }
  // First edge at or after t.
  Tick edge_at_or_after(Tick t) const { return (t + period_ - 1) / period_ * period_; }
  // A SystemC delay from now until tick t (t >= now).
  static sc_core::sc_time until(Tick t, Tick now) {
    return sc_core::sc_time::from_value(t - now);
  }

 private:
  Tick period_ = 1000;
  double hz_ = 1e9;
};

// Current simulated time in ticks (the SystemC time resolution is 1 ps).
inline Tick now_tick() { return sc_core::sc_time_stamp().value(); }

}  // namespace xpusim::engine
