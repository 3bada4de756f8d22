// report.html: one self-contained page (inline CSS and SVG, no network, no external script)
// with the run summary, the hierarchical roofline, the energy breakdown, warp stall reasons
// and memory-level traffic. The charts are drawn here as SVG so `xpusim run` needs no extra
// step.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "src/io/report_views.h"

namespace xpusim::io {

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string eng(double v, const char* unit) {
  static constexpr std::pair<double, const char*> kPrefix[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"},
                                                               {1e3, "k"},  {1, ""},     {1e-3, "m"}, {1e-6, "&micro;"},
                                                               {1e-9, "n"}};
  for (auto [scale, p] : kPrefix)
    if (std::abs(v) >= scale) return fmt::format("{:.3g}&nbsp;{}{}", v / scale, p, unit);
  return fmt::format("{:.3g}&nbsp;{}", v, unit);
}

constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                                    "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"};
const char* color(size_t i) { return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))]; }

struct LevelStyle {
  const char* name;
  const char* color;
  const char* shape;  // "circle", "square", "triangle"
};
constexpr LevelStyle kLevels[] = {{"DRAM", "#d62728", "circle"}, {"L2", "#2ca02c", "square"}, {"L1", "#1f77b4", "triangle"}};

std::string marker(const LevelStyle& s, double x, double y, const std::string& tip) {
  std::string shape;
  if (std::string(s.shape) == "circle")
    shape = fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='6' fill='{}'/>", x, y, s.color);
  else if (std::string(s.shape) == "square")
    shape = fmt::format("<rect x='{:.1f}' y='{:.1f}' width='11' height='11' fill='{}'/>", x - 5.5, y - 5.5, s.color);
  else
    shape = fmt::format("<polygon points='{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}' fill='{}'/>", x, y - 7, x - 6.5,
                        y + 5, x + 6.5, y + 5, s.color);
  return fmt::format("<g class='point'><title>{}</title>{}</g>", esc(tip), shape);
}

// The hierarchical roofline: log-log, one horizontal roof per compute precision the kernels
// use, one diagonal roof per memory level, each kernel once per level at its achieved FLOP/s.
std::string roofline_svg(const proto::Report& r) {
  std::map<std::string, double> compute, memory;
  double x_lo = 1e300, x_hi = 0, y_lo = 1e300, y_hi = 0;
  for (const auto& k : r.kernels()) {
    const proto::Roofline& rf = k.roofline();
    for (const auto& f : rf.flops())
      if (f.peak_flops_per_s() > 0 && f.precision() == rf.compute_precision()) compute[f.precision()] = f.peak_flops_per_s();
    for (const auto& l : rf.levels()) {
      if (l.peak_bytes_per_s() > 0) memory[l.level()] = l.peak_bytes_per_s();
      if (l.intensity() > 0) x_lo = std::min(x_lo, l.intensity()), x_hi = std::max(x_hi, l.intensity());
    }
    if (rf.achieved_flops_per_s() > 0)
      y_lo = std::min(y_lo, rf.achieved_flops_per_s()), y_hi = std::max(y_hi, rf.achieved_flops_per_s());
  }
  double top = 0;
  for (const auto& [p, v] : compute) top = std::max(top, v), y_hi = std::max(y_hi, v), y_lo = std::min(y_lo, v);
  for (const auto& [l, bw] : memory)
    if (top > 0) x_lo = std::min(x_lo, top / bw), x_hi = std::max(x_hi, top / bw);
  if (x_hi <= 0 || y_hi <= 0) return "<p>No FLOPs were counted, so there is nothing to place on a roofline.</p>";
  const double lx0 = std::floor(std::log10(x_lo)) - 1, lx1 = std::ceil(std::log10(x_hi)) + 1;
  const double ly0 = std::floor(std::log10(y_lo)) - 1, ly1 = std::ceil(std::log10(y_hi * 1.5));
  const double W = 760, H = 470, ml = 80, mr = 150, mt = 20, mb = 50;
  auto X = [&](double v) { return ml + (std::log10(v) - lx0) / (lx1 - lx0) * (W - ml - mr); };
  auto Y = [&](double v) { return H - mb - (std::log10(v) - ly0) / (ly1 - ly0) * (H - mt - mb); };
  std::string s = fmt::format("<svg id='roofline' class='chart' xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' "
                              "viewBox='0 0 {} {}' role='img' aria-label='hierarchical roofline'>",
                              W, H, W, H);
  s += fmt::format("<rect x='{}' y='{}' width='{}' height='{}' fill='#fff' stroke='#999'/>", ml, mt, W - ml - mr,
                   H - mt - mb);
  for (double e = lx0; e <= lx1; ++e)
    s += fmt::format("<line x1='{0:.1f}' x2='{0:.1f}' y1='{1}' y2='{2}' stroke='#eee'/><text x='{0:.1f}' y='{3}' "
                     "font-size='11' text-anchor='middle'>1e{4}</text>",
                     X(std::pow(10, e)), mt, H - mb, H - mb + 15, static_cast<int>(e));
  for (double e = ly0; e <= ly1; ++e)
    s += fmt::format("<line x1='{0}' x2='{1}' y1='{2:.1f}' y2='{2:.1f}' stroke='#eee'/><text x='{3}' y='{4:.1f}' "
                     "font-size='11' text-anchor='end'>1e{5}</text>",
                     ml, W - mr, Y(std::pow(10, e)), ml - 5, Y(std::pow(10, e)) + 4, static_cast<int>(e));
  s += fmt::format("<text x='{}' y='{}' font-size='12' text-anchor='middle'>arithmetic intensity (FLOP/byte)</text>",
                   (ml + W - mr) / 2, H - 12);
  s += fmt::format("<text x='16' y='{}' font-size='12' text-anchor='middle' transform='rotate(-90 16 {})'>"
                   "performance (FLOP/s)</text>",
                   (mt + H - mb) / 2, (mt + H - mb) / 2);
  const double xmax = std::pow(10, lx1), xmin = std::pow(10, lx0);
  for (const auto& [p, v] : compute)
    s += fmt::format("<line class='roof' x1='{0}' x2='{1:.1f}' y1='{2:.1f}' y2='{2:.1f}' stroke='#333' stroke-width='2'/>"
                     "<text x='{3:.1f}' y='{4:.1f}' font-size='11'>{5} {6}FLOP/s</text>",
                     ml, X(xmax), Y(v), X(xmax) + 4, Y(v) + 4, esc(p), eng(v, ""));
  for (const auto& ls : kLevels) {
    auto it = memory.find(ls.name);
    if (it == memory.end() || top <= 0) continue;
    const double bw = it->second, ridge = top / bw;
    const double x0 = std::max(xmin, std::pow(10, ly0) / bw);
    s += fmt::format("<line class='roof' x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='{}' stroke-width='2' "
                     "stroke-dasharray='6 3'/><text x='{:.1f}' y='{:.1f}' font-size='11' fill='{}'>{} {}B/s</text>",
                     X(x0), Y(x0 * bw), X(ridge), Y(top), ls.color, X(ridge) + 4, Y(top) + 16 + 12 * (&ls - kLevels),
                     ls.color, ls.name, eng(bw, ""));
  }
  for (const auto& k : r.kernels()) {
    const proto::Roofline& rf = k.roofline();
    if (rf.achieved_flops_per_s() <= 0) continue;
    for (const auto& ls : kLevels)
      for (const auto& l : rf.levels())
        if (l.level() == ls.name && l.intensity() > 0)
          s += marker(ls, X(l.intensity()), Y(rf.achieved_flops_per_s()),
                      fmt::format("kernel {} {}: {} intensity {:.3g} FLOP/B, {:.3g} FLOP/s ({})", k.index(), k.name(),
                                  l.level(), l.intensity(), rf.achieved_flops_per_s(), rf.bound()));
    for (const auto& l : rf.levels())
      if (l.level() == "DRAM" && l.intensity() > 0)
        s += fmt::format("<text x='{:.1f}' y='{:.1f}' font-size='11'>{}</text>", X(l.intensity()) + 8,
                         Y(rf.achieved_flops_per_s()) - 8, k.index());
  }
  double ly = H - mb - 55;  // legend in the right margin, below the roof labels
  for (const auto& ls : kLevels) {
    s += marker(ls, W - mr + 20, ly, ls.name) +
         fmt::format("<text x='{}' y='{:.1f}' font-size='12'>{} point</text>", W - mr + 32, ly + 4, ls.name);
    ly += 20;
  }
  return s + "</svg>";
}

std::string energy_section(const proto::Report& r) {
  std::vector<std::string> comps;
  for (const auto& k : r.kernels())
    for (const auto& c : k.energy().components())
      if (std::find(comps.begin(), comps.end(), c.name()) == comps.end()) comps.push_back(c.name());
  if (comps.empty()) return "<p>The config names no energy table (add <code>energy { node: \"7nm\" }</code>).</p>";
  const double W = 760, bar = 22, ml = 200;
  const double H = 30 + (bar + 10) * r.kernels_size() + 20 * ((comps.size() + 3) / 4);
  std::string s = fmt::format("<svg id='energy' class='chart' xmlns='http://www.w3.org/2000/svg' width='{}' "
                              "height='{}' role='img' aria-label='energy breakdown'>",
                              W, H);
  double y = 10;
  for (const auto& k : r.kernels()) {
    s += fmt::format("<text x='{}' y='{:.1f}' font-size='12' text-anchor='end'>{} {}</text>", ml - 6, y + 15, k.index(),
                     esc(k.name().substr(0, 24)));
    double x = ml;
    for (const auto& c : k.energy().components()) {
      const size_t ci = static_cast<size_t>(std::find(comps.begin(), comps.end(), c.name()) - comps.begin());
      const double w = c.fraction() * (W - ml - 20);
      s += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{}' fill='{}'><title>{}: {} ({:.1f}%)"
                       "</title></rect>",
                       x, y, w, bar, color(ci), esc(c.name()), eng(c.joules(), "J"), 100 * c.fraction());
      x += w;
    }
    y += bar + 10;
  }
  for (size_t i = 0; i < comps.size(); ++i) {
    const double lx = ml + (i % 4) * 140, ly = y + 10 + (i / 4) * 20;
    s += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='12' height='12' fill='{}'/><text x='{:.1f}' y='{:.1f}' "
                     "font-size='12'>{}</text>",
                     lx, ly, color(i), lx + 16, ly + 11, esc(comps[i]));
  }
  s += "</svg><table><tr><th>kernel</th><th>component</th><th>energy</th><th>share</th><th>actions</th></tr>";
  for (const auto& k : r.kernels())
    for (const auto& c : k.energy().components())
      s += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1f}%</td><td>{}</td></tr>", esc(k.name()),
                       esc(c.name()), eng(c.joules(), "J"), 100 * c.fraction(), c.actions());
  return s + "</table>";
}

std::string bars_svg(const char* id, const std::vector<std::pair<std::string, double>>& rows, const std::string& unit) {
  double mx = 0;
  for (const auto& [n, v] : rows) mx = std::max(mx, v);
  const double W = 760, ml = 220, bar = 16;
  std::string s = fmt::format("<svg id='{}' class='chart' xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' "
                              "role='img'>",
                              id, W, 10 + rows.size() * (bar + 6));
  double y = 5;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double w = mx > 0 ? rows[i].second / mx * (W - ml - 120) : 0;
    s += fmt::format("<text x='{}' y='{:.1f}' font-size='12' text-anchor='end'>{}</text><rect x='{}' y='{:.1f}' "
                     "width='{:.1f}' height='{}' fill='{}'/><text x='{:.1f}' y='{:.1f}' font-size='11'>{}</text>",
                     ml - 6, y + 12, esc(rows[i].first), ml, y, w, bar, color(i), ml + w + 4, y + 12,
                     unit == "%" ? fmt::format("{:.1f}%", rows[i].second) : eng(rows[i].second, unit.c_str()));
    y += bar + 6;
  }
  return s + "</svg>";
}

}  // namespace

std::string to_html(const proto::Report& r) {
  std::string s = "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>xpusim: " + esc(r.workload()) +
                  " on " + esc(r.config()) +
                  "</title><style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;"
                  "margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
                  "td:first-child,th:first-child{text-align:left}h2{margin-top:28px}.chart{display:block;margin:8px 0}"
                  "</style></head><body>\n";
  s += fmt::format("<h1>{} on {}</h1><p>seed {}{}, {} cycles, {}s, IPC {:.2f}", esc(r.workload()), esc(r.config()),
                   r.seed(), r.functional() ? "" : ", timing only", r.cycles(), eng(r.time_s(), ""), r.ipc());
  if (r.has_energy())
    s += fmt::format(", energy {}, {:.1f} W average ({})", eng(r.energy().joules(), "J"), r.energy().average_watts(),
                     esc(r.energy().table()));
  s += "</p>\n<h2>Kernels</h2><table><tr><th>#</th><th>kernel</th><th>cycles</th><th>time</th><th>IPC</th>"
       "<th>occupancy</th><th>FLOP/s</th><th>bound</th><th>energy</th><th>power</th><th>pJ/FLOP</th></tr>";
  for (const auto& k : r.kernels())
    s += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}s</td><td>{:.2f}</td><td>{:.0f}%</td><td>{}</td>"
                     "<td>{}</td><td>{}</td><td>{:.1f} W</td><td>{:.3g}</td></tr>",
                     k.index(), esc(k.name()), k.cycles(), eng(k.time_s(), ""), k.ipc(), 100 * k.achieved_occupancy(),
                     eng(k.roofline().achieved_flops_per_s(), ""), esc(k.roofline().bound()),
                     eng(k.energy().joules(), "J"), k.energy().average_watts(), k.energy().pj_per_flop());
  s += "</table>\n<h2>Hierarchical roofline</h2><p>Each kernel appears once per memory level at its achieved FLOP/s, "
       "at x = FLOPs / bytes moved at that level; roofs are derived from the config.</p>" +
       roofline_svg(r);
  s += "\n<h2>Energy breakdown</h2>" + energy_section(r);
  s += "\n<h2>Warp stall reasons</h2>";
  for (const auto& k : r.kernels()) {
    std::vector<std::pair<std::string, double>> rows;
    for (const auto& e : k.stalls()) rows.push_back({e.reason(), 100 * e.fraction()});
    std::stable_sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second > b.second; });
    s += fmt::format("<h3>{} {}</h3>", k.index(), esc(k.name())) + bars_svg("stalls", rows, "%");
  }
  s += "\n<h2>Memory-level traffic</h2><table><tr><th>kernel</th><th>level</th><th>bytes</th><th>achieved</th>"
       "<th>roof</th><th>FLOP/byte</th><th>counted from</th></tr>";
  std::vector<std::pair<std::string, double>> traffic;
  for (const auto& k : r.kernels())
    for (const auto& l : k.roofline().levels()) {
      s += fmt::format("<tr><td>{}</td><td>{}</td><td>{}B</td><td>{}B/s</td><td>{}</td><td>{:.3g}</td><td>{}</td></tr>",
                       esc(k.name()), l.level(), eng(static_cast<double>(l.bytes()), ""), eng(l.achieved_bytes_per_s(), ""),
                       l.peak_bytes_per_s() > 0 ? eng(l.peak_bytes_per_s(), "B/s") : "-", l.intensity(), esc(l.bytes_from()));
      traffic.push_back({fmt::format("{} {}", k.index(), l.level()), static_cast<double>(l.bytes())});
    }
  s += "</table>" + bars_svg("traffic", traffic, "B");
  // The memory hierarchy's own report (gpu.memory_model HIERARCHY): hit rates and latencies.
  for (const auto& k : r.kernels()) {
    if (!k.has_memory()) continue;
    const proto::MemoryReport& m = k.memory();
    s += fmt::format("<h3>{} {}: memory hierarchy</h3><p>DRAM {:.1f} GB/s ({:.0f}% of peak), row hits {:.0f}%, "
                     "NoC {}B</p><table><tr><th>level</th><th>accesses</th><th>hit rate</th><th>read from below</th>"
                     "<th>written below</th><th>latency (cycles)</th></tr>",
                     k.index(), esc(k.name()), m.dram_bandwidth_gbps(), 100 * m.dram_peak_fraction(),
                     100 * m.dram_row_hit_rate(), eng(static_cast<double>(m.noc_bytes()), ""));
    for (const auto& l : m.levels())
      s += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.1f}%</td><td>{}B</td><td>{}B</td><td>{:.1f}</td></tr>",
                       esc(l.level()), l.accesses(), 100 * l.hit_rate(), eng(static_cast<double>(l.read_bytes()), ""),
                       eng(static_cast<double>(l.write_bytes()), ""), l.avg_latency_cycles());
    s += "</table>";
  }
  // The only script: marks the page as rendered (the browser test reads it from the DOM).
  s += "\n<p id='status'></p><script>document.getElementById('status').setAttribute('data-rendered', "
       "String(document.querySelectorAll('svg.chart').length));</script>\n</body></html>\n";
  return s;
}

}  // namespace xpusim::io
