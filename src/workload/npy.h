// NumPy .npy files (format versions 1.0 and 2.0): read for initialisers and reference
// files, write for --dump-buffers. Little-endian numeric dtypes only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/workload/buffer.h"

namespace xpusim::workload {

struct NpyArray {
  std::string descr;             // "<f4", "<f2", "|i1", "<u2", "|b1", ...
  bool fortran_order = false;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> data;     // raw element bytes in file order

  uint64_t elements() const;
  // Element at logical row-major flat index i, as a double (honours fortran_order).
  double get(uint64_t i) const;
};

// Errors (missing file, bad magic, unsupported dtype, truncated data, header syntax) are
// InputErrors naming the file.
NpyArray read_npy(const std::string& path);
// Written atomically (a temporary file in the same directory, then rename).
void write_npy(const std::string& path, const NpyArray& a);

// A buffer as numpy sees it: float buffers without a numpy dtype (bf16, tf32, fp8, fp6,
// fp4, ue8m0, ue4m3) as float32 values; int4/uint4 as int8/uint8; others in their own
// dtype ("<f2", "<f4", "<f8", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8"); layout
// kept (COL_MAJOR -> fortran_order).
NpyArray to_npy(const BufferData& b);

}  // namespace xpusim::workload
