#include "models/gpu/sm/sm_params.h"

#include <string>

namespace xpusim::gpu {

namespace {

static_assert(static_cast<int>(proto::UnitSpec::INT) == static_cast<int>(isa::Unit::INT) + 1 &&
                  static_cast<int>(proto::UnitSpec::MISC) == static_cast<int>(isa::Unit::MISC) + 1,
              "proto UnitSpec.Kind and isa::Unit must stay aligned");

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

}  // namespace

SmParams SmParams::from(const proto::SmSpec& sm) {
  SmParams p;
  p.subcores = sm.subcores();
  p.max_warps = sm.max_warps();
  p.max_ctas = sm.max_ctas();
  p.policy = sm.scheduler();
  if (sm.has_shared_latency_cycles()) p.shared_latency = sm.shared_latency_cycles();
  for (const auto& u : sm.unit()) {
    UnitTiming& t = p.unit[static_cast<size_t>(u.kind()) - 1];
    t.latency = u.latency_cycles();
    t.interval = u.interval_cycles();
  }
  for (const auto& ts : sm.tensor()) {
    const std::string& s = ts.shape();
    const size_t kpos = s.find('k');
    if (kpos == std::string::npos) continue;  // validated earlier
    TensorTiming tt{static_cast<uint8_t>(std::stoi(s.substr(kpos + 1))), isa::DataType::F16,
                    {ts.latency_cycles(), ts.interval_cycles()}};
    bool also_u = false;
    if (!tensor_type(ts.dtype(), tt.a, also_u)) continue;
    p.tensor.push_back(tt);
    if (also_u) {
      tt.a = tt.a == isa::DataType::S8 ? isa::DataType::U8 : isa::DataType::U4;
      p.tensor.push_back(tt);
    }
  }
  return p;
}

const UnitTiming& SmParams::timing(const isa::Inst& in) const {
  if (in.unit == isa::Unit::TENSOR) {
    const auto a = static_cast<isa::DataType>(in.m.type);
    for (const TensorTiming& t : tensor)
      if (t.k == in.m.size && t.a == a) return t.t;
  }
  return unit[static_cast<size_t>(in.unit)];
}

}  // namespace xpusim::gpu
