// Coalescer: lines and sector masks per access width, misaligned and straddling accesses,
// lane counts (atomics), and the fixed output order.
#include <catch2/catch.hpp>

#include <array>

#include "models/memory/coalescer.h"
#include "models/memory/test_lanes.h"

using namespace xpusim::mem;

using testing::strided;

TEST_CASE("coalescer: consecutive lanes give ceil(32 x width / 128) full lines", "[coalescer]") {
  CoalescedLines out;
  for (uint32_t w : {1u, 2u, 4u, 8u, 16u}) {
    const auto a = strided(0x1000, w);
    const uint32_t n = coalesce(a.data(), 0xffffffffu, w, out);
    const uint32_t bytes = 32 * w;
    CHECK(n == (bytes + 127) / 128);
    for (uint32_t i = 0; i < n; ++i) CHECK(out[i].line_addr == 0x1000 + 128 * i);
    // 1 byte x 32 = one sector, 2 bytes = two sectors, 4 bytes and more: whole lines
    const uint8_t expect = bytes >= 128 ? 0xf : static_cast<uint8_t>((1u << (bytes / 32)) - 1);
    CHECK(out[0].sector_mask == expect);
    uint32_t lanes = 0;
    for (uint32_t i = 0; i < n; ++i) lanes += out[i].lanes;
    CHECK(lanes == 32);
  }
}

TEST_CASE("coalescer: a 128-byte stride gives one line per lane with one sector each", "[coalescer]") {
  CoalescedLines out;
  const auto a = strided(0x2040, 128);  // offset 64 in each line: sector 2
  const uint32_t n = coalesce(a.data(), 0xffffffffu, 4, out);
  REQUIRE(n == 32);
  for (uint32_t i = 0; i < n; ++i) {
    CHECK(out[i].line_addr == 0x2000 + 128 * i);
    CHECK(out[i].sector_mask == 0x4);
    CHECK(out[i].lanes == 1);
  }
}

TEST_CASE("coalescer: only executing lanes count and lines come in first-touch order", "[coalescer]") {
  CoalescedLines out;
  std::array<uint64_t, 32> a{};
  a[3] = 0x5000 + 4;   // line 0x5000, sector 0
  a[7] = 0x4000 + 96;  // line 0x4000, sector 3
  a[9] = 0x5000 + 40;  // line 0x5000, sector 1
  a[0] = 0x9000;       // not executing
  const uint32_t n = coalesce(a.data(), (1u << 3) | (1u << 7) | (1u << 9), 8, out);
  REQUIRE(n == 2);
  CHECK(out[0].line_addr == 0x5000);
  CHECK(out[0].sector_mask == 0x3);
  CHECK(out[0].lanes == 2);
  CHECK(out[1].line_addr == 0x4000);
  CHECK(out[1].sector_mask == 0x8);
  CHECK(coalesce(a.data(), 0, 4, out) == 0);
}

TEST_CASE("coalescer: all lanes on one word give one line with one sector and 32 lanes (atomics)", "[coalescer]") {
  CoalescedLines out;
  const auto a = strided(0x3010, 0);
  REQUIRE(coalesce(a.data(), 0xffffffffu, 4, out) == 1);
  CHECK(out[0].sector_mask == 0x1);
  CHECK(out[0].lanes == 32);
}

TEST_CASE("coalescer: misaligned accesses touch every sector and line they overlap", "[coalescer]") {
  CoalescedLines out;
  std::array<uint64_t, 32> a{};
  a[0] = 0x1000 + 30;  // 4 bytes over the sector 0/1 boundary
  REQUIRE(coalesce(a.data(), 1, 4, out) == 1);
  CHECK(out[0].sector_mask == 0x3);
  a[0] = 0x1000 + 120;  // 16 bytes over the line boundary: sector 3, then sector 0 of the next
  REQUIRE(coalesce(a.data(), 1, 16, out) == 2);
  CHECK(out[0].line_addr == 0x1000);
  CHECK(out[0].sector_mask == 0x8);
  CHECK(out[1].line_addr == 0x1080);
  CHECK(out[1].sector_mask == 0x1);
  // 32 lanes of straddling 16-byte accesses, 128 bytes apart: 64 lines, the maximum
  const auto s = strided(0x1000 + 120, 128);
  CHECK(coalesce(s.data(), 0xffffffffu, 16, out) == 33);  // consecutive lanes share lines
  const auto s2 = strided(0x1000 + 120, 256);
  CHECK(coalesce(s2.data(), 0xffffffffu, 16, out) == 64);
}
