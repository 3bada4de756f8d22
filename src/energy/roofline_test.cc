// Roofline placement and bound selection (src/energy/roofline.h).
#include <catch2/catch.hpp>

#include "src/energy/roofline.h"

using namespace xpusim;

namespace {
energy::Roofs roofs() {
  energy::Roofs r;
  r.flops_per_s = {{"fp32", 10e12}, {"fp16_tensor", 100e12}};
  r.bytes_per_s = {{"DRAM", 1e12}, {"L2", 4e12}, {"L1", 20e12}};
  return r;
}
std::vector<energy::LevelBytes> bytes(uint64_t dram, uint64_t l2, uint64_t l1) {
  return {{"DRAM", dram, ""}, {"L2", l2, ""}, {"L1", l1, ""}};
}
}  // namespace

TEST_CASE("E7 a high-intensity kernel is compute-bound on its dominant precision's peak", "[energy]") {
  // 1e12 tensor FLOPs + 1e9 fp32; DRAM AI 1000 > ridge 100
  const proto::Roofline r = energy::place(roofs(), {{"fp16_tensor", 1000000000000}, {"fp32", 1000000000}},
                                          bytes(1000000000, 2000000000, 10000000000), 0.02);
  CHECK(r.compute_precision() == "fp16_tensor");
  CHECK(r.peak_flops_per_s() == 100e12);
  CHECK(r.bound() == "compute");
  CHECK(r.attainable_flops_per_s() == 100e12);
  CHECK(r.levels(0).intensity() == Approx(1001.0));
  CHECK(r.levels(0).ridge_intensity() == Approx(100.0));
  CHECK(r.achieved_flops_per_s() == Approx(1.001e12 / 0.02));
}

TEST_CASE("E8 a streaming kernel is bound by the level with the lowest roof", "[energy]") {
  // fp32: 2n FLOPs, 24n bytes at DRAM (AI 1/12), L2 the same, L1 the same
  const uint64_t n = 1 << 20;
  const proto::Roofline r = energy::place(roofs(), {{"fp32", 2 * n}}, bytes(24 * n, 24 * n, 24 * n), 1e-3);
  CHECK(r.bound() == "DRAM");
  CHECK(r.levels(0).intensity() == Approx(1.0 / 12));
  CHECK(r.attainable_flops_per_s() == Approx(1e12 / 12));
  // the same kernel with L2 traffic 8x DRAM: L2's roof (4e12 * 1/96) is now the lowest
  const proto::Roofline r2 = energy::place(roofs(), {{"fp32", 2 * n}}, bytes(24 * n, 192 * n, 192 * n), 1e-3);
  CHECK(r2.bound() == "L2");
}

TEST_CASE("E9 levels without a bandwidth in the config have no roof", "[energy]") {
  energy::Roofs ro = roofs();
  ro.bytes_per_s.erase("L2");
  const uint64_t n = 1000;
  const proto::Roofline r = energy::place(ro, {{"fp32", 2 * n}}, bytes(24 * n, 1000 * n, 24 * n), 1e-6);
  CHECK(r.levels(1).attainable_flops_per_s() == 0);
  CHECK(r.bound() == "DRAM");
  const proto::Roofline none = energy::place(ro, {}, bytes(0, 0, 0), 1e-6);
  CHECK(none.bound().empty());
}
