// The memory section of a kernel's report, computed from the hierarchy's counters (differences
// over the kernel): per level (L1, L2, DRAM) accesses, hits, sector traffic and latency, DRAM
// row-buffer hits and bandwidth, crossbar traffic. docs/models/l2_noc.md defines each figure.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "report.pb.h"

namespace xpusim::mem {

struct MemoryReportContext {
  double kernel_seconds = 0;
  double core_hz = 1e9;
  double dram_hz = 1e9;           // the DRAM command clock (its latency counters count it)
  double dram_peak_bytes_per_second = 0;
};

// `counters`: every counter's value over the kernel, sorted by name.
void fill_memory_report(const std::vector<std::pair<std::string, uint64_t>>& counters, const MemoryReportContext& ctx,
                        proto::MemoryReport* out);

}  // namespace xpusim::mem
