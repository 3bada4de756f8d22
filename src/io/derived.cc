#include "src/io/derived.h"

#include <fmt/format.h>

#include <cmath>

namespace xpusim::io {

namespace {

const proto::UnitSpec* unit(const proto::SmSpec& sm, proto::UnitSpec::Kind k) {
  for (const auto& u : sm.unit())
    if (u.kind() == k) return &u;
  return nullptr;
}

std::string si(double v, const std::string& unit) {
  static constexpr std::pair<double, const char*> kPrefix[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  for (auto [scale, p] : kPrefix)
    if (std::fabs(v) >= scale) return fmt::format("{:.4g} {}{}", v / scale, p, unit);
  return fmt::format("{:.4g} {}", v, unit);
}

}  // namespace

std::vector<Figure> derived_figures(const proto::SystemConfig& cfg) {
  std::vector<Figure> f;
  if (!cfg.has_gpu()) return f;
  const proto::GpuSpec& g = cfg.gpu();
  const proto::SmSpec& sm = g.sm();
  const double hz = g.core_clock_mhz() * 1e6;
  const double sms = g.num_sms();
  const double lanes_per_sm = sm.subcores();
  auto vector_peak = [&](proto::UnitSpec::Kind k, const char* name, double flops_per_lane, const char* what) {
    const proto::UnitSpec* u = unit(sm, k);
    if (!u) return;
    const double v = sms * lanes_per_sm * 32 * flops_per_lane / u->interval_cycles() * hz;
    f.push_back({name, v, "FLOP/s",
                 fmt::format("{} SMs x {} sub-cores x 32 threads x {} ({}) per {} cycle(s) x {} MHz", g.num_sms(),
                             sm.subcores(), flops_per_lane, what, u->interval_cycles(), g.core_clock_mhz())});
  };
  vector_peak(proto::UnitSpec::FP64, "peak_fp64_flops", 2, "FMA");
  vector_peak(proto::UnitSpec::FP32, "peak_fp32_flops", 2, "FMA");
  vector_peak(proto::UnitSpec::FP16, "peak_fp16x2_flops", 4, "FMA on a half pair");
  for (const auto& t : sm.tensor()) {
    const size_t kp = t.shape().find('k');
    if (kp == std::string::npos) continue;
    const double k = std::stod(t.shape().substr(kp + 1));
    const double per_inst = 2.0 * 16 * 8 * k;
    const double v = sms * lanes_per_sm * per_inst / t.interval_cycles() * hz;
    std::string dt = proto::DType_Name(t.dtype());
    for (auto& c : dt) c = static_cast<char>(std::tolower(c));
    const bool integer = t.dtype() == proto::INT8 || t.dtype() == proto::INT4;
    f.push_back({"peak_tensor_" + dt + "_" + t.shape() + (integer ? "_ops" : "_flops"), v, integer ? "OP/s" : "FLOP/s",
                 fmt::format("{} SMs x {} sub-cores x {} FLOP per {} / {} cycles x {} MHz", g.num_sms(), sm.subcores(),
                             per_inst, t.shape(), t.interval_cycles(), g.core_clock_mhz())});
  }
  const proto::DramSpec& d = g.dram();
  if (d.has_bus_width_bits() && d.has_data_rate_mtps())
    f.push_back({"dram_bandwidth", d.bus_width_bits() / 8.0 * d.data_rate_mtps() * 1e6, "B/s",
                 fmt::format("{} bits / 8 x {} MT/s", d.bus_width_bits(), d.data_rate_mtps())});
  if (g.l2().has_bytes_per_cycle())
    f.push_back({"l2_bandwidth", g.l2().bytes_per_cycle() * hz, "B/s",
                 fmt::format("{} B/cycle x {} MHz", g.l2().bytes_per_cycle(), g.core_clock_mhz())});
  if (g.l1().has_bytes_per_cycle())
    f.push_back({"l1_bandwidth", g.l1().bytes_per_cycle() * sms * hz, "B/s",
                 fmt::format("{} B/cycle/SM x {} SMs x {} MHz", g.l1().bytes_per_cycle(), g.num_sms(), g.core_clock_mhz())});
  if (d.has_capacity_gb()) f.push_back({"dram_capacity", d.capacity_gb() * 1e9, "B", "gpu.dram.capacity_gb"});
  if (g.l2().has_capacity_mb())
    f.push_back({"l2_capacity", g.l2().capacity_mb() * 1024 * 1024, "B", "gpu.l2.capacity_mb"});
  if (g.l1().has_capacity_kb())
    f.push_back({"l1_shared_capacity_per_sm", g.l1().capacity_kb() * 1024.0, "B", "gpu.l1.capacity_kb"});
  f.push_back({"shared_memory_per_sm", static_cast<double>(sm.shared_memory_bytes()), "B", "gpu.sm.shared_memory_bytes"});
  f.push_back({"register_file_per_sm", sm.registers() * 4.0, "B", "gpu.sm.registers x 4 bytes"});
  f.push_back({"max_threads_per_gpu", sms * sm.max_threads(), "threads", "num_sms x max_threads"});
  if (cfg.has_energy()) {  // the energy table's headline figures (configs/energy/, docs/models/energy.md)
    const proto::EnergySpec& e = cfg.energy();
    const std::string from = fmt::format("table {}: {}", e.has_node() ? e.node() : "(config)", e.source());
    f.push_back({"energy_per_fp16_tensor_flop", e.fp16().mac_pj() / 2, "pJ/FLOP",
                 fmt::format("energy.fp16.mac_pj {} / 2 FLOP per MAC; {}", e.fp16().mac_pj(), from)});
    const proto::DramEnergy& d = e.dram();
    f.push_back({"energy_per_dram_byte", 8 * (d.read_pj_per_bit() + d.io_pj_per_bit()) + d.activate_pj() / 32, "pJ/B",
                 fmt::format("8 x (read {} + I/O {} pJ/bit) + activate {} pJ per 32-byte sector; {}", d.read_pj_per_bit(),
                             d.io_pj_per_bit(), d.activate_pj(), from)});
  }
  return f;
}

std::string format_figures(const std::vector<Figure>& figs) {
  std::string s;
  for (const Figure& x : figs) s += fmt::format("  {:<44} {:>14}   = {}\n", x.name, si(x.value, x.unit), x.how);
  return s;
}

}  // namespace xpusim::io
