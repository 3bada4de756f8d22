// DramParams: the loaded DramSpec turned into plain numbers, and the address mapping.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "models/memory/dram/dram.h"
#include "src/io/dram_config.h"

namespace xpusim::mem {

bool DramParams::parse_mapping(const std::string& s, std::vector<DramField>& out, std::string& error) {
  // One parser for the loader's validation and the model: src/io/validate_dram.cc.
  std::vector<std::string> tokens;
  out.clear();
  if (!io::parse_dram_mapping(s, tokens, error)) return false;
  for (const std::string& t : tokens)
    out.push_back(t == "ro"   ? DramField::Row
                  : t == "ra" ? DramField::Rank
                  : t == "bg" ? DramField::BankGroup
                  : t == "ba" ? DramField::Bank
                  : t == "co" ? DramField::Column
                  : t == "pc" ? DramField::PseudoChannel
                              : DramField::Channel);
  return true;
}

DramParams DramParams::from(const proto::DramSpec& spec) {
  DramParams p;
  const proto::DramOrg& o = spec.org();
  p.stacks = spec.stacks();
  p.channels_per_stack = o.channels_per_stack();
  p.pseudo_channels = o.pseudo_channels();
  p.ranks = o.ranks();
  p.bank_groups = o.bank_groups();
  p.banks_per_group = o.banks_per_group();
  p.rows = o.rows();
  p.columns = o.columns();
  p.bus_bits = o.bus_bits();
  p.burst_length = o.burst_length();
  p.data_rate_mtps = spec.data_rate_mtps();
  p.controllers = p.stacks * p.channels_per_stack * p.pseudo_channels;
  const proto::DramTiming& t = spec.timing();
  p.t = DramTimings{t.rcd(),   t.rp(),    t.ras(),   t.rc(),    t.cl(),  t.cwl(), t.bl(),
                    t.ccd_s(), t.ccd_l(), t.rrd_s(), t.rrd_l(), t.faw(), t.wtr_s(), t.wtr_l(),
                    t.rtp(),   t.wr(),    t.rfc(),   t.refi(),  t.rtrs()};
  // The command clock follows from the pin rate: a burst of burst_length transfers takes
  // tBL clocks, so one clock carries burst_length / tBL transfers. Deriving it (rather than
  // rounding tck_ps) keeps the simulated peak equal to the spec peak; validation checks that
  // tck_ps agrees.
  if (p.t.bl > 0 && p.burst_length > 0 && p.data_rate_mtps > 0)
    p.clock = engine::ClockDomain::from_mhz(p.data_rate_mtps * p.t.bl / p.burst_length);
  else if (t.tck_ps() > 0)
    p.clock = engine::ClockDomain(t.tck_ps());
  const proto::DramController& c = spec.controller();
  p.frfcfs = c.scheduler() != proto::FCFS;
  p.open_row = c.row_policy() != proto::CLOSED_ROW;
  p.refresh = c.refresh();
  p.read_queue = c.read_queue();
  p.write_queue = c.write_queue();
  p.write_high = c.write_high_watermark();
  p.write_low = c.write_low_watermark();
  p.frontend_latency = c.frontend_latency_cycles();
  std::string err;
  parse_mapping(c.address_mapping(), p.mapping, err);  // validated in src/io before we get here
  return p;
}

DramParams::Loc DramParams::decode(uint64_t addr) const {
  Loc l;
  uint64_t v = addr >> 7;  // 128-byte line index: a line never straddles controllers, banks or rows
  uint32_t ch = 0, pc = 0;
  const uint64_t lines_per_row = std::max<uint64_t>(1, uint64_t{columns} * bytes_per_access() / 128);
  // Mixed radix, least significant field last in the string: any counts work (5 stacks x 8
  // channels = 40 is not a power of two).
  for (auto it = mapping.rbegin(); it != mapping.rend(); ++it) {
    uint64_t n = 1;
    uint32_t* dst = nullptr;
    switch (*it) {
      case DramField::Row: n = rows; dst = &l.row; break;
      case DramField::Bank: n = banks_per_group; dst = &l.bank; break;
      case DramField::BankGroup: n = bank_groups; dst = &l.bank_group; break;
      case DramField::Column: n = lines_per_row; dst = &l.column; break;
      case DramField::PseudoChannel: n = pseudo_channels; dst = &pc; break;
      case DramField::Channel: n = uint64_t{stacks} * channels_per_stack; dst = &ch; break;
      case DramField::Rank: n = ranks; dst = &l.rank; break;
    }
    n = std::max<uint64_t>(n, 1);
    *dst = static_cast<uint32_t>(v % n);
    v /= n;
  }
  // Channel hashing: the channel is offset by a hash of every other field, so power-of-two
  // strides (a matrix's rows) spread over all channels instead of camping on gcd-many, as GPUs
  // hash addresses over memory partitions (Accel-Sim's -gpgpu_memory_partition_indexing;
  // gpu_simulators.md). For fixed other fields the offset is a rotation, so the mapping stays
  // one-to-one.
  const uint64_t nch = std::max<uint64_t>(1, uint64_t{stacks} * channels_per_stack);
  if (nch > 1) {
    uint64_t h = (uint64_t{l.row} * 0x9e3779b1u) ^ (uint64_t{l.column} * 0x85ebca6bu) ^
                 (uint64_t{l.bank} * 0xc2b2ae35u) ^ (uint64_t{l.bank_group} * 0x27d4eb2fu) ^ (uint64_t{pc} * 0x165667b1u) ^
                 (uint64_t{l.rank} * 0xd3a2646cu);
    h ^= h >> 15;
    ch = static_cast<uint32_t>((ch + h) % nch);
  }
  l.controller = ch * pseudo_channels + pc;
  return l;
}

uint32_t DramParams::controller_of(uint64_t addr) const { return decode(addr).controller; }

double DramParams::peak_bytes_per_second() const {
  return static_cast<double>(controllers) * bus_bits / 8.0 * data_rate_mtps * 1e6;
}

}  // namespace xpusim::mem
