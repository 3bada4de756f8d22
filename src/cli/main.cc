// xpusim command line: parse arguments -> load inputs -> run -> write the report.
//   xpusim run  --config C --workload W [--set path=value]... [--seed N] [--out DIR] ...
//   xpusim run  --config C --trace kernelslist.g|FILE.xtrace [--out DIR] ...   (trace replay)
//   xpusim trace-info kernelslist.g|FILE.xtrace
//   xpusim trace-convert IN OUT      (Accel-Sim text <-> our binary trace format)
//   xpusim info --config C [--set path=value]...
//   xpusim asm  KERNEL.xasm [--config C]
// Exit codes: 0 success, 1 simulator error, 2 bad input, 3 a check failed.
#include <array>
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <google/protobuf/text_format.h>
#include <systemc>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "models/registry.h"
#include "src/engine/error.h"
#include "src/exec/executor.h"
#include "src/sim/inst_timing.h"
#include "src/io/config.h"
#include "src/io/derived.h"
#include "src/io/json.h"
#include "src/io/report_views.h"
#include "src/io/summary.h"
#include "src/io/workload_file.h"
#include "src/isa/assembler.h"
#include "models/memory/dram/dram_stream.h"
#include "src/io/dram_config.h"
#include "src/sim/run.h"
#include "src/trace/replay.h"
#include "src/trace/trace_convert.h"
#include "src/trace/trace_info.h"
#include "src/trace/trace_set.h"

using namespace xpusim;

namespace {

struct Args {
  std::string config, workload, out = "xpusim_out", dump, kernel;
  std::string sass_trace;  // --trace: an Accel-Sim kernelslist.g or a binary trace to replay
  std::string convert_out;  // trace-convert OUT
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;
  bool quiet = false, no_progress = false, timing_only = false;
  std::string trace, trace_warps = "0-3";
  int trace_sm = 0;
  int64_t trace_cta = -1;
  uint64_t trace_limit = 200000;
};

int cmd_run(const Args& a) {
  if (a.workload.empty() == a.sass_trace.empty())
    throw InputErrors(SourceLoc{"<command line>", 0, 0}, "--workload is required (or --trace kernelslist.g to replay an Accel-Sim trace), not both");
  const io::LoadedConfig cfg = io::load_config(a.config, a.sets);
  sim::DeviceRegistry reg;
  models::register_all(reg);
  sim::RunOptions opt;
  opt.seed = a.seed;
  opt.dump_dir = a.dump;
  opt.progress = !a.quiet && !a.no_progress;
  opt.timing_only = a.timing_only;
  if (!a.trace.empty()) {
    opt.trace.path = a.trace;
    opt.trace.sm = a.trace_sm;
    opt.trace.max_events = a.trace_limit;
    opt.trace.cta = a.trace_cta < 0 ? UINT32_MAX : static_cast<uint32_t>(a.trace_cta);
    unsigned lo = 0, hi = 0;
    char dash = 0;
    if (std::sscanf(a.trace_warps.c_str(), "%u%c%u", &lo, &dash, &hi) == 3 && dash == '-' && lo <= hi) {
      opt.trace.first_warp = lo;
      opt.trace.last_warp = hi;
    } else if (std::sscanf(a.trace_warps.c_str(), "%u", &lo) == 1 && a.trace_warps.find('-') == std::string::npos) {
      opt.trace.first_warp = opt.trace.last_warp = lo;
    } else {
      throw InputErrors(SourceLoc{"<command line>", 0, 0},
                        "--trace-warps '" + a.trace_warps + "': expected a warp index or a range like 0-3");
    }
  }
  const proto::Report rep = a.sass_trace.empty() ? sim::run(cfg, io::load_workload(a.workload), opt, reg)
                                                 : trace::replay(cfg, a.sass_trace, opt, reg);
  std::filesystem::create_directories(a.out);
  const std::string path = (std::filesystem::path(a.out) / "report.json").string();
  io::write_file_atomic(path, io::to_json(rep));
  io::write_report_views(rep, a.out);  // report.html, report.csv beside it
  if (!a.quiet) {
    fmt::print("{}  report: {}\n", io::format_summary(rep), path);
    for (const auto& c : rep.counters()) {  // what trace replay did not time (docs/traces.md)
      const std::string_view name = c.name();
      if (name == "trace.memcpy_commands") fmt::print("trace: {} memory copies counted, not timed\n", c.value());
      if (name.rfind("trace.unknown_opcode.", 0) == 0)
        fmt::print("trace: unknown opcode {} ({} warp instructions) timed as a generic INT instruction\n",
                   name.substr(21), c.value());
    }
  }
  return rep.checks_passed() || rep.checks_size() == 0 ? kExitOk : kExitCheckFailed;
}

// What a trace holds, kernel by kernel, without simulating it.
int cmd_trace_info(const Args& a) {
  const trace::TraceSet set = trace::load_trace(a.sass_trace);
  auto k = set.kernels.begin();
  for (const trace::ListEntry& e : set.list) {
    if (e.kernel) fmt::print("{}", trace::describe(*k++));
    else fmt::print("{} {} bytes to 0x{:x} (not timed by replay)\n", e.command, e.bytes, e.addr);
  }
  return kExitOk;
}

int cmd_trace_convert(const Args& a) {
  const trace::ConvertResult r = trace::convert(a.sass_trace, a.convert_out);
  fmt::print("{}\n", trace::convert_summary(r, a.sass_trace, a.convert_out));
  return kExitOk;
}

int cmd_info(const Args& a) {
  const io::LoadedConfig cfg = io::load_config(a.config, a.sets);
  std::string text;
  google::protobuf::TextFormat::PrintToString(cfg.cfg, &text);
  fmt::print("# effective config: {} (after base, --set and defaults)\n{}\n# derived figures\n{}", a.config, text,
             io::format_figures(io::derived_figures(cfg.cfg)));
  return kExitOk;
}

int cmd_asm(const Args& a) {
  isa::AsmOptions opt;
  if (!a.config.empty()) opt.latency = sim::latency_table(io::load_config(a.config, a.sets).cfg);
  for (const isa::Kernel& k : isa::assemble_file(a.kernel, opt)) {
    fmt::print(".kernel {}   # {} registers, {} B shared, control bits {}\n", k.name, k.regs, k.shared_bytes,
               k.ctrl_given ? "as written" : "filled by the assembler");
    std::array<size_t, static_cast<size_t>(isa::Unit::kCount)> mix{};
    for (size_t pc = 0; pc < k.code.size(); ++pc) {
      fmt::print("  /*{:04x}*/ {}\n", pc * 16, isa::format_inst(k.code[pc]));
      ++mix[static_cast<size_t>(k.code[pc].unit)];
    }
    // The static mix: what `xpusim run` weighs by execution counts (its instruction mix, FLOPs
    // and bytes per level need the workload's launch).
    std::string m;
    for (size_t u = 0; u < mix.size(); ++u)
      if (mix[u]) m += fmt::format(" {} {}", isa::unit_name(static_cast<isa::Unit>(u)), mix[u]);
    fmt::print("# {} instructions:{}\n", k.code.size(), m);
  }
  return kExitOk;
}

// Hidden: the DRAM model alone under a synthetic read stream (benchmarks/dram_stream.py,
// docs/models/dram.md). The device is a machine config's gpu.dram or a preset file.
struct StreamArgs {
  std::string preset, pattern = "sequential";
  uint64_t lines = 20000;
};
int cmd_dram_stream(const Args& a, const StreamArgs& s) {
  proto::GpuSpec g;
  if (!a.config.empty()) {
    g = io::load_config(a.config, a.sets).cfg.gpu();
  } else {
    const SourceLoc cli{"<command line>", 0, 0};
    if (s.preset.empty()) throw InputErrors(cli, "dram-stream needs --config or --preset");
    g.set_memory_model(proto::HIERARCHY);
    io::LocationMap where;
    io::parse_text_file(s.preset, g.mutable_dram(), &where);
    io::apply_dram_defaults(g);
    ErrorList errors;
    io::validate_dram(g, where, errors);
    errors.throw_if_any();
  }
  const std::pair<const char*, mem::DramStreamPattern> patterns[] = {
      {"sequential", mem::DramStreamPattern::Sequential},
      {"random-lines", mem::DramStreamPattern::RandomLines},
      {"random-sectors", mem::DramStreamPattern::RandomSectors}};
  const auto* pat = std::find_if(std::begin(patterns), std::end(patterns), [&](const auto& p) { return s.pattern == p.first; });
  if (pat == std::end(patterns))
    throw InputErrors(SourceLoc{"<command line>", 0, 0},
                      "--pattern '" + s.pattern + "': expected sequential, random-lines or random-sectors");
  const mem::DramParams p = mem::DramParams::from(g.dram());
  const mem::DramStreamResult r = mem::run_dram_stream(p, pat->second, s.lines, a.seed.value_or(1));
  fmt::print("{{\"pattern\": \"{}\", \"requests\": {}, \"dram_cycles\": {}, \"peak_gbps\": {:.1f}, \"achieved_gbps\": {:.1f}, "
             "\"efficiency\": {:.4f}, \"row_hit_rate\": {:.4f}, \"read_latency_ns\": {:.1f}, \"refreshes\": {}}}\n",
             s.pattern, r.lines, r.cycles, r.peak_bytes_per_second / 1e9, r.achieved_bytes_per_second / 1e9, r.efficiency,
             r.row_hit_rate, r.avg_read_latency_ns, r.refreshes);
  return kExitOk;
}

}  // namespace

int sc_main(int, char**) { return 0; }  // libsystemc wants one; main() below drives SystemC

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  CLI::App app{"xpusim: cycle-accurate simulator of GPUs and AI accelerators"};
  app.require_subcommand(1);
  Args a;
  CLI::App* run = app.add_subcommand("run", "simulate a workload on a machine");
  run->add_option("--config,-c", a.config, "machine config (.textproto)")->required();
  run->add_option("--workload,-w", a.workload, "workload (.textproto)");
  run->add_option("--trace", a.sass_trace,
                  "replay a SASS trace instead of a workload: an Accel-Sim kernelslist.g or a binary trace of ours");
  run->add_option("--set", a.sets, "override a config field: path.to.field=value (repeatable)");
  run->add_option("--seed", a.seed, "random seed (overrides sim.seed)");
  run->add_option("--out,-o", a.out, "directory for report.json")->capture_default_str();
  run->add_option("--dump-buffers", a.dump, "write every buffer as .npy into this directory after the run");
  run->add_flag("--quiet,-q", a.quiet, "print nothing on success");
  run->add_flag("--no-progress", a.no_progress, "no progress line on a terminal");
  run->add_flag("--timing-only", a.timing_only,
                "skip value-only arithmetic (for kernels whose control flow and addresses do not depend on it)");
  run->add_option("--pipeline-trace", a.trace, "write the pipeline view (Chrome trace JSON) to this file");
  run->add_option("--trace-sm", a.trace_sm, "SM of the pipeline view")->capture_default_str();
  run->add_option("--trace-cta", a.trace_cta, "CTA (linear id) of the pipeline view (default: any)");
  run->add_option("--trace-warps", a.trace_warps, "warp range of the pipeline view, e.g. 0-3")->capture_default_str();
  run->add_option("--trace-limit", a.trace_limit, "events after which the pipeline view stops growing")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI::App* ti = app.add_subcommand("trace-info", "summarise a SASS trace: mix, registers, FLOPs, bytes");
  ti->add_option("trace", a.sass_trace, "the trace: an Accel-Sim kernelslist.g or a binary trace of ours")->required();
  CLI::App* tc = app.add_subcommand("trace-convert", "convert an Accel-Sim trace to our binary format, or back");
  tc->add_option("in", a.sass_trace, "an Accel-Sim kernelslist.g, or a binary trace of ours")->required();
  tc->add_option("out", a.convert_out,
                 "the binary file to write, or (from a binary trace) the directory for kernelslist.g and the .traceg files")
      ->required();
  CLI::App* info = app.add_subcommand("info", "print the effective config and the figures derived from it");
  info->add_option("--config,-c", a.config, "machine config (.textproto)")->required();
  info->add_option("--set", a.sets, "override a config field (repeatable)");
  CLI::App* as = app.add_subcommand("asm", "assemble a kernel and print it with its control bits");
  as->add_option("kernel", a.kernel, "kernel file (.xasm)")->required();
  as->add_option("--config,-c", a.config, "take the control-bit latencies from this machine");
  as->add_option("--set", a.sets, "override a config field (repeatable)");
  StreamArgs sa;
  CLI::App* ds = app.add_subcommand("dram-stream", "the DRAM model alone under a synthetic read stream");
  ds->group("");  // hidden: a benchmark tool (benchmarks/dram_stream.py)
  ds->add_option("--config,-c", a.config, "machine config: its gpu.dram");
  ds->add_option("--preset", sa.preset, "or a DRAM preset file (configs/memory/*.textproto)");
  ds->add_option("--set", a.sets, "override a config field (repeatable)");
  ds->add_option("--pattern", sa.pattern, "sequential, random-lines or random-sectors")->capture_default_str();
  ds->add_option("--lines", sa.lines, "requests to complete at controller 0")->capture_default_str()->check(CLI::PositiveNumber);
  ds->add_option("--seed", a.seed, "random seed");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "xpusim: {}\nRun 'xpusim --help' for usage.\n", e.what());
    return kExitInputError;
  }
  try {
    sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);  // SystemC chatter
    if (*run) return cmd_run(a);
    if (*info) return cmd_info(a);
    if (*ti) return cmd_trace_info(a);
    if (*tc) return cmd_trace_convert(a);
    if (*ds) return cmd_dram_stream(a, sa);
    return cmd_asm(a);
  } catch (const InputErrors& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitInputError;
  } catch (const ModelError& e) {
    fmt::print(stderr, "xpusim: simulator error: {}\n", e.what());
    return kExitModelError;
  }
}
