#include "src/energy/energy_model.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <map>

#include "src/energy/op_class.h"

namespace xpusim::energy {

namespace {

enum Comp : size_t {
  kFp64, kFp32, kFp16, kInt, kSfu, kTensor, kInstruction, kRegisterFile, kRfCache, kShared, kL1, kNoc, kL2, kDram,
  kLeakage, kConstant, kActivation, kUnpriced, kNumComps
};
constexpr std::array<const char*, kNumComps> kCompNames = {
    "sm.fp64", "sm.fp32", "sm.fp16", "sm.int", "sm.sfu", "sm.tensor", "instruction", "register_file", "rf_cache",
    "shared", "l1", "noc", "l2", "dram", "leakage", "constant", "activation", "unpriced"};

struct Acc {
  std::array<uint64_t, kNumComps> fj{};
  std::array<uint64_t, kNumComps> actions{};
  void add(Comp c, uint64_t count, double pj) {
    fj[c] += count * to_fj(pj);
    actions[c] += count;
  }
};

// The component and per-action energy of one datapath kind.
std::pair<Comp, double> op_energy(const proto::EnergySpec& t, OpKind k) {
  switch (k) {
    case OpKind::kFp64Fma: return {kFp64, t.fp64().fma_pj()};
    case OpKind::kFp64Add:
    case OpKind::kFp64Other: return {kFp64, t.fp64().add_pj()};
    case OpKind::kFp64Mul: return {kFp64, t.fp64().mul_pj()};
    case OpKind::kFp32Fma: return {kFp32, t.fp32().fma_pj()};
    case OpKind::kFp32Add:
    case OpKind::kFp32Other: return {kFp32, t.fp32().add_pj()};
    case OpKind::kFp32Mul: return {kFp32, t.fp32().mul_pj()};
    case OpKind::kFp16Fma: return {kFp16, t.fp16().fma_pj()};
    case OpKind::kFp16Add:
    case OpKind::kFp16Other: return {kFp16, t.fp16().add_pj()};
    case OpKind::kFp16Mul: return {kFp16, t.fp16().mul_pj()};
    case OpKind::kBf16Fma: return {kFp16, t.bf16().fma_pj()};
    case OpKind::kBf16Add:
    case OpKind::kBf16Other: return {kFp16, t.bf16().add_pj()};
    case OpKind::kBf16Mul: return {kFp16, t.bf16().mul_pj()};
    case OpKind::kIntAdd: return {kInt, t.int32().add_pj()};
    case OpKind::kIntMul: return {kInt, t.int32().mul_pj()};
    case OpKind::kSfu: return {kSfu, t.sfu_pj()};
    case OpKind::kMacFp16: return {kTensor, t.fp16().mac_pj()};
    case OpKind::kMacBf16: return {kTensor, t.bf16().mac_pj()};
    case OpKind::kMacTf32: return {kTensor, t.tf32().mac_pj()};
    case OpKind::kMacFp8: return {kTensor, t.fp8().mac_pj()};
    case OpKind::kMacFp4: return {kTensor, t.fp4().mac_pj()};
    case OpKind::kMacInt8: return {kTensor, t.int8().mac_pj()};
    case OpKind::kMacInt4: return {kTensor, t.int4().mac_pj()};
    default: return {kUnpriced, 0};
  }
}

const std::map<std::string_view, OpKind>& op_kinds_by_name() {
  static const std::map<std::string_view, OpKind> m = [] {
    std::map<std::string_view, OpKind> r;
    for (size_t k = 1; k < kNumOpKinds; ++k) r[op_kind_name(static_cast<OpKind>(k))] = static_cast<OpKind>(k);
    return r;
  }();
  return m;
}

// One DRAM channel's counters (energy.activate/read/write/refresh/io_bytes).
struct DramCounts {
  uint64_t act = 0, rd = 0, wr = 0, ref = 0, io_bytes = 0;
};

void charge_dram(const proto::EnergySpec& t, const DramCounts& c, Acc& a) {
  const proto::DramEnergy& e = t.dram();
  a.add(kDram, c.act, e.activate_pj());
  a.add(kDram, c.ref, e.refresh_pj());
  // Each column command moves the same burst: split the bytes moved between reads and writes.
  const uint64_t cmds = c.rd + c.wr;
  const uint64_t rd_bits = cmds ? c.io_bytes * 8 * c.rd / cmds : 0;
  const uint64_t wr_bits = c.io_bytes * 8 - rd_bits;
  a.fj[kDram] += rd_bits * to_fj(e.read_pj_per_bit()) + wr_bits * to_fj(e.write_pj_per_bit()) +
                 c.io_bytes * 8 * to_fj(e.io_pj_per_bit());
  a.actions[kDram] += cmds;
}

void charge_dynamic(const proto::EnergySpec& t, const Machine& m, const Counters& d, Acc& a) {
  std::map<std::string_view, DramCounts> dram;  // by channel path
  bool dram_seen = false;
  for (const auto& [name, v] : d) {
    std::string_view path, action;
    if (!split_action(name, path, action) || v == 0) continue;
    const std::string_view where = last_element(path);
    if (auto it = op_kinds_by_name().find(action); it != op_kinds_by_name().end()) {
      const auto [comp, pj] = op_energy(t, it->second);
      a.add(comp, v, pj);
    } else if (action == "issue") {
      a.add(kInstruction, v, t.issue_pj());
    } else if (action == "icache_access") {
      a.add(kInstruction, v, t.icache_access_pj());
    } else if (action == "rf_read") {
      a.add(kRegisterFile, v, t.register_file().read_pj());
    } else if (action == "rf_write") {
      a.add(kRegisterFile, v, t.register_file().write_pj());
    } else if (action == "rf_cache_read") {
      a.add(kRfCache, v, t.rf_cache().read_pj());
    } else if (action == "shared_access") {
      a.add(kShared, v, t.shared().read_pj());
    } else if (action == "tag_lookup" || action == "sector_read" || action == "sector_write" || action == "atomic") {
      const bool l2 = where.substr(0, 2) == "l2";
      const proto::StorageEnergy& e = l2 ? t.l2() : t.l1();
      const double pj = action == "tag_lookup"    ? e.tag_pj()
                        : action == "sector_read" ? e.read_pj()
                        : action == "sector_write" ? e.write_pj()
                                                   : e.atomic_pj();
      a.add(l2 ? kL2 : kL1, v, pj);
    } else if (action == "flit") {
      // The crossbar's bytes (request + response planes) at the same path carry the energy.
      const std::string p(path);
      uint64_t bytes = 0;
      for (const auto& [n2, v2] : d)
        if (n2 == p + ".req_bytes" || n2 == p + ".resp_bytes") bytes += v2;
      a.fj[kNoc] += bytes * to_fj(t.noc_pj_per_byte_hop());
      a.actions[kNoc] += v;
    } else if (action == "activate" || action == "read" || action == "write" || action == "refresh" ||
               action == "io_bytes") {
      DramCounts& c = dram[path];
      dram_seen = true;
      (action == "activate" ? c.act : action == "read" ? c.rd : action == "write" ? c.wr : action == "refresh" ? c.ref
                                                                                                               : c.io_bytes) = v;
    } else {
      a.actions[kUnpriced] += v;
    }
  }
  for (const auto& [p, c] : dram) charge_dram(t, c, a);
  if (!dram_seen) {
    // Fixed-latency ideal memory: it counts only 32-byte sectors. Charge each as a read with
    // one activation (the ideal model has no rows) so IDEAL runs still see DRAM energy.
    const uint64_t sectors = sum_at(d, "memory", "sectors");
    if (sectors) charge_dram(t, DramCounts{sectors, sectors, 0, 0, sectors * m.sector_bytes}, a);
  }
}

}  // namespace

uint64_t to_fj(double pj) { return static_cast<uint64_t>(std::llround(pj * 1000.0)); }

Machine Machine::from(const proto::SystemConfig& cfg) {
  Machine m;
  const proto::GpuSpec& g = cfg.gpu();
  m.core_hz = g.core_clock_mhz() * 1e6;
  m.num_sms = g.num_sms();
  m.subcores = g.sm().has_subcores() ? g.sm().subcores() : 4;
  m.l2_mb = g.l2().capacity_mb();
  m.dram_stacks = g.dram().stacks();
  m.sector_bytes = g.l2().has_sector_bytes() ? g.l2().sector_bytes() : 32;
  return m;
}

std::string table_name(const proto::EnergySpec& t) {
  const std::string node = t.has_node() ? t.node() : std::string("table");
  return t.has_source() ? node + ": " + t.source() : node;
}

proto::EnergyReport kernel_energy(const proto::EnergySpec& t, const Machine& m, const Counters& d, double seconds,
                                  uint64_t flops) {
  proto::EnergyReport r;
  Acc a;
  charge_dynamic(t, m, d, a);
  const proto::StaticPower& sp = t.static_power();
  const double leak_w = sp.sm_w() * m.num_sms + sp.l2_w_per_mb() * m.l2_mb + sp.dram_w_per_stack() * m.dram_stacks;
  auto watts = [&](double w, double s) { return static_cast<uint64_t>(std::llround(w * s * 1e15)); };
  a.fj[kLeakage] = watts(leak_w, seconds);
  a.fj[kConstant] = watts(sp.constant_w(), seconds);
  if (m.core_hz > 0) {
    const double active_s = static_cast<double>(sum_at(d, "sm", "active_cycles")) / m.core_hz;
    const double tensor_s = static_cast<double>(sum_at(d, "sm", "tensor_pipe_busy_cycles")) / m.subcores / m.core_hz;
    a.fj[kActivation] = watts(t.active_power().sm_w(), active_s) + watts(t.active_power().tensor_w(), tensor_s);
  }
  uint64_t total = 0, dynamic = 0;
  for (size_t c = 0; c < kNumComps; ++c) {
    total += a.fj[c];
    if (c < kLeakage) dynamic += a.fj[c];
  }
  r.set_table(table_name(t));
  r.set_time_s(seconds);
  r.set_joules(static_cast<double>(total) * 1e-15);
  r.set_dynamic_joules(static_cast<double>(dynamic) * 1e-15);
  r.set_static_joules(static_cast<double>(total - dynamic) * 1e-15);
  r.set_average_watts(seconds > 0 ? r.joules() / seconds : 0);
  r.set_pj_per_flop(flops ? static_cast<double>(total) * 1e-3 / static_cast<double>(flops) : 0);
  for (size_t c = 0; c < kNumComps; ++c) {
    if (!a.fj[c] && !a.actions[c]) continue;
    proto::EnergyComponent* e = r.add_components();
    e->set_name(kCompNames[c]);
    e->set_joules(static_cast<double>(a.fj[c]) * 1e-15);
    e->set_fraction(total ? static_cast<double>(a.fj[c]) / static_cast<double>(total) : 0);
    e->set_actions(a.actions[c]);
  }
  return r;
}

proto::EnergyReport total_energy(const proto::Report& rep) {
  proto::EnergyReport r;
  std::vector<std::string> order;
  std::map<std::string, std::pair<double, uint64_t>> by;
  double flops = 0;
  for (const auto& k : rep.kernels()) {
    if (!k.has_energy()) continue;
    const proto::EnergyReport& e = k.energy();
    r.set_table(e.table());
    r.set_time_s(r.time_s() + e.time_s());
    r.set_joules(r.joules() + e.joules());
    r.set_dynamic_joules(r.dynamic_joules() + e.dynamic_joules());
    r.set_static_joules(r.static_joules() + e.static_joules());
    flops += static_cast<double>(k.roofline().total_flops());
    for (const auto& c : e.components()) {
      if (!by.count(c.name())) order.push_back(c.name());
      by[c.name()].first += c.joules();
      by[c.name()].second += c.actions();
    }
  }
  r.set_average_watts(r.time_s() > 0 ? r.joules() / r.time_s() : 0);
  r.set_pj_per_flop(flops > 0 ? r.joules() * 1e12 / flops : 0);
  for (const std::string& n : order) {  // keep the model's order
    proto::EnergyComponent* c = r.add_components();
    c->set_name(n);
    c->set_joules(by[n].first);
    c->set_fraction(r.joules() > 0 ? by[n].first / r.joules() : 0);
    c->set_actions(by[n].second);
  }
  return r;
}

}  // namespace xpusim::energy
