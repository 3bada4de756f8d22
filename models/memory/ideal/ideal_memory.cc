#include "models/memory/ideal/ideal_memory.h"

#include <fmt/format.h>

#include <bit>

namespace xpusim::mem {

IdealMemory::IdealMemory(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, size_t ports)
    : Component(name, env, clk), req_in(ports), resp_out(ports) {
  requests_ = &env.stats().counter(path(), "requests");
  sectors_ = &env.stats().counter(path(), "sectors");
}

bool IdealMemory::do_cycle(engine::Cycle now) {
  const engine::Tick t = clk_.edge(now);
  bool any = false;
  for (size_t i = 0; i < req_in.size(); ++i) {
    while (req_in[i].can_recv(t) && resp_out[i].can_send(t)) {
      const engine::MemReq& r = req_in[i].front();
      resp_out[i].send(t, {r.tag, r.source, r.sector_mask});  // the channel carries the latency
      ++*requests_;
      *sectors_ += static_cast<uint64_t>(std::popcount(r.sector_mask));
      req_in[i].pop(t);
      any = true;
    }
  }
  return any;
}

bool IdealMemory::busy() const {
  for (const auto& p : req_in)
    if (p.size()) return true;
  return false;
}

std::string IdealMemory::describe() const {
  std::string s = path() + ":";
  for (size_t i = 0; i < req_in.size(); ++i)
    if (req_in[i].size()) s += fmt::format(" port {} holds {} requests;", i, req_in[i].size());
  return s + "\n";
}

}  // namespace xpusim::mem
