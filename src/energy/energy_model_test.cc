// The energy model on known counts: every joule is a count times the table's figure.
#include <catch2/catch.hpp>

#include "src/energy/energy_model.h"

using namespace xpusim;

namespace {
proto::EnergySpec table() {
  proto::EnergySpec t;
  t.set_node("test");
  t.mutable_fp32()->set_fma_pj(1.5);
  t.mutable_fp16()->set_mac_pj(0.25);
  t.mutable_register_file()->set_read_pj(10);
  t.mutable_register_file()->set_write_pj(12);
  t.set_issue_pj(2);
  t.mutable_l2()->set_read_pj(40);
  t.mutable_l2()->set_tag_pj(3);
  t.mutable_l1()->set_read_pj(7);
  t.mutable_dram()->set_activate_pj(100);
  t.mutable_dram()->set_read_pj_per_bit(2);
  t.mutable_dram()->set_write_pj_per_bit(3);
  t.mutable_dram()->set_io_pj_per_bit(0.5);
  t.mutable_static_power()->set_sm_w(0.5);
  t.mutable_static_power()->set_constant_w(10);
  t.mutable_active_power()->set_sm_w(1);
  return t;
}
energy::Machine machine() {
  energy::Machine m;
  m.core_hz = 1e9;
  m.num_sms = 2;
  m.subcores = 4;
  return m;
}
double component(const proto::EnergyReport& r, const std::string& name) {
  for (const auto& c : r.components())
    if (c.name() == name) return c.joules();
  return -1;
}
}  // namespace

TEST_CASE("E4 energy conversion is exact on known counts", "[energy]") {
  const energy::Counters d = {
      {"gpu.memory.dram[0].energy.activate", 10},
      {"gpu.memory.dram[0].energy.io_bytes", 4 * 64},
      {"gpu.memory.dram[0].energy.read", 3},
      {"gpu.memory.dram[0].energy.write", 1},
      {"gpu.memory.l2[3].energy.sector_read", 5},
      {"gpu.memory.l2[3].energy.tag_lookup", 4},
      {"gpu.sm[0].active_cycles", 1000},
      {"gpu.sm[0].energy.fp32_fma", 1000},
      {"gpu.sm[0].energy.issue", 100},
      {"gpu.sm[0].energy.l1_sector_read", 0},
      {"gpu.sm[0].energy.mac_fp16", 4096},
      {"gpu.sm[0].energy.rf_read", 30},
      {"gpu.sm[0].energy.rf_write", 20},
      {"gpu.sm[0].energy.teleport", 9},
      {"gpu.sm[0].l1.energy.sector_read", 6},
  };
  const proto::EnergyReport r = energy::kernel_energy(table(), machine(), d, 1e-6, 1000);
  CHECK(component(r, "sm.fp32") == Approx(1000 * 1.5e-12).epsilon(1e-12));
  CHECK(component(r, "sm.tensor") == Approx(4096 * 0.25e-12).epsilon(1e-12));
  CHECK(component(r, "register_file") == Approx((30 * 10 + 20 * 12) * 1e-12).epsilon(1e-12));
  CHECK(component(r, "instruction") == Approx(200e-12).epsilon(1e-12));
  CHECK(component(r, "l2") == Approx((5 * 40 + 4 * 3) * 1e-12).epsilon(1e-12));
  CHECK(component(r, "l1") == Approx(6 * 7e-12).epsilon(1e-12));
  // 256 bytes in 4 column commands, 3 reads: 192 B read, 64 B written
  CHECK(component(r, "dram") == Approx((10 * 100 + 192 * 8 * 2 + 64 * 8 * 3 + 256 * 8 * 0.5) * 1e-12).epsilon(1e-12));
  CHECK(component(r, "leakage") == Approx(2 * 0.5 * 1e-6).epsilon(1e-12));
  CHECK(component(r, "constant") == Approx(10 * 1e-6).epsilon(1e-12));
  CHECK(component(r, "activation") == Approx(1 * 1000 / 1e9).epsilon(1e-12));
  CHECK(component(r, "unpriced") == 0);  // 9 actions the table cannot price, shown but 0 J
  double sum = 0;
  for (const auto& c : r.components()) sum += c.joules();
  CHECK(r.joules() == Approx(sum).epsilon(1e-12));
  CHECK(r.average_watts() == Approx(r.joules() / 1e-6));
  CHECK(r.pj_per_flop() == Approx(r.joules() * 1e12 / 1000));
  CHECK(r.dynamic_joules() + r.static_joules() == Approx(r.joules()));
}

TEST_CASE("E5 ideal memory: DRAM energy from its sectors, one activation each", "[energy]") {
  const energy::Counters d = {{"gpu.memory.requests", 2}, {"gpu.memory.sectors", 8}};
  const proto::EnergyReport r = energy::kernel_energy(table(), machine(), d, 0, 0);
  CHECK(component(r, "dram") == Approx((8 * 100 + 8 * 32 * 8 * (2 + 0.5)) * 1e-12).epsilon(1e-12));
}

TEST_CASE("E6 an empty table prices nothing: missing counters and figures are zero", "[energy]") {
  const proto::EnergyReport r = energy::kernel_energy(proto::EnergySpec(), machine(), {{"gpu.sm[0].energy.issue", 5}}, 1, 0);
  CHECK(r.joules() == 0);
  CHECK(energy::to_fj(0.0001) == 0);
  CHECK(energy::to_fj(1.5) == 1500);
}
