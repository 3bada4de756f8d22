#include "models/memory/dram/dram_timing.h"

#include <algorithm>

namespace xpusim::mem {

namespace {
int idx(DramCmd c) { return static_cast<int>(c); }
}  // namespace

DramTimingState::DramTimingState(const DramParams& p)
    : t_(p.t), groups_(p.bank_groups), banks_(p.banks_per_group) {
  using L = Level;
  using C = DramCmd;
  const DramTimings& t = t_;
  // One row per JEDEC constraint (docs/models/dram.md lists them with their meaning).
  rules_ = {
      {L::Bank, C::Act, C::Act, t.rc},           // tRC: ACT to ACT, same bank
      {L::BankGroup, C::Act, C::Act, t.rrd_l},   // tRRD_L: ACT to ACT, same bank group
      {L::Rank, C::Act, C::Act, t.rrd_s},        // tRRD_S: ACT to ACT, any bank group
      {L::Bank, C::Act, C::Rd, t.rcd},           // tRCD
      {L::Bank, C::Act, C::Wr, t.rcd},
      {L::Bank, C::Act, C::Pre, t.ras},          // tRAS
      {L::Bank, C::Pre, C::Act, t.rp},           // tRP
      {L::Rank, C::Pre, C::Ref, t.rp},           // all banks precharged before REF
      {L::BankGroup, C::Rd, C::Rd, t.ccd_l},     // tCCD_L
      {L::Rank, C::Rd, C::Rd, t.ccd_s},          // tCCD_S
      {L::BankGroup, C::Wr, C::Wr, t.ccd_l},
      {L::Rank, C::Wr, C::Wr, t.ccd_s},
      {L::BankGroup, C::Wr, C::Rd, t.cwl + t.bl + t.wtr_l},  // tWTR_L, from the end of write data
      {L::Rank, C::Wr, C::Rd, t.cwl + t.bl + t.wtr_s},       // tWTR_S
      {L::Bank, C::Rd, C::Pre, t.rtp},           // tRTP
      {L::Bank, C::Wr, C::Pre, t.cwl + t.bl + t.wr},          // tWR, from the end of write data
      {L::Rank, C::Ref, C::Act, t.rfc},          // tRFC: the rank is blocked
      {L::Rank, C::Ref, C::Ref, t.rfc},
  };
  for (const Rule& r : rules_) by_prev_[idx(r.prev)].push_back(&r);
  const uint32_t ranks = std::max(1u, p.ranks);
  rank_.assign(ranks, Next{});
  group_.assign(ranks * groups_, Next{});
  bank_.assign(ranks * groups_ * banks_, Next{});
  acts_.assign(ranks, {});
  act_head_.assign(ranks, 0);
}

uint64_t DramTimingState::earliest(DramCmd cmd, uint32_t rank, uint32_t group, uint32_t bank) const {
  const int c = idx(cmd);
  uint64_t e = std::max({rank_[rank][c], group_[flat_group(rank, group)][c], bank_[flat_bank(rank, group, bank)][c]});
  if (cmd == DramCmd::Act) {
    // tFAW: at most four ACTs in any window of tFAW cycles per rank: the oldest of the last
    // four bounds the fifth. Slots hold cycle + 1 (0 = no ACT yet).
    const uint64_t oldest = acts_[rank][act_head_[rank]];
    if (oldest != 0) e = std::max(e, oldest - 1 + t_.faw);
  } else if (cmd == DramCmd::Rd || cmd == DramCmd::Wr) {
    // Data bus: this burst's data may start only when the previous burst's has ended, plus
    // tRTRS if the bus turns around (other rank, or read <-> write).
    const bool read = cmd == DramCmd::Rd;
    const uint32_t lead = read ? t_.cl : t_.cwl;
    const bool turn = bus_used_ && (rank != bus_rank_ || read != bus_read_);
    const uint64_t data_at = bus_free_ + (turn ? t_.rtrs : 0);
    if (data_at > lead) e = std::max(e, data_at - lead);
  }
  return e;
}

void DramTimingState::issue(DramCmd cmd, uint64_t now, uint32_t rank, uint32_t group, uint32_t bank) {
  for (const Rule* r : by_prev_[idx(cmd)]) {
    Next& n = r->level == Level::Rank        ? rank_[rank]
              : r->level == Level::BankGroup ? group_[flat_group(rank, group)]
                                             : bank_[flat_bank(rank, group, bank)];
    uint64_t& slot = n[idx(r->next)];
    slot = std::max(slot, now + r->latency);
  }
  if (cmd == DramCmd::Act) {
    acts_[rank][act_head_[rank]] = now + 1;
    act_head_[rank] = static_cast<uint8_t>((act_head_[rank] + 1) % 4);
  } else if (cmd == DramCmd::Rd || cmd == DramCmd::Wr) {
    const bool read = cmd == DramCmd::Rd;
    bus_free_ = now + (read ? t_.cl : t_.cwl) + t_.bl;
    bus_rank_ = rank;
    bus_read_ = read;
    bus_used_ = true;
  }
}

void DramTimingState::refreshed(uint32_t rank, uint64_t at) {
  Next& n = rank_[rank];
  n[idx(DramCmd::Act)] = std::max(n[idx(DramCmd::Act)], at + t_.rfc);
  n[idx(DramCmd::Ref)] = std::max(n[idx(DramCmd::Ref)], at + t_.rfc);
}

}  // namespace xpusim::mem
