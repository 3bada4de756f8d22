// Semantic checks of a machine config (after defaults). Each error names the field as it
// is written in the config and the file position that set it.
#include <fmt/format.h>

#include <bit>

#include "src/io/config.h"
#include "src/io/dram_config.h"
#include "src/io/memory_config.h"

namespace xpusim::io {

namespace {

struct Checker {
  const LocationMap& where;
  ErrorList& errors;

  template <typename... A>
  void fail(const std::string& path, fmt::format_string<A...> f, A&&... a) {
    errors.add(where.find(path), path + ": " + fmt::format(f, std::forward<A>(a)...));
  }
  template <typename T>
  void at_least(const std::string& path, bool has, T v, T lo) {
    if (!has) return fail(path, "required (no default: state it with its source)");
    if (v < lo) fail(path, "must be at least {}, got {}", lo, v);
  }
  void pow2(const std::string& path, uint64_t v) {
    if (v == 0 || !std::has_single_bit(v)) fail(path, "must be a power of two, got {}", v);
  }
};

void check_units(Checker& c, const proto::SmSpec& sm) {
  bool seen[16] = {};
  for (int i = 0; i < sm.unit_size(); ++i) {
    const proto::UnitSpec& u = sm.unit(i);
    const std::string p = join_path("gpu.sm", "unit", i);
    if (u.kind() == proto::UnitSpec::KIND_UNSPECIFIED) {
      c.fail(p + ".kind", "required (INT, FP32, FP16, FP64, SFU, TENSOR, LSU, BRANCH or MISC)");
      continue;
    }
    seen[u.kind()] = true;
    c.at_least(p + ".latency_cycles", u.has_latency_cycles(), u.latency_cycles(), 1u);
    c.at_least(p + ".interval_cycles", true, u.interval_cycles(), 1u);
    if (u.lanes() < 1 || u.lanes() > 32) c.fail(p + ".lanes", "must be 1..32, got {}", u.lanes());
    else if (u.lanes() * u.interval_cycles() < 32)
      c.fail(p + ".interval_cycles", "{} lanes cannot take a 32-thread warp every {} cycle(s): at least {}", u.lanes(),
             u.interval_cycles(), (32 + u.lanes() - 1) / u.lanes());
  }
  for (int k = proto::UnitSpec::INT; k <= proto::UnitSpec::MISC; ++k)
    if (!seen[k])
      c.fail("gpu.sm.unit", "no {} unit: every unit class needs a latency (see configs/gpu/a100.textproto)",
             proto::UnitSpec::Kind_Name(static_cast<proto::UnitSpec::Kind>(k)));
}

void check_tensor(Checker& c, const proto::SmSpec& sm) {
  for (int i = 0; i < sm.tensor_size(); ++i) {
    const proto::TensorSpec& t = sm.tensor(i);
    const std::string p = join_path("gpu.sm", "tensor", i);
    int bits = 0;
    switch (t.dtype()) {
      case proto::FP16:
      case proto::BF16: bits = 16; break;
      case proto::TF32: bits = 32; break;
      case proto::FP8_E4M3:
      case proto::FP8_E5M2:
      case proto::INT8: bits = 8; break;
      case proto::INT4: bits = 4; break;
      default: c.fail(p + ".dtype", "tensor cores take FP16, BF16, TF32, FP8_E4M3, FP8_E5M2, INT8 or INT4");
    }
    const int full = bits ? 256 / bits : 0;
    if (bits && t.shape() != fmt::format("m16n8k{}", full) && t.shape() != fmt::format("m16n8k{}", full / 2))
      c.fail(p + ".shape", "'{}' is not an mma.sync shape for {} (m16n8k{} or m16n8k{})", t.shape(),
             proto::DType_Name(t.dtype()), full / 2, full);
    c.at_least(p + ".latency_cycles", t.has_latency_cycles(), t.latency_cycles(), 1u);
    c.at_least(p + ".interval_cycles", true, t.interval_cycles(), 1u);
  }
}

// gpu.l1 beyond its geometry: the L1 data cache and the shared-memory banks
// (models/memory/l1/l1_cache.h, models/memory/shared_banks.h).
void validate_l1(Checker& c, const proto::GpuSpec& g) {
  const proto::L1Spec& l1 = g.l1();
  // engine::MemReq carries a 128-byte line as a 4-bit mask of 32-byte sectors
  if (l1.line_bytes() != 128) c.fail("gpu.l1.line_bytes", "the memory system moves 128-byte lines, got {}", l1.line_bytes());
  if (l1.sector_bytes() != 32) c.fail("gpu.l1.sector_bytes", "the memory system moves 32-byte sectors, got {}", l1.sector_bytes());
  c.at_least("gpu.l1.ways", true, l1.ways(), 1u);
  c.at_least("gpu.l1.mshrs", true, l1.mshrs(), 1u);
  c.at_least("gpu.l1.mshr_merges", true, l1.mshr_merges(), 1u);
  if (l1.mshr_merges() > 255) c.fail("gpu.l1.mshr_merges", "at most 255, got {}", l1.mshr_merges());
  c.at_least("gpu.l1.miss_queue", true, l1.miss_queue(), 1u);
  c.at_least("gpu.l1.tag_lookups_per_cycle", true, l1.tag_lookups_per_cycle(), 1u);
  if (l1.has_bytes_per_cycle()) c.at_least("gpu.l1.bytes_per_cycle", true, l1.bytes_per_cycle(), 1u);
  if (l1.write_policy() == proto::WRITE_BACK)
    c.fail("gpu.l1.write_policy", "the L1 is write-through (WRITE_THROUGH_ALLOCATE or WRITE_THROUGH_NO_ALLOCATE)");
  if (l1.shared_banks() < 1 || l1.shared_banks() > 64) c.fail("gpu.l1.shared_banks", "must be 1..64, got {}", l1.shared_banks());
  if (l1.shared_bank_bytes() < 1 || l1.shared_bank_bytes() > 16)
    c.fail("gpu.l1.shared_bank_bytes", "must be 1..16, got {}", l1.shared_bank_bytes());
  for (int i = 0; i < l1.carveout_kb_size(); ++i) {
    const std::string path = "gpu.l1.carveout_kb";
    if (i > 0 && l1.carveout_kb(i) <= l1.carveout_kb(i - 1))
      c.fail(path, "carve-outs must be ascending, got {} after {}", l1.carveout_kb(i), l1.carveout_kb(i - 1));
    if (l1.has_capacity_kb() && l1.carveout_kb(i) > l1.capacity_kb())
      c.fail(path, "{} KB is more than the {} KB SRAM (gpu.l1.capacity_kb)", l1.carveout_kb(i), l1.capacity_kb());
  }
  if (l1.carveout_kb_size() && g.sm().has_shared_memory_bytes() &&
      g.sm().shared_memory_bytes() > l1.carveout_kb(l1.carveout_kb_size() - 1) * 1024ull)
    c.fail("gpu.l1.carveout_kb", "the largest carve-out ({} KB) is smaller than gpu.sm.shared_memory_bytes ({})",
           l1.carveout_kb(l1.carveout_kb_size() - 1), g.sm().shared_memory_bytes());
}

void check_sm(Checker& c, const proto::GpuSpec& g) {
  const proto::SmSpec& sm = g.sm();
  c.at_least("gpu.sm.subcores", true, sm.subcores(), 1u);
  c.pow2("gpu.sm.subcores", sm.subcores());
  c.at_least("gpu.sm.max_warps", sm.has_max_warps(), sm.max_warps(), 1u);
  c.at_least("gpu.sm.max_ctas", sm.has_max_ctas(), sm.max_ctas(), 1u);
  c.at_least("gpu.sm.registers", sm.has_registers(), sm.registers(), 1024u);
  c.at_least("gpu.sm.shared_memory_bytes", sm.has_shared_memory_bytes(), sm.shared_memory_bytes(), 0u);
  c.at_least("gpu.sm.shared_latency_cycles", sm.has_shared_latency_cycles(), sm.shared_latency_cycles(), 1u);
  if (sm.has_max_warps() && sm.max_warps() % sm.subcores())
    c.fail("gpu.sm.max_warps", "must be a multiple of gpu.sm.subcores ({}), got {}", sm.subcores(), sm.max_warps());
  if (sm.max_warps() > 4096) c.fail("gpu.sm.max_warps", "at most 4096, got {}", sm.max_warps());
  if (sm.max_threads() > sm.max_warps() * 32)
    c.fail("gpu.sm.max_threads", "{} threads do not fit in {} warps", sm.max_threads(), sm.max_warps());
  c.pow2("gpu.sm.register_alloc_unit", sm.register_alloc_unit());
  c.pow2("gpu.sm.shared_alloc_unit_bytes", sm.shared_alloc_unit_bytes());
  if (sm.has_registers() && sm.registers() % sm.register_alloc_unit())
    c.fail("gpu.sm.registers", "must be a multiple of register_alloc_unit ({}), got {}", sm.register_alloc_unit(),
           sm.registers());
  if (sm.max_shared_per_cta_bytes() > sm.shared_memory_bytes())
    c.fail("gpu.sm.max_shared_per_cta_bytes", "{} exceeds the SM's shared memory ({})", sm.max_shared_per_cta_bytes(),
           sm.shared_memory_bytes());
  if (g.l1().has_capacity_kb() && sm.shared_memory_bytes() > g.l1().capacity_kb() * 1024ull)
    c.fail("gpu.sm.shared_memory_bytes", "{} bytes of shared memory exceed the {} KB L1/shared SRAM (gpu.l1.capacity_kb)",
           sm.shared_memory_bytes(), g.l1().capacity_kb());
  const proto::RegisterFileSpec& rf = sm.register_file();
  if (rf.banks() < 1 || rf.banks() > 8) c.fail("gpu.sm.register_file.banks", "must be 1..8, got {}", rf.banks());
  if (rf.read_ports_per_bank() < 1 || rf.read_ports_per_bank() > 8)
    c.fail("gpu.sm.register_file.read_ports_per_bank", "must be 1..8, got {}", rf.read_ports_per_bank());
  if (rf.read_cycles() < 1 || rf.read_cycles() > 16)
    c.fail("gpu.sm.register_file.read_cycles", "must be 1..16, got {}", rf.read_cycles());
  if (rf.cache().slots() > 4) c.fail("gpu.sm.register_file.cache.slots", "at most 4 source slots, got {}", rf.cache().slots());
  if (sm.subcores() > 8) c.fail("gpu.sm.subcores", "at most 8, got {}", sm.subcores());
  const proto::FrontEndSpec& fe = sm.front_end();
  c.at_least("gpu.sm.front_end.ibuffer_entries", true, fe.ibuffer_entries(), 1u);
  for (const char* which : {"l0i", "l1i"}) {
    const proto::CacheGeometry& g = std::string(which) == "l0i" ? fe.l0i() : fe.l1i();
    const std::string p = std::string("gpu.sm.front_end.") + which;
    c.pow2(p + ".line_bytes", g.line_bytes());
    if (g.line_bytes() < 16) c.fail(p + ".line_bytes", "at least one 16-byte instruction, got {}", g.line_bytes());
    c.at_least(p + ".ways", true, g.ways(), 1u);
    const uint64_t set_bytes = uint64_t{g.line_bytes()} * std::max(1u, g.ways());
    if (g.size_bytes() == 0 || g.size_bytes() % set_bytes || !std::has_single_bit(g.size_bytes() / set_bytes))
      c.fail(p + ".size_bytes", "must be a power-of-two number of sets of {} x {} bytes, got {}", g.ways(),
             g.line_bytes(), g.size_bytes());
  }
  const proto::LsuSpec& lsu = sm.lsu();
  c.at_least("gpu.sm.lsu.subcore_queue", true, lsu.subcore_queue(), 1u);
  c.at_least("gpu.sm.lsu.address_cycles", true, lsu.address_cycles(), 1u);
  c.at_least("gpu.sm.lsu.shared_interval_cycles", true, lsu.shared_interval_cycles(), 1u);
  c.at_least("gpu.sm.lsu.pending_requests", true, lsu.pending_requests(), 1u);
  c.at_least("gpu.sm.lsu.lines_per_cycle", true, lsu.lines_per_cycle(), 1u);
  check_units(c, sm);
  check_tensor(c, sm);
}

}  // namespace

void validate_config(const proto::SystemConfig& cfg, const LocationMap& where, ErrorList& errors) {
  Checker c{where, errors};
  if (!cfg.has_gpu()) {
    errors.add(where.root(), "the config has no gpu { ... } section");
    return;
  }
  const proto::GpuSpec& g = cfg.gpu();
  if (!g.has_core_clock_mhz() || !(g.core_clock_mhz() > 0))
    c.fail("gpu.core_clock_mhz", "must be a positive clock in MHz{}", g.has_core_clock_mhz() ? fmt::format(", got {}", g.core_clock_mhz()) : "");
  c.at_least("gpu.num_sms", g.has_num_sms(), g.num_sms(), 1u);
  if (g.num_sms() > 4096) c.fail("gpu.num_sms", "at most 4096, got {}", g.num_sms());
  check_sm(c, g);
  const proto::L1Spec& l1 = g.l1();
  c.pow2("gpu.l1.line_bytes", l1.line_bytes());
  c.pow2("gpu.l1.sector_bytes", l1.sector_bytes());
  if (l1.sector_bytes() > l1.line_bytes())
    c.fail("gpu.l1.sector_bytes", "{} is larger than the line ({} bytes)", l1.sector_bytes(), l1.line_bytes());
  validate_l1(c, g);
  if (g.dram().has_bus_width_bits() && g.dram().bus_width_bits() == 0) c.fail("gpu.dram.bus_width_bits", "must be positive");
  if (g.dram().has_data_rate_mtps() && !(g.dram().data_rate_mtps() > 0))
    c.fail("gpu.dram.data_rate_mtps", "must be positive, got {}", g.dram().data_rate_mtps());
  c.at_least("gpu.ideal_memory.latency_cycles", g.ideal_memory().has_latency_cycles(), g.ideal_memory().latency_cycles(), 1u);
  validate_memory_config(g, where, errors);  // gpu.noc, gpu.l2: validate_memory.cc
  validate_dram(g, where, errors);           // gpu.dram: validate_dram.cc
}

}  // namespace xpusim::io
