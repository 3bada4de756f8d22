// The GPU: a CTA dispatcher, the SMs and the memory system, wired by ports. Implements the
// run driver's Device interface.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "config.pb.h"
#include "models/gpu/dispatcher.h"
#include "models/gpu/sm/pipeline_trace.h"
#include "models/gpu/sm/sm.h"
#include "models/memory/ideal/ideal_memory.h"
#include "models/memory/hierarchy.h"
#include "src/engine/env.h"
#include "src/engine/port.h"
#include "src/sim/device.h"

namespace xpusim::gpu {

class Gpu final : public sim::Device, public sc_core::sc_module {
 public:
  Gpu(sc_core::sc_module_name name, const proto::SystemConfig& cfg, engine::Env& env);

  std::string check_launch(const exec::Launch& launch) const override;
  sim::Occupancy occupancy(const exec::Launch& launch) const override;
  void begin_kernel(const exec::Launch& launch, exec::Executor* ex) override;
  bool kernel_done() const override { return dispatcher_->done(); }
  engine::Tick kernel_end() const override { return dispatcher_->end_tick(); }
  const engine::ClockDomain& core_clock() const override { return clk_; }
  bool stuck_at_barriers() const override;
  void enable_pipeline_trace(const sim::TraceRequest& r) override;
  void finish() override;
  void fill_report(const std::vector<std::pair<std::string, uint64_t>>& counters,
                   proto::KernelReport* k) const override;

 private:
  template <typename T>
  engine::Channel<T>* channel(std::string name, size_t capacity, engine::Tick latency = 0);

  proto::GpuSpec spec_;
  engine::ClockDomain clk_;
  SmParams params_;
  // per-instruction timing of each kernel met so far, and where its code lives
  std::map<const isa::Kernel*, std::pair<std::vector<InstTiming>, uint64_t>> kernels_;
  std::unique_ptr<CtaDispatcher> dispatcher_;
  std::vector<std::unique_ptr<Sm>> sms_;
  std::unique_ptr<mem::IdealMemory> memory_;
  std::unique_ptr<mem::Hierarchy> hierarchy_;  // gpu.memory_model HIERARCHY (else memory_)
  std::unique_ptr<PipelineTrace> trace_;
  std::deque<engine::Channel<engine::CtaAssign>> assign_ch_;
  std::deque<engine::Channel<engine::CtaDone>> done_ch_;
  std::deque<engine::Channel<engine::MemReq>> req_ch_;
  std::deque<engine::Channel<engine::MemResp>> resp_ch_;
};

}  // namespace xpusim::gpu
