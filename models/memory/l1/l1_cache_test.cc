// L1 data cache, driven through channels by a scripted SM and a fake next level that answers
// every request after a fixed latency: hit and miss latency, MSHR merging, MSHR-full
// back-pressure, write-through, bypass, carve-out capacity, LRU, atomics, invalidation at a
// kernel boundary, data bandwidth. Each test elaborates SystemC modules ([systemc]): ctest
// runs each in its own process.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "models/memory/l1/l1_cache.h"
#include "src/engine/env.h"
#include "src/engine/port.h"

using namespace xpusim;
using engine::ClockDomain;
using engine::Cycle;
using engine::MemOp;
using engine::MemReq;
using engine::MemResp;
using engine::Tick;

namespace {

constexpr Tick kPeriod = 1000;

// Sends scripted requests at given cycles (in order, as the channel allows) and records the
// cycle each response arrives.
class FakeSm final : public engine::Component {
 public:
  FakeSm(sc_core::sc_module_name n, engine::Env& env, ClockDomain clk) : Component(n, env, clk) {}
  engine::OutPort<MemReq> out;
  engine::InPort<MemResp> in;
  struct Item {
    Cycle at;
    MemReq req;
  };
  std::vector<Item> script;
  std::vector<std::pair<Cycle, uint32_t>> got;  // (cycle, tag)
  std::vector<Cycle> sent_at;
  size_t next = 0;

  void add(Cycle at, uint64_t line, uint8_t mask, uint32_t tag, MemOp op = MemOp::Load, uint8_t flags = 0) {
    MemReq r;
    r.line_addr = line;
    r.sector_mask = mask;
    r.op = op;
    r.flags = flags;
    r.tag = tag;
    script.push_back({at, r});
  }
  void start() { wake_at(0); }
  Cycle response(uint32_t tag) const {
    for (const auto& [c, t] : got)
      if (t == tag) return c;
    return 0;
  }
  bool do_cycle(Cycle now) override {
    const Tick t = clock().edge(now);
    bool any = false;
    while (in.can_recv(t)) {
      got.emplace_back(now, in.front().tag);
      in.pop(t);
      any = true;
    }
    while (next < script.size() && script[next].at <= now && out.can_send(t)) {
      MemReq r = script[next].req;
      r.issued = t;
      out.send(t, r);
      sent_at.push_back(now);
      ++next;
      any = true;
    }
    return any;
  }
  Tick next_event() const override {
    return next < script.size() ? clock().edge(script[next].at) : engine::kNever;
  }
  bool busy() const override { return next < script.size(); }
  std::string describe() const override { return "fake sm"; }
};

// Answers each request with its own tag, source and sectors; the response channel carries the
// latency. Records what it was asked.
class FakeL2 final : public engine::Component {
 public:
  FakeL2(sc_core::sc_module_name n, engine::Env& env, ClockDomain clk) : Component(n, env, clk) {}
  engine::InPort<MemReq> in;
  engine::OutPort<MemResp> out;
  std::vector<std::pair<Cycle, MemReq>> seen;
  bool do_cycle(Cycle now) override {
    const Tick t = clock().edge(now);
    bool any = false;
    while (in.can_recv(t) && out.can_send(t)) {
      const MemReq& r = in.front();
      seen.emplace_back(now, r);
      out.send(t, MemResp{r.tag, r.source, r.sector_mask, r.op});
      in.pop(t);
      any = true;
    }
    return any;
  }
  Tick next_event() const override { return engine::kNever; }
  bool busy() const override { return false; }
  std::string describe() const override { return "fake l2"; }
};

mem::L1Params small_params() {
  mem::L1Params p;
  p.capacity_bytes = 16 * 1024;
  p.ways = 4;
  p.hit_latency = 20;
  p.bytes_per_cycle = 128;
  p.mshrs = 8;
  p.mshr_merges = 4;
  p.tag_lookups_per_cycle = 4;
  p.miss_queue = 8;
  p.write_policy = proto::WRITE_THROUGH_ALLOCATE;
  return p;
}

// SystemC's time resolution is set once per process, before any module exists.
struct TimeResolution {
  TimeResolution() {
    static bool set = false;
    if (!set) sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
    set = true;
  }
};

struct Rig {
  TimeResolution res;
  engine::Env env;
  ClockDomain clk{kPeriod};
  FakeSm sm;
  FakeL2 l2;
  mem::L1Cache l1;
  engine::Channel<MemReq> sm_req{"sm_req", 4};
  engine::Channel<MemResp> sm_resp{"sm_resp", 64};
  engine::Channel<MemReq> l2_req{"l2_req", 64};
  engine::Channel<MemResp> l2_resp;

  Rig(const mem::L1Params& p, Cycle l2_latency)
      : sm("sm", env, clk), l2("l2", env, clk), l1("l1", env, clk, p, 0), l2_resp("l2_resp", 256, l2_latency * kPeriod) {
    sm_req.bind(&sm, &l1);
    sm.out.connect(&sm_req);
    l1.from_sm.connect(&sm_req);
    sm_resp.bind(&l1, &sm);
    l1.to_sm.connect(&sm_resp);
    sm.in.connect(&sm_resp);
    l2_req.bind(&l1, &l2);
    l1.to_l2.connect(&l2_req);
    l2.in.connect(&l2_req);
    l2_resp.bind(&l2, &l1);
    l2.out.connect(&l2_resp);
    l1.from_l2.connect(&l2_resp);
  }
  void run(Cycle cycles) {
    sm.start();
    sc_core::sc_start(sc_core::sc_time(static_cast<double>(cycles * kPeriod), sc_core::SC_PS));
    env.rethrow_failure();
  }
  uint64_t stat(const std::string& name) { return env.stats().counter("l1", name); }
  size_t l2_requests(MemOp op) const {
    size_t n = 0;
    for (const auto& [c, r] : l2.seen) n += r.op == op;
    return n;
  }
};

constexpr uint64_t kA = 0x10000, kB = 0x20000, kC = 0x30000;

}  // namespace

TEST_CASE("l1: a miss goes to L2 and fills and the same line then hits after the hit latency", "[l1][systemc]") {
  Rig r(small_params(), 100);
  r.sm.add(1, kA, 0xf, 1);
  r.sm.add(300, kA, 0x3, 2);
  r.run(1000);
  REQUIRE(r.sm.got.size() == 2);
  REQUIRE(r.l2.seen.size() == 1);
  CHECK(r.l2.seen[0].second.sector_mask == 0xf);
  CHECK(r.l2.seen[0].second.tag < 8);  // an MSHR id, not the SM's tag
  // sent at cycle 1: L1 at 2, L2 at 3, back at 103, SM at 104
  const Cycle miss = r.sm.response(1) - 1;
  CHECK(miss >= 100);
  CHECK(miss <= 106);
  // the hit: L1 sees it at 301, answers hit_latency (20) cycles later, the SM sees it a cycle on
  const Cycle hit = r.sm.response(2) - 300;
  CHECK(hit >= 20);
  CHECK(hit <= 23);
  CHECK(r.stat("accesses") == 2);
  CHECK(r.stat("hits") == 1);
  CHECK(r.stat("misses") == 1);
  CHECK(r.stat("sector_hits") == 2);
  CHECK(r.stat("sector_misses") == 4);
  CHECK(r.stat("bytes_from_l2") == 128);
  CHECK(r.stat("loads") == 2);
  // measured from the SM's send to the L1's response, a cycle before the SM sees it
  CHECK(r.stat("load_latency_cycles") == (r.sm.response(1) - 1 - 1) + (r.sm.response(2) - 300 - 1));
  CHECK(r.stat("load_latency_lt_128") == 1);  // the miss, ~103 cycles
  CHECK(r.stat("load_latency_lt_32") == 1);   // the hit, ~21 cycles
  CHECK(r.stat("energy.tag_lookup") == 2);
  CHECK(r.stat("energy.sector_write") == 4);
  CHECK(r.stat("energy.sector_read") == 2);
  CHECK(!r.l1.busy());
}

TEST_CASE("l1: misses to a line in flight merge into its MSHR and ask only for new sectors", "[l1][systemc]") {
  Rig r(small_params(), 100);
  r.sm.add(1, kA, 0x1, 1);
  r.sm.add(2, kA, 0x1, 2);  // same sector: merged, nothing new asked
  r.sm.add(3, kA, 0x3, 3);  // sector 1 is new: merged, one more request for sector 1 only
  r.run(1000);
  REQUIRE(r.sm.got.size() == 3);
  REQUIRE(r.l2.seen.size() == 2);
  CHECK(r.l2.seen[0].second.sector_mask == 0x1);
  CHECK(r.l2.seen[1].second.sector_mask == 0x2);
  CHECK(r.l2.seen[0].second.tag == r.l2.seen[1].second.tag);  // the same MSHR
  CHECK(r.stat("mshr_merges") == 2);
  CHECK(r.stat("misses") == 3);
  // everyone is answered when the last sector arrives
  CHECK(r.sm.response(1) == r.sm.response(3));
  CHECK(r.sm.response(2) == r.sm.response(3));
}

TEST_CASE("l1: full MSHRs and full merge slots stall the input without dropping requests", "[l1][systemc]") {
  mem::L1Params p = small_params();
  p.mshrs = 2;
  p.mshr_merges = 2;
  Rig r(p, 100);
  r.sm.add(1, kA, 0xf, 10);
  r.sm.add(1, kA, 0xf, 11);  // merges into line A's MSHR...
  r.sm.add(1, kA, 0xf, 12);  // ...which has no waiter slot left: waits, then hits
  for (uint32_t i = 0; i < 4; ++i) r.sm.add(1, kB + 128 * i, 0xf, i);
  r.run(2000);
  REQUIRE(r.sm.got.size() == 7);
  REQUIRE(r.l2.seen.size() == 5);
  CHECK(r.l2.seen[0].first < 10);
  // line A is back at ~103: B0 and B1 take the two MSHRs, B2 and B3 wait for them (~204)
  CHECK(r.l2.seen[1].first > 100);
  CHECK(r.l2.seen[2].first > 100);
  CHECK(r.l2.seen[3].first > 200);
  CHECK(r.stat("mshr_merges") == 1);
  CHECK(r.stat("hits") == 1);
  CHECK(r.stat("mshr_full_stall_cycles") >= 195);
  CHECK(r.stat("mshr_full_stall_cycles") <= 210);
  CHECK(!r.l1.busy());
}

TEST_CASE("l1: stores write through and answer after the hit latency and allocate their sectors", "[l1][systemc]") {
  Rig r(small_params(), 100);
  r.sm.add(1, kA, 0x1, 1, MemOp::Store);
  r.sm.add(50, kA, 0x1, 2);  // the stored sector: a hit
  r.sm.add(51, kA, 0x2, 3);  // another sector of the line: a miss
  r.run(1000);
  REQUIRE(r.sm.got.size() == 3);
  CHECK(r.sm.response(1) <= 1 + 23);
  CHECK(r.l2_requests(MemOp::Store) == 1);
  CHECK(r.l2_requests(MemOp::Load) == 1);
  CHECK(r.stat("stores") == 1);
  CHECK(r.stat("hits") == 1);
  CHECK(r.stat("misses") == 1);
  CHECK(r.stat("bytes_to_l2") == 32);
  CHECK(r.stat("loads") == 2);  // stores are not in the load latency
  CHECK(r.stat("requests") == 3);
  CHECK(r.stat("accesses") == 2);  // hits + misses: cacheable loads only
}

TEST_CASE("l1: write-through no-allocate stores invalidate the sectors they write", "[l1][systemc]") {
  mem::L1Params p = small_params();
  p.write_policy = proto::WRITE_THROUGH_NO_ALLOCATE;
  Rig r(p, 50);
  r.sm.add(1, kA, 0xf, 1);
  r.sm.add(100, kA, 0x1, 2, MemOp::Store);
  r.sm.add(150, kA, 0x2, 3);  // still valid: a hit
  r.sm.add(151, kA, 0x1, 4);  // written: a miss
  r.sm.add(152, kB, 0x1, 5, MemOp::Store);
  r.sm.add(200, kB, 0x1, 6);  // not allocated: a miss
  r.run(1000);
  REQUIRE(r.sm.got.size() == 6);
  CHECK(r.stat("hits") == 1);
  CHECK(r.stat("misses") == 3);
}

TEST_CASE("l1: bypassing loads go to L2 every time and fill nothing", "[l1][systemc]") {
  Rig r(small_params(), 50);
  r.sm.add(1, kA, 0xf, 1, MemOp::Load, MemReq::kBypassL1);
  r.sm.add(100, kA, 0xf, 2, MemOp::Load, MemReq::kBypassL1);
  r.sm.add(200, kA, 0xf, 3);  // a cacheable load: nothing was filled
  r.sm.add(300, kA, 0xf, 4);  // now it hits
  r.run(1000);
  REQUIRE(r.sm.got.size() == 4);
  CHECK(r.l2.seen.size() == 3);
  CHECK(r.stat("bypasses") == 2);
  CHECK(r.stat("hits") == 1);
  CHECK(r.stat("misses") == 1);
}

TEST_CASE("l1: with enabled false every load goes to L2", "[l1][systemc]") {
  mem::L1Params p = small_params();
  p.enabled = false;
  Rig r(p, 50);
  for (uint32_t i = 0; i < 3; ++i) r.sm.add(1 + 100 * i, kA, 0xf, i);
  r.run(1000);
  REQUIRE(r.sm.got.size() == 3);
  CHECK(r.l2.seen.size() == 3);
  CHECK(r.stat("hits") == 0);
}

TEST_CASE("l1: the carve-out is the smallest allowed size holding the shared memory", "[l1]") {
  mem::L1Params p = small_params();
  p.carveout_bytes = {0, 8 * 1024, 12 * 1024};
  CHECK(p.carveout_for(0) == 0);
  CHECK(p.carveout_for(1) == 8 * 1024);
  CHECK(p.carveout_for(8 * 1024) == 8 * 1024);
  CHECK(p.carveout_for(9000) == 12 * 1024);
  CHECK(p.carveout_for(100000) == 12 * 1024);  // the largest (validation refuses bigger)
  p.carveout_bytes.clear();
  CHECK(p.carveout_for(5000) == 5000);  // no list: exactly what is needed
}

namespace {

// Two sweeps over 64 lines (8 KB) with `carve` bytes of the 16 KB SRAM given to shared memory.
uint64_t sweep_hits(uint32_t carve) {
  Rig r(small_params(), 20);
  r.l1.set_carveout(carve);
  CHECK(r.l1.data_bytes() == 16 * 1024 - carve);
  CHECK(r.l1.ways() == 4);
  CHECK(r.l1.sets() == (16 * 1024 - carve) / 512);
  for (uint32_t pass = 0; pass < 2; ++pass)
    for (uint32_t i = 0; i < 64; ++i) r.sm.add(1 + pass * 500 + i, kA + 128 * i, 0xf, pass * 64 + i);
  r.run(2000);
  REQUIRE(r.sm.got.size() == 128);
  return r.stat("hits");
}

}  // namespace

TEST_CASE("l1: with an 8 KB carve-out of 16 KB a 64-line sweep hits the second time", "[l1][systemc]") {
  CHECK(sweep_hits(8 * 1024) == 64);
}

TEST_CASE("l1: with a 12 KB carve-out of 16 KB a 64-line sweep never hits (LRU)", "[l1][systemc]") {
  CHECK(sweep_hits(12 * 1024) == 0);
}

TEST_CASE("l1: the least recently used way is evicted", "[l1][systemc]") {
  mem::L1Params p = small_params();
  p.capacity_bytes = 256;  // one set of two ways
  p.ways = 2;
  Rig r(p, 20);
  REQUIRE(r.l1.sets() == 1);
  r.sm.add(1, kA, 0xf, 1);
  r.sm.add(100, kB, 0xf, 2);
  r.sm.add(200, kA, 0xf, 3);  // hit: A is now the most recently used
  r.sm.add(300, kC, 0xf, 4);  // evicts B
  r.sm.add(400, kA, 0xf, 5);  // hit
  r.sm.add(500, kB, 0xf, 6);  // miss
  r.run(1000);
  REQUIRE(r.sm.got.size() == 6);
  CHECK(r.stat("hits") == 2);
  CHECK(r.stat("misses") == 4);
}

TEST_CASE("l1: atomics are performed at L2 and invalidate the cached sectors", "[l1][systemc]") {
  Rig r(small_params(), 60);
  r.sm.add(1, kA, 0xf, 1);
  r.sm.add(100, kA, 0x1, 2, MemOp::Atomic);
  r.sm.add(200, kA, 0x1, 3);  // the atomic's sector is gone: a miss
  r.sm.add(300, kA, 0x2, 4);  // a hit
  r.run(1000);
  REQUIRE(r.sm.got.size() == 4);
  CHECK(r.l2_requests(MemOp::Atomic) == 1);
  CHECK(r.sm.response(2) - 100 >= 60);  // answered by L2
  CHECK(r.stat("atomics") == 1);
  CHECK(r.stat("hits") == 1);
  CHECK(r.stat("misses") == 2);
}

TEST_CASE("l1: a new kernel's carve-out invalidates the cache", "[l1][systemc]") {
  Rig r(small_params(), 20);
  r.sm.add(1, kA, 0xf, 1);
  r.run(200);
  REQUIRE(r.sm.got.size() == 1);
  r.l1.set_carveout(0);
  r.sm.add(300, kA, 0xf, 2);
  r.run(300);
  REQUIRE(r.sm.got.size() == 2);
  CHECK(r.stat("misses") == 2);
  CHECK(r.stat("hits") == 0);
}

TEST_CASE("l1: hits are limited by the data bandwidth", "[l1][systemc]") {
  mem::L1Params p = small_params();
  Rig r(p, 10);
  for (uint32_t i = 0; i < 4; ++i) r.sm.add(1, kA + 128 * i, 0xf, i);  // fill 4 lines
  for (uint32_t i = 0; i < 4; ++i) r.sm.add(100, kA + 128 * i, 0xf, 10 + i);  // 4 full-line hits
  for (uint32_t i = 0; i < 4; ++i) r.sm.add(200, kA + 128 * i, 0x1, 20 + i);  // 4 one-sector hits
  r.run(1000);
  REQUIRE(r.sm.got.size() == 12);
  CHECK(r.stat("hits") == 8);
  // 128 bytes a cycle: full lines come back a cycle apart, four sectors in one cycle
  for (uint32_t i = 1; i < 4; ++i) CHECK(r.sm.response(10 + i) - r.sm.response(10 + i - 1) == 1);
  CHECK(r.sm.response(23) - r.sm.response(20) <= 1);
}
