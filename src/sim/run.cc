#include "src/sim/run.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <unistd.h>

#include "src/engine/component.h"
#include "src/energy/analysis.h"
#include "src/exec/executor.h"
#include "src/isa/assembler.h"
#include "src/sim/checks.h"
#include "src/sim/inst_timing.h"
#include "src/sim/progress.h"
#include "src/workload/buffer.h"
#include "src/workload/npy.h"

namespace xpusim::sim {

namespace {

using Snapshot = std::vector<std::pair<std::string, uint64_t>>;

// ---- kernels and arguments ------------------------------------------------------------------

struct Kernels {
  std::map<std::pair<std::string, std::string>, std::vector<isa::Kernel>> files;

  const isa::Kernel& get(const io::LoadedWorkload& wl, int i, const isa::AsmOptions& opt) {
    const proto::Launch& l = wl.wl.launch(i);
    const std::string path = wl.resolve(l.kernel());
    auto key = std::make_pair(path, std::string());
    auto it = files.find(key);
    if (it == files.end()) it = files.emplace(key, isa::assemble_file(path, opt)).first;
    const auto& ks = it->second;
    if (l.entry().empty()) {
      if (ks.size() > 1)
        throw InputErrors(wl.where.find(io::join_path("", "launch", i) + ".kernel"),
                          fmt::format("'{}' holds {} kernels: name one with entry: \"...\"", path, ks.size()));
      return ks[0];
    }
    for (const auto& k : ks)
      if (k.name == l.entry()) return k;
    throw InputErrors(wl.where.find(io::join_path("", "launch", i) + ".entry"),
                      fmt::format("no kernel named '{}' in '{}'", l.entry(), path));
  }
};

void put(std::vector<uint8_t>& p, uint32_t off, const void* v, size_t n) {
  if (p.size() < off + n) p.resize(off + n, 0);
  std::memcpy(p.data() + off, v, n);
}

// Packs a launch's arguments into the parameter block, checking them against .param.
std::vector<uint8_t> pack_args(const io::LoadedWorkload& wl, int li, const isa::Kernel& k,
                               const std::map<std::string, uint64_t>& addr) {
  const proto::Launch& l = wl.wl.launch(li);
  const std::string lp = io::join_path("", "launch", li);
  if (static_cast<size_t>(l.arg_size()) != k.params.size())
    throw InputErrors(wl.where.find(lp), fmt::format("kernel '{}' takes {} parameters, the launch passes {} args",
                                                     k.name, k.params.size(), l.arg_size()));
  std::vector<uint8_t> p;
  ErrorList errors;
  for (int i = 0; i < l.arg_size(); ++i) {
    const proto::Arg& a = l.arg(i);
    const isa::Param& prm = k.params[static_cast<size_t>(i)];
    const uint32_t off = prm.offset - isa::kCbParams;
    const SourceLoc where = wl.where.find(io::join_path(lp, "arg", i));
    auto bad = [&](const char* want) {
      errors.addf(where, "argument {} ('{}') of kernel '{}' is a {} parameter: pass {}", i + 1, prm.name, k.name,
                  prm.type == isa::ParamType::U64 ? "u64" : prm.type == isa::ParamType::S64 ? "s64"
                  : prm.type == isa::ParamType::U32 ? "u32" : prm.type == isa::ParamType::S32 ? "s32"
                  : prm.type == isa::ParamType::F32 ? "f32" : "f64", want);
    };
    switch (prm.type) {
      case isa::ParamType::U64:
      case isa::ParamType::S64: {
        uint64_t v;
        if (a.has_buffer()) v = addr.at(a.buffer());
        else if (a.has_u64()) v = a.u64();
        else if (a.has_s64()) v = static_cast<uint64_t>(a.s64());
        else { bad("buffer, u64 or s64"); break; }
        put(p, off, &v, 8);
        break;
      }
      case isa::ParamType::U32:
      case isa::ParamType::S32: {
        uint32_t v;
        if (a.has_u32()) v = a.u32();
        else if (a.has_s32()) v = static_cast<uint32_t>(a.s32());
        else { bad("u32 or s32"); break; }
        put(p, off, &v, 4);
        break;
      }
      case isa::ParamType::F32: {
        if (!a.has_f32()) { bad("f32"); break; }
        const float v = a.f32();
        put(p, off, &v, 4);
        break;
      }
      case isa::ParamType::F64: {
        if (!a.has_f64() && !a.has_f32()) { bad("f64"); break; }
        const double v = a.has_f64() ? a.f64() : a.f32();
        put(p, off, &v, 8);
        break;
      }
    }
  }
  errors.throw_if_any();
  return p;
}

// ---- statistics -------------------------------------------------------------------------------

uint64_t sum_suffix(const Snapshot& s, const std::string& suffix) {
  uint64_t t = 0;
  for (const auto& [n, v] : s)
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        n[n.size() - suffix.size() - 1] == '.')
      t += v;
  return t;
}

Snapshot diff(const Snapshot& after, const Snapshot& before) {
  Snapshot d = after;
  size_t j = 0;
  for (auto& [n, v] : d) {
    while (j < before.size() && before[j].first < n) ++j;
    if (j < before.size() && before[j].first == n) v -= before[j].second;
  }
  return d;
}

void fill_mix(const Snapshot& s, google::protobuf::RepeatedPtrField<proto::MixEntry>* mix) {
  for (int u = 0; u < static_cast<int>(isa::Unit::kCount); ++u) {
    const std::string name = isa::unit_name(static_cast<isa::Unit>(u));
    const uint64_t w = sum_suffix(s, "inst." + name);
    if (!w) continue;
    proto::MixEntry* e = mix->Add();
    e->set_name(name);
    e->set_warp_instructions(w);
    e->set_thread_instructions(sum_suffix(s, "thread_inst." + name));
  }
}

// ---- running one kernel ---------------------------------------------------------------------

void run_kernel(Device& dev, engine::Env& env, const exec::Launch& launch, exec::Executor* ex, uint64_t max_cycles,
                Progress& progress) {
  const engine::ClockDomain& clk = dev.core_clock();
  const engine::Tick start = engine::now_tick();
  dev.begin_kernel(launch, ex);
  const sc_core::sc_time slice = sc_core::sc_time::from_value(clk.period() * 20000);
  while (!dev.kernel_done()) {
    if (!sc_core::sc_pending_activity()) {
      std::string stuck;
      size_t shown = 0, busy = 0;
      for (engine::Component* c : env.components()) {
        if (!c->busy()) continue;
        if (++busy <= 6) stuck += c->describe(), ++shown;
      }
      if (busy > shown) stuck += fmt::format("... and {} more busy units\n", busy - shown);
      if (dev.stuck_at_barriers())
        throw exec::KernelFault(SourceLoc{launch.kernel->file, 0, 0},
                                fmt::format("kernel '{}' deadlocked at cycle {}: every unfinished warp waits at a "
                                            "barrier that can no longer complete:\n{}",
                                            launch.name, clk.cycle(engine::now_tick() - start), stuck));
      throw ModelError(fmt::format("deadlock in kernel '{}' at cycle {}: nothing can make progress. Stuck units:\n{}",
                                   launch.name, clk.cycle(engine::now_tick() - start), stuck));
    }
    sc_core::sc_start(slice, sc_core::SC_EXIT_ON_STARVATION);
    env.rethrow_failure();
    const uint64_t cycles = clk.cycle(engine::now_tick() - start);
    if (max_cycles && cycles > max_cycles)
      throw InputErrors(SourceLoc{}, fmt::format("kernel '{}' ran past sim.max_cycles = {} (raise it, or --set sim.max_cycles=0)",
                                                 launch.name, max_cycles));
    progress.update(cycles);
  }
}

}  // namespace

void simulate(const proto::SystemConfig& cfg, Device& dev, engine::Env& env, const std::vector<exec::Launch>& launches,
              exec::Executor& ex, bool show_progress, proto::Report& rep) {
  const engine::ClockDomain& clk = dev.core_clock();
  Progress progress(show_progress, launches.size());
  uint64_t total_cycles = 0;
  for (size_t i = 0; i < launches.size(); ++i) {
    const exec::Launch& L = launches[i];
    progress.begin_kernel(i, L.name);
    const Snapshot before = env.stats().snapshot();
    const uint64_t start_cycle = clk.cycle(engine::now_tick());
    run_kernel(dev, env, L, &ex, cfg.sim().max_cycles(), progress);
    const uint64_t cycles = clk.cycle(dev.kernel_end()) - start_cycle;
    const Snapshot d = diff(env.stats().snapshot(), before);
    proto::KernelReport* k = rep.add_kernels();
    k->set_name(L.name);
    k->set_index(static_cast<uint32_t>(i));
    k->set_start_cycle(start_cycle);
    k->set_cycles(cycles);
    k->set_time_s(clk.seconds(cycles));
    k->set_warp_instructions(sum_suffix(d, "warp_instructions"));
    k->set_thread_instructions(sum_suffix(d, "thread_instructions"));
    k->set_ipc(cycles ? static_cast<double>(k->warp_instructions()) / cycles : 0);
    fill_mix(d, k->mutable_instruction_mix());
    k->set_ctas(static_cast<uint32_t>(L.grid.count()));
    k->set_threads_per_cta(L.threads_per_cta());
    k->set_registers_per_thread(L.kernel->regs);
    k->set_shared_bytes_per_cta(L.shared_bytes_per_cta());
    const Occupancy occ = dev.occupancy(L);
    k->set_ctas_per_sm(occ.ctas_per_sm);
    k->set_occupancy_limiter(occ.limiter);
    k->set_theoretical_occupancy(occ.theoretical);
    dev.fill_report(d, k);
    energy::analyse_kernel(cfg, d, k);  // energy and roofline (src/energy)
    total_cycles += cycles;
  }
  progress.finish();
  dev.finish();

  const Snapshot all = env.stats().snapshot();
  rep.set_cycles(total_cycles);
  rep.set_time_s(clk.seconds(total_cycles));
  rep.set_warp_instructions(sum_suffix(all, "warp_instructions"));
  rep.set_thread_instructions(sum_suffix(all, "thread_instructions"));
  rep.set_ipc(total_cycles ? static_cast<double>(rep.warp_instructions()) / total_cycles : 0);
  fill_mix(all, rep.mutable_instruction_mix());
  std::map<std::string, uint64_t> stalls;  // all kernels: sum the per-kernel entries
  for (const auto& k : rep.kernels())
    for (const auto& e : k.stalls()) stalls[e.reason()] += e.warp_cycles();
  uint64_t stall_total = 0;
  for (const auto& [r, v] : stalls) stall_total += v;
  for (const auto& k : rep.kernels())  // keep the model's order (the first kernel's)
    for (const auto& e : k.stalls()) {
      if (!stalls.count(e.reason())) continue;
      proto::StallEntry* s = rep.add_stalls();
      s->set_reason(e.reason());
      s->set_warp_cycles(stalls[e.reason()]);
      s->set_fraction(static_cast<double>(stalls[e.reason()]) / stall_total);
      stalls.erase(e.reason());
    }
  energy::analyse_run(&rep);
  for (const auto& [n, v] : all) {
    proto::Counter* c = rep.add_counters();
    c->set_name(n);
    c->set_value(v);
  }
}

proto::Report run(const io::LoadedConfig& lc, const io::LoadedWorkload& lw, const RunOptions& opt,
                  const DeviceRegistry& registry) {
  const proto::SystemConfig& cfg = lc.cfg;
  const uint64_t seed = opt.seed ? *opt.seed : cfg.sim().seed();
  const bool functional = cfg.sim().functional() && !opt.timing_only;

  // Kernels, buffers and arguments: every input problem surfaces before simulation starts.
  isa::AsmOptions aopt;
  aopt.latency = latency_table(cfg);
  Kernels kernels;
  std::vector<const isa::Kernel*> kptr;
  for (int i = 0; i < lw.wl.launch_size(); ++i) kptr.push_back(&kernels.get(lw, i, aopt));
  std::vector<workload::BufferData> bufs;
  for (int i = 0; i < lw.wl.buffer_size(); ++i)
    bufs.push_back(workload::make_buffer(lw.wl.buffer(i), lw.dir, seed, lw.where.find(io::join_path("", "buffer", i))));

  engine::Env env(seed);
  std::unique_ptr<Device> dev = registry.make(cfg, env);
  if (!dev) throw InputErrors(lc.where.root(), "no model can simulate this config");
  if (!opt.trace.path.empty()) dev->enable_pipeline_trace(opt.trace);
  exec::GlobalMemory gmem;
  std::map<std::string, uint64_t> addr;
  for (const auto& b : bufs) {
    addr[b.name] = gmem.allocate(b.bytes.size(), b.name);
    gmem.write(addr[b.name], b.bytes.data(), b.bytes.size());
  }
  std::vector<exec::Launch> launches(static_cast<size_t>(lw.wl.launch_size()));
  for (int i = 0; i < lw.wl.launch_size(); ++i) {
    const proto::Launch& l = lw.wl.launch(i);
    exec::Launch& L = launches[static_cast<size_t>(i)];
    L.kernel = kptr[static_cast<size_t>(i)];
    L.name = l.name().empty() ? L.kernel->name : l.name();
    L.grid = {l.grid().has_x() ? l.grid().x() : 1, l.grid().has_y() ? l.grid().y() : 1, l.grid().has_z() ? l.grid().z() : 1};
    L.block = {l.block().has_x() ? l.block().x() : 1, l.block().has_y() ? l.block().y() : 1,
               l.block().has_z() ? l.block().z() : 1};
    L.dynamic_shared_bytes = l.dynamic_shared_bytes();
    L.cbank = exec::make_cbank(*L.kernel, L.grid, L.block, pack_args(lw, i, *L.kernel, addr));
    const std::string why = dev->check_launch(L);
    if (!why.empty()) throw InputErrors(lw.where.find(io::join_path("", "launch", i)), "cannot launch: " + why);
  }

  // Simulate.
  exec::Executor ex(gmem);
  ex.set_timing_only(!functional);
  proto::Report rep;
  rep.set_config(cfg.name());
  rep.set_workload(lw.wl.name());
  rep.set_seed(seed);
  rep.set_functional(functional);
  simulate(cfg, *dev, env, launches, ex, opt.progress, rep);

  // Outputs back to the host, then checks and dumps.
  for (auto& b : bufs) gmem.read(addr[b.name], b.bytes.data(), b.bytes.size());
  if (functional) run_checks(lw, bufs, &rep);
  if (!opt.dump_dir.empty()) {
    std::filesystem::create_directories(opt.dump_dir);
    for (const auto& b : bufs)
      workload::write_npy((std::filesystem::path(opt.dump_dir) / (b.name + ".npy")).string(), workload::to_npy(b));
  }
  rep.set_warnings(env.warnings());
  return rep;
}

}  // namespace xpusim::sim
