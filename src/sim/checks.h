// Output checks: each workload `check` compares a buffer with its float64 reference.
#pragma once

#include <vector>

#include "report.pb.h"
#include "src/io/workload_file.h"
#include "src/workload/buffer.h"

namespace xpusim::sim {

// Adds one CheckResult per check and sets checks_passed.
void run_checks(const io::LoadedWorkload& wl, const std::vector<workload::BufferData>& bufs, proto::Report* rep);

}  // namespace xpusim::sim
