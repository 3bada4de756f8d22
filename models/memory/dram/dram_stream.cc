#include "models/memory/dram/dram_stream.h"

#include <algorithm>
#include <bit>

#include "src/engine/env.h"
#include "src/engine/port.h"
#include "src/engine/rng.h"

namespace xpusim::mem {

namespace {

// Line addresses owned by controller 0, in stream order.
class Lines {
 public:
  Lines(const DramParams& p, DramStreamPattern pat, uint64_t seed)
      : p_(p), pat_(pat), rng_(seed, "dram_stream"),
        total_(uint64_t{p.controllers} * p.banks() * p.rows * p.columns * p.bytes_per_access() / 128) {}
  uint64_t next() {
    for (;;) {
      const uint64_t line = pat_ == DramStreamPattern::Sequential ? seq_++ % total_ : rng_.below(total_);
      if (p_.controller_of(line * 128) == 0) return line * 128;
    }
  }

 private:
  const DramParams& p_;
  DramStreamPattern pat_;
  engine::Rng rng_;
  uint64_t total_;
  uint64_t seq_ = 0;
};

}  // namespace

DramStreamResult run_dram_stream(const DramParams& p, DramStreamPattern pattern, uint64_t lines, uint64_t seed) {
  engine::Env env(seed);
  engine::Channel<engine::MemReq> req("dram_stream.req", std::max(1u, p.read_queue));
  engine::Channel<engine::MemResp> resp("dram_stream.resp", size_t{p.read_queue} + p.write_queue);
  DramController ctl("dram_stream", env, p, 0, 1);
  ctl.req_in[0].connect(&req);
  ctl.resp_out[0].connect(&resp);
  Lines gen(p, pattern, seed);
  engine::Rng sector_rng(seed, "dram_stream.sector");
  uint64_t bytes = 0;
  const engine::ClockDomain& clk = ctl.clock();
  uint64_t sent = 0, done = 0, cycle = 0;
  // The loop the SystemC kernel would run for this one component: call do_cycle at each
  // edge while it makes progress, otherwise jump to its next event.
  while (done < lines) {
    const engine::Tick tick = clk.edge(cycle);
    while (sent < lines && req.can_send(tick)) {
      engine::MemReq r;
      r.line_addr = gen.next();
      r.sector_mask = pattern == DramStreamPattern::RandomSectors ? static_cast<uint8_t>(1u << sector_rng.below(4)) : 0xF;
      r.tag = static_cast<uint32_t>(sent++);
      req.send(tick, r);
    }
    const bool progress = ctl.do_cycle(cycle);
    while (resp.can_recv(tick + 1)) {
      bytes += 32 * static_cast<uint64_t>(std::popcount(resp.front().sector_mask));
      resp.pop(tick);
      ++done;
    }
    if (progress) {
      ++cycle;
      continue;
    }
    engine::Tick t = ctl.next_event();
    if (req.size()) t = std::min(t, std::max(req.next_ready(), tick + 1));
    SIM_CHECK(t != engine::kNever, "DRAM stream stalled at cycle {} with {} of {} lines done", cycle, done, lines);
    cycle = std::max(cycle + 1, clk.cycle(clk.edge_at_or_after(t)));
  }
  DramStreamResult r;
  const engine::Stats& s = env.stats();
  r.lines = done;
  r.cycles = cycle;
  r.peak_bytes_per_second = p.peak_bytes_per_second();
  const double seconds = clk.seconds(cycle);
  r.bytes = bytes;
  r.achieved_bytes_per_second = seconds > 0 ? static_cast<double>(bytes) / seconds * p.controllers : 0;
  r.efficiency = r.peak_bytes_per_second > 0 ? r.achieved_bytes_per_second / r.peak_bytes_per_second : 0;
  const uint64_t reqs = s.total("read_requests");
  r.avg_read_latency_ns = reqs ? clk.seconds(s.total("read_latency_sum_cycles")) / static_cast<double>(reqs) * 1e9 : 0;
  const uint64_t classified = s.total("row_hits") + s.total("row_misses") + s.total("row_conflicts");
  r.row_hit_rate = classified ? static_cast<double>(s.total("row_hits")) / static_cast<double>(classified) : 0;
  r.refreshes = s.total("refreshes");
  return r;
}

}  // namespace xpusim::mem
