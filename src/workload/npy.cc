#include "src/workload/npy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "src/isa/numfmt.h"

namespace xpusim::workload {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64;         // numpy aligns the data to 64 bytes
constexpr size_t kGrowthDigits = 21;  // numpy leaves room for the growth axis to reach 21 digits

struct NpyType {
  char kind = 0;  // 'b' bool, 'i' signed, 'u' unsigned, 'f' IEEE float
  size_t size = 0;
};

// Empty when `descr` is a supported dtype (then *t is set); else the reason.
std::string parse_descr(const std::string& descr, NpyType* t) {
  const std::string bad = fmt::format(
      "unsupported dtype '{}' (supported: little-endian or '|' bool b1, ints i1..i8, u1..u8, floats f2 f4 f8)", descr);
  if (descr.size() < 3) return bad;
  const char order = descr[0], kind = descr[1];
  unsigned size = 0;
  const auto [end, ec] = std::from_chars(descr.data() + 2, descr.data() + descr.size(), size);
  if (ec != std::errc() || end != descr.data() + descr.size()) return bad;
  if (order == '>') return fmt::format("big-endian dtype '{}' is not supported", descr);
  const bool pow2 = size == 1 || size == 2 || size == 4 || size == 8;
  const bool ok =
      (kind == 'b' && size == 1) || ((kind == 'i' || kind == 'u') && pow2) || (kind == 'f' && size >= 2 && pow2);
  if (!ok || (order != '<' && order != '|') || (order == '|' && size != 1)) return bad;
  *t = {kind, size};
  return {};
}

double load_elem(const NpyType& t, const uint8_t* p) {
  uint64_t v = 0;
  for (size_t k = 0; k < t.size; ++k) v |= uint64_t{p[k]} << (8 * k);
  const int sh = 64 - 8 * static_cast<int>(t.size);
  switch (t.kind) {
    case 'b': return v != 0 ? 1.0 : 0.0;
    case 'u': return static_cast<double>(v);
    case 'i': return static_cast<double>(static_cast<int64_t>(v << sh) >> sh);
    default: break;
  }
  if (t.size == 2) return isa::decode(isa::Fmt::FP16, static_cast<uint32_t>(v));
  if (t.size == 4) return std::bit_cast<float>(static_cast<uint32_t>(v));
  return std::bit_cast<double>(v);
}

// Value conversion for the dtypes to_npy() writes (f4, i1, u1) and any other int/float.
void store_elem(const NpyType& t, uint8_t* p, double x) {
  uint64_t v = 0;
  if (t.kind == 'f')
    v = t.size == 4 ? std::bit_cast<uint32_t>(static_cast<float>(x)) : std::bit_cast<uint64_t>(x);
  else
    v = static_cast<uint64_t>(static_cast<int64_t>(x));
  for (size_t k = 0; k < t.size; ++k) p[k] = static_cast<uint8_t>(v >> (8 * k));
}

// The header dictionary, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
// Keys in any order, any spacing, trailing commas, 1-tuples, Python 2 'L' suffixes.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path) : s_(text), path_(path) {}
  void parse(NpyArray* a);

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputErrors(SourceLoc{path_, 0, 0}, fmt::format("bad .npy header: {} at header offset {}", what, pos_));
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool eat(char c) {
    skip_ws();
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!eat(c)) fail(fmt::format("expected '{}'", c));
  }
  std::string string_lit();
  bool bool_lit();
  uint64_t int_lit();
  std::vector<uint64_t> shape_tuple();

  std::string_view s_;
  const std::string& path_;
  size_t pos_ = 0;
};

std::string HeaderParser::string_lit() {
  skip_ws();
  if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) fail("expected a quoted string");
  const char q = s_[pos_++];
  const size_t end = s_.find(q, pos_);
  if (end == std::string_view::npos) fail("unterminated string");
  std::string v(s_.substr(pos_, end - pos_));
  pos_ = end + 1;
  return v;
}

bool HeaderParser::bool_lit() {
  skip_ws();
  for (const bool b : {true, false}) {
    const std::string_view word = b ? "True" : "False";
    if (s_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return b;
    }
  }
  fail("expected True or False");
}

uint64_t HeaderParser::int_lit() {
  skip_ws();
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s_.data() + pos_, s_.data() + s_.size(), v);
  if (ec != std::errc()) fail("expected a non-negative integer");
  pos_ = static_cast<size_t>(end - s_.data());
  if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;
  return v;
}

std::vector<uint64_t> HeaderParser::shape_tuple() {
  std::vector<uint64_t> shape;
  expect('(');
  while (!eat(')')) {
    shape.push_back(int_lit());
    if (shape.size() > kMaxRank) fail(fmt::format("more than {} dimensions", kMaxRank));
    if (!eat(',')) {
      expect(')');
      break;
    }
  }
  return shape;
}

void HeaderParser::parse(NpyArray* a) {
  bool seen[3] = {false, false, false};
  const char* names[3] = {"descr", "fortran_order", "shape"};
  expect('{');
  while (!eat('}')) {
    const size_t key_pos = pos_;
    const std::string key = string_lit();
    expect(':');
    int k = 0;
    if (key == "descr") {
      if (eat('[')) fail("structured dtypes are not supported");
      a->descr = string_lit();
    } else if (key == "fortran_order") {
      a->fortran_order = bool_lit(), k = 1;
    } else if (key == "shape") {
      a->shape = shape_tuple(), k = 2;
    } else {
      pos_ = key_pos;
      fail(fmt::format("unknown key '{}'", key));
    }
    if (seen[k]) fail(fmt::format("duplicate key '{}'", key));
    seen[k] = true;
    if (!eat(',')) {
      expect('}');
      break;
    }
  }
  skip_ws();
  if (pos_ != s_.size()) fail("unexpected text after the dictionary");
  for (int k = 0; k < 3; ++k)
    if (!seen[k]) fail(fmt::format("missing key '{}'", names[k]));
}

std::string header_text(const NpyArray& a) {
  const std::string shape =
      a.shape.size() == 1 ? fmt::format("({},)", a.shape[0]) : fmt::format("({})", fmt::join(a.shape, ", "));
  std::string h = fmt::format("{{'descr': '{}', 'fortran_order': {}, 'shape': {}, }}", a.descr,
                              a.fortran_order ? "True" : "False", shape);
  if (!a.shape.empty()) {  // as numpy >= 1.24: room to grow the outer axis in place
    const size_t digits = fmt::formatted_size("{}", a.fortran_order ? a.shape.back() : a.shape.front());
    h.append(kGrowthDigits - std::min(digits, kGrowthDigits), ' ');
  }
  h.append(kAlign - (kMagicLen + 4 + h.size() + 1) % kAlign, ' ');  // numpy's padding rule
  h.push_back('\n');
  return h;
}

uint64_t checked_elements(const std::vector<uint64_t>& shape, bool* overflow) {
  uint64_t n = 1;
  *overflow = false;
  for (uint64_t d : shape) *overflow |= __builtin_mul_overflow(n, d, &n);
  return n;
}

// Reads the magic, version and header; leaves `in` at the first data byte.
NpyArray read_header(std::ifstream& in, const std::string& path, uint64_t* header_end) {
  const SourceLoc loc{path, 0, 0};
  uint8_t pre[12] = {};
  in.read(reinterpret_cast<char*>(pre), 10);
  if (in.gcount() < 10) throw InputErrors(loc, "truncated: shorter than an .npy preamble (10 bytes)");
  if (std::memcmp(pre, kMagic, kMagicLen) != 0) throw InputErrors(loc, "bad magic: not an .npy file");
  if (pre[6] < 1 || pre[6] > 3 || pre[7] != 0)
    throw InputErrors(loc, fmt::format("unsupported .npy version {}.{} (1.0, 2.0 and 3.0 are read)", pre[6], pre[7]));
  uint64_t hlen = pre[8] | (pre[9] << 8);
  size_t pre_len = 10;
  if (pre[6] >= 2) {
    in.read(reinterpret_cast<char*>(pre + 10), 2);
    if (in.gcount() < 2) throw InputErrors(loc, "truncated in the header length");
    hlen |= (uint64_t{pre[10]} << 16) | (uint64_t{pre[11]} << 24);
    pre_len = 12;
  }
  std::string text(hlen, '\0');
  in.read(text.data(), static_cast<std::streamsize>(hlen));
  if (static_cast<uint64_t>(in.gcount()) < hlen)
    throw InputErrors(loc, fmt::format("truncated header: {} bytes announced, {} present", hlen, in.gcount()));
  NpyArray a;
  HeaderParser(text, path).parse(&a);
  *header_end = pre_len + hlen;
  return a;
}

}  // namespace

uint64_t NpyArray::elements() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

double NpyArray::get(uint64_t i) const {
  NpyType t;
  const std::string why = parse_descr(descr, &t);
  SIM_CHECK(why.empty(), "{}", why);
  SIM_CHECK(i < elements(), "npy element {} of {}", i, elements());
  const uint64_t idx = (fortran_order && shape.size() > 1) ? col_major_index(shape, i) : i;
  SIM_CHECK((idx + 1) * t.size <= data.size(), "npy data holds {} bytes", data.size());
  return load_elem(t, data.data() + idx * t.size);
}

NpyArray read_npy(const std::string& path) {
  const SourceLoc loc{path, 0, 0};
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputErrors(loc, "is a directory, not an .npy file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw InputErrors(loc, fmt::format("cannot open .npy file: {}", std::strerror(errno)));
  const uint64_t file_bytes = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  uint64_t header_end = 0;
  NpyArray a = read_header(in, path, &header_end);
  NpyType t;
  if (const std::string why = parse_descr(a.descr, &t); !why.empty()) throw InputErrors(loc, why);
  bool overflow = false;
  const uint64_t n = checked_elements(a.shape, &overflow);
  uint64_t want = 0;
  if (overflow || __builtin_mul_overflow(n, t.size, &want))
    throw InputErrors(loc, fmt::format("shape ({}) is too large", fmt::join(a.shape, ", ")));
  const uint64_t have = file_bytes - header_end;
  if (have < want)
    throw InputErrors(loc, fmt::format("truncated: shape ({}) of '{}' needs {} data bytes, the file holds {}",
                                       fmt::join(a.shape, ", "), a.descr, want, have));
  if (have > want) throw InputErrors(loc, fmt::format("{} unexpected bytes after the data", have - want));
  a.data.resize(want);
  in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(want));
  if (static_cast<uint64_t>(in.gcount()) != want) throw InputErrors(loc, "read error in the data");
  return a;
}

void write_npy(const std::string& path, const NpyArray& a) {
  const SourceLoc loc{path, 0, 0};
  NpyType t;
  if (const std::string why = parse_descr(a.descr, &t); !why.empty()) throw InputErrors(loc, why);
  SIM_CHECK(a.data.size() == a.elements() * t.size, "npy {}: {} data bytes for {} elements of {}", path, a.data.size(),
            a.elements(), a.descr);
  const std::string header = header_text(a);
  SIM_CHECK(header.size() <= 0xffff, "npy header too long");
  const uint8_t pre[10] = {0x93,
                           'N',
                           'U',
                           'M',
                           'P',
                           'Y',
                           1,
                           0,
                           static_cast<uint8_t>(header.size()),
                           static_cast<uint8_t>(header.size() >> 8)};
  static std::atomic<uint64_t> serial{0};
  const std::string tmp = fmt::format("{}.tmp{}.{}", path, ::getpid(), serial++);
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw InputErrors(loc, fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
  out.write(reinterpret_cast<const char*>(pre), sizeof pre);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(a.data.data()), static_cast<std::streamsize>(a.data.size()));
  out.close();
  if (!out) {
    std::remove(tmp.c_str());
    throw InputErrors(loc, fmt::format("write to {} failed", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    throw InputErrors(loc, fmt::format("cannot rename {} to it: {}", tmp, std::strerror(err)));
  }
}

NpyArray to_npy(const BufferData& b) {
  NpyArray a;
  a.shape = b.shape;
  a.fortran_order = b.layout == proto::COL_MAJOR;
  switch (b.dtype) {  // the same bytes as numpy's dtype: copy the storage
    case proto::FP64: a.descr = "<f8"; break;
    case proto::FP32: a.descr = "<f4"; break;
    case proto::FP16: a.descr = "<f2"; break;
    case proto::INT64: a.descr = "<i8"; break;
    case proto::INT32: a.descr = "<i4"; break;
    case proto::UINT32: a.descr = "<u4"; break;
    case proto::INT16: a.descr = "<i2"; break;
    case proto::UINT16: a.descr = "<u2"; break;
    case proto::INT8: a.descr = "|i1"; break;
    case proto::UINT8: a.descr = "|u1"; break;
    default: break;
  }
  if (!a.descr.empty()) {
    a.data = b.bytes;
    return a;
  }
  a.descr = b.dtype == proto::INT4 ? "|i1" : b.dtype == proto::UINT4 ? "|u1" : "<f4";
  NpyType t;
  parse_descr(a.descr, &t);
  const uint64_t n = b.elements();
  a.data.assign(n * t.size, 0);
  for (uint64_t i = 0; i < n; ++i) store_elem(t, a.data.data() + b.storage_index(i) * t.size, b.get(i));
  return a;
}

}  // namespace xpusim::workload
