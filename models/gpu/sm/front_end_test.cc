// Instruction fetch: L0I/L1I miss latency, the stream-buffer prefetcher, the shared L1I port,
// LRU, the fetch policy (greedy then youngest with room), buffers, redirects and next_event.
#include <catch2/catch.hpp>

#include <array>

#include "models/gpu/sm/front_end.h"

using namespace xpusim;
using namespace xpusim::gpu;
using engine::Cycle;

namespace {

constexpr uint16_t kNone = UINT16_MAX;
constexpr Cycle kMiss = 39 + 200;  // l1i_latency + l2_latency of the defaults
constexpr Cycle kDecode = 2;       // fetch_cycles

FrontEndParams no_prefetch() {
  FrontEndParams p;
  p.prefetch_lines = 0;
  return p;
}

// Drives one FrontEnd cycle by cycle; `now` is the next cycle to run.
struct Rig {
  explicit Rig(const FrontEndParams& p) : fe(p), entries(p.ibuffer_entries) { greedy.fill(kNone); }

  bool step() {
    const bool progress = fe.fetch(now, greedy.data());
    for (uint16_t w = 0; w < 64; ++w)
      if (fe.buffered(w) > entries) FAIL("warp " << w << " holds " << fe.buffered(w) << " entries");
    ++now;
    return progress;
  }
  void run_to(Cycle end) {
    while (now < end) step();
  }
  // Runs until the warp's head is decoded; returns that cycle.
  Cycle until_ready(uint16_t w) {
    for (const Cycle limit = now + 100000; now < limit;) {
      const Cycle c = now;
      step();
      if (fe.ready(w, c)) return c;
    }
    FAIL("warp " << w << " never became ready");
    return 0;
  }
  uint64_t l1_requests() const { return fe.stats().l1_hits + fe.stats().l1_misses; }

  FrontEnd fe;
  uint32_t entries;
  std::array<uint16_t, 4> greedy{};
  Cycle now = 0;
};

// Cycles to deliver n instructions of straight-line code to one warp that issues each
// instruction as soon as it is decoded.
Cycle straight_line(const FrontEndParams& p, uint32_t n, FrontEndStats* stats = nullptr) {
  Rig r(p);
  r.fe.start_warp(0, 0, 0, 0);
  r.greedy[0] = 0;
  uint32_t issued = 0;
  bool in_order = true;
  while (issued < n && r.now < 1000000) {
    const Cycle c = r.now;
    r.step();
    if (!r.fe.ready(0, c)) continue;
    in_order &= r.fe.head_pc(0) == issued;
    r.fe.pop(0);
    ++issued;
  }
  CHECK(in_order);
  if (stats) *stats = r.fe.stats();
  return r.now;
}

}  // namespace

TEST_CASE("FE1 a cold miss costs l1i_latency + l2_latency, an L1I hit l1i_latency", "[frontend]") {
  Rig r(no_prefetch());
  r.fe.start_warp(0, 0, 0, 0);
  CHECK(r.until_ready(0) == kMiss + kDecode);
  CHECK(r.fe.head_pc(0) == 0);
  CHECK(r.fe.stats().l0_misses == 1);
  CHECK(r.fe.stats().l1_misses == 1);
  // Sub-core 1 has its own L0I; the shared L1I now holds the line.
  const Cycle t = r.now;
  r.fe.start_warp(1, 0, 0, 1);
  CHECK(r.until_ready(1) == t + 39 + kDecode);
  CHECK(r.fe.stats().l1_hits == 1);
  CHECK(r.fe.stats().l0_misses == 2);
}

TEST_CASE("FE2 warps of one sub-core share its L0I", "[frontend]") {
  Rig r(no_prefetch());
  SECTION("a second warp on a cached line hits") {
    r.fe.start_warp(0, 0, 0, 0);
    r.until_ready(0);
    r.run_to(kMiss + 3);  // warp 0's buffer is full
    const Cycle t = r.now;
    r.fe.start_warp(4, 0, 1, 1);
    CHECK(r.until_ready(4) == t + kDecode);
    CHECK(r.fe.stats().l0_misses == 1);
    CHECK(r.l1_requests() == 1);
  }
  SECTION("a second warp missing on a requested line waits without a second request") {
    r.fe.start_warp(0, 0, 0, 0);
    r.fe.start_warp(4, 0, 1, 1);
    r.greedy[0] = 0;
    r.step();  // warp 0 misses
    r.step();  // warp 0 waits, so warp 4 is chosen and misses on the same line
    CHECK(r.fe.waiting_for_line(0));
    CHECK(r.fe.waiting_for_line(4));
    CHECK(r.fe.stats().l0_misses == 2);
    CHECK(r.l1_requests() == 1);
    // The line arrives at kMiss: greedy warp 0 fills its 3 entries, then warp 4.
    CHECK(r.until_ready(4) == kMiss + 3 + kDecode);
    CHECK(r.fe.head_pc(4) == 1);
  }
}

TEST_CASE("FE3 the stream buffer hides most misses of straight-line code", "[frontend]") {
  constexpr uint32_t kN = 512;  // 64 lines
  FrontEndStats with{}, without{}, perfect{};
  FrontEndParams p;
  const Cycle t8 = straight_line(p, kN, &with);
  p.prefetch_lines = 0;
  const Cycle t0 = straight_line(p, kN, &without);
  p.perfect = true;
  const Cycle tp = straight_line(p, kN, &perfect);
  INFO("prefetch 8: " << t8 << " cycles, none: " << t0 << ", perfect: " << tp);
  CHECK(t0 >= 64 * kMiss);
  CHECK(t0 > 5 * t8);
  CHECK(with.stream_hits > 0);
  CHECK(with.prefetches > 0);
  CHECK(without.prefetches == 0);
  CHECK(tp <= kN + kDecode + 1);
  CHECK(perfect.l0_misses == 0);
  CHECK(perfect.l0_hits == perfect.fetches);
  CHECK(perfect.fetches >= kN);
  CHECK(perfect.l1_hits + perfect.l1_misses == 0);
}

TEST_CASE("FE4 fetch goes to the greedy warp, then to the youngest with room", "[frontend]") {
  FrontEndParams p;
  p.perfect = true;
  Rig r(p);
  r.fe.start_warp(0, 0, 0, 10);
  r.fe.start_warp(4, 0, 0, 11);
  r.fe.start_warp(8, 0, 0, 12);  // the youngest
  auto counts = [&] { return std::array<uint32_t, 3>{r.fe.buffered(0), r.fe.buffered(4), r.fe.buffered(8)}; };
  using A = std::array<uint32_t, 3>;
  SECTION("greedy warp 0 first") {
    r.greedy[0] = 0;
    for (int i = 0; i < 3; ++i) r.step();
    CHECK(counts() == A{3, 0, 0});
    r.step();
    CHECK(counts() == A{3, 0, 1});
    r.run_to(r.now + 2);
    CHECK(counts() == A{3, 0, 3});
    r.run_to(r.now + 3);
    CHECK(counts() == A{3, 3, 3});
    CHECK_FALSE(r.step());  // every buffer is full
    r.fe.pop(0);
    CHECK(r.step());
    CHECK(r.fe.head_pc(0) == 1);
    CHECK(counts() == A{3, 3, 3});
  }
  SECTION("no greedy warp: youngest first") {
    r.step();
    CHECK(counts() == A{0, 0, 1});
    r.run_to(r.now + 3);
    CHECK(counts() == A{0, 1, 3});
  }
  SECTION("a greedy warp of another sub-core is ignored") {
    r.fe.start_warp(1, 0, 0, 20);
    r.greedy[0] = 1;
    r.step();
    CHECK(counts() == A{0, 0, 1});
  }
  SECTION("buffers never exceed ibuffer_entries") {
    r.greedy[0] = 4;
    r.run_to(100);  // Rig::step checks every warp each cycle
    CHECK(counts() == A{3, 3, 3});
    CHECK(r.fe.stats().fetches == 9);
  }
}

TEST_CASE("FE5 redirect drops the buffer and refetches from the new pc", "[frontend]") {
  SECTION("entries still decoding are dropped") {
    FrontEndParams p;
    p.perfect = true;
    Rig r(p);
    r.fe.start_warp(0, 0, 0, 0);
    r.step();  // pc 0, decoded at cycle 2
    r.fe.redirect(0, 100);
    CHECK(r.fe.buffered(0) == 0);
    CHECK(r.fe.head_pc(0) == 100);
    r.step();  // pc 100 fetched at cycle 1
    CHECK_FALSE(r.fe.ready(0, 2));
    CHECK(r.fe.ready(0, 3));
    CHECK(r.fe.head_pc(0) == 100);
    CHECK(r.fe.stats().redirects == 1);
  }
  SECTION("a redirect to another line misses there") {
    Rig r(no_prefetch());
    r.fe.start_warp(0, 0, 0, 0);
    r.until_ready(0);
    r.fe.redirect(0, 64);  // line 8
    const Cycle t = r.now;
    CHECK_FALSE(r.fe.ready(0, t));
    r.step();
    CHECK(r.fe.waiting_for_line(0));
    CHECK(r.until_ready(0) == t + kMiss + kDecode);
    CHECK(r.fe.head_pc(0) == 64);
  }
  SECTION("a redirect while waiting for a line") {
    Rig r(no_prefetch());
    r.fe.start_warp(0, 0, 0, 0);
    r.step();
    r.fe.redirect(0, 3);  // the same line, already requested
    CHECK_FALSE(r.fe.waiting_for_line(0));
    CHECK(r.until_ready(0) == kMiss + kDecode);
    CHECK(r.fe.head_pc(0) == 3);
    CHECK(r.l1_requests() == 1);
  }
}

TEST_CASE("FE6 the L1I port takes one request per cycle, demand before prefetch", "[frontend]") {
  SECTION("two sub-cores missing at once: one waits a cycle") {
    Rig r(no_prefetch());
    r.fe.start_warp(0, 0, 0, 0);         // sub-core 0
    r.fe.start_warp(1, 1u << 20, 0, 1);  // sub-core 1, other code
    Cycle ready0 = 0, ready1 = 0;
    while (!(ready0 && ready1) && r.now < 1000) {
      const Cycle c = r.now;
      r.step();
      if (!ready0 && r.fe.ready(0, c)) ready0 = c;
      if (!ready1 && r.fe.ready(1, c)) ready1 = c;
    }
    CHECK(ready0 == kMiss + kDecode);
    CHECK(ready1 == kMiss + kDecode + 1);
    CHECK(r.fe.stats().l1_misses == 2);
  }
  SECTION("a demand miss goes before another sub-core's prefetch") {
    Rig r{FrontEndParams{}};
    r.fe.start_warp(0, 0, 0, 0);
    r.step();  // demand for line 0; sub-core 0's stream wants line 1 next
    r.fe.start_warp(1, 1u << 20, 0, 1);
    const Cycle t = r.now;
    CHECK(r.until_ready(1) == t + kMiss + kDecode);
  }
}

TEST_CASE("FE7 the stream buffer: head hits, flushes, line+1 and stops", "[frontend]") {
  FrontEndParams p;
  p.prefetch_lines = 2;
  Rig r(p);
  r.fe.start_warp(0, 0, 0, 0);
  r.run_to(kMiss + 10);  // line 0 in L0I; lines 1 and 2 prefetched at cycles 1 and 2
  REQUIRE(r.fe.stats().prefetches == 2);
  SECTION("the head serves a miss and moves into the L0I") {
    r.fe.redirect(0, 8);  // line 1
    const Cycle t = r.now;
    CHECK(r.until_ready(0) == t + kDecode);
    CHECK(r.fe.stats().stream_hits == 1);
    CHECK(r.fe.stats().l0_misses == 1);
    r.run_to(r.now + 5);
    CHECK(r.fe.stats().prefetches == 3);  // room again: line 3
  }
  SECTION("a line behind the head is not hit: the stream is flushed") {
    r.fe.redirect(0, 16);  // line 2; the head is line 1
    const Cycle t = r.now;
    CHECK(r.until_ready(0) == t + 39 + kDecode);  // the prefetch brought it into the L1I
    CHECK(r.fe.stats().stream_hits == 0);
    CHECK(r.fe.stats().l0_misses == 2);
    CHECK(r.fe.stats().prefetches == 4);  // restarted at lines 3, 4
  }
}

TEST_CASE("FE8 the stream buffer keeps its stream on a miss to the line before its head", "[frontend]") {
  FrontEndParams p;
  p.prefetch_lines = 2;
  Rig r(p);
  r.fe.start_warp(0, 0, 0, 0);
  r.run_to(5);  // demand line 0, prefetches of lines 1 and 2
  r.fe.start_warp(4, 0, 0, 1);
  r.run_to(400);
  CHECK(r.fe.stats().l0_misses == 2);
  CHECK(r.fe.stats().prefetches == 2);  // a flush would have refetched lines 1 and 2
  CHECK(r.l1_requests() == 3);
}

TEST_CASE("FE9 the stream stops at a line already in the L0I", "[frontend]") {
  FrontEndParams p;
  p.prefetch_lines = 1;
  Rig r(p);
  r.fe.start_warp(0, 0, 8, 0);  // line 1: stream restarts at line 2
  r.run_to(kMiss + 10);
  REQUIRE(r.fe.stats().prefetches == 1);
  r.fe.redirect(0, 0);  // line 0: flush, restart at line 1, which the L0I holds
  r.run_to(r.now + 400);
  CHECK(r.fe.stats().prefetches == 1);
  CHECK(r.fe.next_event(r.now) == engine::kNever);
}

TEST_CASE("FE10 a small L0I evicts the least recently used line", "[frontend]") {
  FrontEndParams p = no_prefetch();
  p.l0i = CacheShape{256, 128, 2};  // one set of two ways
  Rig r(p);
  r.fe.start_warp(0, 0, 0, 0);
  r.until_ready(0);
  auto visit = [&](uint32_t pc) {  // returns whether the line missed
    const uint64_t before = r.fe.stats().l0_misses;
    r.fe.redirect(0, pc);
    r.until_ready(0);
    return r.fe.stats().l0_misses != before;
  };
  const uint32_t A = 0, B = 8, C = 16;
  CHECK(visit(B));
  CHECK_FALSE(visit(A));
  CHECK(visit(C));        // evicts B, the least recently used
  CHECK_FALSE(visit(A));  // FIFO replacement would have evicted A
  CHECK(visit(B));        // evicts C
  CHECK_FALSE(visit(A));
  CHECK(r.fe.stats().l0_misses == 4);
}

TEST_CASE("FE11 next_event: line arrivals, decodes, kNever when idle", "[frontend]") {
  SECTION("idle") {
    FrontEnd fe(no_prefetch());
    CHECK(fe.next_event(0) == engine::kNever);
    fe.start_warp(0, 0, 0, 0);
    CHECK(fe.next_event(0) == 1);  // it can fetch
    fe.stop_warp(0);
    CHECK(fe.next_event(0) == engine::kNever);
  }
  SECTION("a miss, then decodes") {
    Rig r(no_prefetch());
    r.fe.start_warp(0, 0, 0, 0);
    CHECK(r.step());
    CHECK(r.fe.next_event(0) == kMiss);
    bool idle = true;
    while (r.now < kMiss) idle &= !r.step();
    CHECK(idle);
    CHECK(r.step());                                    // kMiss: the line arrives, pc 0
    CHECK(r.step());                                    // pc 1
    CHECK(r.step());                                    // pc 2, the buffer is full
    CHECK(r.fe.next_event(kMiss + 2) == kMiss + 3);     // pc 1 decoded
    CHECK_FALSE(r.step());
    CHECK(r.fe.next_event(kMiss + 3) == kMiss + 4);     // pc 2 decoded
    CHECK_FALSE(r.step());
    CHECK(r.fe.next_event(kMiss + 4) == engine::kNever);
  }
  SECTION("a stream buffer with room has work next cycle") {
    Rig r{FrontEndParams{}};
    r.fe.start_warp(0, 0, 0, 0);
    r.step();
    CHECK(r.fe.next_event(0) == 1);
  }
}
