#include "src/workload/buffer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <filesystem>
#include <iterator>
#include <limits>

#include "src/engine/rng.h"
#include "src/isa/numfmt.h"
#include "src/workload/npy.h"

namespace xpusim::workload {
namespace {

enum class Kind : uint8_t { kNone, kFloat, kSigned, kUnsigned };

struct DTypeInfo {
  const char* name;
  int bits;  // storage bits of one element
  Kind kind;
  isa::Fmt fmt;  // float kinds only
};

// Indexed by proto::DType value.
constexpr DTypeInfo kDTypes[] = {
    {"unspecified", 0, Kind::kNone, isa::Fmt::FP64},  //
    {"fp64", 64, Kind::kFloat, isa::Fmt::FP64},       //
    {"fp32", 32, Kind::kFloat, isa::Fmt::FP32},       //
    {"fp16", 16, Kind::kFloat, isa::Fmt::FP16},       //
    {"bf16", 16, Kind::kFloat, isa::Fmt::BF16},       //
    {"tf32", 32, Kind::kFloat, isa::Fmt::TF32},       //
    {"e4m3", 8, Kind::kFloat, isa::Fmt::E4M3},        //
    {"e5m2", 8, Kind::kFloat, isa::Fmt::E5M2},        //
    {"e3m2", 8, Kind::kFloat, isa::Fmt::E3M2},        //
    {"e2m3", 8, Kind::kFloat, isa::Fmt::E2M3},        //
    {"e2m1", 4, Kind::kFloat, isa::Fmt::E2M1},        //
    {"ue8m0", 8, Kind::kFloat, isa::Fmt::UE8M0},      //
    {"ue4m3", 8, Kind::kFloat, isa::Fmt::UE4M3},      //
    {"int64", 64, Kind::kSigned, isa::Fmt::FP64},     //
    {"int32", 32, Kind::kSigned, isa::Fmt::FP64},     //
    {"uint32", 32, Kind::kUnsigned, isa::Fmt::FP64},  //
    {"int16", 16, Kind::kSigned, isa::Fmt::FP64},     //
    {"uint16", 16, Kind::kUnsigned, isa::Fmt::FP64},  //
    {"int8", 8, Kind::kSigned, isa::Fmt::FP64},       //
    {"uint8", 8, Kind::kUnsigned, isa::Fmt::FP64},    //
    {"int4", 4, Kind::kSigned, isa::Fmt::FP64},       //
    {"uint4", 4, Kind::kUnsigned, isa::Fmt::FP64},    //
};
static_assert(std::size(kDTypes) == proto::DType_ARRAYSIZE, "one row per proto::DType");

// Buffers larger than this are certainly a typo in the shape.
constexpr uint64_t kMaxElements = uint64_t{1} << 40;

const DTypeInfo& dtype_info(proto::DType t) {
  const auto i = static_cast<size_t>(t);
  return i < std::size(kDTypes) ? kDTypes[i] : kDTypes[0];
}

// Raw code of storage element s, little-endian; 4-bit elements two per byte, low nibble first.
uint64_t load_code(const std::vector<uint8_t>& bytes, int bits, uint64_t s) {
  if (bits == 4) {
    const uint8_t b = bytes[s / 2];
    return (s & 1) ? b >> 4 : b & 0xf;
  }
  const size_t n = static_cast<size_t>(bits / 8);
  const uint8_t* p = bytes.data() + s * n;
  uint64_t v = 0;
  for (size_t k = 0; k < n; ++k) v |= uint64_t{p[k]} << (8 * k);
  return v;
}

void store_code(std::vector<uint8_t>& bytes, int bits, uint64_t s, uint64_t code) {
  if (bits == 4) {
    uint8_t& b = bytes[s / 2];
    b = (s & 1) ? static_cast<uint8_t>((b & 0x0f) | ((code & 0xf) << 4))
                : static_cast<uint8_t>((b & 0xf0) | (code & 0xf));
    return;
  }
  const size_t n = static_cast<size_t>(bits / 8);
  uint8_t* p = bytes.data() + s * n;
  for (size_t k = 0; k < n; ++k) p[k] = static_cast<uint8_t>(code >> (8 * k));
}

double decode_code(const DTypeInfo& d, uint64_t code) {
  switch (d.kind) {
    case Kind::kFloat:
      return d.fmt == isa::Fmt::FP64 ? isa::decode_fp64(code) : isa::decode(d.fmt, static_cast<uint32_t>(code));
    case Kind::kSigned: {
      const int sh = 64 - d.bits;
      return static_cast<double>(static_cast<int64_t>(code << sh) >> sh);
    }
    case Kind::kUnsigned: return static_cast<double>(code);
    case Kind::kNone: break;
  }
  return 0;
}

uint64_t encode_value(const DTypeInfo& d, double v) {
  if (d.kind == Kind::kFloat) {
    if (d.fmt != isa::Fmt::FP64) return isa::encode(d.fmt, v, isa::Round::RN, /*satfinite=*/true);
    if (std::isinf(v)) v = std::copysign(std::numeric_limits<double>::max(), v);
    return isa::encode_fp64(v);
  }
  const int64_t x = isa::float_to_int(v, isa::Round::RN, d.bits, d.kind == Kind::kSigned);
  const uint64_t mask = d.bits == 64 ? ~uint64_t{0} : (uint64_t{1} << d.bits) - 1;
  return static_cast<uint64_t>(x) & mask;
}

std::string shape_str(const std::vector<uint64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// ---- declaration checks -------------------------------------------------------------------

void check_shape(const proto::Buffer& decl, const std::string& who, const SourceLoc& where, ErrorList& errs) {
  if (decl.shape().empty()) errs.addf(where, "{}: shape must have at least one dimension", who);
  if (static_cast<size_t>(decl.shape_size()) > kMaxRank)
    errs.addf(where, "{}: {} dimensions, at most {} are allowed", who, decl.shape_size(), kMaxRank);
  uint64_t n = 1;
  bool too_big = false;
  for (int d = 0; d < decl.shape_size(); ++d) {
    if (decl.shape(d) == 0)
      errs.addf(where, "{}: shape[{}] is 0", who, d);
    else if (__builtin_mul_overflow(n, decl.shape(d), &n) || n > kMaxElements)
      too_big = true;
  }
  if (too_big) errs.addf(where, "{}: shape [{}] has more than 2^40 elements", who, fmt::join(decl.shape(), ", "));
}

// Integer range of an integer dtype, as doubles (exact for every bound but int64's max).
bool int_range(const DTypeInfo& d, double* lo, double* hi) {
  if (d.kind == Kind::kSigned) {
    *lo = -std::ldexp(1.0, d.bits - 1);
    *hi = std::ldexp(1.0, d.bits - 1) - 1;
  } else if (d.kind == Kind::kUnsigned) {
    *lo = 0;
    *hi = std::ldexp(1.0, d.bits) - 1;
  }
  return d.kind == Kind::kSigned || d.kind == Kind::kUnsigned;
}

void check_init(const proto::Buffer& decl, const std::string& who, const SourceLoc& where, ErrorList& errs) {
  const proto::Init& init = decl.init();
  switch (init.kind_case()) {
    case proto::Init::kNormal:
      if (!std::isfinite(init.normal().mean())) errs.addf(where, "{}: normal.mean must be finite", who);
      if (init.normal().has_std() && !(init.normal().std() >= 0 && std::isfinite(init.normal().std())))
        errs.addf(where, "{}: normal.std must be finite and >= 0, got {}", who, init.normal().std());
      break;
    case proto::Init::kUniform: {
      const double lo = init.uniform().low(), hi = init.uniform().has_high() ? init.uniform().high() : 1.0;
      if (!std::isfinite(lo) || !std::isfinite(hi) || hi < lo)
        errs.addf(where, "{}: uniform range [{}, {}) is not a finite range with low <= high", who, lo, hi);
      break;
    }
    case proto::Init::kRandint: {
      const int64_t lo = init.randint().low(), hi = init.randint().high();
      double dlo = 0, dhi = 0;
      if (lo >= hi)
        errs.addf(where, "{}: randint range [{}, {}) is empty", who, lo, hi);
      else if (int_range(dtype_info(decl.dtype()), &dlo, &dhi) &&
               (static_cast<double>(lo) < dlo || static_cast<double>(hi - 1) > dhi))
        errs.addf(where, "{}: randint range [{}, {}) does not fit {}", who, lo, hi, dtype_name(decl.dtype()));
      break;
    }
    case proto::Init::kArange:
      if (!std::isfinite(init.arange().start()) || (init.arange().has_step() && !std::isfinite(init.arange().step())))
        errs.addf(where, "{}: arange start and step must be finite", who);
      break;
    case proto::Init::kNpy:
      if (init.npy().path().empty()) errs.addf(where, "{}: npy.path is empty", who);
      break;
    default: break;
  }
}

// ---- initialisers -------------------------------------------------------------------------

template <typename Gen>
void fill(BufferData& b, Gen&& gen) {
  const uint64_t n = b.elements();
  for (uint64_t i = 0; i < n; ++i) b.set(i, gen(i));
}

void fill_npy(BufferData& b, const proto::NpyFile& f, const std::string& dir, const SourceLoc& where) {
  const std::filesystem::path p(f.path());
  const std::string path = (p.is_absolute() || dir.empty()) ? p.string() : (std::filesystem::path(dir) / p).string();
  NpyArray a;
  try {
    a = read_npy(path);
  } catch (const InputErrors& e) {
    ErrorList errs;
    for (const InputError& err : e.errors()) errs.addf(where, "buffer '{}': {}", b.name, err.str());
    errs.throw_if_any();
  }
  if (a.shape != b.shape)
    throw InputErrors(where, fmt::format("buffer '{}': {} has shape {}, the buffer's shape is {}", b.name, path,
                                         shape_str(a.shape), shape_str(b.shape)));
  fill(b, [&](uint64_t i) { return a.get(i); });
}

void initialise(BufferData& b, const proto::Init& init, const std::string& dir, uint64_t seed, const SourceLoc& where) {
  engine::Rng rng(seed, "buffer:" + b.name);
  switch (init.kind_case()) {
    case proto::Init::kConstant: return fill(b, [v = init.constant().value()](uint64_t) { return v; });
    case proto::Init::kNormal: {
      const double mean = init.normal().mean(), sd = init.normal().has_std() ? init.normal().std() : 1.0;
      return fill(b, [&](uint64_t) { return mean + sd * rng.normal(); });
    }
    case proto::Init::kUniform: {
      const double lo = init.uniform().low(), hi = init.uniform().has_high() ? init.uniform().high() : 1.0;
      return fill(b, [&](uint64_t) { return rng.uniform(lo, hi); });
    }
    case proto::Init::kRandint: {
      const int64_t lo = init.randint().low();
      const uint64_t span = static_cast<uint64_t>(init.randint().high()) - static_cast<uint64_t>(lo);
      return fill(b, [&](uint64_t) {
        return static_cast<double>(static_cast<int64_t>(static_cast<uint64_t>(lo) + rng.below(span)));
      });
    }
    case proto::Init::kArange: {
      const double start = init.arange().start(), step = init.arange().has_step() ? init.arange().step() : 1.0;
      return fill(b, [&](uint64_t i) { return start + static_cast<double>(i) * step; });
    }
    case proto::Init::kNpy: return fill_npy(b, init.npy(), dir, where);
    default:  // zeros or no initialiser: all-zero bytes, what set(i, 0) stores in every format
      return;
  }
}

}  // namespace

int dtype_bits(proto::DType t) { return dtype_info(t).bits; }
const char* dtype_name(proto::DType t) { return dtype_info(t).name; }
bool dtype_is_float(proto::DType t) { return dtype_info(t).kind == Kind::kFloat; }
uint64_t storage_bytes(proto::DType t, uint64_t elements) {
  return (elements * static_cast<uint64_t>(dtype_bits(t)) + 7) / 8;
}

uint64_t col_major_index(const std::vector<uint64_t>& shape, uint64_t i) {
  // Digits of i, last dimension first, are also the Horner order of the column-major offset.
  uint64_t off = 0;
  for (size_t d = shape.size(); d-- > 0;) {
    off = off * shape[d] + i % shape[d];
    i /= shape[d];
  }
  return off;
}

uint64_t BufferData::elements() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

uint64_t BufferData::storage_index(uint64_t i) const {
  return (layout == proto::COL_MAJOR && shape.size() > 1) ? col_major_index(shape, i) : i;
}

double BufferData::get(uint64_t i) const {
  const DTypeInfo& d = dtype_info(dtype);
  SIM_CHECK(i < elements(), "buffer {}: element {} of {}", name, i, elements());
  const uint64_t s = storage_index(i);
  SIM_CHECK(d.bits > 0 && storage_bytes(dtype, s + 1) <= bytes.size(), "buffer {}: storage too small", name);
  return decode_code(d, load_code(bytes, d.bits, s));
}

void BufferData::set(uint64_t i, double v) {
  const DTypeInfo& d = dtype_info(dtype);
  SIM_CHECK(i < elements(), "buffer {}: element {} of {}", name, i, elements());
  const uint64_t s = storage_index(i);
  SIM_CHECK(d.bits > 0 && storage_bytes(dtype, s + 1) <= bytes.size(), "buffer {}: storage too small", name);
  store_code(bytes, d.bits, s, encode_value(d, v));
}

BufferData make_buffer(const proto::Buffer& decl, const std::string& dir, uint64_t seed, const SourceLoc& where) {
  const std::string who = fmt::format("buffer '{}'", decl.name());
  ErrorList errs;
  if (decl.name().empty()) errs.add(where, "buffer: name is empty");
  if (dtype_info(decl.dtype()).bits == 0) errs.addf(where, "{}: dtype must be given", who);
  if (!proto::Layout_IsValid(decl.layout()))
    errs.addf(where, "{}: unknown layout {}", who, static_cast<int>(decl.layout()));
  check_shape(decl, who, where, errs);
  check_init(decl, who, where, errs);
  errs.throw_if_any();

  BufferData b;
  b.name = decl.name();
  b.dtype = decl.dtype();
  b.shape.assign(decl.shape().begin(), decl.shape().end());
  b.layout = decl.layout();
  b.bytes.assign(storage_bytes(b.dtype, b.elements()), 0);
  initialise(b, decl.init(), dir, seed, where);
  return b;
}

}  // namespace xpusim::workload
