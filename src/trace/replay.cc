#include "src/trace/replay.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <deque>
#include <map>

#include "src/engine/component.h"
#include "src/engine/env.h"
#include "src/isa/ctrl_pass.h"
#include "src/sim/inst_timing.h"
#include "src/trace/trace_set.h"

namespace xpusim::trace {

namespace {

bool has(std::string_view opcode, std::string_view mod) {
  for (size_t p = opcode.find(mod); p != std::string_view::npos; p = opcode.find(mod, p + 1)) {
    const size_t e = p + mod.size();
    if (e == opcode.size() || opcode[e] == '.') return true;
  }
  return false;
}

// Bytes per element of an MMA operand type, in quarters (INT4 is half a byte).
uint32_t quarter_bytes(isa::DataType t) {
  switch (t) {
    case isa::DataType::S4: case isa::DataType::U4: return 2;
    case isa::DataType::S8: case isa::DataType::U8: case isa::DataType::E4M3: case isa::DataType::E5M2: return 4;
    case isa::DataType::TF32: return 16;
    default: return 8;
  }
}

uint8_t clamp_regs(uint32_t quarters) { return static_cast<uint8_t>(std::clamp<uint32_t>(quarters / (4 * 128), 1, 4)); }

// The trace names the first register of each operand; how many it spans is inferred from the
// opcode (docs/traces.md "Registers"): 64-bit addresses and FP64 values take pairs, vector
// loads and stores mem_width / 4 registers, MMA fragments their shape's share per lane.
void operand_widths(const StaticInst& si, const SassOp& m, uint8_t& dw, std::array<uint8_t, kMaxSrc>& sw) {
  dw = 1;
  sw.fill(1);
  const std::string_view op = si.opcode;
  const uint8_t vec = static_cast<uint8_t>(std::clamp<uint32_t>(si.mem_width / 4, 1, 4));
  if (m.space != exec::Space::None) {
    if (!m.store || m.atomic) dw = vec;
    if (m.store && si.nsrc >= 2) sw[si.nsrc - 1u] = vec;  // the data, after the address
    if (m.space == exec::Space::Global && si.nsrc >= 1 && m.op != isa::Op::LDGSTS) sw[0] = 2;  // [R2.64]
  } else if (m.unit == isa::Unit::FP64) {
    dw = 2;
    sw.fill(2);
  } else if (m.unit == isa::Unit::TENSOR) {
    uint8_t k = 8;
    isa::DataType ab = isa::DataType::F16;
    mma_shape(op, k, ab);
    const uint32_t mrows = has(op, "884") || has(op, "8816") || has(op, "8832") ? 8 : 16;
    const bool integer = m.op == isa::Op::IMMA;
    const uint32_t acc = integer || has(op, "F32") ? 16 : 8;
    dw = clamp_regs(mrows * 8 * acc);
    sw[0] = clamp_regs(mrows * k * quarter_bytes(ab));
    sw[1] = clamp_regs(8 * k * quarter_bytes(ab));
    sw[2] = dw;
  } else if (has(op, "WIDE")) {
    dw = 2;
    if (si.nsrc == 3) sw[2] = 2;
  }
}

std::string inst_text(const StaticInst& si) {
  std::string t = si.opcode;
  const char* sep = " ";
  auto r = [&](uint8_t x) {
    t += sep;
    t += x == kRegRZ ? std::string("RZ") : fmt::format("R{}", x);
    sep = ", ";
  };
  for (int i = 0; i < si.ndst; ++i) r(si.dst[static_cast<size_t>(i)]);
  for (int i = 0; i < si.nsrc; ++i) r(si.src[static_cast<size_t>(i)]);
  return t;
}

}  // namespace

isa::Kernel build_kernel(const KernelTrace& t, const isa::LatencyTable& lat) {
  isa::Kernel k;
  k.name = t.hdr.name;
  k.file = t.path;
  k.shared_bytes = t.hdr.shmem;
  const size_t n = t.code.empty() ? 1 : t.code.rbegin()->first / 16 + 1;
  k.code.resize(n);
  for (isa::Inst& in : k.code) in.text = "NOP";  // pcs no warp reached
  uint32_t top = 0;
  for (const auto& [pc, si] : t.code) {
    isa::Inst& in = k.code[pc / 16];
    const SassOp m = map_sass(si.opcode);
    in.op = m.op;
    in.unit = m.unit;
    in.fixed_latency = m.fixed_latency;
    in.line = si.line;
    in.text = inst_text(si);
    if (m.unit == isa::Unit::TENSOR) {
      isa::DataType ab = isa::DataType::F16;
      uint8_t kk = 0;
      mma_shape(si.opcode, kk, ab);
      in.m.size = kk;
      in.m.type = static_cast<uint8_t>(ab);
    } else if (m.space != exec::Space::None) {
      in.m.size = static_cast<uint8_t>(std::min<uint32_t>(si.mem_width, 255));
    }
    uint8_t dw;
    std::array<uint8_t, kMaxSrc> sw;
    operand_widths(si, m, dw, sw);
    for (int i = 0; i < si.ndst && in.nwrites < in.writes.size(); ++i) {
      const uint8_t r = si.dst[static_cast<size_t>(i)];
      if (r == kRegRZ) continue;
      const uint8_t c = static_cast<uint8_t>(std::min<int>(dw, 255 - r));
      in.writes[in.nwrites++] = {r, c};
      top = std::max<uint32_t>(top, r + c);
      if (in.ndst < in.dst.size()) in.dst[in.ndst++] = isa::Operand{isa::Opd::Reg, r, 0, isa::Sel::None, c, 0, 0};
    }
    for (int i = 0; i < si.nsrc; ++i) {
      const uint8_t r = si.src[static_cast<size_t>(i)];
      const uint8_t c = static_cast<uint8_t>(std::min<int>(sw[static_cast<size_t>(i)], 255 - r));
      if (r != kRegRZ && in.nreads < in.reads.size()) {
        in.reads[in.nreads++] = {r, c};
        top = std::max<uint32_t>(top, r + c);
      }
      // register operands in slot order, for the pass's reuse flags (control flow keeps its own)
      if (m.op != isa::Op::BRA && m.op != isa::Op::DEPBAR && in.nsrc < in.src.size())
        in.src[in.nsrc++] = isa::Operand{isa::Opd::Reg, r, 0, isa::Sel::None, c, 0, 0};
    }
    if (m.op == isa::Op::BRA) {  // target: the traced jump; guarded if a warp ever fell through
      in.src[0] = isa::Operand{};
      in.src[0].kind = isa::Opd::Label;
      in.src[0].imm = si.jump != UINT32_MAX ? si.jump / 16 : pc / 16 + 1;
      in.nsrc = 1;
      if (si.falls || si.jump == UINT32_MAX) in.guard = 0;
    } else if (m.op == isa::Op::EXIT && si.falls) {
      in.guard = 0;
    } else if (m.op == isa::Op::DEPBAR) {  // DEPBAR.LE SB0, imm
      in.src[0] = isa::Operand{};
      in.src[0].kind = isa::Opd::SBReg;
      in.src[1] = isa::Operand{};
      in.src[1].kind = isa::Opd::Imm;
      in.src[1].imm = si.has_imm && si.imm >= 0 && si.imm < 64 ? si.imm : 0;
      in.nsrc = 2;
    }
    isa::set_slot_masks(in);
  }
  // A BRA's traced target may lie past the last traced pc (never reached): keep it inside.
  for (isa::Inst& in : k.code)
    if (in.op == isa::Op::BRA && static_cast<size_t>(in.src[0].imm) >= n) in.src[0].imm = static_cast<int64_t>(n - 1);
  k.regs = std::max(t.hdr.nregs, std::max<uint32_t>(top, 1));
  isa::fill_control_bits(k, lat);
  return k;
}

// ---- executor ---------------------------------------------------------------------------------

namespace {
exec::GlobalMemory& no_memory() {  // replay moves no data
  static exec::GlobalMemory m;
  return m;
}
}  // namespace

TraceExecutor::TraceExecutor() : exec::Executor(no_memory()) { set_timing_only(true); }

TraceExecutor::~TraceExecutor() {
  for (const Kernel& k : kernels_) ::close(k.fd);
}

void TraceExecutor::add(const exec::Launch* launch, const KernelTrace* t) {
  const int fd = ::open(t->path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputErrors(SourceLoc{t->path, 0, 0}, fmt::format("cannot open: {}", std::strerror(errno)));
  Kernel k{launch, t, fd, {}};
  k.ops.resize(launch->kernel->code.size());
  for (const auto& [pc, si] : t->code) k.ops[pc / 16] = map_sass(si.opcode);
  kernels_.push_back(std::move(k));
}

void TraceExecutor::start_cta(exec::Cta& cta, const exec::Launch& launch, exec::Dim3 ctaid, uint32_t linear_id,
                              uint32_t sm_id) const {
  const Kernel* k = nullptr;
  for (const Kernel& e : kernels_)
    if (e.launch == &launch) k = &e;
  SIM_CHECK(k, "trace replay: launch '{}' has no trace", launch.name);
  init_cta(cta, launch, ctaid, linear_id, sm_id);
  for (uint32_t i = 0; i < cta.warps.size(); ++i) {
    exec::Warp& w = cta.warps[i];
    if (free_.empty()) {
      free_.push_back(static_cast<uint32_t>(cursors_.size()));
      cursors_.emplace_back();
    }
    w.cursor = free_.back();
    free_.pop_back();
    Cursor& c = cursors_[w.cursor];
    c.kernel = k;
    const WarpIndex& wi = k->trace->warp(linear_id, i);
    if (k->trace->bin) c.bin.open(k->fd, &k->trace->path, wi, k->trace->bin.get());
    else c.in.open(k->fd, &k->trace->path, wi, k->trace->hdr.lineinfo);
    SIM_CHECK(c.advance(), "trace replay: warp {} of CTA {} has no instruction", i, linear_id);
    w.pc = c.next.pc / 16;
  }
}

// Completes the CTA barrier when every unfinished warp waits at it. The trace gives neither
// barrier ids nor thread counts, so all BAR.SYNCs of a CTA are one barrier over its warps.
bool TraceExecutor::try_release(exec::Cta& cta) {
  bool waiting = false;
  for (const exec::Warp& o : cta.warps) {
    if (o.done()) continue;
    if (!o.bar_wait) return false;
    waiting = true;
  }
  if (!waiting) return false;
  for (exec::Warp& o : cta.warps) o.bar_wait = 0;
  return true;
}

void TraceExecutor::step(exec::Cta& cta, exec::Warp& w, exec::DynInst& out, uint64_t) {
  SIM_CHECK(w.cursor != UINT32_MAX && w.runnable(), "trace replay: step on finished or waiting warp {}", w.index);
  Cursor& c = cursors_[w.cursor];
  const InstLine& l = c.next;
  const uint32_t idx = l.pc / 16;
  const SassOp& op = c.kernel->ops[idx];
  out.inst = &cta.launch->kernel->code[idx];
  out.pc = idx;
  out.active = w.live;
  out.exec = l.mask & w.live;
  out.space = l.mem_width ? op.space : exec::Space::None;
  out.bytes = static_cast<uint8_t>(std::min<uint32_t>(l.mem_width, 128));
  out.store = op.store;
  out.atomic = op.atomic;
  out.released = false;
  if (out.space != exec::Space::None) out.addr = l.addr;
  if (op.barrier) {
    w.bar_wait = w.live;
    w.bar_id = 0;
  }
  if (c.advance()) {
    w.pc = c.next.pc / 16;
  } else {  // a warp ends after its last traced instruction
    cta.live_threads -= static_cast<uint32_t>(std::popcount(w.live));
    w.live = 0;
    w.bar_wait = 0;
    ++cta.warps_done;
    free_.push_back(w.cursor);
    w.cursor = UINT32_MAX;
  }
  if (op.barrier || w.done()) out.released = try_release(cta);
}

// ---- driver -----------------------------------------------------------------------------------

proto::Report replay(const io::LoadedConfig& lc, const std::string& path, const sim::RunOptions& opt,
                     const sim::DeviceRegistry& registry) {
  const proto::SystemConfig& cfg = lc.cfg;
  const uint64_t seed = opt.seed ? *opt.seed : cfg.sim().seed();
  // Every trace is read and checked before simulation starts.
  TraceSet set = load_trace(path);
  const isa::LatencyTable lat = sim::latency_table(cfg);
  std::deque<KernelTrace>& traces = set.kernels;
  std::deque<isa::Kernel> kernels;
  // What replay read but did not time, as counters (docs/traces.md): trace.memcpy_commands,
  // trace.memcpy_bytes, trace.unknown_opcode.<NAME> (dynamic warp instructions).
  std::map<std::string, uint64_t> extra;
  extra["trace.memcpy_commands"] = 0;
  extra["trace.memcpy_bytes"] = 0;
  for (const ListEntry& e : set.list) {
    if (!e.kernel) {
      extra["trace.memcpy_commands"] += 1;
      extra["trace.memcpy_bytes"] += e.bytes;
    }
  }
  for (const KernelTrace& t : traces) {
    kernels.push_back(build_kernel(t, lat));
    for (const auto& [pc, si] : t.code)
      if (!map_sass(si.opcode).known) extra["trace.unknown_opcode." + std::string(base_opcode(si.opcode))] += si.count;
  }
  if (traces.empty()) throw InputErrors(SourceLoc{path, 0, 0}, "the trace holds no kernel");

  engine::Env env(seed);
  std::unique_ptr<sim::Device> dev = registry.make(cfg, env);
  if (!dev) throw InputErrors(lc.where.root(), "no model can simulate this config");
  if (!opt.trace.path.empty()) dev->enable_pipeline_trace(opt.trace);
  std::vector<exec::Launch> launches(traces.size());
  for (size_t i = 0; i < traces.size(); ++i) {
    exec::Launch& L = launches[i];
    const KernelTrace& t = traces[i];
    L.kernel = &kernels[i];
    L.name = t.hdr.name;
    L.grid = t.hdr.grid;
    L.block = t.hdr.block;
    const std::string why = dev->check_launch(L);
    if (!why.empty()) throw InputErrors(SourceLoc{t.path, 1, 0}, "cannot launch: " + why);
  }
  TraceExecutor ex;
  for (size_t i = 0; i < launches.size(); ++i) ex.add(&launches[i], &traces[i]);

  proto::Report rep;
  rep.set_config(cfg.name());
  rep.set_workload(path);
  rep.set_seed(seed);
  rep.set_functional(false);
  sim::simulate(cfg, *dev, env, launches, ex, opt.progress, rep);
  for (const auto& [name, v] : extra) {
    proto::Counter* c = rep.add_counters();
    c->set_name(name);
    c->set_value(v);
  }
  std::sort(rep.mutable_counters()->begin(), rep.mutable_counters()->end(),
            [](const proto::Counter& a, const proto::Counter& b) { return a.name() < b.name(); });
  rep.set_warnings(env.warnings());
  return rep;
}

}  // namespace xpusim::trace
