// The interface between the run driver and a simulated machine. The driver knows only
// this; a model (models/gpu, later others) implements it and registers a factory in
// models/registry.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config.pb.h"
#include "report.pb.h"
#include "src/engine/clock.h"
#include "src/engine/env.h"
#include "src/exec/executor.h"

namespace xpusim::sim {

// How many CTAs of a launch fit on one SM, and why not more.
struct Occupancy {
  uint32_t ctas_per_sm = 0;
  std::string limiter;           // "warps", "registers", "shared", "ctas", "threads"
  double theoretical = 0;        // resident warps / max warps
};

// A request for the teaching pipeline view (--pipeline-trace).
struct TraceRequest {
  std::string path;
  int sm = 0;
  uint32_t cta = UINT32_MAX;   // every CTA
  uint32_t first_warp = 0, last_warp = 3;
  uint64_t max_events = 200000;  // the file stops growing here (and says so)
};

class Device {
 public:
  virtual ~Device() = default;
  // Checks a launch fits the machine at all; returns "" or why it cannot run.
  virtual std::string check_launch(const exec::Launch& launch) const = 0;
  virtual Occupancy occupancy(const exec::Launch& launch) const = 0;
  // Starts a kernel; the driver then runs SystemC until everything sleeps. `ex` is null in
  // timing-only runs.
  virtual void begin_kernel(const exec::Launch& launch, exec::Executor* ex) = 0;
  virtual bool kernel_done() const = 0;
  // When the last CTA of the kernel finished (valid once kernel_done()).
  virtual engine::Tick kernel_end() const = 0;
  // When nothing can move: whether every unfinished warp waits at a barrier (BAR.SYNC or
  // BSYNC), which makes the deadlock the kernel's doing rather than the simulator's.
  virtual bool stuck_at_barriers() const = 0;
  // Model-specific figures of one kernel from the difference of its statistics (counter name,
  // value), sorted by name: occupancy achieved, stall reasons, unit utilisation.
  virtual void fill_report(const std::vector<std::pair<std::string, uint64_t>>& counters,
                           proto::KernelReport* k) const = 0;
  // Records the pipeline view (models that have none ignore it); finish() closes it.
  virtual void enable_pipeline_trace(const TraceRequest& r) = 0;
  // The run is over: flush and close whatever the model writes.
  virtual void finish() = 0;
  // Core clock (the cycles reported).
  virtual const engine::ClockDomain& core_clock() const = 0;
};

using DeviceFactory =
    std::function<std::unique_ptr<Device>(const proto::SystemConfig& cfg, engine::Env& env)>;

// Explicit registry (no static-init self-registration): models/registry.cc fills it.
class DeviceRegistry {
 public:
  void add(std::string name, std::function<bool(const proto::SystemConfig&)> matches, DeviceFactory make);
  // The first registered model whose predicate accepts the config.
  std::unique_ptr<Device> make(const proto::SystemConfig& cfg, engine::Env& env) const;

 private:
  struct Entry {
    std::string name;
    std::function<bool(const proto::SystemConfig&)> matches;
    DeviceFactory make;
  };
  std::vector<Entry> entries_;
};

}  // namespace xpusim::sim
