// Crossbar: flit bandwidth per port, round-robin fairness at an output, near/far latency,
// response routing and back-pressure. Each test elaborates SystemC ([systemc]): ctest runs
// every test case in its own process. The SM and slice ends are test-only fakes.
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <vector>

#include "models/memory/noc/crossbar.h"
#include "models/memory/test_fakes.h"
#include "src/engine/env.h"
#include "src/engine/port.h"

using namespace xpusim;
using engine::Cycle;
using engine::kNever;
using engine::MemOp;
using engine::MemReq;
using engine::MemResp;
using engine::Tick;

namespace {

// Lines go to slice (line index mod slices).
class ModRouter final : public mem::SliceRouter {
 public:
  explicit ModRouter(uint32_t n) : n_(n) {}
  uint32_t slice_of(uint64_t line_addr) const override { return static_cast<uint32_t>((line_addr >> 7) % n_); }

 private:
  uint32_t n_;
};

using FakeSm = mem::testing::ScriptedRequester;   // an SM end
using FakeSlice = mem::testing::DelayedResponder;  // a slice end

struct Rig {
  engine::Env env;
  engine::ClockDomain clk{1000};
  mem::CrossbarParams p;
  ModRouter router;
  mem::Crossbar xbar;
  std::deque<FakeSm> sms;
  std::deque<FakeSlice> slices;
  std::deque<engine::Channel<MemReq>> req_ch;
  std::deque<engine::Channel<MemResp>> resp_ch;

  static mem::CrossbarParams params(uint32_t sms, uint32_t slices, uint32_t partitions, uint32_t slice_queue) {
    sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
    mem::CrossbarParams p;
    p.sms = sms;
    p.slices = slices;
    p.partitions = partitions;
    p.latency_cycles = 10;
    p.far_latency_cycles = 30;
    p.bytes_per_cycle = 32;
    p.queue = 4;
    p.header_bytes = 8;
    (void)slice_queue;
    return p;
  }
  Rig(uint32_t n_sms, uint32_t n_slices, uint32_t partitions = 1, size_t slice_queue = 64)
      : p(params(n_sms, n_slices, partitions, static_cast<uint32_t>(slice_queue))),
        router(n_slices),
        xbar("noc", env, clk, p, router) {
    for (uint32_t i = 0; i < n_sms; ++i) {
      FakeSm& s = sms.emplace_back(fmt::format("sm{}", i).c_str(), env, clk);
      auto& a = req_ch.emplace_back(fmt::format("sm{}.req", i), 64);
      a.bind(&s, &xbar);
      s.out.connect(&a);
      xbar.from_sm[i].connect(&a);
      auto& b = resp_ch.emplace_back(fmt::format("sm{}.resp", i), 64);
      b.bind(&xbar, &s);
      xbar.to_sm[i].connect(&b);
      s.in.connect(&b);
    }
    for (uint32_t j = 0; j < n_slices; ++j) {
      FakeSlice& s = slices.emplace_back(fmt::format("slice{}", j).c_str(), env, clk);
      auto& a = req_ch.emplace_back(fmt::format("slice{}.req", j), slice_queue);
      a.bind(&xbar, &s);
      xbar.to_slice[j].connect(&a);
      s.in.connect(&a);
      auto& b = resp_ch.emplace_back(fmt::format("slice{}.resp", j), 64);
      b.bind(&s, &xbar);
      s.out.connect(&b);
      xbar.from_slice[j].connect(&b);
    }
  }
  void run(uint64_t cycles) {
    for (auto& s : sms) s.start();
    sc_core::sc_start(sc_core::sc_time::from_value(cycles * clk.period()));
  }
  uint64_t stat(const std::string& n) { return env.stats().counter("noc", n); }
};

}  // namespace

SCENARIO("a crossbar port carries one flit per cycle", "[noc][systemc]") {
  GIVEN("one SM streaming to one slice over 32-byte flits") {
    Rig rig(1, 1);
    WHEN("it sends 20 loads (an 8-byte header: one flit each)") {
      for (uint32_t k = 0; k < 20; ++k) rig.sms[0].add(0, 0, MemOp::Load, 0xf, k);
      rig.run(400);
      THEN("they arrive one per cycle and each 4-sector response takes 5 flits (8 + 128 bytes)") {
        const auto& got = rig.slices[0].got;
        REQUIRE(got.size() == 20);
        for (size_t k = 1; k < got.size(); ++k) CHECK(got[k].first - got[k - 1].first == 1);
        const auto& back = rig.sms[0].got;
        REQUIRE(back.size() == 20);
        for (size_t k = 1; k < back.size(); ++k) CHECK(back[k].first - back[k - 1].first == 5);
        CHECK(rig.stat("req_flits") == 20);
        CHECK(rig.stat("resp_flits") == 100);
        CHECK(rig.stat("resp_bytes") == 20 * 136);
        CHECK(rig.stat("sm_port[0].resp_busy_cycles") == 100);
      }
    }
  }
}

SCENARIO("a store's data sectors take a crossbar port for one cycle per flit", "[noc][systemc]") {
  GIVEN("one SM streaming to one slice over 32-byte flits") {
    Rig rig(1, 1);
    WHEN("it sends 10 full-line stores (8 + 128 bytes: five flits each)") {
      for (uint32_t k = 0; k < 10; ++k) rig.sms[0].add(0, 0, MemOp::Store, 0xf, k);
      rig.run(400);
      THEN("the slice receives one every 5 cycles") {
        const auto& got = rig.slices[0].got;
        REQUIRE(got.size() == 10);
        for (size_t k = 1; k < got.size(); ++k) CHECK(got[k].first - got[k - 1].first == 5);
        CHECK(rig.stat("req_bytes") == 10 * 136);
      }
    }
  }
}

SCENARIO("an output shared by several SMs is granted round-robin", "[noc][systemc]") {
  GIVEN("four SMs each sending 12 single-flit loads to slice 0 at once") {
    Rig rig(4, 2);
    for (uint32_t i = 0; i < 4; ++i)
      for (uint32_t k = 0; k < 12; ++k) rig.sms[i].add(0, 0, MemOp::Load, 1, k);
    rig.run(500);
    THEN("every window of four arrivals holds one request from each SM, one per cycle") {
      const auto& got = rig.slices[0].got;
      REQUIRE(got.size() == 48);
      for (size_t w = 0; w + 4 <= got.size(); w += 4) {
        std::map<uint16_t, int> from;
        for (size_t k = w; k < w + 4; ++k) ++from[got[k].second.source];
        CHECK(from.size() == 4);
      }
      for (size_t k = 1; k < got.size(); ++k) CHECK(got[k].first - got[k - 1].first == 1);
      // each response went back to the SM that asked
      for (uint32_t i = 0; i < 4; ++i) CHECK(rig.sms[i].got.size() == 12);
    }
  }
}

SCENARIO("a far slice costs far_latency_cycles more each way", "[noc][systemc]") {
  GIVEN("two partitions: SM 0 and slice 0 near each other, slice 1 in the other half") {
    Rig rig(2, 2, 2);
    REQUIRE(rig.p.sm_partition(0) == 0);
    REQUIRE(rig.p.sm_partition(1) == 1);
    REQUIRE(rig.p.slice_partition(1) == 1);
    rig.sms[0].add(1, 0 * 128, MemOp::Load, 1, 1);    // slice 0: near
    rig.sms[0].add(200, 1 * 128, MemOp::Load, 1, 2);  // slice 1: far
    rig.run(600);
    THEN("the near request arrives after latency_cycles, the far one after latency + far") {
      REQUIRE(rig.slices[0].got.size() == 1);
      REQUIRE(rig.slices[1].got.size() == 1);
      CHECK(rig.slices[0].got[0].first - rig.sms[0].sent[0].first == 10);
      CHECK(rig.slices[1].got[0].first - rig.sms[0].sent[1].first == 40);
      REQUIRE(rig.sms[0].got.size() == 2);
      // round trip: 2 x crossing + 1 slice cycle; responses carry one 32-byte sector (2 flits)
      CHECK(rig.sms[0].got[0].first - rig.sms[0].sent[0].first == 10 + 1 + 11);
      CHECK(rig.sms[0].got[1].first - rig.sms[0].sent[1].first == 40 + 1 + 41);
      CHECK(rig.stat("req_far") == 1);
      CHECK(rig.stat("resp_far") == 1);
    }
  }
}

SCENARIO("a slice that stops taking requests stalls the crossbar without losing any", "[noc][systemc]") {
  GIVEN("a slice with a 2-entry queue that accepts nothing for a while") {
    Rig rig(1, 1, 1, 2);
    rig.slices[0].accept = false;
    for (uint32_t k = 0; k < 10; ++k) rig.sms[0].add(0, 0, MemOp::Load, 1, k);
    rig.run(100);
    THEN("the queue fills, the crossbar holds the rest and counts stall cycles") {
      CHECK(rig.slices[0].got.empty());
      CHECK(rig.xbar.busy());
      rig.slices[0].accept = true;
      rig.slices[0].wake();
      sc_core::sc_start(sc_core::sc_time::from_value(200 * rig.clk.period()));
      CHECK(rig.slices[0].got.size() == 10);
      CHECK(rig.sms[0].got.size() == 10);
      CHECK(rig.stat("req_output_stall_cycles") > 50);
      CHECK_FALSE(rig.xbar.busy());
      CHECK(rig.xbar.next_event() == kNever);
    }
  }
}
