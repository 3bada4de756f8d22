#include "src/workload/reference.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/workload/expr.h"

namespace xpusim::workload {
namespace {

std::string shape_str(const std::vector<uint64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// "[i, j, k]" of logical row-major flat index i in `shape`.
std::string index_str(const std::vector<uint64_t>& shape, uint64_t i) {
  std::vector<uint64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return shape_str(idx);
}

std::vector<double> values(const BufferData& b) {
  std::vector<double> v(b.elements());
  for (uint64_t i = 0; i < v.size(); ++i) v[i] = b.get(i);
  return v;
}

// Running sum (Neumaier-compensated), max or min; NaN propagates.
class Reducer {
 public:
  explicit Reducer(proto::ReduceOp op) : op_(op) {
    if (op == proto::MAX) acc_ = -std::numeric_limits<double>::infinity();
    if (op == proto::MIN) acc_ = std::numeric_limits<double>::infinity();
  }
  void add(double x) {
    if (std::isnan(x) || std::isnan(acc_)) {
      acc_ = std::nan("");
    } else if (op_ == proto::MAX) {
      acc_ = std::max(acc_, x);
    } else if (op_ == proto::MIN) {
      acc_ = std::min(acc_, x);
    } else {
      const double t = acc_ + x;
      comp_ += std::fabs(acc_) >= std::fabs(x) ? (acc_ - t) + x : (x - t) + acc_;
      acc_ = t;
    }
  }
  double result() const { return (op_ == proto::SUM && std::isfinite(acc_)) ? acc_ + comp_ : acc_; }

 private:
  proto::ReduceOp op_;
  double acc_ = 0;
  double comp_ = 0;
};

// One pass over output and reference: everything compare() reports.
struct Scan {
  uint64_t mismatches = 0, nans = 0, ref_bad = 0;
  uint64_t first_mismatch = 0, first_nan = 0, first_ref_bad = 0;
  double max_diff = 0, max_ref = 0, max_ratio = 0;
  uint64_t worst_diff = 0, worst_ratio = 0;
};

Scan scan(const BufferData& out, const std::vector<double>& ref, double rtol, double atol) {
  Scan s;
  for (uint64_t i = 0; i < ref.size(); ++i) {
    const double o = out.get(i), r = ref[i];
    if (!std::isfinite(r)) {
      if (s.ref_bad++ == 0) s.first_ref_bad = i;
      continue;
    }
    if (!std::isfinite(o)) {
      if (s.nans++ == 0) s.first_nan = i;
      continue;
    }
    const double d = std::fabs(o - r), tol = atol + rtol * std::fabs(r);
    if (d > tol && s.mismatches++ == 0) s.first_mismatch = i;
    const double ratio = tol > 0 ? d / tol : (d > 0 ? std::numeric_limits<double>::infinity() : 0.0);
    if (ratio > s.max_ratio) {
      s.max_ratio = ratio;
      s.worst_ratio = i;
    }
    if (d > s.max_diff) {
      s.max_diff = d;
      s.worst_diff = i;
    }
    s.max_ref = std::max(s.max_ref, std::fabs(r));
  }
  return s;
}

std::string at(const BufferData& out, const std::vector<double>& ref, uint64_t i) {
  return fmt::format("{}{}: got {}, expected {}", out.name, index_str(out.shape, i), out.get(i), ref[i]);
}

std::string failure_message(const BufferData& out, const std::vector<double>& ref, proto::CheckMetric metric,
                            const Scan& s, const CheckOutcome& r, double rtol) {
  std::vector<std::string> parts;
  if (s.ref_bad)
    parts.push_back(
        fmt::format("{} reference elements are NaN/Inf, first {}", s.ref_bad, at(out, ref, s.first_ref_bad)));
  if (s.nans)
    parts.push_back(fmt::format("{} output elements are NaN/Inf, first {}", s.nans, at(out, ref, s.first_nan)));
  if (metric == proto::NORMWISE && r.error > rtol)
    parts.push_back(
        fmt::format("normwise error {:.3g} > rtol {:.3g}, worst {}", r.error, rtol, at(out, ref, s.worst_diff)));
  if (s.mismatches)
    parts.push_back(fmt::format("{} of {} elements mismatch, first {}; worst {}", s.mismatches, r.elements,
                                at(out, ref, s.first_mismatch), at(out, ref, s.worst_ratio)));
  return fmt::format("{}", fmt::join(parts, "; "));
}

// Default rtol per output dtype. u is the unit roundoff of the output format (2^-(p) for p
// significand bits incl. the hidden one); rounding the exact result once already costs u.
//   dtype                    rtol    reasoning
//   fp64                     1e-12   summation order over K ~ 1e4 (u = 1.1e-16)
//   fp32                     1e-5    fp32 accumulation over K ~ 4096, MUFU approximations (u = 6.0e-8)
//   fp16, tf32               1e-2    u = 4.9e-4; 20u also covers fp16 accumulation (HMMA.F16) to K ~ 2048
//   bf16                     2e-2    u = 3.9e-3; 5u (bf16 MMAs accumulate in fp32)
//   e4m3, e2m3, ue4m3        0.125   u = 0.0625 (3 mantissa bits): 2u
//   e5m2, e3m2               0.25    u = 0.125 (2 mantissa bits): 2u
//   e2m1                     0.5     u = 0.25 (1 mantissa bit): 2u
//   ue8m0                    0.5     powers of two: rounding is off by up to 1/3
//   integers                 0       exact
constexpr double kDefaultRtol[] = {
    0,      // DTYPE_UNSPECIFIED
    1e-12,  // FP64
    1e-5,   // FP32
    1e-2,   // FP16
    2e-2,   // BF16
    1e-2,   // TF32
    0.125,  // FP8_E4M3
    0.25,   // FP8_E5M2
    0.25,   // FP6_E3M2
    0.125,  // FP6_E2M3
    0.5,    // FP4_E2M1
    0.5,    // UE8M0
    0.125,  // UE4M3
    0,      // INT64
    0,      // INT32
    0,      // UINT32
    0,      // INT16
    0,      // UINT16
    0,      // INT8
    0,      // UINT8
    0,      // INT4
    0,      // UINT4
};
static_assert(std::size(kDefaultRtol) == proto::DType_ARRAYSIZE, "one rtol per proto::DType");

}  // namespace

std::vector<double> reference_gemm(const BufferData& a, const BufferData& b, const BufferData* c, double alpha,
                                   double beta, const SourceLoc& where) {
  ErrorList errs;
  if (a.shape.size() != 2)
    errs.addf(where, "gemm: A '{}' must be 2-D [M, K], its shape is {}", a.name, shape_str(a.shape));
  if (b.shape.size() != 2)
    errs.addf(where, "gemm: B '{}' must be 2-D [K, N], its shape is {}", b.name, shape_str(b.shape));
  errs.throw_if_any();
  const uint64_t m_dim = a.shape[0], k_dim = a.shape[1], n_dim = b.shape[1];
  if (b.shape[0] != k_dim)
    errs.addf(where, "gemm: inner dimensions differ: A '{}' is {}, B '{}' is {}", a.name, shape_str(a.shape), b.name,
              shape_str(b.shape));
  if (c && c->shape != std::vector<uint64_t>{m_dim, n_dim})
    errs.addf(where, "gemm: C '{}' must be [M, N] = [{}, {}], its shape is {}", c->name, m_dim, n_dim,
              shape_str(c->shape));
  errs.throw_if_any();

  const std::vector<double> av = values(a), bv = values(b);
  std::vector<double> out(m_dim * n_dim, 0.0);
  for (uint64_t m = 0; m < m_dim; ++m) {
    double* row = out.data() + m * n_dim;
    for (uint64_t k = 0; k < k_dim; ++k) {
      const double x = av[m * k_dim + k];
      const double* brow = bv.data() + k * n_dim;
      for (uint64_t n = 0; n < n_dim; ++n) row[n] += x * brow[n];
    }
  }
  for (uint64_t i = 0; i < out.size(); ++i) {
    out[i] *= alpha;
    if (c && beta != 0) out[i] += beta * c->get(i);  // beta == 0: C is not read, as in BLAS
  }
  return out;
}

std::vector<double> reference_elementwise(const std::string& expr, const std::map<std::string, const BufferData*>& bufs,
                                          const SourceLoc& where) {
  std::vector<std::string> names;
  std::vector<const BufferData*> ptrs;
  for (const auto& [name, buf] : bufs) {
    SIM_CHECK(buf != nullptr, "buffer {} is null", name);
    names.push_back(name);
    ptrs.push_back(buf);
  }
  const Expr e = Expr::compile(expr, names, where);
  if (e.used().empty())
    throw InputErrors(where, fmt::format("expression \"{}\" reads no buffer, so its element count is unknown", expr));
  const BufferData& first = *ptrs[e.used().front()];
  const uint64_t n = first.elements();
  ErrorList errs;
  for (uint32_t k : e.used())
    if (ptrs[k]->elements() != n)
      errs.addf(where, "expression \"{}\": buffer '{}' has {} elements, '{}' has {}", expr, ptrs[k]->name,
                ptrs[k]->elements(), first.name, n);
  errs.throw_if_any();

  std::vector<double> vars(names.size(), 0.0), out(n);
  for (uint64_t i = 0; i < n; ++i) {
    for (uint32_t k : e.used()) vars[k] = ptrs[k]->get(i);
    out[i] = e.eval(vars.data());
  }
  return out;
}

std::vector<double> reference_reduce(const BufferData& in, proto::ReduceOp op, int axis, bool has_axis,
                                     const SourceLoc& where) {
  if (!proto::ReduceOp_IsValid(op))
    throw InputErrors(where, fmt::format("reduce: unknown op {}", static_cast<int>(op)));
  const int rank = static_cast<int>(in.shape.size());
  if (has_axis && (axis < -rank || axis >= rank))
    throw InputErrors(
        where, fmt::format("reduce of '{}': axis {} is out of range for shape {}", in.name, axis, shape_str(in.shape)));
  uint64_t outer = 1, len = in.elements(), inner = 1;
  if (has_axis) {
    const int ax = axis < 0 ? axis + rank : axis;
    len = in.shape[ax];
    for (int d = 0; d < ax; ++d) outer *= in.shape[d];
    for (int d = ax + 1; d < rank; ++d) inner *= in.shape[d];
  }
  std::vector<double> out(outer * inner);
  for (uint64_t o = 0; o < outer; ++o) {
    for (uint64_t j = 0; j < inner; ++j) {
      Reducer acc(op);
      for (uint64_t k = 0; k < len; ++k) acc.add(in.get((o * len + k) * inner + j));
      out[o * inner + j] = acc.result();
    }
  }
  return out;
}

double default_rtol(proto::DType t) {
  const auto i = static_cast<size_t>(t);
  return i < std::size(kDefaultRtol) ? kDefaultRtol[i] : 0.0;
}

CheckOutcome compare(const BufferData& out, const std::vector<double>& ref, proto::CheckMetric metric, double rtol,
                     double atol, const SourceLoc& where) {
  if (out.elements() != ref.size())
    throw InputErrors(where, fmt::format("check of '{}': the buffer has {} elements, the reference {}", out.name,
                                         out.elements(), ref.size()));
  if (!(rtol >= 0 && atol >= 0 && std::isfinite(rtol) && std::isfinite(atol)))
    throw InputErrors(where,
                      fmt::format("check of '{}': rtol {} and atol {} must be finite and >= 0", out.name, rtol, atol));
  if (!proto::CheckMetric_IsValid(metric))
    throw InputErrors(where, fmt::format("check of '{}': unknown metric {}", out.name, static_cast<int>(metric)));

  const Scan s = scan(out, ref, rtol, atol);
  CheckOutcome r;
  r.elements = ref.size();
  r.mismatches = s.mismatches;
  r.nans = s.nans;
  const bool finite = s.nans == 0 && s.ref_bad == 0;
  if (metric == proto::NORMWISE) {
    r.error = s.max_ref > 0 ? s.max_diff / s.max_ref : (s.max_diff > 0 ? std::numeric_limits<double>::infinity() : 0.0);
    r.passed = finite && s.max_diff <= rtol * s.max_ref + atol;
  } else {
    r.error = s.max_ratio;
    r.passed = finite && s.mismatches == 0;
  }
  if (!r.passed) r.message = failure_message(out, ref, metric, s, r, rtol);
  return r;
}

}  // namespace xpusim::workload
