// Engine: clocks, channels (latency, visibility, back-pressure) and component sleeping.
// Tests that elaborate SystemC modules are tagged [systemc]; ctest runs each test case in
// its own process.
#include <catch2/catch.hpp>

#include <vector>

#include "src/engine/component.h"
#include "src/engine/env.h"
#include "src/engine/port.h"
#include "src/engine/stats.h"

using namespace xpusim::engine;

TEST_CASE("clock domain converts ticks and cycles", "[engine]") {
  const ClockDomain c = ClockDomain::from_mhz(1000);
  CHECK(c.period() == 1000);
  CHECK(c.cycle(2999) == 2);
  CHECK(c.next_edge(2000) == 3000);
  CHECK(c.edge_at_or_after(2000) == 2000);
  CHECK(c.edge_at_or_after(2001) == 3000);
  const ClockDomain a100 = ClockDomain::from_mhz(1410);
  CHECK(a100.period() == 709);
  CHECK(a100.seconds(1410) == Approx(1e-6));
}

TEST_CASE("stats register once and sum by suffix", "[engine]") {
  Stats s;
  uint64_t& a = s.counter("gpu.sm[0]", "insts");
  uint64_t& b = s.counter("gpu.sm[1]", "insts");
  a += 3;
  b += 4;
  CHECK(&s.counter("gpu.sm[0]", "insts") == &a);
  CHECK(s.total("insts") == 7);
  CHECK(s.total("nsts") == 0);  // whole names only
  const auto snap = s.snapshot();
  REQUIRE(snap.size() == 2);
  CHECK(snap[0].first == "gpu.sm[0].insts");
}

namespace {

// Sends `count` numbered messages, one per cycle when the channel has room.
class Producer final : public Component {
 public:
  Producer(sc_core::sc_module_name n, Env& env, ClockDomain clk, int count) : Component(n, env, clk), count_(count) {}
  OutPort<int> out;
  std::vector<Cycle> sent_at;
  int runs = 0;
  void start() { wake_at(0); }
  bool do_cycle(Cycle now) override {
    ++runs;
    const Tick t = clock().edge(now);
    if (next_ < count_ && out.can_send(t)) {
      out.send(t, next_++);
      sent_at.push_back(now);
      return true;
    }
    return false;
  }
  Tick next_event() const override { return kNever; }
  bool busy() const override { return next_ < count_; }
  std::string describe() const override { return "producer"; }

 private:
  int count_;
  int next_ = 0;
};

// Takes one message every `every` cycles.
class Consumer final : public Component {
 public:
  Consumer(sc_core::sc_module_name n, Env& env, ClockDomain clk, int every) : Component(n, env, clk), every_(every) {}
  InPort<int> in;
  std::vector<std::pair<Cycle, int>> got;
  int runs = 0;
  bool do_cycle(Cycle now) override {
    ++runs;
    if (now < ready_) return false;
    const Tick t = clock().edge(now);
    if (!in.can_recv(t)) return false;
    got.emplace_back(now, in.front());
    in.pop(t);
    ready_ = now + every_;
    return true;
  }
  Tick next_event() const override { return ready_ > clock().cycle(now_tick()) ? clock().edge(ready_) : kNever; }
  bool busy() const override { return false; }
  std::string describe() const override { return "consumer"; }

 private:
  int every_;
  Cycle ready_ = 0;
};

}  // namespace

TEST_CASE("a channel delivers after its latency and idle components do not run", "[engine][systemc]") {
  sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
  Env env;
  const ClockDomain clk(1000);
  Producer p("p", env, clk, 3);
  Consumer c("c", env, clk, 1);
  Channel<int> ch("ch", 8, 5 * 1000);  // 5 cycles of latency
  ch.bind(&p, &c);
  p.out.connect(&ch);
  c.in.connect(&ch);
  p.start();
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_US));
  REQUIRE(c.got.size() == 3);
  // woken at tick 0, the producer first runs at the next edge (cycle 1)
  CHECK(p.sent_at == std::vector<Cycle>{1, 2, 3});
  CHECK(c.got[0] == std::make_pair<Cycle, int>(6, 0));
  CHECK(c.got[2] == std::make_pair<Cycle, int>(8, 2));
  // 1000 cycles elapsed: both slept almost all of them
  CHECK(p.runs <= 5);
  CHECK(c.runs <= 6);
}

TEST_CASE("a full channel stops the sender until a slot frees, a cycle later", "[engine][systemc]") {
  sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
  Env env;
  const ClockDomain clk(1000);
  Producer p("p", env, clk, 6);
  Consumer c("c", env, clk, 10);  // slow: one message per 10 cycles
  Channel<int> ch("ch", 2);       // two slots, no extra latency
  ch.bind(&p, &c);
  p.out.connect(&ch);
  c.in.connect(&ch);
  p.start();
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_US));
  REQUIRE(c.got.size() == 6);
  // sends at 0 and 1 fill the channel; each later send happens the cycle after a pop
  for (size_t i = 2; i < p.sent_at.size(); ++i) CHECK(p.sent_at[i] == c.got[i - 2].first + 1);
  for (size_t i = 1; i < c.got.size(); ++i) CHECK(c.got[i].first - c.got[i - 1].first == 10);
  CHECK(p.runs < 20);  // woken by freed slots, not polling
}

TEST_CASE("a message sent this cycle is invisible until the next edge", "[engine]") {
  Channel<int> ch("ch", 4);
  CHECK(ch.can_send(1000));
  ch.send(1000, 7);
  CHECK_FALSE(ch.can_recv(1000));
  CHECK(ch.can_recv(1001));  // no receiver bound: visible one tick later
  ch.pop(2000);
  CHECK(ch.next_ready() == kNever);
}
