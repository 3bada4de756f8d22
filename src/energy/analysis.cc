#include "src/energy/analysis.h"

#include "src/energy/energy_model.h"
#include "src/energy/roofline.h"

namespace xpusim::energy {

void analyse_kernel(const proto::SystemConfig& cfg, const Counters& d, proto::KernelReport* k) {
  if (!cfg.has_gpu()) return;
  const Machine m = Machine::from(cfg);
  *k->mutable_roofline() = place(Roofs::from(cfg), flops_by_precision(d), level_bytes(d, m.sector_bytes), k->time_s());
  if (cfg.has_energy())
    *k->mutable_energy() = kernel_energy(cfg.energy(), m, d, k->time_s(), k->roofline().total_flops());
}

void analyse_run(proto::Report* rep) {
  for (const auto& k : rep->kernels())
    if (k.has_energy()) {
      *rep->mutable_energy() = total_energy(*rep);
      return;
    }
}

}  // namespace xpusim::energy
