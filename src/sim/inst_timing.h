// The timing of one static instruction on a machine config: the latency (cycles from issue
// until a dependent instruction may issue) and the initiation interval of the unit it runs
// on. One table serves both the SM model and the assembler's control-bit pass, so the stall
// counts the pass computes are exactly the latencies the model charges.
//
// Resolution: the unit's latency and interval (gpu.sm.unit), replaced for tensor
// instructions by the entry of gpu.sm.tensor with the instruction's K and A/B type, then by
// gpu.sm.opcode entries matching the mnemonic by prefix ("MUFU.EX2" matches "MUFU.EX2" and
// "MUFU.EX2.FTZ", not "MUFU.EX"): each field comes from the longest matching entry that sets
// it, so an entry may set just one field.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config.pb.h"
#include "src/isa/assembler.h"
#include "src/isa/inst.h"

namespace xpusim::sim {

using UnitTiming = isa::IssueCost;

class InstTimingTable {
 public:
  InstTimingTable() = default;
  // From a validated SM spec with defaults applied (io::load_config).
  static InstTimingTable from(const proto::SmSpec& sm);
  UnitTiming of(const isa::Inst& in) const;

 private:
  struct Tensor {
    uint8_t k;                 // MMA K (shape m16n8k)
    isa::DataType a;           // A/B type
    UnitTiming t;
  };
  struct Opcode {
    std::string prefix;        // "MUFU.EX2"
    UnitTiming t;              // 0: keep the unit's value
  };
  std::array<UnitTiming, static_cast<size_t>(isa::Unit::kCount)> unit_{};
  std::vector<Tensor> tensor_;
  std::vector<Opcode> opcode_;
};

// The latencies the control-bit pass uses for kernels run on this machine.
isa::LatencyTable latency_table(const proto::SystemConfig& cfg);

}  // namespace xpusim::sim
