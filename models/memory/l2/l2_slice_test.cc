// L2 slice: hit and miss latency, MSHR merging (whole requests and extra sectors), LRU
// eviction with write-back of dirty sectors, atomic serialisation, back-pressure, sleeping,
// and the address -> slice mapping. The crossbar side and the DRAM are test-only fakes.
#include <catch2/catch.hpp>

#include <vector>

#include "models/memory/l2/l2_slice.h"
#include "models/memory/l2/slice_map.h"
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

mem::L2Params small(uint32_t sets, uint32_t ways) {
  sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
  mem::L2Params p;
  p.sets = sets;
  p.ways = ways;
  p.mshrs = 4;
  p.mshr_merges = 4;
  p.access_latency = 20;
  p.atomic_cycles = 2;
  p.bytes_per_cycle = 128;
  p.queue = 8;
  return p;
}

struct Rig {
  engine::Env env;
  engine::ClockDomain clk{1000};
  mem::L2Slice l2;
  mem::testing::ScriptedRequester req{"xbar", env, clk};  // the crossbar side
  mem::testing::DelayedResponder dram{"dram", env, clk};
  engine::Channel<MemReq> a{"a", 8};
  engine::Channel<MemResp> b{"b", 64};
  engine::Channel<MemReq> c{"c", 4};
  engine::Channel<MemResp> d;
  explicit Rig(const mem::L2Params& p) : l2("l2[0]", env, clk, p, 3), d("d", p.dram_outstanding()) {
    dram.latency = 50;
    a.bind(&req, &l2);
    req.out.connect(&a);
    l2.req_in.connect(&a);
    b.bind(&l2, &req);
    l2.resp_out.connect(&b);
    req.in.connect(&b);
    c.bind(&l2, &dram);
    l2.to_dram.connect(&c);
    dram.in.connect(&c);
    d.bind(&dram, &l2);
    dram.out.connect(&d);
    l2.from_dram.connect(&d);
  }
  // Requests are tagged 0, 1, 2, ... in the order they are added.
  void add(Cycle at, uint64_t line, MemOp op = MemOp::Load, uint8_t mask = 1, uint8_t atomics = 0) {
    req.add(at, line, op, mask, static_cast<uint32_t>(req.todo.size() + req.sent.size()), atomics);
  }
  void run(uint64_t cycles) {
    req.start();
    sc_core::sc_start(sc_core::sc_time::from_value(cycles * clk.period()));
  }
  uint64_t stat(const std::string& n) { return env.stats().counter("l2[0]", n); }
};

}  // namespace

SCENARIO("an L2 miss goes to DRAM and a later access to the line hits", "[l2][systemc]") {
  Rig rig(small(4, 2));
  rig.add(1, 0x1000, MemOp::Load, 0x3);
  rig.add(200, 0x1000, MemOp::Load, 0x1);
  rig.run(400);
  REQUIRE(rig.req.got.size() == 2);
  // hit: one cycle into the slice, access_latency, one cycle back
  CHECK(rig.req.got_at(1) - rig.req.sent[1].first == 20 + 2);
  // miss: into the slice (1), to DRAM (1), DRAM (50), back to the slice (1), the fill through
  // the slice's pipeline like a hit (access_latency 20), back (1)
  CHECK(rig.req.got_at(0) - rig.req.sent[0].first == 1 + 1 + 50 + 1 + 20 + 1);
  REQUIRE(rig.dram.got.size() == 1);
  CHECK(rig.dram.got[0].second.sector_mask == 0x3);
  CHECK(rig.dram.got[0].second.source == 3);  // the slice's DRAM port
  CHECK(rig.stat("load_misses") == 1);
  CHECK(rig.stat("load_hits") == 1);
  CHECK(rig.stat("sector_misses") == 2);
  CHECK(rig.stat("sector_hits") == 1);
  CHECK(rig.stat("hits") + rig.stat("misses") == rig.stat("accesses"));
  CHECK(rig.stat("dram_read_bytes") == 64);
  CHECK_FALSE(rig.l2.busy());
  CHECK(rig.l2.next_event() == kNever);
}

SCENARIO("misses to a line in flight merge into its MSHR", "[l2][systemc]") {
  Rig rig(small(4, 2));
  rig.add(1, 0x2000, MemOp::Load, 0x1);
  rig.add(2, 0x2000, MemOp::Load, 0x1);  // same sector: no new DRAM read
  rig.add(3, 0x2000, MemOp::Load, 0x6);  // new sectors: one more read, for those only
  rig.run(400);
  REQUIRE(rig.req.got.size() == 3);
  REQUIRE(rig.dram.got.size() == 2);
  CHECK(rig.dram.got[0].second.sector_mask == 0x1);
  CHECK(rig.dram.got[1].second.sector_mask == 0x6);
  CHECK(rig.stat("mshr_merges") == 2);
  CHECK(rig.stat("load_misses") == 3);
  // all three are answered by the one fill, in the same cycle
  CHECK(rig.req.got[0].first == rig.req.got[2].first);
}

SCENARIO("a full set evicts its LRU line and writes back only dirty sectors", "[l2][systemc]") {
  Rig rig(small(1, 2));  // one set, two ways
  rig.add(1, 0x0000, MemOp::Store, 0x5);
  rig.add(2, 0x0080, MemOp::Load, 0x1);
  rig.add(100, 0x0100, MemOp::Load, 0x1);  // evicts 0x0000 (least recently used)
  rig.run(400);
  REQUIRE(rig.req.got.size() == 3);
  CHECK(rig.stat("store_misses") == 1);
  CHECK(rig.stat("evictions") == 1);
  CHECK(rig.stat("write_backs") == 1);
  CHECK(rig.stat("dram_write_bytes") == 64);
  bool wrote = false;
  for (const auto& [c, r] : rig.dram.got)
    if (r.op == MemOp::Store) {
      wrote = true;
      CHECK(r.line_addr == 0x0000);
      CHECK(r.sector_mask == 0x5);
    }
  CHECK(wrote);
  CHECK_FALSE(rig.l2.holds(0x0000));
  uint8_t valid = 0, dirty = 0;
  CHECK(rig.l2.holds(0x0100, &valid, &dirty));
  CHECK(valid == 0x1);
  CHECK(dirty == 0);
  CHECK_FALSE(rig.l2.busy());  // the write-back's acknowledgement came back too
}

SCENARIO("atomics are performed at the slice at atomic_cycles per lane operation", "[l2][systemc]") {
  Rig rig(small(4, 2));
  rig.add(1, 0x3000, MemOp::Store, 0x1);  // line present
  rig.add(100, 0x3000, MemOp::Atomic, 0x1, 4);
  rig.add(100, 0x3000, MemOp::Atomic, 0x1, 4);
  rig.add(100, 0x3000, MemOp::Load, 0x1);
  rig.run(400);
  REQUIRE(rig.req.got.size() == 4);
  const Cycle a1 = rig.req.got_at(1), a2 = rig.req.got_at(2), ld = rig.req.got_at(3);
  // each atomic holds the slice for 4 ops x 2 cycles; the second waits for the first
  CHECK(a2 - a1 == 8);
  // the load is looked up only once the second atomic frees the slice, then takes a hit's
  // latency: it returns one cycle after that atomic
  CHECK(ld - a2 == 1);
  CHECK(ld - rig.req.sent[3].first > 22 + 8);  // an unobstructed hit takes 22
  CHECK(rig.stat("atomics") == 8);
  CHECK(rig.env.stats().counter("l2[0]", "energy.atomic") == 8);
  CHECK(rig.stat("atomic_hits") == 2);
}

SCENARIO("with every MSHR busy the slice holds the next miss back", "[l2][systemc]") {
  mem::L2Params p = small(4, 2);
  p.mshrs = 1;
  Rig rig(p);
  rig.add(1, 0x4000, MemOp::Load, 0x1);
  rig.add(1, 0x5000, MemOp::Load, 0x1);
  rig.run(400);
  REQUIRE(rig.req.got.size() == 2);
  REQUIRE(rig.dram.got.size() == 2);
  // the second read leaves only after the first fill freed the MSHR
  CHECK(rig.dram.got[1].first >= rig.dram.got[0].first + 50);
  CHECK(rig.stat("blocked_cycles") >= 45);
  CHECK(rig.stat("accesses") == 2);
}

TEST_CASE("sequential lines spread evenly over every slice", "[l2]") {
  for (const proto::L2Hash h : {proto::LINEAR, proto::XOR}) {
    for (const uint32_t per : {1u, 2u, 3u, 4u}) {
      const uint32_t controllers = 40;
      std::vector<uint32_t> count(controllers * per);
      const uint64_t lines = 4096ull * controllers * per;
      for (uint64_t l = 0; l < lines; ++l) {
        const uint32_t ctrl = static_cast<uint32_t>(l % controllers);  // a line-interleaved DRAM mapping
        ++count[mem::slice_of(ctrl, l * 128, controllers, per, h)];
      }
      const auto [lo, hi] = std::minmax_element(count.begin(), count.end());
      INFO("hash " << proto::L2Hash_Name(h) << ", " << per << " slices per controller");
      CHECK(*lo > 0);
      CHECK(*hi - *lo <= *hi / 8);  // within 12.5%
    }
  }
}
