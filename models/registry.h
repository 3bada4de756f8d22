// The list of machine models the CLI can build (explicit; no static self-registration).
#pragma once

#include "src/sim/device.h"

namespace xpusim::models {

void register_all(sim::DeviceRegistry& r);

}  // namespace xpusim::models
