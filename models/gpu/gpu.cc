#include "models/gpu/gpu.h"

#include <fmt/format.h>

#include "models/gpu/occupancy.h"

namespace xpusim::gpu {

Gpu::Gpu(sc_core::sc_module_name name, const proto::SystemConfig& cfg, engine::Env& env)
    : sc_module(name), spec_(cfg.gpu()), clk_(engine::ClockDomain::from_mhz(spec_.core_clock_mhz())) {
  const uint32_t n = spec_.num_sms();
  const SmParams params = SmParams::from(spec_.sm());
  dispatcher_ = std::make_unique<CtaDispatcher>("front_end", env, clk_, n);
  memory_ = std::make_unique<mem::IdealMemory>("memory", env, clk_, n);
  const engine::Tick mem_latency = clk_.period() * spec_.ideal_memory().latency_cycles();
  for (uint32_t i = 0; i < n; ++i) {
    sms_.push_back(std::make_unique<Sm>(fmt::format("sm[{}]", i).c_str(), env, clk_, params, static_cast<uint16_t>(i)));
    Sm& sm = *sms_.back();
    auto& a = assign_ch_.emplace_back(fmt::format("gpu.cta_assign[{}]", i), params.max_ctas);
    a.bind(dispatcher_.get(), &sm);
    dispatcher_->to_sm[i].connect(&a);
    sm.cta_in.connect(&a);
    auto& d = done_ch_.emplace_back(fmt::format("gpu.cta_done[{}]", i), params.max_ctas);
    d.bind(&sm, dispatcher_.get());
    sm.done_out.connect(&d);
    dispatcher_->from_sm[i].connect(&d);
    auto& rq = req_ch_.emplace_back(fmt::format("gpu.sm[{}].mem_req", i), 64);
    rq.bind(&sm, memory_.get());
    sm.mem_out.connect(&rq);
    memory_->req_in[i].connect(&rq);
    auto& rs = resp_ch_.emplace_back(fmt::format("gpu.sm[{}].mem_resp", i), 1 << 16, mem_latency);
    rs.bind(memory_.get(), &sm);
    memory_->resp_out[i].connect(&rs);
    sm.mem_in.connect(&rs);
  }
}

std::string Gpu::check_launch(const exec::Launch& launch) const { return check_fits(spec_.sm(), launch); }

sim::Occupancy Gpu::occupancy(const exec::Launch& launch) const { return gpu::occupancy(spec_.sm(), launch); }

bool Gpu::stuck_at_barriers() const {
  bool any = false;
  for (const auto& sm : sms_) {
    if (!sm->only_barrier_waits()) return false;
    any |= sm->busy();
  }
  return any;
}

void Gpu::begin_kernel(const exec::Launch& launch, exec::Executor* ex) {
  for (auto& sm : sms_) sm->begin_kernel(&launch, ex);
  dispatcher_->begin_kernel(launch.grid.count(), occupancy(launch).ctas_per_sm, spec_.kernel_launch_cycles());
}

}  // namespace xpusim::gpu
