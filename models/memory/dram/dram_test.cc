// DRAM controller: one test per timing constraint, each over a traffic pattern that makes
// that constraint the binding one, so the test fails if the constraint were not enforced:
// the smallest distance between the two commands in the log must equal the constraint
// (never less, and attained). Then refresh, scheduling, row policy, write draining and the
// address mapping.
#include <catch2/catch.hpp>

#include <set>
#include <tuple>

#include "models/memory/dram/dram_test_util.h"
#include "src/engine/rng.h"

namespace xpusim::mem {
namespace {

using test::addr_of;
using test::Harness;
using test::min_gap;
using test::other_group;
using test::same_bank;
using test::same_group;
using test::small_params;

auto any_pair = [](const DramCmdRecord& a, const DramCmdRecord& b) { return a.rank == b.rank; };

// Reads (and optionally writes) to random rows of random banks: every access misses.
void random_rows(Harness& h, int n, double store_fraction = 0, uint32_t groups = 0, uint32_t banks = 0,
                 uint32_t rows = 1024) {
  engine::Rng rng(7, "dram_test");
  for (int i = 0; i < n; ++i) {
    const uint32_t bg = static_cast<uint32_t>(rng.below(groups ? groups : h.p.bank_groups));
    const uint32_t ba = static_cast<uint32_t>(rng.below(banks ? banks : h.p.banks_per_group));
    const uint32_t row = static_cast<uint32_t>(rng.below(rows));
    h.add(addr_of(h.p, row, bg, ba, static_cast<uint32_t>(rng.below(8))), rng.uniform() < store_fraction);
  }
}

// Whole rows read (or written) in turn across all banks: mostly row hits.
void streaming(Harness& h, int rows_per_bank, bool store = false, uint32_t groups = 0) {
  for (int r = 0; r < rows_per_bank; ++r)
    for (uint32_t line = 0; line < 8; ++line)
      for (uint32_t bg = 0; bg < (groups ? groups : h.p.bank_groups); ++bg)
        for (uint32_t ba = 0; ba < h.p.banks_per_group; ++ba) h.add(addr_of(h.p, r, bg, ba, line), store, 0, 0xF);
}

void check_gap(const Harness& h, DramCmd prev, DramCmd next, uint64_t want,
               const std::function<bool(const DramCmdRecord&, const DramCmdRecord&)>& rel) {
  REQUIRE(h.responses.size() == h.next_tag);  // every request answered
  CHECK(min_gap(h.log, prev, next, rel) == want);
}

}  // namespace

TEST_CASE("dram: tRCD separates ACT from the first column command to that bank", "[dram][timing]") {
  Harness h(small_params());
  random_rows(h, 200, 0.3);
  h.run();
  check_gap(h, DramCmd::Act, DramCmd::Rd, h.p.t.rcd, same_bank);
  check_gap(h, DramCmd::Act, DramCmd::Wr, h.p.t.rcd, same_bank);
}

TEST_CASE("dram: tRP separates PRE from the next ACT to that bank", "[dram][timing]") {
  DramParams p = small_params();
  p.t.rc = 0;  // (not a valid part) so that tRC cannot be what spaces the ACTs
  Harness h(p);
  random_rows(h, 200, 0, 1, 1);  // one bank: every access a conflict
  h.run();
  check_gap(h, DramCmd::Pre, DramCmd::Act, h.p.t.rp, same_bank);
}

TEST_CASE("dram: tRAS keeps a row open from ACT to PRE", "[dram][timing]") {
  Harness h(small_params());
  random_rows(h, 200, 0, 1, 1);
  h.run();
  check_gap(h, DramCmd::Act, DramCmd::Pre, h.p.t.ras, same_bank);
}

TEST_CASE("dram: tRC separates ACTs to the same bank", "[dram][timing]") {
  DramParams p = small_params();
  p.t.rc = p.t.ras + p.t.rp + 10;  // longer than tRAS + tRP, so only tRC can explain the gap
  Harness h(p);
  random_rows(h, 200, 0, 1, 1);
  h.run();
  check_gap(h, DramCmd::Act, DramCmd::Act, p.t.rc, same_bank);
}

TEST_CASE("dram: tCL delays read data: the response leaves tCL + tBL after the RD", "[dram][timing]") {
  DramParams p = small_params();
  p.frontend_latency = 0;
  Harness h(p);
  for (uint32_t i = 0; i < 40; ++i) h.add(addr_of(p, i % 3, i % 4, 0, i % 8), false, i * 100);
  h.run();
  const auto rds = h.of(DramCmd::Rd);
  REQUIRE(rds.size() == 40);
  REQUIRE(h.responses.size() == 40);
  for (size_t i = 0; i < rds.size(); ++i) CHECK(h.responses[i].first == rds[i].cycle + p.t.cl + p.t.bl);
}

TEST_CASE("dram: tCWL delays write data: the response leaves tCWL + tBL after the WR", "[dram][timing]") {
  DramParams p = small_params();
  p.write_high = 1;  // write each store at once
  p.write_low = 0;
  Harness h(p);
  for (uint32_t i = 0; i < 40; ++i) h.add(addr_of(p, i % 3, i % 4, 0, i % 8), true, i * 100);
  h.run();
  const auto wrs = h.of(DramCmd::Wr);
  REQUIRE(wrs.size() == 40);
  for (size_t i = 0; i < wrs.size(); ++i) CHECK(h.responses[i].first == wrs[i].cycle + p.t.cwl + p.t.bl);
  // and write data position matters for the write-to-precharge rule (tWR counts from its end)
  CHECK(min_gap(h.log, DramCmd::Wr, DramCmd::Pre, same_bank) >= p.t.cwl + p.t.bl + p.t.wr);
}

TEST_CASE("dram: the data bus carries one burst per tBL, and turns around with tRTRS", "[dram][timing]") {
  DramParams p = small_params();
  p.t.bl = 4;  // a burst longer than tCCD_S: only the data bus can space the reads
  p.burst_length = 8;
  p.t.ccd_s = 2;
  p.t.ccd_l = 2;
  Harness h(p);
  streaming(h, 2);
  h.run();
  check_gap(h, DramCmd::Rd, DramCmd::Rd, p.t.bl, any_pair);
  // read -> write: write data may start only tRTRS after the read data ends
  Harness m(small_params());
  random_rows(m, 300, 0.5, 0, 0, 2);
  m.run();
  const DramTimings& t = m.p.t;
  CHECK(min_gap(m.log, DramCmd::Rd, DramCmd::Wr, any_pair) == t.cl + t.bl + t.rtrs - t.cwl);
}

TEST_CASE("dram: tCCD_S separates column commands to different bank groups", "[dram][timing]") {
  DramParams p = small_params();
  p.t.ccd_s = 3;  // longer than tBL, so the data bus does not explain the gap
  p.t.ccd_l = 5;
  Harness h(p);
  streaming(h, 2);
  h.run();
  check_gap(h, DramCmd::Rd, DramCmd::Rd, p.t.ccd_s, other_group);
  Harness w(p);
  streaming(w, 2, true);
  w.run();
  check_gap(w, DramCmd::Wr, DramCmd::Wr, p.t.ccd_s, other_group);
}

TEST_CASE("dram: tCCD_L separates column commands within a bank group", "[dram][timing]") {
  DramParams p = small_params();
  Harness h(p);
  streaming(h, 2, false, 1);  // one bank group: every pair is a same-group pair
  h.run();
  check_gap(h, DramCmd::Rd, DramCmd::Rd, p.t.ccd_l, same_group);
  Harness w(p);
  streaming(w, 2, true, 1);
  w.run();
  check_gap(w, DramCmd::Wr, DramCmd::Wr, p.t.ccd_l, same_group);
}

TEST_CASE("dram: tRRD_S separates ACTs to different bank groups", "[dram][timing]") {
  DramParams p = small_params();
  p.t.faw = 0;  // the window would otherwise hide part of the pattern
  Harness h(p);
  random_rows(h, 300);
  h.run();
  check_gap(h, DramCmd::Act, DramCmd::Act, p.t.rrd_s, other_group);
}

TEST_CASE("dram: tRRD_L separates ACTs within a bank group", "[dram][timing]") {
  DramParams p = small_params();
  p.t.faw = 0;
  Harness h(p);
  random_rows(h, 300, 0, 1, 4);  // one bank group, four banks
  h.run();
  check_gap(h, DramCmd::Act, DramCmd::Act, p.t.rrd_l, same_group);
}

TEST_CASE("dram: tFAW allows at most four ACTs in any window", "[dram][timing]") {
  DramParams p = small_params();
  Harness h(p);
  random_rows(h, 400);
  h.run();
  const auto acts = h.of(DramCmd::Act);
  REQUIRE(acts.size() > 100);
  uint64_t window = UINT64_MAX;
  for (size_t i = 4; i < acts.size(); ++i) window = std::min(window, acts[i].cycle - acts[i - 4].cycle);
  CHECK(window == p.t.faw);
  CHECK(window > 4 * p.t.rrd_s);  // the window, not tRRD, is what binds here
}

TEST_CASE("dram: tWTR_S separates write data from a read in another bank group", "[dram][timing]") {
  DramParams p = small_params();
  p.write_high = 1;  // switch between reads and writes as often as possible
  p.write_low = 0;
  Harness h(p);
  random_rows(h, 400, 0.5, 0, 0, 2);
  h.run();
  check_gap(h, DramCmd::Wr, DramCmd::Rd, p.t.cwl + p.t.bl + p.t.wtr_s, other_group);
}

TEST_CASE("dram: tWTR_L separates write data from a read in the same bank group", "[dram][timing]") {
  DramParams p = small_params();
  p.write_high = 1;
  p.write_low = 0;
  Harness h(p);
  random_rows(h, 400, 0.5, 1, 0, 2);
  h.run();
  check_gap(h, DramCmd::Wr, DramCmd::Rd, p.t.cwl + p.t.bl + p.t.wtr_l, same_group);
}

TEST_CASE("dram: tRTP separates a read from the precharge of its bank", "[dram][timing]") {
  DramParams p = small_params();
  p.t.ras = 15;  // shorter than tRCD + tRTP, so tRTP is what holds the row open
  p.t.rc = p.t.ras + p.t.rp;
  Harness h(p);
  random_rows(h, 200, 0, 1, 1);
  h.run();
  check_gap(h, DramCmd::Rd, DramCmd::Pre, p.t.rtp, same_bank);
}

TEST_CASE("dram: tWR separates write data from the precharge of its bank", "[dram][timing]") {
  DramParams p = small_params();
  p.write_high = 1;
  p.write_low = 0;
  Harness h(p);
  random_rows(h, 200, 1.0, 1, 1);
  h.run();
  check_gap(h, DramCmd::Wr, DramCmd::Pre, p.t.cwl + p.t.bl + p.t.wr, same_bank);
}

TEST_CASE("dram: refresh every tREFI blocks the rank for tRFC", "[dram][refresh]") {
  DramParams p = small_params();
  p.refresh = true;
  p.t.refi = 1000;
  p.t.rfc = 120;
  Harness h(p);
  random_rows(h, 3000, 0.2);
  h.run();
  const auto refs = h.of(DramCmd::Ref);
  REQUIRE(refs.size() >= 5);
  CHECK(refs.size() == h.cycle / p.t.refi);
  for (size_t k = 0; k < refs.size(); ++k) {
    const uint64_t due = (k + 1) * p.t.refi;
    CHECK(refs[k].cycle >= due);
    CHECK(refs[k].cycle <= due + p.t.ras + p.t.wr + p.t.cwl + p.t.bl + p.t.rp);  // only the last rows to close
  }
  // nothing at all reaches the rank while it refreshes; every bank is closed before REF
  for (const DramCmdRecord& r : h.log) {
    if (r.cmd == DramCmd::Ref) continue;
    for (const auto& f : refs) CHECK_FALSE((r.cycle > f.cycle && r.cycle < f.cycle + p.t.rfc));
  }
  CHECK(min_gap(h.log, DramCmd::Ref, DramCmd::Act, any_pair) == p.t.rfc);
  CHECK(min_gap(h.log, DramCmd::Pre, DramCmd::Ref, any_pair) >= p.t.rp);
  CHECK(h.env.stats().total("refreshes") == refs.size());
}

TEST_CASE("dram: an idle controller sleeps and still accounts its refreshes", "[dram][refresh]") {
  DramParams p = small_params();
  p.refresh = true;
  Harness h(p);
  h.add(addr_of(p, 1, 0, 0, 0), false, 0);
  h.add(addr_of(p, 2, 0, 0, 0), false, 10 * p.t.refi + 5);
  h.run();
  REQUIRE(h.responses.size() == 2);
  CHECK(h.calls < 60);  // woken by the two requests and the commands, not per cycle
  CHECK(h.env.stats().total("refreshes") >= 10);
  CHECK(h.ctl.next_event() == engine::kNever);
  CHECK_FALSE(h.ctl.busy());
}

TEST_CASE("dram: FR-FCFS serves younger row hits before an older miss, FCFS does not", "[dram][scheduler]") {
  for (const bool frfcfs : {true, false}) {
    DramParams p = small_params();
    p.frfcfs = frfcfs;
    Harness h(p);
    h.add(addr_of(p, 5, 0, 0, 0), false);  // opens row 5
    h.add(addr_of(p, 9, 0, 0, 1), false);  // older conflict
    h.add(addr_of(p, 5, 0, 0, 2), false);  // younger hits
    h.add(addr_of(p, 5, 0, 0, 3), false);
    h.run();
    std::vector<uint32_t> rows;
    for (const auto& r : h.of(DramCmd::Rd)) rows.push_back(r.row);
    if (frfcfs) CHECK(rows == std::vector<uint32_t>{5, 5, 5, 9});
    else CHECK(rows == std::vector<uint32_t>{5, 9, 5, 5});
    CHECK(h.env.stats().total("row_hits") == (frfcfs ? 2u : 1u));  // FCFS: only the last
  }
}

TEST_CASE("dram: closed-row policy precharges after each access, open-row keeps the row", "[dram][scheduler]") {
  for (const bool open : {true, false}) {
    DramParams p = small_params();
    p.open_row = open;
    Harness h(p);
    for (uint32_t i = 0; i < 16; ++i) h.add(addr_of(p, i, i % 4, (i / 4) % 4, 0), false, i * 200);
    h.run();
    const auto pres = h.of(DramCmd::Pre);
    if (open) {
      CHECK(pres.empty());  // every access went to a different bank: nothing to close
    } else {
      REQUIRE(pres.size() == 16);
      // each RD is followed by the PRE of its own bank, as soon as tRTP/tRAS allow
      const auto rds = h.of(DramCmd::Rd);
      for (size_t i = 0; i < rds.size(); ++i) {
        CHECK(same_bank(rds[i], pres[i]));
        CHECK(pres[i].cycle == std::max(rds[i].cycle + p.t.rtp, h.of(DramCmd::Act)[i].cycle + p.t.ras));
      }
    }
  }
}

TEST_CASE("dram: writes wait for the high watermark and drain to the low one", "[dram][scheduler]") {
  DramParams p = small_params();
  p.write_high = 8;
  p.write_low = 2;
  Harness h(p);
  for (uint32_t i = 0; i < 20; ++i) h.add(addr_of(p, 1, i % 4, (i / 4) % 4, i % 8), false);
  for (uint32_t i = 0; i < 8; ++i) h.add(addr_of(p, 2, i % 4, (i / 4) % 4, i % 8), true);
  h.run();
  std::string order;
  for (const DramCmdRecord& r : h.log)
    if (r.cmd == DramCmd::Rd || r.cmd == DramCmd::Wr) order += r.cmd == DramCmd::Rd ? 'R' : 'W';
  // 8 writes queued = high watermark: drain 6 (down to 2), serve the reads, then the rest
  CHECK(order == std::string(6, 'W') + std::string(20, 'R') + std::string(2, 'W'));

  DramParams q = p;
  q.write_high = 9;  // never reached: reads first, writes only when no read waits
  Harness g(q);
  for (uint32_t i = 0; i < 20; ++i) g.add(addr_of(q, 1, i % 4, (i / 4) % 4, i % 8), false);
  for (uint32_t i = 0; i < 8; ++i) g.add(addr_of(q, 2, i % 4, (i / 4) % 4, i % 8), true);
  g.run();
  order.clear();
  for (const DramCmdRecord& r : g.log)
    if (r.cmd == DramCmd::Rd || r.cmd == DramCmd::Wr) order += r.cmd == DramCmd::Rd ? 'R' : 'W';
  CHECK(order == std::string(20, 'R') + std::string(8, 'W'));
}

TEST_CASE("dram: partial lines move only their sectors, wide bursts cover two sectors", "[dram]") {
  DramParams p = small_params();
  Harness h(p);
  h.add(addr_of(p, 1, 0, 0, 0), false, 0, 0b0101);
  h.run();
  CHECK(h.of(DramCmd::Rd).size() == 2);
  REQUIRE(h.responses.size() == 1);
  CHECK(h.responses[0].second.sector_mask == 0b0101);
  DramParams w = small_params();
  w.burst_length = 8;  // 64 bytes per column command
  w.columns = 16;
  Harness g(w);
  g.add(addr_of(w, 1, 0, 0, 0), false, 0, 0b0111);
  g.run();
  CHECK(g.of(DramCmd::Rd).size() == 2);
  CHECK(g.env.stats().total("bytes_read") == 128);
}

TEST_CASE("dram: idle controller has no next event and a loaded one never polls", "[dram]") {
  DramParams p = small_params();
  Harness h(p);
  CHECK(h.ctl.next_event() == engine::kNever);
  CHECK_FALSE(h.ctl.busy());
  random_rows(h, 200, 0.3);
  h.run();
  // every do_cycle either issued/accepted/answered something or was the wake-up at the
  // earliest legal time of a command that then issued
  CHECK(h.calls <= 2 * (h.log.size() + h.responses.size()) + 10);
  CHECK(h.ctl.next_event() == engine::kNever);
}

TEST_CASE("dram: address mapping spreads lines over channels and decodes every field", "[dram][mapping]") {
  DramParams p = small_params();
  p.stacks = 4;
  p.channels_per_stack = 8;
  p.pseudo_channels = 2;
  p.controllers = 64;
  std::string err;
  REQUIRE(DramParams::parse_mapping("ro-ba-bg-co-pc-ch", p.mapping, err));
  // channel fastest, then pseudo-channel: 64 consecutive lines hit 64 controllers (the channel
  // hash rotates the channel by the other fields, so which one is not fixed)
  std::set<uint32_t> ctrls;
  for (uint32_t i = 0; i < 64; ++i) ctrls.insert(p.controller_of(uint64_t{i} * 128));
  CHECK(ctrls.size() == 64);
  for (uint32_t i = 0; i < 32; ++i) CHECK(p.controller_of(uint64_t{i} * 128) % 2 == 0);  // pseudo-channel 0
  // a power-of-two stride (16 lines, a 2 KB matrix row) still reaches most channels: without
  // the hash it would reach 32 / gcd(16, 32) = 2
  std::set<uint32_t> strided;
  for (uint32_t i = 0; i < 256; ++i) strided.insert(p.controller_of(uint64_t{i} * 16 * 128) / 2);
  CHECK(strided.size() >= 24);
  for (uint64_t a = 0; a < 128; a += 32) CHECK(p.controller_of(a + 5 * 128) == p.controller_of(5 * 128));
  // then the line within the row, then bank group, bank, row
  const uint64_t lines_per_row = 8;
  const DramParams::Loc l = p.decode(64 * 128 * (3 + lines_per_row * (2 + 4 * (1 + 4 * 7))));
  CHECK(l.column == 3);
  CHECK(l.bank_group == 2);
  CHECK(l.bank == 1);
  CHECK(l.row == 7);
  // 5 stacks (not a power of two) still decode one-to-one
  p.stacks = 5;
  std::set<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t, uint32_t>> seen;
  for (uint64_t i = 0; i < 80 * 8 * 16 * 3; ++i) {
    const DramParams::Loc d = p.decode(i * 128);
    seen.insert({d.controller, d.bank_group, d.bank, d.row, d.column});
  }
  CHECK(seen.size() == 80 * 8 * 16 * 3);
  // the mapping string: unknown, repeated and missing fields are errors
  std::vector<DramField> m;
  CHECK_FALSE(DramParams::parse_mapping("ro-ba-bg-co-pc-xx", m, err));
  CHECK(err.find("unknown field 'xx'") != std::string::npos);
  CHECK_FALSE(DramParams::parse_mapping("ro-ba-bg-co-pc-ch-ro", m, err));
  CHECK(err.find("twice") != std::string::npos);
  CHECK_FALSE(DramParams::parse_mapping("ro-ba-co-pc-ch", m, err));
  CHECK(err.find("'bg' missing") != std::string::npos);
  CHECK(DramParams::parse_mapping("ro-ra-ba-bg-co-pc-ch", m, err));
}

}  // namespace xpusim::mem
