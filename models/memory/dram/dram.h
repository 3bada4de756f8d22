// DRAM (HBM2/2e/3/3e, GDDR6/6X): one DramController per independent command/data bus.
//
// A "controller" here is one HBM pseudo-channel (or one GDDR6 16-bit channel): the unit
// that has its own command bus, data bus and banks. It owns a read queue and a write queue
// (fixed rings), per-bank row state and every timing constraint of docs/models/dram.md, and
// issues at most one command per DRAM clock (tCK). It sleeps when idle and, when its queued
// work is blocked on timing, wakes exactly at the earliest tick a command can legally issue.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config.pb.h"
#include "src/engine/clock.h"
#include "src/engine/component.h"
#include "src/engine/messages.h"
#include "src/engine/port.h"

namespace xpusim::mem {

// Fields of the address mapping string (most significant first, e.g. "ro-ba-bg-co-pc-ch").
enum class DramField : uint8_t { Row, Bank, BankGroup, Column, PseudoChannel, Channel, Rank };

struct DramTimings {  // all in tCK
  uint32_t rcd = 0, rp = 0, ras = 0, rc = 0, cl = 0, cwl = 0, bl = 0;
  uint32_t ccd_s = 0, ccd_l = 0, rrd_s = 0, rrd_l = 0, faw = 0;
  uint32_t wtr_s = 0, wtr_l = 0, rtp = 0, wr = 0, rfc = 0, refi = 0, rtrs = 0;
};

struct DramParams {
  // From the loaded config's gpu.dram (preset already merged by the loader, defaults applied).
  // Throws/reports nothing itself: validation is in src/io (see below).
  static DramParams from(const proto::DramSpec& spec);
  uint32_t controllers = 0;          // stacks x channels_per_stack x pseudo_channels (one per pseudo-channel)
  engine::ClockDomain clock;         // the DRAM command clock (tCK)
  // Which controller owns a byte address (all sectors of a 128-byte line map to one controller).
  uint32_t controller_of(uint64_t addr) const;
  double peak_bytes_per_second() const;   // whole machine, from organisation and data rate

  // Organisation (per controller unless noted).
  uint32_t stacks = 1, channels_per_stack = 1, pseudo_channels = 1, ranks = 1;
  uint32_t bank_groups = 1, banks_per_group = 1, rows = 1, columns = 1;
  uint32_t bus_bits = 64, burst_length = 2;
  double data_rate_mtps = 0;          // per pin
  DramTimings t;
  // Controller.
  bool frfcfs = true;
  bool open_row = true;
  bool refresh = true;
  uint32_t read_queue = 64, write_queue = 64, write_high = 48, write_low = 16;
  uint32_t frontend_latency = 0;      // tCK added to each response (controller + PHY)

  // Address mapping: fields most significant first, parsed once by from().
  std::vector<DramField> mapping;
  // A decoded address: which controller, and inside it rank/bank group/bank/row/column.
  struct Loc {
    uint32_t controller = 0, rank = 0, bank_group = 0, bank = 0, row = 0, column = 0;
  };
  Loc decode(uint64_t addr) const;
  uint32_t bytes_per_access() const { return bus_bits / 8 * burst_length; }  // one column command
  uint32_t banks() const { return ranks * bank_groups * banks_per_group; }     // per controller

  // Parses a mapping string ("ro-ba-bg-co-pc-ch"); returns false with `error` set if a
  // field is unknown, repeated or missing (validation in src/io uses it too).
  static bool parse_mapping(const std::string& s, std::vector<DramField>& out, std::string& error);
};

// One issued DRAM command, for the test-only command log.
enum class DramCmd : uint8_t { Act, Pre, Rd, Wr, Ref };
struct DramCmdRecord {
  uint64_t cycle = 0;        // DRAM cycle the command issued at
  DramCmd cmd = DramCmd::Act;
  uint32_t rank = 0, bank_group = 0, bank = 0, row = 0, column = 0;
};

class DramController final : public engine::Component {
 public:
  // `ports`: how many L2 slices talk to this controller; each gets its own request/response pair.
  DramController(sc_core::sc_module_name name, engine::Env& env, const DramParams& p, uint32_t index, uint32_t ports);
  std::vector<engine::InPort<engine::MemReq>> req_in;     // [port]: line requests (op Load or Store; sector_mask = 32-byte sectors to move)
  std::vector<engine::OutPort<engine::MemResp>> resp_out; // [port]: one response per request, echoing tag/source/sector_mask, once every sector is read (loads) or written (stores)
  bool do_cycle(engine::Cycle now) override;
  engine::Tick next_event() const override;   // the next tick at which a command can legally issue or data returns: NO per-cycle polling while waiting on timings
  bool busy() const override;
  std::string describe() const override;      // state for deadlock dumps: queue contents, bank states

  ~DramController() override;

  // Test-only hook: when set, called for every issued command (one branch when unset).
  std::function<void(const DramCmdRecord&)> on_command;

 private:
  struct Impl;  // defined in dram.cc: keeps this header stable while the model evolves
  std::unique_ptr<Impl> impl_;
};

}  // namespace xpusim::mem
