#include "src/io/summary.h"
#include "src/io/report_views.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace xpusim::io {

namespace {

std::string grouped(uint64_t v) {  // 1234567 -> "1,234,567"
  const std::string digits = std::to_string(v);
  std::string s;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

std::string duration(double s) {
  if (s >= 1) return fmt::format("{:.3f} s", s);
  if (s >= 1e-3) return fmt::format("{:.3f} ms", s * 1e3);
  return fmt::format("{:.2f} us", s * 1e6);
}

std::string mix_line(const google::protobuf::RepeatedPtrField<proto::MixEntry>& mix, uint64_t total) {
  std::string s;
  for (const auto& e : mix)
    s += fmt::format("  {} {:.1f}%", e.name(), total ? 100.0 * e.warp_instructions() / total : 0.0);
  return s;
}

}  // namespace

std::string format_summary(const proto::Report& r) {
  std::string s = fmt::format("xpusim: {} on {} (seed {}{})\n", r.workload(), r.config(), r.seed(),
                              r.functional() ? "" : ", timing only");
  s += fmt::format("  {:<28} {:>12} {:>11} {:>14} {:>7} {:>15}\n", "kernel", "cycles", "time", "warp insts", "IPC",
                   "occupancy");
  for (const auto& k : r.kernels())
    s += fmt::format("  {:<28} {:>12} {:>11} {:>14} {:>7.2f} {:>6.0f}% ({})\n", k.name().substr(0, 28), grouped(k.cycles()),
                     duration(k.time_s()), grouped(k.warp_instructions()), k.ipc(), 100 * k.theoretical_occupancy(),
                     k.occupancy_limiter());
  if (r.kernels_size() > 1)
    s += fmt::format("  {:<28} {:>12} {:>11} {:>14} {:>7.2f}\n", "total", grouped(r.cycles()), duration(r.time_s()),
                     grouped(r.warp_instructions()), r.ipc());
  s += "  instruction mix:" + mix_line(r.instruction_mix(), r.warp_instructions()) + "\n";
  for (const auto& k : r.kernels()) {
    if (!k.stalls_size()) continue;
    std::vector<const proto::StallEntry*> top;
    for (const auto& e : k.stalls()) top.push_back(&e);
    std::stable_sort(top.begin(), top.end(), [](auto* a, auto* b) { return a->warp_cycles() > b->warp_cycles(); });
    std::string st;
    for (size_t i = 0; i < top.size() && i < 5; ++i)
      st += fmt::format("{}{} {:.0f}%", i ? ", " : "", top[i]->reason(), 100 * top[i]->fraction());
    s += fmt::format("  {}: achieved occupancy {:.0f}%, issue slots {:.0f}% busy, tensor pipe {:.0f}% busy\n"
                     "    warp states: {}\n",
                     k.name().substr(0, 28), 100 * k.achieved_occupancy(), 100 * k.issue_utilization(),
                     100 * k.tensor_utilization(), st);
    if (k.has_memory() && k.memory().levels_size()) {  // memory hierarchy: hit rates, DRAM bandwidth
      const proto::MemoryReport& m = k.memory();
      std::string lv;
      for (const auto& l : m.levels()) {
        lv += lv.empty() ? "" : ", ";
        if (l.hits() + l.misses())
          lv += fmt::format("{} {:.0f}% hits ({:.0f} cyc)", l.level(), 100 * l.hit_rate(), l.avg_latency_cycles());
        else if (l.avg_latency_cycles() > 0)  // every load bypassed it (LDGSTS.BYPASS, .GPU): its latency, no lookups
          lv += fmt::format("{} bypassed ({:.0f} cyc)", l.level(), l.avg_latency_cycles());
        else
          lv += fmt::format("{} unused", l.level());
      }
      s += fmt::format("    memory: {}\n    DRAM {:.1f} GB/s ({:.0f}% of peak), row hits {:.0f}%; crossbar {:.1f} MB, "
                       "{:.0f}% far\n",
                       lv, m.dram_bandwidth_gbps(), 100 * m.dram_peak_fraction(), 100 * m.dram_row_hit_rate(),
                       m.noc_bytes() / 1e6, 100 * m.noc_far_fraction());
    }
    if (k.control_bit_hazards())
      s += fmt::format("    {} instructions issued before their operands were written (control bits too short)\n",
                       k.control_bit_hazards());
  }
  for (const auto& k : r.kernels()) s += format_energy_roofline(k);  // src/io/report_views.cc
  for (const auto& c : r.checks())
    s += fmt::format("  check {:<10} vs {:<11} {} error {:.3g} (rtol {:.3g}){}  {}\n", c.buffer(), c.reference(),
                     c.metric() == "NORMWISE" ? "normwise" : "elementwise", c.error(), c.rtol(),
                     c.nans() ? fmt::format(", {} NaN/Inf", c.nans()) : "", c.passed() ? "PASS" : "FAIL: " + c.message());
  if (r.warnings()) s += fmt::format("  {} warnings (see above)\n", r.warnings());
  return s;
}

}  // namespace xpusim::io
