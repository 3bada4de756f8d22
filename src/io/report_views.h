// What people read besides report.json: the energy and roofline lines of the terminal
// summary, report.html (self-contained: inline SVG charts, no network) and report.csv (one
// row per kernel, for pandas). All are views of the Report message; none computes a figure
// of its own. docs/models/energy.md and docs/models/roofline.md explain the numbers.
#pragma once

#include <string>

#include "report.pb.h"

namespace xpusim::io {

// Two lines per kernel: energy (joules, watts, pJ/FLOP, largest components) and roofline
// (FLOP/s, intensity per level, the binding roof). Empty for a kernel without them.
std::string format_energy_roofline(const proto::KernelReport& k);

std::string to_html(const proto::Report& r);
std::string to_csv(const proto::Report& r);

// Writes report.html and report.csv into `dir` (atomically, as report.json).
void write_report_views(const proto::Report& r, const std::string& dir);

}  // namespace xpusim::io
