#include "src/trace/trace_info.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "src/trace/sass_map.h"

namespace xpusim::trace {

namespace {

// FLOPs one thread performs for a scalar or packed floating-point opcode (0: none); MMAs are
// counted per warp in figures().
double thread_flops(const SassOp& m, std::string_view opcode) {
  switch (m.op) {
    case isa::Op::FFMA: case isa::Op::DFMA: return 2;
    case isa::Op::FADD: case isa::Op::FMUL: case isa::Op::DADD: case isa::Op::DMUL: return 1;
    case isa::Op::HFMA2: return opcode.find(".MMA") != std::string_view::npos ? 0 : 4;  // HFMA2.MMA: a move
    case isa::Op::HADD2: case isa::Op::HMUL2: return 2;
    default: return 0;
  }
}

}  // namespace

TraceFigures figures(const KernelTrace& t) {
  TraceFigures f;
  for (const auto& [pc, si] : t.code) {
    const SassOp m = map_sass(si.opcode);
    f.warp_instructions += si.count;
    f.thread_instructions += si.threads;
    if (m.unit == isa::Unit::TENSOR) {
      uint8_t k = 0;
      isa::DataType ab;
      if (mma_shape(si.opcode, k, ab)) {
        const double mrows = si.opcode.find(".88") != std::string::npos ? 8 : 16;  // m8n8k4, m8n8k16, ...
        f.flops += 2.0 * mrows * 8 * k * static_cast<double>(si.count);
      }
    } else {
      f.flops += thread_flops(m, si.opcode) * static_cast<double>(si.threads);
    }
    const uint64_t bytes = si.threads * si.mem_width;
    if (m.space == exec::Space::Global) f.global_bytes += bytes;
    else if (m.space == exec::Space::Shared) f.shared_bytes += bytes;
    else if (m.space == exec::Space::Local) f.local_bytes += bytes;
  }
  return f;
}

std::string describe(const KernelTrace& t) {
  const KernelHeader& h = t.hdr;
  std::string s = fmt::format(
      "kernel {} (id {}): {}\n  grid ({},{},{}) x block ({},{},{}), {} registers/thread, {} B shared/CTA, sm_{}, "
      "tracer {} (nvbit {})\n",
      h.name, h.id, t.path, h.grid.x, h.grid.y, h.grid.z, h.block.x, h.block.y, h.block.z, h.nregs, h.shmem,
      h.binary_version, h.tracer_version, h.nvbit_version.empty() ? "?" : h.nvbit_version);
  const TraceFigures f = figures(t);
  s += fmt::format("  {} warp instructions ({} thread), {} distinct pcs, {} {}\n", f.warp_instructions,
                   f.thread_instructions, t.code.size(), t.lines, t.bin ? "records" : "lines");
  s += fmt::format("  FLOPs {:.4g}; bytes requested: global {}, shared {}, local {}; FLOP/byte (global) {:.3g}\n",
                   f.flops, f.global_bytes, f.shared_bytes, f.local_bytes,
                   f.global_bytes ? f.flops / static_cast<double>(f.global_bytes) : 0.0);
  std::map<std::string, uint64_t> by_unit, by_op, unknown;
  for (const auto& [pc, si] : t.code) {
    const SassOp m = map_sass(si.opcode);
    by_unit[isa::unit_name(m.unit)] += si.count;
    by_op[si.opcode] += si.count;
    if (!m.known) unknown[std::string(base_opcode(si.opcode))] += si.count;
  }
  s += "  mix by unit:";
  for (const auto& [u, n] : by_unit)
    s += fmt::format("  {} {:.1f}%", u, 100.0 * static_cast<double>(n) / static_cast<double>(f.warp_instructions));
  s += "\n  by opcode:\n";
  std::vector<std::pair<uint64_t, std::string>> ops;
  for (const auto& [o, n] : by_op) ops.emplace_back(n, o);
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  for (const auto& [n, o] : ops) s += fmt::format("    {:<28} {:>12}\n", o, n);
  for (const auto& [o, n] : unknown) s += fmt::format("  unknown opcode {} ({} warp instructions): timed as a generic INT instruction\n", o, n);
  return s;
}

}  // namespace xpusim::trace
