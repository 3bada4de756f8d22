// The pipeline view for teaching: issue, execute and write-back of each instruction of chosen
// warps as Chrome trace-event JSON (opens in Perfetto or chrome://tracing). The SM calls the
// hooks; only the trace formats text. Bounded: after max_events events it stops recording and
// says so in the file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "src/engine/types.h"

namespace xpusim::gpu {

struct TraceFilter {
  int sm = 0;             // the SM to record
  uint32_t cta = UINT32_MAX;  // a CTA (linear id) or every CTA
  uint32_t first_warp = 0, last_warp = 3;  // warp indices within the CTA
  uint64_t max_events = 200000;
};

class PipelineTrace {
 public:
  PipelineTrace(const std::string& path, const TraceFilter& f, double ns_per_cycle);
  ~PipelineTrace();
  PipelineTrace(const PipelineTrace&) = delete;
  PipelineTrace& operator=(const PipelineTrace&) = delete;

  bool wants(int sm, uint32_t cta, uint32_t warp) const {
    return sm == f_.sm && (f_.cta == UINT32_MAX || cta == f_.cta) && warp >= f_.first_warp && warp <= f_.last_warp;
  }
  // One instruction: issued at `issue`, operands read and executing from `exec`, result at `done`.
  void inst(int sm, uint32_t cta, uint32_t warp, uint32_t pc, const std::string& text, engine::Cycle issue,
            engine::Cycle exec, engine::Cycle done, const char* unit);
  // A warp's stall reason over [from, to).
  void stall(int sm, uint32_t cta, uint32_t warp, const char* reason, engine::Cycle from, engine::Cycle to);
  void close();

 private:
  void event(const std::string& json);
  TraceFilter f_;
  std::FILE* out_ = nullptr;
  std::string path_, tmp_;
  double ns_;
  uint64_t events_ = 0;
  bool truncated_ = false;
};

}  // namespace xpusim::gpu
