// Figures derived from a machine config, never typed by hand: peak FLOP/s per precision,
// memory bandwidths, capacities. Used by `xpusim info`, and later by the roofline.
#pragma once

#include <string>
#include <vector>

#include "config.pb.h"

namespace xpusim::io {

struct Figure {
  std::string name;   // "peak_fp32_flops"
  double value;
  std::string unit;   // "FLOP/s", "B/s", "B"
  std::string how;    // the formula, in words
};

std::vector<Figure> derived_figures(const proto::SystemConfig& cfg);

// A table for people: value with an SI prefix, then the formula.
std::string format_figures(const std::vector<Figure>& figs);

}  // namespace xpusim::io
