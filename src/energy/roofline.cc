#include "src/energy/roofline.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/energy/op_class.h"
#include "src/io/derived.h"

namespace xpusim::energy {

Roofs Roofs::from(const proto::SystemConfig& cfg) {
  Roofs r;
  auto keep_max = [&](const std::string& p, double v) { r.flops_per_s[p] = std::max(r.flops_per_s[p], v); };
  for (const io::Figure& f : io::derived_figures(cfg)) {
    const std::string& n = f.name;
    if (n == "peak_fp64_flops") keep_max("fp64", f.value);
    else if (n == "peak_fp32_flops") keep_max("fp32", f.value);
    else if (n == "peak_fp16x2_flops") keep_max("fp16", f.value), keep_max("bf16", f.value);
    else if (n.rfind("peak_tensor_", 0) == 0) {
      // "peak_tensor_<dtype>_<shape>_flops": the best shape of a type is its peak
      static constexpr std::pair<const char*, const char*> kTypes[] = {
          {"fp16_", "fp16_tensor"}, {"bf16_", "bf16_tensor"}, {"tf32_", "tf32_tensor"}, {"fp8", "fp8_tensor"},
          {"fp4", "fp4_tensor"},    {"int8_", "int8_tensor"}, {"int4_", "int4_tensor"}};
      const std::string rest = n.substr(12);
      for (auto [prefix, prec] : kTypes)
        if (rest.rfind(prefix, 0) == 0) keep_max(prec, f.value);
    } else if (n == "dram_bandwidth") r.bytes_per_s["DRAM"] = f.value;
    else if (n == "l2_bandwidth") r.bytes_per_s["L2"] = f.value;
    else if (n == "l1_bandwidth") r.bytes_per_s["L1"] = f.value;
  }
  return r;
}

std::vector<LevelBytes> level_bytes(const Counters& d, uint32_t sector_bytes) {
  std::vector<LevelBytes> out;
  const uint64_t ideal = sum_at(d, "memory", "sectors") * sector_bytes;
  const uint64_t dram = sum_suffix(d, "energy.io_bytes");
  if (dram) out.push_back({"DRAM", dram, "DRAM channels' bytes read + written"});
  else out.push_back({"DRAM", ideal, "ideal memory: sectors x " + std::to_string(sector_bytes) + " B"});
  // Nsight's lts__t_bytes: what the L1s asked of the L2 (fills from DRAM and write-backs are
  // not L2 requests); else the slices' own sector reads and writes; else the ideal memory's.
  const uint64_t l1_l2 = sum_at(d, "l1", "bytes_from_l2") + sum_at(d, "l1", "bytes_to_l2");
  const uint64_t l2 = (sum_at(d, "l2", "energy.sector_read") + sum_at(d, "l2", "energy.sector_write") +
                       sum_at(d, "l2", "energy.atomic")) * sector_bytes;
  if (l1_l2) out.push_back({"L2", l1_l2, "L1s' bytes from + to L2 (lts__t_bytes)"});
  else if (l2) out.push_back({"L2", l2, "L2 slices' sectors read + written x " + std::to_string(sector_bytes) + " B"});
  else out.push_back({"L2", ideal, "ideal memory: every sector counted at L2"});
  // Nsight's L1 roof counts l1tex__t_bytes: global/local sectors at the tag stage (LDGSTS's
  // global side included); shared-memory traffic goes through the data stage only, so it is
  // reported beside the levels without a roof of its own.
  out.push_back({"L1", sum_at(d, "sm", "mem_sector_requests") * sector_bytes,
                 "SMs' global/local sectors x " + std::to_string(sector_bytes) + " B (l1tex__t_bytes)"});
  out.push_back({"shared", sum_at(d, "sm", "shared_bytes"), "bytes of shared-memory instructions (no roof)"});
  return out;
}

std::map<std::string, uint64_t> flops_by_precision(const Counters& d) {
  std::map<std::string, uint64_t> f;
  for (size_t k = 1; k < kNumOpKinds; ++k) {
    const auto kind = static_cast<OpKind>(k);
    if (!flops_per_op(kind)) continue;
    const uint64_t n = sum_suffix(d, "energy." + std::string(op_kind_name(kind)));
    if (n) f[std::string(op_precision(kind))] += n * flops_per_op(kind);
  }
  return f;
}

proto::Roofline place(const Roofs& roofs, const std::map<std::string, uint64_t>& flops,
                      const std::vector<LevelBytes>& bytes, double seconds) {
  proto::Roofline r;
  uint64_t total = 0, most = 0;
  std::string main;
  for (const auto& [p, n] : flops) {
    proto::FlopCount* f = r.add_flops();
    f->set_precision(p);
    f->set_flops(n);
    auto it = roofs.flops_per_s.find(p);
    f->set_peak_flops_per_s(it == roofs.flops_per_s.end() ? 0 : it->second);
    total += n;
    if (n > most) most = n, main = p;
  }
  r.set_total_flops(total);
  r.set_achieved_flops_per_s(seconds > 0 ? static_cast<double>(total) / seconds : 0);
  r.set_compute_precision(main);
  auto pk = roofs.flops_per_s.find(main);
  const double peak = pk == roofs.flops_per_s.end() ? 0 : pk->second;
  r.set_peak_flops_per_s(peak);
  double attainable = peak > 0 ? peak : std::numeric_limits<double>::infinity();
  std::string bound = "compute";
  for (const LevelBytes& b : bytes) {
    proto::RooflineLevel* l = r.add_levels();
    l->set_level(b.level);
    l->set_bytes(b.bytes);
    l->set_bytes_from(b.from);
    auto bw = roofs.bytes_per_s.find(b.level);
    const double peak_bw = bw == roofs.bytes_per_s.end() ? 0 : bw->second;
    l->set_peak_bytes_per_s(peak_bw);
    l->set_achieved_bytes_per_s(seconds > 0 ? static_cast<double>(b.bytes) / seconds : 0);
    if (b.bytes) l->set_intensity(static_cast<double>(total) / static_cast<double>(b.bytes));
    if (peak_bw > 0 && peak > 0) l->set_ridge_intensity(peak / peak_bw);
    if (peak_bw <= 0 || !b.bytes || !total) continue;  // no roof at this level, or nothing to place
    const double at = std::min(peak > 0 ? peak : std::numeric_limits<double>::infinity(), l->intensity() * peak_bw);
    l->set_attainable_flops_per_s(at);
    if (at < attainable) attainable = at, bound = b.level;
  }
  if (total && std::isfinite(attainable)) {
    r.set_bound(bound);
    r.set_attainable_flops_per_s(attainable);
    r.set_fraction_of_attainable(r.achieved_flops_per_s() / attainable);
  }
  return r;
}

}  // namespace xpusim::energy
