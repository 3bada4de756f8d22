// The timing rules of one DRAM controller as a table, and the next-allowed cycle of every
// command at every level (rank, bank group, bank), so "when may X issue?" is O(1).
//
// A rule says: after command `prev` at some level, command `next` at the same level may
// issue `latency` cycles later at the earliest. Issuing a command walks the rules whose
// `prev` it is and raises the next-allowed cycles; nothing else is hand-written per
// constraint. Two constraints are not pairwise and are kept beside the table: the
// four-activate window (tFAW) and the shared data bus (tBL per burst, plus tRTRS when the
// bus changes rank or direction).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "models/memory/dram/dram.h"

namespace xpusim::mem {

class DramTimingState {
 public:
  static constexpr int kCmds = 5;  // DramCmd values
  enum class Level : uint8_t { Rank, BankGroup, Bank };
  struct Rule {
    Level level;
    DramCmd prev, next;
    uint32_t latency;
  };

  DramTimingState(const DramParams& p);

  // Earliest cycle at which `cmd` may issue to (rank, group, bank) by every rule.
  uint64_t earliest(DramCmd cmd, uint32_t rank, uint32_t group, uint32_t bank) const;
  // Records `cmd` issued at cycle `now`.
  void issue(DramCmd cmd, uint64_t now, uint32_t rank, uint32_t group, uint32_t bank);
  // Marks the rank refreshed at `at` without a REF command (idle catch-up; see dram.cc).
  void refreshed(uint32_t rank, uint64_t at);

  const std::vector<Rule>& rules() const { return rules_; }
  uint64_t bus_busy_until() const { return bus_free_; }

 private:
  using Next = std::array<uint64_t, kCmds>;
  uint32_t flat_group(uint32_t rank, uint32_t group) const { return rank * groups_ + group; }
  uint32_t flat_bank(uint32_t rank, uint32_t group, uint32_t bank) const {
    return flat_group(rank, group) * banks_ + bank;
  }

  const DramTimings t_;
  const uint32_t groups_, banks_;
  std::vector<Rule> rules_;
  std::array<std::vector<const Rule*>, kCmds> by_prev_;
  std::vector<Next> rank_, group_, bank_;
  std::vector<std::array<uint64_t, 4>> acts_;  // per rank: cycles of the last four ACTs (ring)
  std::vector<uint8_t> act_head_;
  uint64_t bus_free_ = 0;       // first cycle the data bus is free
  uint32_t bus_rank_ = 0;
  bool bus_read_ = true;
  bool bus_used_ = false;
};

}  // namespace xpusim::mem
