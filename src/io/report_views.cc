#include "src/io/report_views.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "src/io/json.h"

namespace xpusim::io {

namespace {

std::string si(double v, const char* unit) {
  static constexpr std::pair<double, const char*> kPrefix[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"},
                                                               {1e3, "k"},  {1, ""},     {1e-3, "m"}, {1e-6, "u"},
                                                               {1e-9, "n"}};
  for (auto [scale, p] : kPrefix)
    if (std::abs(v) >= scale) return fmt::format("{:.3g} {}{}", v / scale, p, unit);
  return fmt::format("{:.3g} {}", v, unit);
}

const proto::RooflineLevel* level(const proto::Roofline& r, const std::string& name) {
  for (const auto& l : r.levels())
    if (l.level() == name) return &l;
  return nullptr;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string format_energy_roofline(const proto::KernelReport& k) {
  std::string s;
  const std::string name = k.name().substr(0, 28);
  if (k.has_energy() && k.energy().joules() > 0) {
    const proto::EnergyReport& e = k.energy();
    std::vector<const proto::EnergyComponent*> top;
    for (const auto& c : e.components()) top.push_back(&c);
    std::stable_sort(top.begin(), top.end(), [](auto* a, auto* b) { return a->joules() > b->joules(); });
    std::string parts;
    for (size_t i = 0; i < top.size() && i < 4; ++i)
      parts += fmt::format("{}{} {:.0f}%", i ? ", " : "", top[i]->name(), 100 * top[i]->fraction());
    s += fmt::format("  {}: energy {}, {:.1f} W average{} ({})\n", name, si(e.joules(), "J"), e.average_watts(),
                     e.pj_per_flop() > 0 ? fmt::format(", {:.3g} pJ/FLOP", e.pj_per_flop()) : "", parts);
  }
  if (k.has_roofline() && k.roofline().total_flops() > 0) {
    const proto::Roofline& r = k.roofline();
    std::string ai;
    for (const auto& l : r.levels())
      if (l.bytes()) ai += fmt::format("{}{} {:.3g}", ai.empty() ? "" : ", ", l.level(), l.intensity());
    s += fmt::format("    roofline: {}FLOP/s {}{}; FLOP/B {}; {}\n", si(r.achieved_flops_per_s(), ""),
                     r.compute_precision(),
                     r.peak_flops_per_s() > 0 ? fmt::format(" ({:.0f}% of peak)", 100 * r.achieved_flops_per_s() /
                                                                                       r.peak_flops_per_s())
                                              : "",
                     ai.empty() ? "-" : ai,
                     r.bound().empty() ? "no roof in the config"
                     : r.bound() == "compute"
                         ? "compute-bound"
                         : fmt::format("{}-bound ({:.0f}% of its roof)", r.bound(), 100 * r.fraction_of_attainable()));
  }
  return s;
}

std::string to_csv(const proto::Report& r) {
  // energy columns: the union of components over kernels, in the model's order
  std::vector<std::string> comps;
  for (const auto& k : r.kernels())
    for (const auto& c : k.energy().components())
      if (std::find(comps.begin(), comps.end(), c.name()) == comps.end()) comps.push_back(c.name());
  std::string s =
      "index,name,cycles,time_s,warp_instructions,thread_instructions,ipc,achieved_occupancy,issue_utilization,"
      "tensor_utilization,flops,achieved_flops_per_s,compute_precision,peak_flops_per_s,bound,"
      "attainable_flops_per_s,dram_bytes,l2_bytes,l1_bytes,intensity_dram,intensity_l2,intensity_l1,energy_j,"
      "average_w,pj_per_flop";
  for (const auto& c : comps) s += ",energy_" + c + "_j";
  s += "\n";
  for (const auto& k : r.kernels()) {
    const proto::Roofline& rf = k.roofline();
    auto lv = [&](const char* n, bool intensity) -> std::string {
      const proto::RooflineLevel* l = level(rf, n);
      if (!l) return "";
      return intensity ? fmt::format("{:.6g}", l->intensity()) : std::to_string(l->bytes());
    };
    s += fmt::format("{},{},{},{:.9g},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{},{:.6g},{},{:.6g},{},{:.6g},{},{},{},{},{},{},"
                     "{:.9g},{:.6g},{:.6g}",
                     k.index(), csv_field(k.name()), k.cycles(), k.time_s(), k.warp_instructions(),
                     k.thread_instructions(), k.ipc(), k.achieved_occupancy(), k.issue_utilization(),
                     k.tensor_utilization(), rf.total_flops(), rf.achieved_flops_per_s(), rf.compute_precision(),
                     rf.peak_flops_per_s(), rf.bound(), rf.attainable_flops_per_s(), lv("DRAM", false),
                     lv("L2", false), lv("L1", false), lv("DRAM", true), lv("L2", true), lv("L1", true),
                     k.energy().joules(), k.energy().average_watts(), k.energy().pj_per_flop());
    for (const auto& c : comps) {
      double j = 0;
      for (const auto& e : k.energy().components())
        if (e.name() == c) j = e.joules();
      s += fmt::format(",{:.9g}", j);
    }
    s += "\n";
  }
  return s;
}

void write_report_views(const proto::Report& r, const std::string& dir) {
  write_file_atomic((std::filesystem::path(dir) / "report.html").string(), to_html(r));
  write_file_atomic((std::filesystem::path(dir) / "report.csv").string(), to_csv(r));
}

}  // namespace xpusim::io
