// Defaults and validation of the memory hierarchy's crossbar and L2 (gpu.noc, gpu.l2):
// kept apart from defaults.cc/validate.cc so the memory system's rules live in one place.
// docs/models/l2_noc.md explains each value.
#pragma once

#include "config.pb.h"
#include "src/io/textproto.h"

namespace xpusim::io {

// Called from apply_defaults (defaults.cc).
void apply_memory_defaults(proto::GpuSpec& gpu);

// Called from validate_config (validate.cc). Checks gpu.noc and gpu.l2 when
// gpu.memory_model is HIERARCHY.
void validate_memory_config(const proto::GpuSpec& gpu, const LocationMap& where, ErrorList& errors);

}  // namespace xpusim::io
