#include "models/gpu/sm/pipeline_trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "src/engine/error.h"

namespace xpusim::gpu {

PipelineTrace::PipelineTrace(const std::string& path, const TraceFilter& f, double ns_per_cycle)
    : f_(f), path_(path), tmp_(path + ".tmp"), ns_(ns_per_cycle) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);  // fopen reports what fails
  out_ = std::fopen(tmp_.c_str(), "w");
  if (!out_) throw InputErrors(SourceLoc{path, 0, 0}, "cannot write the pipeline trace");
  std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", out_);
}

PipelineTrace::~PipelineTrace() {
  if (out_) std::fclose(out_);
}

void PipelineTrace::event(const std::string& json) {
  if (events_ >= f_.max_events) {
    truncated_ = true;
    return;
  }
  std::fputs(events_++ ? ",\n" : "", out_);
  std::fputs(json.c_str(), out_);
}

// One row (tid) per warp, one process (pid) per CTA; phases as nested complete events.
void PipelineTrace::inst(int sm, uint32_t cta, uint32_t warp, uint32_t pc, const std::string& text,
                         engine::Cycle issue, engine::Cycle exec, engine::Cycle done, const char* unit) {
  std::string esc;
  for (char c : text) esc += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  // `done` is when dependents may use the result (the dependent-issue latency, which counts
  // bypassing), so for short-latency units it can precede the end of the operand reads.
  const engine::Cycle end = std::max({done, exec, issue + 1});
  event(fmt::format("{{\"name\":\"{}\",\"cat\":\"{}\",\"ph\":\"X\",\"pid\":{},\"tid\":{},\"ts\":{:.3f},\"dur\":{:.3f},"
                    "\"args\":{{\"pc\":{},\"issue\":{},\"execute\":{},\"writeback\":{},\"sm\":{}}}}}",
                    esc, unit, cta, warp, issue * ns_ / 1000.0, (end - issue) * ns_ / 1000.0, pc, issue, exec, done, sm));
}

void PipelineTrace::stall(int, uint32_t cta, uint32_t warp, const char* reason, engine::Cycle from, engine::Cycle to) {
  event(fmt::format("{{\"name\":\"stall: {}\",\"cat\":\"stall\",\"ph\":\"X\",\"pid\":{},\"tid\":{},\"ts\":{:.3f},"
                    "\"dur\":{:.3f}}}",
                    reason, cta, warp, from * ns_ / 1000.0, (to - from) * ns_ / 1000.0));
}

void PipelineTrace::close() {
  if (!out_) return;
  std::fputs("\n]", out_);
  if (truncated_) std::fprintf(out_, ",\"truncated\":\"stopped after %llu events\"", static_cast<unsigned long long>(events_));
  std::fputs("}\n", out_);
  std::fclose(out_);
  out_ = nullptr;
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) throw InputErrors(SourceLoc{path_, 0, 0}, "cannot write the pipeline trace: " + ec.message());
}

}  // namespace xpusim::gpu
