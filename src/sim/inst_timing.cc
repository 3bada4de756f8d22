#include "src/sim/inst_timing.h"

#include <algorithm>
#include <string_view>

namespace xpusim::sim {

namespace {

static_assert(static_cast<int>(proto::UnitSpec::INT) == static_cast<int>(isa::Unit::INT) + 1 &&
                  static_cast<int>(proto::UnitSpec::MISC) == static_cast<int>(isa::Unit::MISC) + 1,
              "proto UnitSpec.Kind and isa::Unit must stay aligned");

// The A/B operand type of a tensor entry; integer entries also cover the unsigned types.
bool tensor_type(proto::DType t, isa::DataType& out, bool& also_unsigned) {
  also_unsigned = false;
  switch (t) {
    case proto::FP16: out = isa::DataType::F16; return true;
    case proto::BF16: out = isa::DataType::BF16; return true;
    case proto::TF32: out = isa::DataType::TF32; return true;
    case proto::FP8_E4M3: out = isa::DataType::E4M3; return true;
    case proto::FP8_E5M2: out = isa::DataType::E5M2; return true;
    case proto::INT8: out = isa::DataType::S8, also_unsigned = true; return true;
    case proto::INT4: out = isa::DataType::S4, also_unsigned = true; return true;
    default: return false;
  }
}

// "HMMA.16816.F32.BF16 R0, ..." -> "HMMA.16816.F32.BF16"
std::string_view mnemonic(const std::string& text) { return std::string_view(text).substr(0, text.find(' ')); }

bool prefix_matches(std::string_view mn, const std::string& prefix) {
  return mn.size() >= prefix.size() && mn.compare(0, prefix.size(), prefix) == 0 &&
         (mn.size() == prefix.size() || mn[prefix.size()] == '.');
}

}  // namespace

InstTimingTable InstTimingTable::from(const proto::SmSpec& sm) {
  InstTimingTable t;
  for (const auto& u : sm.unit())
    t.unit_[static_cast<size_t>(u.kind()) - 1] = {u.latency_cycles(), u.interval_cycles()};
  for (const auto& ts : sm.tensor()) {
    const std::string& s = ts.shape();
    const size_t kpos = s.find('k');
    if (kpos == std::string::npos) continue;  // validated earlier
    Tensor e{static_cast<uint8_t>(std::stoi(s.substr(kpos + 1))), isa::DataType::F16,
             {ts.latency_cycles(), ts.interval_cycles()}};
    bool also_u = false;
    if (!tensor_type(ts.dtype(), e.a, also_u)) continue;
    t.tensor_.push_back(e);
    if (also_u) {
      e.a = e.a == isa::DataType::S8 ? isa::DataType::U8 : isa::DataType::U4;
      t.tensor_.push_back(e);
    }
  }
  for (const auto& o : sm.opcode())
    t.opcode_.push_back({o.name(), {o.has_latency_cycles() ? o.latency_cycles() : 0,
                                    o.has_interval_cycles() ? o.interval_cycles() : 0}});
  return t;
}

UnitTiming InstTimingTable::of(const isa::Inst& in) const {
  UnitTiming ut = unit_[static_cast<size_t>(in.unit)];
  if (in.unit == isa::Unit::TENSOR) {
    const auto a = static_cast<isa::DataType>(in.m.type);
    for (const Tensor& e : tensor_)
      if (e.k == in.m.size && e.a == a) ut = e.t;
  }
  // Each field from the longest matching entry that sets it (entry order does not matter).
  size_t best_lat = 0, best_int = 0;
  const std::string_view mn = mnemonic(in.text);
  for (const Opcode& o : opcode_) {
    if (!prefix_matches(mn, o.prefix)) continue;
    if (o.t.latency && o.prefix.size() > best_lat) best_lat = o.prefix.size(), ut.latency = o.t.latency;
    if (o.t.interval && o.prefix.size() > best_int) best_int = o.prefix.size(), ut.interval = o.t.interval;
  }
  return ut;
}

isa::LatencyTable latency_table(const proto::SystemConfig& cfg) {
  isa::LatencyTable lat = isa::LatencyTable::defaults();
  if (cfg.gpu().sm().unit_size() == 0) return lat;  // no SM in this machine
  const InstTimingTable table = InstTimingTable::from(cfg.gpu().sm());
  lat.exact = [table](const isa::Inst& in) { return table.of(in); };
  return lat;
}

}  // namespace xpusim::sim
