// Test harness for DramController: drives do_cycle() directly (no SystemC kernel), jumping
// from one next_event() to the next as the kernel would, feeding requests through a real
// Channel and recording every command through the on_command hook.
#pragma once

#include <deque>
#include <functional>
#include <vector>

#include "models/memory/dram/dram.h"
#include "src/engine/env.h"
#include "src/engine/port.h"

namespace xpusim::mem::test {

// A small HBM2-like pseudo-channel at 2 Gb/s (tCK = 1 ns); each test changes what it needs.
inline DramParams small_params() {
  DramParams p;
  p.controllers = 1;
  p.stacks = p.channels_per_stack = p.pseudo_channels = p.ranks = 1;
  p.bank_groups = 4;
  p.banks_per_group = 4;
  p.rows = 1024;
  p.columns = 32;  // 32 x 32 B = 1 KB rows: 8 lines
  p.bus_bits = 64;
  p.burst_length = 4;
  p.data_rate_mtps = 2000;
  p.t = DramTimings{.rcd = 14, .rp = 14, .ras = 34, .rc = 48, .cl = 14, .cwl = 4, .bl = 2, .ccd_s = 2, .ccd_l = 4,
                    .rrd_s = 4, .rrd_l = 6, .faw = 30, .wtr_s = 6, .wtr_l = 8, .rtp = 6, .wr = 16, .rfc = 260,
                    .refi = 3900, .rtrs = 2};
  p.clock = engine::ClockDomain::from_mhz(1000);
  p.refresh = false;
  p.read_queue = 32;
  p.write_queue = 32;
  p.write_high = 24;
  p.write_low = 8;
  std::string err;
  DramParams::parse_mapping("ro-ba-bg-co-pc-ch", p.mapping, err);
  return p;
}

// Byte address of (row, bank group, bank, line-in-row) under "ro-ba-bg-co-pc-ch" with one
// controller.
inline uint64_t addr_of(const DramParams& p, uint32_t row, uint32_t bg, uint32_t bank, uint32_t line) {
  const uint64_t lines_per_row = uint64_t{p.columns} * p.bytes_per_access() / 128;
  return (((uint64_t{row} * p.banks_per_group + bank) * p.bank_groups + bg) * lines_per_row + line) * 128;
}

struct Harness {
  explicit Harness(const DramParams& params, uint32_t index = 0)
      : p(params), req("req", 1024), resp("resp", 1024), ctl("dram", env, p, index, 1) {
    ctl.req_in[0].connect(&req);
    ctl.resp_out[0].connect(&resp);
    ctl.on_command = [this](const DramCmdRecord& r) { log.push_back(r); };
  }

  // Queues a request to be offered at cycle `at` (or as soon as the channel has room); by
  // default one sector, i.e. one column command.
  void add(uint64_t addr, bool store, uint64_t at = 0, uint8_t mask = 0x1) {
    engine::MemReq r;
    r.line_addr = addr;
    r.sector_mask = mask;
    r.op = store ? engine::MemOp::Store : engine::MemOp::Load;
    r.tag = next_tag++;
    pending.push_back({at, r});
  }

  // Runs until every request is answered (or `limit` cycles), sleeping between events.
  void run(uint64_t limit = 10'000'000) {
    const engine::ClockDomain& clk = ctl.clock();
    while (cycle < limit) {
      const engine::Tick tick = clk.edge(cycle);
      while (!pending.empty() && pending.front().first <= cycle && req.can_send(tick)) {
        req.send(tick, pending.front().second);
        pending.pop_front();
      }
      ++calls;
      const bool progress = ctl.do_cycle(cycle);
      while (resp.can_recv(tick + clk.period() - 1)) {  // everything sent this cycle
        responses.push_back({cycle, resp.front()});
        resp.pop(tick);
      }
      if (progress) {
        ++cycle;
        continue;
      }
      engine::Tick t = ctl.next_event();
      if (req.size()) t = std::min(t, std::max(req.next_ready(), tick + 1));
      if (!pending.empty()) t = std::min(t, clk.edge(std::max(pending.front().first, cycle + 1)));
      if (t == engine::kNever) break;
      cycle = std::max(cycle + 1, clk.cycle(clk.edge_at_or_after(t)));
    }
  }

  std::vector<DramCmdRecord> of(DramCmd c) const {
    std::vector<DramCmdRecord> v;
    for (const DramCmdRecord& r : log)
      if (r.cmd == c) v.push_back(r);
    return v;
  }

  DramParams p;
  engine::Env env;
  engine::Channel<engine::MemReq> req;
  engine::Channel<engine::MemResp> resp;
  DramController ctl;
  std::vector<DramCmdRecord> log;
  std::vector<std::pair<uint64_t, engine::MemResp>> responses;  // (cycle sent, response)
  std::deque<std::pair<uint64_t, engine::MemReq>> pending;
  uint32_t next_tag = 0;
  uint64_t cycle = 0;
  uint64_t calls = 0;
};

// For every command matching `next`, the distance to the latest earlier command matching
// `prev` with `related(prev, next)`; returns the smallest such distance (UINT64_MAX if none).
inline uint64_t min_gap(const std::vector<DramCmdRecord>& log, DramCmd prev, DramCmd next,
                        const std::function<bool(const DramCmdRecord&, const DramCmdRecord&)>& related) {
  uint64_t best = UINT64_MAX;
  for (size_t j = 0; j < log.size(); ++j) {
    if (log[j].cmd != next) continue;
    for (size_t i = j; i-- > 0;) {
      if (log[i].cmd == prev && related(log[i], log[j])) {
        best = std::min(best, log[j].cycle - log[i].cycle);
        break;
      }
    }
  }
  return best;
}

inline bool same_bank(const DramCmdRecord& a, const DramCmdRecord& b) {
  return a.rank == b.rank && a.bank_group == b.bank_group && a.bank == b.bank;
}
inline bool same_group(const DramCmdRecord& a, const DramCmdRecord& b) {
  return a.rank == b.rank && a.bank_group == b.bank_group;
}
inline bool other_group(const DramCmdRecord& a, const DramCmdRecord& b) {
  return a.rank == b.rank && a.bank_group != b.bank_group;
}

}  // namespace xpusim::mem::test
