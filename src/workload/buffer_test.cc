// Tests for src/workload/buffer: the dtype table, storage layout of every dtype (packed
// nibbles, FP6 bytes, TF32 words, little-endian words, COL_MAJOR), saturating set(), each
// initialiser and its determinism, and declaration errors.
#include "src/workload/buffer.h"

#include <unistd.h>

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "src/engine/rng.h"
#include "src/workload/npy.h"

namespace xpusim::workload {
namespace {

BufferData blank(proto::DType t, std::vector<uint64_t> shape, proto::Layout layout = proto::ROW_MAJOR) {
  BufferData b{.name = std::string(1, 'b'), .dtype = t, .shape = std::move(shape), .layout = layout, .bytes = {}};
  b.bytes.assign(storage_bytes(t, b.elements()), 0);
  return b;
}

proto::Buffer decl(const std::string& name, proto::DType t, std::vector<uint64_t> shape) {
  proto::Buffer d;
  d.set_name(name);
  d.set_dtype(t);
  for (uint64_t s : shape) d.add_shape(s);
  return d;
}

const SourceLoc kWhere{"w.textproto", 7, 3};

std::vector<double> all_values(const BufferData& b) {
  std::vector<double> v;
  for (uint64_t i = 0; i < b.elements(); ++i) v.push_back(b.get(i));
  return v;
}

}  // namespace

TEST_CASE("workload: dtype table: bits, names, float kinds, storage bytes", "[workload]") {
  CHECK(dtype_bits(proto::FP64) == 64);
  CHECK(dtype_bits(proto::TF32) == 32);
  CHECK(dtype_bits(proto::BF16) == 16);
  CHECK(dtype_bits(proto::FP6_E3M2) == 8);
  CHECK(dtype_bits(proto::FP4_E2M1) == 4);
  CHECK(dtype_bits(proto::UINT4) == 4);
  CHECK(dtype_bits(proto::UE8M0) == 8);
  CHECK(dtype_bits(proto::DTYPE_UNSPECIFIED) == 0);
  CHECK(std::string(dtype_name(proto::FP16)) == "fp16");
  CHECK(std::string(dtype_name(proto::FP8_E4M3)) == "e4m3");
  CHECK(std::string(dtype_name(proto::INT8)) == "int8");
  CHECK(dtype_is_float(proto::UE4M3));
  CHECK(dtype_is_float(proto::FP4_E2M1));
  CHECK_FALSE(dtype_is_float(proto::INT4));
  CHECK_FALSE(dtype_is_float(proto::UINT32));
  CHECK(storage_bytes(proto::FP4_E2M1, 5) == 3);
  CHECK(storage_bytes(proto::INT4, 4) == 2);
  CHECK(storage_bytes(proto::FP6_E2M3, 5) == 5);
  CHECK(storage_bytes(proto::TF32, 3) == 12);
  CHECK(storage_bytes(proto::INT64, 3) == 24);
}

TEST_CASE("workload: every dtype stores and returns representable values exactly", "[workload]") {
  const std::vector<double> signed_floats = {0, 1, -1.5, 2, 0.5, -4, 3};
  const std::vector<double> scales = {1, 2, 0.5, 4, 0.25};
  const std::vector<double> ue4m3 = {0, 1, 1.5, 2, 0.5, 4, 448};
  const std::vector<double> sints = {0, 1, -1, 7, -8, 5};
  const std::vector<double> uints = {0, 1, 7, 15, 3};
  for (int t = proto::FP64; t <= proto::UINT4; ++t) {
    const auto dt = static_cast<proto::DType>(t);
    const std::vector<double>& vals =
        dt == proto::UE8M0                                                                         ? scales
        : dt == proto::UE4M3                                                                       ? ue4m3
        : dtype_is_float(dt)                                                                       ? signed_floats
        : (dt == proto::UINT32 || dt == proto::UINT16 || dt == proto::UINT8 || dt == proto::UINT4) ? uints
                                                                                                   : sints;
    BufferData b = blank(dt, {vals.size()});
    for (uint64_t i = 0; i < vals.size(); ++i) b.set(i, vals[i]);
    INFO(dtype_name(dt));
    CHECK(b.bytes.size() == storage_bytes(dt, vals.size()));
    CHECK(all_values(b) == vals);
  }
}

TEST_CASE("workload: 4-bit types pack two per byte, element 0 in the low nibble", "[workload]") {
  BufferData i4 = blank(proto::INT4, {3});
  i4.set(0, 1);
  i4.set(1, -2);
  i4.set(2, 3);
  CHECK(i4.bytes == std::vector<uint8_t>{0xe1, 0x03});
  i4.set(0, -8);  // rewriting one nibble keeps the other
  CHECK(i4.bytes == std::vector<uint8_t>{0xe8, 0x03});
  CHECK(i4.get(1) == -2);

  BufferData f4 = blank(proto::FP4_E2M1, {3});
  f4.set(0, 1.0);   // 0b0010
  f4.set(1, 6.0);   // 0b0111
  f4.set(2, -0.5);  // 0b1001
  CHECK(f4.bytes == std::vector<uint8_t>{0x72, 0x09});

  BufferData u4 = blank(proto::UINT4, {2});
  u4.set(0, 15);
  u4.set(1, 10);
  CHECK(u4.bytes == std::vector<uint8_t>{0xaf});
}

TEST_CASE("workload: FP6 one per byte in bits [5:0], TF32 and wider types little-endian", "[workload]") {
  BufferData e3m2 = blank(proto::FP6_E3M2, {2});
  e3m2.set(0, 1.0);
  e3m2.set(1, -1.0);
  CHECK(e3m2.bytes == std::vector<uint8_t>{0x0c, 0x2c});
  BufferData e2m3 = blank(proto::FP6_E2M3, {2});
  e2m3.set(0, 1.0);
  e2m3.set(1, -7.5);
  CHECK(e2m3.bytes == std::vector<uint8_t>{0x08, 0x3f});

  BufferData tf = blank(proto::TF32, {2});
  tf.set(0, 1.0 + 0x1p-20);  // below TF32 precision: rounds to 1.0
  tf.set(1, 1.0 + 0x1p-10);  // the last TF32 mantissa bit
  CHECK(tf.bytes == std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3f, 0x00, 0x20, 0x80, 0x3f});
  CHECK(tf.get(1) == 1.0 + 0x1p-10);

  BufferData h = blank(proto::FP16, {1});
  h.set(0, 1.0);
  CHECK(h.bytes == std::vector<uint8_t>{0x00, 0x3c});
  BufferData bf = blank(proto::BF16, {1});
  bf.set(0, -2.0);
  CHECK(bf.bytes == std::vector<uint8_t>{0x00, 0xc0});
  BufferData i32 = blank(proto::INT32, {1});
  i32.set(0, -2);
  CHECK(i32.bytes == std::vector<uint8_t>{0xfe, 0xff, 0xff, 0xff});
  BufferData d = blank(proto::FP64, {1});
  d.set(0, 1.0);
  CHECK(d.bytes == std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0xf0, 0x3f});
  BufferData i64 = blank(proto::INT64, {1});
  i64.set(0, -0x1p62);
  CHECK(i64.get(0) == -0x1p62);
}

TEST_CASE("workload: COL_MAJOR buffers index logically, store the first dimension contiguous", "[workload]") {
  BufferData b = blank(proto::INT8, {2, 3}, proto::COL_MAJOR);
  for (uint64_t i = 0; i < 6; ++i) b.set(i, static_cast<double>(i));
  // logical [[0,1,2],[3,4,5]] stored by columns
  CHECK(b.bytes == std::vector<uint8_t>{0, 3, 1, 4, 2, 5});
  CHECK(b.storage_index(1) == 2);
  CHECK(b.storage_index(3) == 1);
  CHECK(all_values(b) == std::vector<double>{0, 1, 2, 3, 4, 5});
  CHECK(col_major_index({2, 3, 4}, 1 * 12 + 0 * 4 + 2) == 1 + 0 * 2 + 2 * 6);
  CHECK(col_major_index({2, 3, 4}, 23) == 23);
  // packed nibbles follow storage order
  BufferData p = blank(proto::UINT4, {2, 2}, proto::COL_MAJOR);
  for (uint64_t i = 0; i < 4; ++i) p.set(i, static_cast<double>(i + 1));
  CHECK(p.bytes == std::vector<uint8_t>{0x31, 0x42});
  // rank-1 COL_MAJOR is the identity
  BufferData v = blank(proto::INT8, {4}, proto::COL_MAJOR);
  CHECK(v.storage_index(3) == 3);
}

TEST_CASE("workload: set() rounds to nearest even and saturates", "[workload]") {
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    proto::DType t;
    double in, out;
  };
  const Case cases[] = {
      {proto::FP16, 1e6, 65504},
      {proto::FP16, -1e6, -65504},
      {proto::FP16, inf, 65504},
      {proto::FP16, 1 + 0x1p-11, 1},
      {proto::FP16, 1 + 3 * 0x1p-11, 1 + 0x1p-9},
      {proto::BF16, -inf, -0x1.fep127},
      {proto::FP8_E4M3, 1000, 448},
      {proto::FP8_E5M2, 1e6, 57344},
      {proto::FP6_E3M2, 100, 28},
      {proto::FP6_E2M3, -9, -7.5},
      {proto::FP4_E2M1, 7, 6},
      {proto::FP4_E2M1, 5, 4},
      {proto::UE4M3, 1e4, 448},
      {proto::FP32, 1e39, 0x1.fffffep127},
      {proto::FP64, inf, std::numeric_limits<double>::max()},
      {proto::INT8, 300, 127},
      {proto::INT8, -300, -128},
      {proto::INT8, 2.5, 2},
      {proto::INT8, 3.5, 4},
      {proto::INT8, -2.5, -2},
      {proto::UINT8, -5, 0},
      {proto::INT4, 9, 7},
      {proto::INT4, -9.7, -8},
      {proto::UINT4, 20, 15},
      {proto::INT32, 1e12, 2147483647},
      {proto::UINT32, 1e12, 4294967295.0},
      {proto::INT16, 0.5, 0},
      {proto::INT32, std::nan(""), 0},
  };
  for (const Case& c : cases) {
    BufferData b = blank(c.t, {2});
    b.set(1, c.in);
    INFO(dtype_name(c.t) << " set(" << c.in << ")");
    CHECK(b.get(1) == c.out);
    CHECK(b.get(0) == 0);
  }
}

TEST_CASE("workload: zeros, constant and no initialiser", "[workload]") {
  proto::Buffer d = decl("c", proto::FP16, {3, 2});
  d.mutable_init()->mutable_constant()->set_value(0.3);
  const BufferData c = make_buffer(d, "", 1, kWhere);
  CHECK(c.bytes.size() == 12);
  for (double v : all_values(c)) CHECK(v == 0.300048828125);  // 0.3 rounded to fp16

  proto::Buffer z = decl("z", proto::BF16, {5});
  z.mutable_init()->mutable_zeros();
  CHECK(make_buffer(z, "", 1, kWhere).bytes == std::vector<uint8_t>(10, 0));
  const BufferData none = make_buffer(decl("n", proto::FP4_E2M1, {3}), "", 1, kWhere);
  CHECK(none.bytes == std::vector<uint8_t>(2, 0));
  CHECK(none.shape == std::vector<uint64_t>{3});
}

TEST_CASE("workload: normal initialiser: statistics and stream derivation", "[workload]") {
  proto::Buffer d = decl("x", proto::FP32, {100000});
  d.mutable_init()->mutable_normal()->set_mean(2.0);
  d.mutable_init()->mutable_normal()->set_std(0.5);
  const BufferData b = make_buffer(d, "", 42, kWhere);
  double sum = 0, sq = 0;
  for (double v : all_values(b)) sum += v, sq += v * v;
  const double mean = sum / 1e5, sd = std::sqrt(sq / 1e5 - mean * mean);
  CHECK(mean == Approx(2.0).margin(0.01));
  CHECK(sd == Approx(0.5).epsilon(0.02));

  engine::Rng rng(42, "buffer:x");  // values in logical order from the buffer's own stream
  for (uint64_t i = 0; i < 4; ++i) CHECK(b.get(i) == static_cast<float>(2.0 + 0.5 * rng.normal()));

  proto::Buffer unit = decl("u", proto::FP64, {100000});
  unit.mutable_init()->mutable_normal();  // std defaults to 1
  double s2 = 0;
  for (double v : all_values(make_buffer(unit, "", 42, kWhere))) s2 += v * v;
  CHECK(std::sqrt(s2 / 1e5) == Approx(1.0).epsilon(0.02));
}

TEST_CASE("workload: random initialisers are deterministic per (seed, buffer name)", "[workload]") {
  proto::Buffer d = decl("a", proto::BF16, {64});
  d.mutable_init()->mutable_uniform()->set_low(-1);
  const BufferData a1 = make_buffer(d, "", 7, kWhere);
  const BufferData a2 = make_buffer(d, "", 7, kWhere);
  CHECK(a1.bytes == a2.bytes);
  CHECK(make_buffer(d, "", 8, kWhere).bytes != a1.bytes);
  d.set_name("b");
  CHECK(make_buffer(d, "", 7, kWhere).bytes != a1.bytes);
}

TEST_CASE("workload: uniform and randint ranges", "[workload]") {
  proto::Buffer u = decl("u", proto::FP64, {20000});
  u.mutable_init()->mutable_uniform()->set_low(0.5);  // high defaults to 1
  const std::vector<double> uv = all_values(make_buffer(u, "", 3, kWhere));
  double sum = 0;
  for (double v : uv) {
    CHECK((v >= 0.5 && v < 1.0));
    sum += v;
  }
  CHECK(sum / 20000 == Approx(0.75).margin(0.005));

  proto::Buffer r = decl("r", proto::INT8, {4000});
  r.mutable_init()->mutable_randint()->set_low(-3);
  r.mutable_init()->mutable_randint()->set_high(4);
  std::set<double> seen;
  for (double v : all_values(make_buffer(r, "", 3, kWhere))) seen.insert(v);
  CHECK(seen == std::set<double>{-3, -2, -1, 0, 1, 2, 3});
}

TEST_CASE("workload: arange fills logical order, also for COL_MAJOR", "[workload]") {
  proto::Buffer d = decl("r", proto::FP32, {2, 3});
  d.set_layout(proto::COL_MAJOR);
  d.mutable_init()->mutable_arange()->set_start(1);
  d.mutable_init()->mutable_arange()->set_step(0.5);
  const BufferData b = make_buffer(d, "", 0, kWhere);
  CHECK(all_values(b) == std::vector<double>{1, 1.5, 2, 2.5, 3, 3.5});
  CHECK(b.bytes[4] == 0x00);  // storage element 1 is logical 3 (2.5 = 0x40200000)
  CHECK(b.bytes[6] == 0x20);
  proto::Buffer e = decl("e", proto::INT16, {4});
  e.mutable_init()->mutable_arange()->set_start(-2);  // step defaults to 1
  CHECK(all_values(make_buffer(e, "", 0, kWhere)) == std::vector<double>{-2, -1, 0, 1});
}

TEST_CASE("workload: npy initialiser converts values and honours fortran_order", "[workload]") {
  const auto dir = std::filesystem::temp_directory_path() / ("xpusim_buffer_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  NpyArray a;  // [[0.1, 1, 2], [3, 4, 70000]] written by columns as f8
  a.descr = "<f8";
  a.fortran_order = true;
  a.shape = {2, 3};
  for (double v : {0.1, 3.0, 1.0, 4.0, 2.0, 70000.0})
    for (int k = 0; k < 8; ++k) a.data.push_back(static_cast<uint8_t>(std::bit_cast<uint64_t>(v) >> (8 * k)));
  write_npy((dir / "in.npy").string(), a);

  proto::Buffer d = decl("h", proto::FP16, {2, 3});
  d.mutable_init()->mutable_npy()->set_path("in.npy");  // relative to dir
  const BufferData b = make_buffer(d, dir.string(), 0, kWhere);
  CHECK(all_values(b) == std::vector<double>{0.0999755859375, 1, 2, 3, 4, 65504});

  proto::Buffer wrong = decl("w", proto::FP32, {3, 2});
  wrong.mutable_init()->mutable_npy()->set_path((dir / "in.npy").string());
  try {
    make_buffer(wrong, "/nonexistent", 0, kWhere);
    FAIL("shape mismatch accepted");
  } catch (const InputErrors& e) {
    REQUIRE(e.errors().size() == 1);
    CHECK(e.errors()[0].loc.line == 7);
    CHECK_THAT(e.errors()[0].message, Catch::Contains("[2, 3]") && Catch::Contains("[3, 2]"));
  }
  proto::Buffer missing = decl("m", proto::FP32, {2});
  missing.mutable_init()->mutable_npy()->set_path("nope.npy");
  try {
    make_buffer(missing, dir.string(), 0, kWhere);
    FAIL("missing file accepted");
  } catch (const InputErrors& e) {
    CHECK(e.errors()[0].loc.file == "w.textproto");
    CHECK_THAT(e.errors()[0].message, Catch::Contains("nope.npy") && Catch::Contains("buffer 'm'"));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("workload: bad buffer declarations are all reported at the declaration", "[workload]") {
  proto::Buffer d = decl("bad", proto::DTYPE_UNSPECIFIED, {4, 0});
  d.mutable_init()->mutable_randint()->set_low(5);
  d.mutable_init()->mutable_randint()->set_high(5);
  try {
    make_buffer(d, "", 0, kWhere);
    FAIL("accepted");
  } catch (const InputErrors& e) {
    REQUIRE(e.errors().size() == 3);  // dtype, shape[1], empty range
    for (const InputError& err : e.errors()) CHECK(err.loc.str() == "w.textproto:7:3");
    CHECK_THAT(std::string(e.what()),
               Catch::Contains("dtype") && Catch::Contains("shape[1] is 0") && Catch::Contains("empty"));
  }
  proto::Buffer range = decl("r", proto::INT8, {4});
  range.mutable_init()->mutable_randint()->set_high(1000);
  CHECK_THROWS_WITH(make_buffer(range, "", 0, kWhere), Catch::Contains("does not fit int8"));
  CHECK_THROWS_AS(make_buffer(decl("s", proto::FP32, {}), "", 0, kWhere), InputErrors);
  proto::Buffer sd = decl("n", proto::FP32, {4});
  sd.mutable_init()->mutable_normal()->set_std(-1);
  CHECK_THROWS_WITH(make_buffer(sd, "", 0, kWhere), Catch::Contains("normal.std"));
  CHECK_THROWS_WITH(make_buffer(decl("big", proto::FP32, {1u << 20, 1u << 20, 2}), "", 0, kWhere),
                    Catch::Contains("2^40"));
}

}  // namespace xpusim::workload
