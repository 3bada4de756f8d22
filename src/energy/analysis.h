// What the run driver calls after each kernel and at the end of a run: the energy model and
// the roofline placement, filled into the report. Knows no concrete model: everything comes
// from the config and the counters' names (docs/models/energy.md, docs/models/roofline.md).
#pragma once

#include "config.pb.h"
#include "report.pb.h"
#include "src/energy/counters.h"

namespace xpusim::energy {

// Fills k->roofline, and k->energy when the config has an energy table; `d` is the kernel's
// counter difference and k->time_s() its time.
void analyse_kernel(const proto::SystemConfig& cfg, const Counters& d, proto::KernelReport* k);

// Fills rep->energy from the kernels' (after every kernel has been analysed).
void analyse_run(proto::Report* rep);

}  // namespace xpusim::energy
