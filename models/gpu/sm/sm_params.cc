#include "models/gpu/sm/sm_params.h"

#include <string>

namespace xpusim::gpu {

namespace {

CacheShape shape(const proto::CacheGeometry& g) { return {g.size_bytes(), g.line_bytes(), g.ways()}; }

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
  p.timing = sim::InstTimingTable::from(sm);
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

std::vector<InstTiming> resolve_timing(const SmParams& p, const isa::Kernel& k) {
  std::vector<InstTiming> out(k.code.size());
  for (size_t pc = 0; pc < k.code.size(); ++pc) {
    const isa::Inst& in = k.code[pc];
    InstTiming& t = out[pc];
    t.unit = static_cast<uint8_t>(in.unit);
    t.variable = !in.fixed_latency;
    t.memory = in.unit == isa::Unit::LSU;
    const sim::UnitTiming ut = p.timing.of(in);
    t.latency = static_cast<uint16_t>(ut.latency);
    t.interval = static_cast<uint16_t>(ut.interval);
    t.cost = energy::classify(in);
  }
  return out;
}

}  // namespace xpusim::gpu
