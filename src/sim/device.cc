#include "src/sim/device.h"

namespace xpusim::sim {

void DeviceRegistry::add(std::string name, std::function<bool(const proto::SystemConfig&)> matches, DeviceFactory make) {
  entries_.push_back({std::move(name), std::move(matches), std::move(make)});
}

std::unique_ptr<Device> DeviceRegistry::make(const proto::SystemConfig& cfg, engine::Env& env) const {
  for (const Entry& e : entries_)
    if (e.matches(cfg)) return e.make(cfg, env);
  return nullptr;
}

}  // namespace xpusim::sim
