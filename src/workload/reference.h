// Float64 references that outputs are checked against, and the comparison itself.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "src/engine/error.h"
#include "src/workload/buffer.h"
#include "workload.pb.h"

namespace xpusim::workload {

// out = alpha * A @ B + beta * C on the stored values. A is [M,K], B is [K,N], C [M,N]
// (or null). Result row-major [M,N]. Shape mismatches throw InputErrors at `where`.
std::vector<double> reference_gemm(const BufferData& a, const BufferData& b, const BufferData* c, double alpha,
                                   double beta, const SourceLoc& where);

// An elementwise expression over buffers of equal element count, evaluated per flat index.
// Grammar: numbers, buffer names, + - * / and unary -, comparisons < <= > >= == != (1.0 or
// 0.0), parentheses, functions abs exp exp2 log log2 sqrt rsqrt sin cos tanh floor ceil
// min(a,b) max(a,b) pow(a,b) where(c,a,b) (c != 0 selects a). Errors (syntax, unknown
// name or function, wrong arity, element counts that differ) are InputErrors at `where`
// with the column inside the expression given in the message.
std::vector<double> reference_elementwise(const std::string& expr, const std::map<std::string, const BufferData*>& bufs,
                                          const SourceLoc& where);

// Sum / max / min over all elements (one result), or along `axis` (result has that axis
// removed, row-major).
std::vector<double> reference_reduce(const BufferData& in, proto::ReduceOp op, int axis, bool has_axis,
                                     const SourceLoc& where);

// Default tolerance for checking an output of this dtype (docs/workloads.md): rtol that a
// correct kernel meets against a float64 reference of its quantised inputs.
double default_rtol(proto::DType t);

struct CheckOutcome {
  bool passed = false;
  double error = 0;        // normwise: max|o-r| / max|r| ; elementwise: max |o-r| / (atol + rtol|r|)
  uint64_t elements = 0;
  uint64_t mismatches = 0; // elements with |o-r| > atol + rtol*|r|
  uint64_t nans = 0;       // NaN or Inf in the output where the reference is finite
  std::string message;     // first mismatch: index, got, expected
};

// NaN never passes. Element counts must match (else an InputError at `where`).
CheckOutcome compare(const BufferData& out, const std::vector<double>& ref, proto::CheckMetric metric, double rtol,
                     double atol, const SourceLoc& where);

}  // namespace xpusim::workload
