// Tests for src/workload/npy: numpy's exact header bytes, round trips of every supported
// dtype and shape form, tolerant header parsing, bad files, to_npy() and atomic writes.
#include "src/workload/npy.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace xpusim::workload {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag)
      : path(fs::temp_directory_path() / ("xpusim_npy_test_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// An .npy file with a hand-written header dictionary, padded as numpy pads it.
std::string raw_npy(const std::string& dict, const std::string& data, int major = 1) {
  std::string h = dict;
  const size_t pre = major == 1 ? 10 : 12;
  while ((pre + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  if (major != 1) out += std::string(2, '\0');
  return out + h + data;
}

NpyArray array(const std::string& descr, std::vector<uint64_t> shape, std::vector<uint8_t> data, bool fortran = false) {
  NpyArray a;
  a.descr = descr;
  a.shape = std::move(shape);
  a.data = std::move(data);
  a.fortran_order = fortran;
  return a;
}

BufferData buffer(proto::DType t, std::vector<uint64_t> shape, proto::Layout layout, const std::vector<double>& v) {
  BufferData b{.name = std::string(1, 'b'), .dtype = t, .shape = std::move(shape), .layout = layout, .bytes = {}};
  b.bytes.assign(storage_bytes(t, b.elements()), 0);
  for (uint64_t i = 0; i < v.size(); ++i) b.set(i, v[i]);
  return b;
}

}  // namespace

TEST_CASE("workload: npy header is byte-identical to numpy's for a (2, 3) <f4 array", "[workload]") {
  TempDir dir("header");
  std::vector<uint8_t> data(24);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  write_npy(dir / "a.npy", array("<f4", {2, 3}, data));

  std::string expect =
      std::string("\x93NUMPY\x01\x00v\x00", 10) + "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  expect.resize(127, ' ');
  expect += '\n';
  const std::string got = read_file(dir / "a.npy");
  REQUIRE(got.size() == 128 + 24);
  CHECK(got.substr(0, 128) == expect);
  CHECK(got.substr(128) == std::string(data.begin(), data.end()));

  // numpy >= 1.24 reserves 21 digits for the first axis: here that crosses into a third 64-byte block
  write_npy(dir / "e.npy", array("<f4", {0, 1000000000000, 1000000000000, 1000000000000}, {}));
  std::string big =
      std::string("\x93NUMPY\x01\x00\xb6\x00", 10) +
      "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1000000000000, 1000000000000, 1000000000000), }";
  big.resize(191, ' ');
  big += '\n';
  CHECK(read_file(dir / "e.npy") == big);
}

TEST_CASE("workload: npy write/read round trip for every dtype and shape form", "[workload]") {
  TempDir dir("roundtrip");
  const std::pair<const char*, size_t> types[] = {{"<f2", 2}, {"<f4", 4}, {"<f8", 8}, {"|i1", 1},
                                                  {"|u1", 1}, {"<i2", 2}, {"<u2", 2}, {"<i4", 4},
                                                  {"<u4", 4}, {"<i8", 8}, {"<u8", 8}, {"|b1", 1}};
  const std::vector<std::vector<uint64_t>> shapes = {{5}, {2, 3}, {}, {2, 1, 3}, {0, 4}};
  for (const auto& [descr, size] : types) {
    for (const auto& shape : shapes) {
      for (const bool fortran : {false, true}) {
        NpyArray a = array(descr, shape, {}, fortran);
        for (size_t i = 0; i < a.elements() * size; ++i)
          a.data.push_back(static_cast<uint8_t>(descr[1] == 'b' ? i % 2 : i * 37));
        write_npy(dir / "x.npy", a);
        const std::string raw = read_file(dir / "x.npy");
        const NpyArray b = read_npy(dir / "x.npy");
        INFO(descr << " rank " << shape.size() << " fortran " << fortran);
        CHECK(raw.size() % 64 == (a.data.size() % 64));  // data starts 64-aligned
        CHECK(b.descr == a.descr);
        CHECK(b.shape == a.shape);
        CHECK(b.fortran_order == a.fortran_order);
        CHECK(b.data == a.data);
      }
    }
  }
  write_npy(dir / "v.npy", array("<f4", {5}, std::vector<uint8_t>(20)));
  CHECK_THAT(read_file(dir / "v.npy"), Catch::Contains("'shape': (5,), }"));
  write_npy(dir / "s.npy", array("<f4", {}, std::vector<uint8_t>(4)));
  CHECK_THAT(read_file(dir / "s.npy"), Catch::Contains("'shape': (), }"));
}

TEST_CASE("workload: npy headers are parsed in any key order and spacing, v1 and v2", "[workload]") {
  TempDir dir("parse");
  std::string i2;  // 0..5 as <i2, written by columns of a (2, 3) array
  for (int v : {0, 3, 1, 4, 2, 5}) i2 += std::string{static_cast<char>(v), '\0'};
  write_file(dir / "a.npy", raw_npy("{ \"shape\" : ( 2 , 3 ) , 'fortran_order':True,'descr':'<i2' }", i2));
  const NpyArray a = read_npy(dir / "a.npy");
  CHECK(a.descr == "<i2");
  CHECK(a.shape == std::vector<uint64_t>{2, 3});
  CHECK(a.fortran_order);
  for (uint64_t i = 0; i < 6; ++i) CHECK(a.get(i) == static_cast<double>(i));

  std::string f8(24, '\0');
  f8[6] = '\xf0', f8[7] = '\x3f';  // 1.0
  write_file(dir / "b.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }", f8, 2));
  const NpyArray b = read_npy(dir / "b.npy");
  CHECK(b.shape == std::vector<uint64_t>{3});
  CHECK(b.get(0) == 1.0);
  CHECK(b.get(2) == 0.0);
}

TEST_CASE("workload: npy element values of every dtype", "[workload]") {
  CHECK(array("<f2", {1}, {0x00, 0x3c}).get(0) == 1.0);
  CHECK(array("<f2", {1}, {0x01, 0x00}).get(0) == 0x1p-24);
  CHECK(array("<f4", {1}, {0x00, 0x00, 0xc0, 0xbf}).get(0) == -1.5);
  CHECK(array("<f8", {1}, {0, 0, 0, 0, 0, 0, 0x10, 0x40}).get(0) == 4.0);
  CHECK(array("|b1", {2}, {0, 2}).get(1) == 1.0);
  CHECK(array("|i1", {1}, {0x80}).get(0) == -128);
  CHECK(array("|u1", {1}, {0x80}).get(0) == 128);
  CHECK(array("<i2", {1}, {0xfe, 0xff}).get(0) == -2);
  CHECK(array("<u2", {1}, {0xff, 0xff}).get(0) == 65535);
  CHECK(array("<i4", {1}, {0x00, 0x00, 0x00, 0x80}).get(0) == -2147483648.0);
  CHECK(array("<u4", {1}, {0xff, 0xff, 0xff, 0xff}).get(0) == 4294967295.0);
  CHECK(array("<i8", {1}, std::vector<uint8_t>(8, 0xff)).get(0) == -1);
  CHECK(array("<u8", {1}, std::vector<uint8_t>(8, 0xff)).get(0) == 0x1p64);
  CHECK(array("|i1", {2, 3}, {0, 3, 1, 4, 2, 5}, true).get(1) == 1);  // fortran order
  CHECK(array("|i1", {2, 3}, {0, 3, 1, 4, 2, 5}, false).get(1) == 3);
}

TEST_CASE("workload: bad npy files are InputErrors naming the file and the problem", "[workload]") {
  TempDir dir("bad");
  const std::string good_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const std::string data(24, '\0');
  struct Case {
    std::string name, bytes, expect;
  };
  std::string v4 = raw_npy(good_dict, data);
  v4[6] = 4;
  const Case cases[] = {
      {"magic.npy", std::string("\x93NUMPX\x01\x00", 8) + raw_npy(good_dict, data).substr(8), "bad magic"},
      {"short.npy", std::string("\x93NUM", 4), "truncated"},
      {"header.npy", raw_npy(good_dict, data).substr(0, 40), "truncated header"},
      {"data.npy", raw_npy(good_dict, data.substr(0, 20)), "needs 24 data bytes, the file holds 20"},
      {"extra.npy", raw_npy(good_dict, data + "xx"), "2 unexpected bytes"},
      {"version.npy", v4, "unsupported .npy version 4.0"},
      {"big.npy", raw_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", data),
       "big-endian dtype '>f4'"},
      {"complex.npy", raw_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", data),
       "unsupported dtype '<c8'"},
      {"object.npy", raw_npy("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", data),
       "unsupported dtype '|O'"},
      {"struct.npy", raw_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", data), "structured"},
      {"key.npy", raw_npy("{'descr': '<f4', 'fortran': False, 'shape': (2, 3), }", data), "unknown key 'fortran'"},
      {"missing.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, }", data), "missing key 'shape'"},
      {"dup.npy", raw_npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", data),
       "duplicate key"},
      {"bool.npy", raw_npy("{'descr': '<f4', 'fortran_order': false, 'shape': (2, 3), }", data), "True or False"},
      {"comma.npy", raw_npy("{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3), }", data), "expected '}'"},
      {"tail.npy", raw_npy(good_dict + " x", data), "unexpected text after the dictionary"},
      {"neg.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", data),
       "non-negative integer"},
  };
  for (const Case& c : cases) {
    write_file(dir / c.name, c.bytes);
    INFO(c.name);
    try {
      read_npy(dir / c.name);
      FAIL("accepted");
    } catch (const InputErrors& e) {
      REQUIRE(e.errors().size() == 1);
      CHECK(e.errors()[0].loc.file == dir / c.name);
      CHECK_THAT(e.errors()[0].message, Catch::Contains(c.expect));
      CHECK_THAT(std::string(e.what()), Catch::StartsWith(dir / c.name));
    }
  }
  CHECK_THROWS_WITH(read_npy(dir / "nothing.npy"), Catch::Contains("nothing.npy") && Catch::Contains("cannot open"));
  CHECK_THROWS_WITH(read_npy(dir.path.string()), Catch::Contains("directory"));
}

TEST_CASE("workload: to_npy keeps numpy dtypes, widens the others, keeps the layout", "[workload]") {
  const BufferData h = buffer(proto::FP16, {2, 3}, proto::ROW_MAJOR, {1, 2, 3, 4, 5, 6});
  const NpyArray hn = to_npy(h);
  CHECK(hn.descr == "<f2");
  CHECK(hn.data == h.bytes);
  CHECK_FALSE(hn.fortran_order);

  const BufferData bf = buffer(proto::BF16, {3}, proto::ROW_MAJOR, {1.5, -2, 0.25});
  const NpyArray bn = to_npy(bf);
  CHECK(bn.descr == "<f4");
  CHECK(bn.data.size() == 12);
  CHECK(bn.get(1) == -2);

  const NpyArray i4 = to_npy(buffer(proto::INT4, {3}, proto::ROW_MAJOR, {-8, 7, -1}));
  CHECK(i4.descr == "|i1");
  CHECK(i4.data == std::vector<uint8_t>{0xf8, 0x07, 0xff});
  CHECK(to_npy(buffer(proto::UINT4, {2}, proto::ROW_MAJOR, {15, 3})).descr == "|u1");
  CHECK(to_npy(buffer(proto::UE8M0, {1}, proto::ROW_MAJOR, {0x1p-127})).get(0) == 0x1p-127);
  CHECK(to_npy(buffer(proto::INT8, {1}, proto::ROW_MAJOR, {-3})).descr == "|i1");
  CHECK(to_npy(buffer(proto::UINT32, {1}, proto::ROW_MAJOR, {3})).descr == "<u4");

  for (const proto::DType t : {proto::FP32, proto::FP8_E4M3, proto::INT4}) {
    const BufferData c = buffer(t, {2, 3}, proto::COL_MAJOR, {1, 2, 3, 4, 5, 6});
    const NpyArray cn = to_npy(c);
    INFO(dtype_name(t));
    CHECK(cn.fortran_order);
    for (uint64_t i = 0; i < 6; ++i) CHECK(cn.get(i) == c.get(i));
  }
}

TEST_CASE("workload: write_npy replaces the file atomically and reports failures", "[workload]") {
  TempDir dir("atomic");
  write_npy(dir / "o.npy", array("|u1", {2}, {1, 2}));
  write_npy(dir / "o.npy", array("|u1", {3}, {7, 8, 9}));
  CHECK(read_npy(dir / "o.npy").data == std::vector<uint8_t>{7, 8, 9});
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) files += e.is_regular_file();
  CHECK(files == 1);  // no temporary left behind
  CHECK_THROWS_WITH(write_npy(dir / "no/such/dir.npy", array("|u1", {1}, {1})), Catch::Contains("dir.npy"));
  CHECK_THROWS_WITH(write_npy(dir / "c.npy", array("<c8", {1}, std::vector<uint8_t>(8))), Catch::Contains("<c8"));
  CHECK_FALSE(fs::exists(dir / "c.npy"));
}

}  // namespace xpusim::workload
