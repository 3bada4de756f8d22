#include "models/gpu/gpu.h"

#include <fmt/format.h>

#include "models/gpu/occupancy.h"
#include "models/memory/memory_report.h"

namespace xpusim::gpu {

Gpu::Gpu(sc_core::sc_module_name name, const proto::SystemConfig& cfg, engine::Env& env)
    : sc_module(name),
      spec_(cfg.gpu()),
      clk_(engine::ClockDomain::from_mhz(spec_.core_clock_mhz())),
      params_(SmParams::from(spec_.sm())) {
  const uint32_t n = spec_.num_sms();
  params_.shared_banks = mem::BankParams::from(spec_);  // the SRAM's banks live in gpu.l1
  const SmParams& params = params_;
  dispatcher_ = std::make_unique<CtaDispatcher>("front_end", env, clk_, n);
  // The SMs' global accesses go to the ideal memory (a fixed latency) or to the hierarchy of
  // L1s, crossbar, L2 slices and DRAM, whose latency comes from its parts.
  const bool hierarchy = spec_.memory_model() == proto::HIERARCHY;
  if (hierarchy)
    hierarchy_ = std::make_unique<mem::Hierarchy>("memory", spec_, env, clk_);
  else
    memory_ = std::make_unique<mem::IdealMemory>("memory", env, clk_, n);
  const engine::Tick mem_latency = hierarchy ? 0 : clk_.period() * spec_.ideal_memory().latency_cycles();
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
    engine::Component* mem_end = hierarchy ? hierarchy_->sm_endpoint(i) : memory_.get();
    rq.bind(&sm, mem_end);
    sm.mem_out.connect(&rq);
    (hierarchy ? hierarchy_->req_in(i) : memory_->req_in[i]).connect(&rq);
    // room for every line the SM can have in flight: pending instructions x 32 lines
    auto& rs = resp_ch_.emplace_back(fmt::format("gpu.sm[{}].mem_resp", i), params.lsu.pending * 32, mem_latency);
    rs.bind(mem_end, &sm);
    (hierarchy ? hierarchy_->resp_out(i) : memory_->resp_out[i]).connect(&rs);
    sm.mem_in.connect(&rs);
  }
}

std::string Gpu::check_launch(const exec::Launch& launch) const { return check_fits(spec_.sm(), launch); }

sim::Occupancy Gpu::occupancy(const exec::Launch& launch) const { return gpu::occupancy(spec_.sm(), launch); }

void Gpu::fill_report(const std::vector<std::pair<std::string, uint64_t>>& counters, proto::KernelReport* k) const {
  auto sum = [&](std::string_view suffix) {
    uint64_t t = 0;
    for (const auto& [n, v] : counters)
      if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          n[n.size() - suffix.size() - 1] == '.')
        t += v;
    return t;
  };
  const double active = static_cast<double>(sum("active_cycles"));
  if (active > 0) {
    k->set_achieved_occupancy(sum("resident_warp_cycles") / (active * params_.max_warps));
    k->set_tensor_utilization(sum("tensor_pipe_busy_cycles") / (active * params_.subcores));
    k->set_issue_utilization(sum("warp_instructions") / (active * params_.subcores));
  }
  k->set_control_bit_hazards(sum("control_bit_hazards"));
  uint64_t total = 0;
  std::array<uint64_t, kStallNames.size()> by{};
  for (size_t r = 0; r < kStallNames.size(); ++r) total += by[r] = sum(std::string("stall.") + kStallNames[r]);
  for (size_t r = 0; r < kStallNames.size(); ++r) {
    if (!by[r]) continue;
    proto::StallEntry* e = k->add_stalls();
    e->set_reason(kStallNames[r]);
    e->set_warp_cycles(by[r]);
    e->set_fraction(static_cast<double>(by[r]) / total);
  }
  if (hierarchy_) {
    mem::MemoryReportContext ctx;
    ctx.kernel_seconds = k->time_s();
    ctx.core_hz = clk_.hz();
    ctx.dram_hz = hierarchy_->dram_clock().hz();
    ctx.dram_peak_bytes_per_second = hierarchy_->dram_peak_bytes_per_second();
    mem::fill_memory_report(counters, ctx, k->mutable_memory());
  }
}

void Gpu::enable_pipeline_trace(const sim::TraceRequest& r) {
  if (r.sm < 0 || r.sm >= static_cast<int>(sms_.size()))
    throw InputErrors(SourceLoc{}, fmt::format("--trace-sm {}: the machine has SMs 0..{}", r.sm, sms_.size() - 1));
  TraceFilter f;
  f.sm = r.sm;
  f.cta = r.cta;
  f.first_warp = r.first_warp;
  f.last_warp = r.last_warp;
  f.max_events = r.max_events;
  trace_ = std::make_unique<PipelineTrace>(r.path, f, 1e9 / clk_.hz());
  sms_[static_cast<size_t>(r.sm)]->set_trace(trace_.get());
}

void Gpu::finish() {
  if (trace_) trace_->close();
}

bool Gpu::stuck_at_barriers() const {
  bool any = false;
  for (const auto& sm : sms_) {
    if (!sm->only_barrier_waits()) return false;
    any |= sm->busy();
  }
  return any;
}

void Gpu::begin_kernel(const exec::Launch& launch, exec::Executor* ex) {
  auto it = kernels_.find(launch.kernel);
  if (it == kernels_.end()) {
    // each kernel's code gets its own 16 MiB window of instruction addresses
    const uint64_t base = (uint64_t{1} << 40) + kernels_.size() * (uint64_t{1} << 24);
    it = kernels_.emplace(launch.kernel, std::make_pair(resolve_timing(params_, *launch.kernel), base)).first;
  }
  if (hierarchy_) {
    const uint32_t ctas = occupancy(launch).ctas_per_sm;
    hierarchy_->begin_kernel(ctas * (launch.shared_bytes_per_cta() + spec_.sm().reserved_shared_per_cta_bytes()));
  }
  for (auto& sm : sms_) sm->begin_kernel(&launch, &it->second.first, it->second.second, ex);
  dispatcher_->begin_kernel(launch.grid.count(), occupancy(launch).ctas_per_sm, spec_.kernel_launch_cycles());
}

}  // namespace xpusim::gpu
