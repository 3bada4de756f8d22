#include "models/registry.h"

#include "models/gpu/gpu.h"

namespace xpusim::models {

void register_all(sim::DeviceRegistry& r) {
  r.add(
      "gpu", [](const proto::SystemConfig& c) { return c.has_gpu(); },
      [](const proto::SystemConfig& c, engine::Env& env) -> std::unique_ptr<sim::Device> {
        return std::make_unique<gpu::Gpu>("gpu", c, env);
      });
}

}  // namespace xpusim::models
