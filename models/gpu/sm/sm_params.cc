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

CacheShape shape(const proto::CacheGeometry& g) { return {g.size_bytes(), g.line_bytes(), g.ways()}; }

void fill_tensor(SmParams& p, const proto::SmSpec& sm) {
  for (const auto& ts : sm.tensor()) {
    const std::string& s = ts.shape();
    const size_t kpos = s.find('k');
    if (kpos == std::string::npos) continue;  // validated earlier
    TensorTiming tt{static_cast<uint8_t>(std::stoi(s.substr(kpos + 1))), isa::DataType::F16,
                    {ts.latency_cycles(), ts.interval_cycles()}};
    bool also_u = false;
    if (!tensor_type(ts.dtype(), tt.a, also_u)) continue;
    p.tensor.push_back(tt);
    if (ts.dtype() == proto::FP8_E4M3 || ts.dtype() == proto::FP8_E5M2) continue;
    if (also_u) {
      tt.a = tt.a == isa::DataType::S8 ? isa::DataType::U8 : isa::DataType::U4;
      p.tensor.push_back(tt);
    }
  }
}

}  // namespace

SmParams SmParams::from(const proto::SmSpec& sm) {
  SmParams p;
  p.subcores = sm.subcores();
  p.max_warps = sm.max_warps();
  p.max_ctas = sm.max_ctas();
  p.policy = sm.scheduler();
  p.dependence = sm.dependence();
  p.scoreboard_war_consumers = sm.scoreboard().war_consumers();
  p.shared_latency = sm.shared_latency_cycles();
  for (const auto& u : sm.unit()) {
    UnitTiming& t = p.unit[static_cast<size_t>(u.kind()) - 1];
    t.latency = u.latency_cycles();
    t.interval = u.interval_cycles();
  }
  fill_tensor(p, sm);
  for (const auto& o : sm.opcode())
    p.opcode.push_back({o.name(), {o.has_latency_cycles() ? o.latency_cycles() : 0, o.has_interval_cycles() ? o.interval_cycles() : 0}});
  const auto& rf = sm.register_file();
  p.rf = {rf.banks(), rf.read_ports_per_bank(), rf.read_cycles(), rf.cache().enabled(), rf.cache().slots()};
  const auto& fe = sm.front_end();
  p.fe.subcores = p.subcores;
  p.fe.warps = p.max_warps;
  p.fe.ibuffer_entries = fe.ibuffer_entries();
  p.fe.fetch_cycles = fe.fetch_cycles();
  p.fe.l0i = shape(fe.l0i());
  p.fe.l1i = shape(fe.l1i());
  p.fe.l1i_latency = fe.l1i_latency_cycles();
  p.fe.l2_latency = fe.l2_latency_cycles();
  p.fe.prefetch_lines = fe.prefetch_lines();
  p.fe.perfect = fe.perfect_icache();
  const auto& l = sm.lsu();
  p.lsu = {l.subcore_queue(), l.address_cycles(), l.shared_interval_cycles(), l.pending_requests(), l.war_cycles(),
           l.lines_per_cycle()};
  return p;
}

namespace {

// "HMMA.16816.F32.BF16 R0, ..." -> "HMMA.16816.F32.BF16"
std::string_view mnemonic(const std::string& text) { return std::string_view(text).substr(0, text.find(' ')); }

bool prefix_matches(std::string_view mn, const std::string& prefix) {
  return mn.size() >= prefix.size() && mn.compare(0, prefix.size(), prefix) == 0 &&
         (mn.size() == prefix.size() || mn[prefix.size()] == '.');
}

}  // namespace

std::vector<InstTiming> resolve_timing(const SmParams& p, const isa::Kernel& k) {
  std::vector<InstTiming> out(k.code.size());
  for (size_t pc = 0; pc < k.code.size(); ++pc) {
    const isa::Inst& in = k.code[pc];
    InstTiming& t = out[pc];
    t.unit = static_cast<uint8_t>(in.unit);
    t.variable = !in.fixed_latency;
    t.memory = in.unit == isa::Unit::LSU;
    UnitTiming ut = p.unit[t.unit];
    if (in.unit == isa::Unit::TENSOR) {
      const auto a = static_cast<isa::DataType>(in.m.type);
      for (const TensorTiming& tt : p.tensor)
        if (tt.k == in.m.size && tt.a == a) ut = tt.t;
    }
    size_t best = 0;
    const std::string_view mn = mnemonic(in.text);
    for (const OpcodeTiming& o : p.opcode) {
      if (o.prefix.size() <= best || !prefix_matches(mn, o.prefix)) continue;
      best = o.prefix.size();
      if (o.t.latency) ut.latency = o.t.latency;
      if (o.t.interval) ut.interval = o.t.interval;
    }
    t.latency = static_cast<uint16_t>(ut.latency);
    t.interval = static_cast<uint16_t>(ut.interval);
  }
  return out;
}

}  // namespace xpusim::gpu
