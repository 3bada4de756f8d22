// Workload buffers on the host side: typed storage, initialisation, element access.
// The simulator copies `bytes` into device memory before the first launch and back after
// the last; checks and dumps read them through get().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common.pb.h"
#include "src/engine/error.h"
#include "workload.pb.h"

namespace xpusim::workload {

// Storage bits of one element (FP4/INT4: 4; FP6: 8, one per byte; TF32: 32).
int dtype_bits(proto::DType t);
const char* dtype_name(proto::DType t);  // "fp16", "e4m3", "int8", ...
bool dtype_is_float(proto::DType t);
uint64_t storage_bytes(proto::DType t, uint64_t elements);

// Most dimensions a buffer (or an .npy array) may have.
inline constexpr size_t kMaxRank = 32;
// Column-major (first dimension contiguous) offset of the element at logical row-major
// flat index i of an array of this shape.
uint64_t col_major_index(const std::vector<uint64_t>& shape, uint64_t i);

struct BufferData {
  std::string name;
  proto::DType dtype = proto::FP32;
  std::vector<uint64_t> shape;
  proto::Layout layout = proto::ROW_MAJOR;
  std::vector<uint8_t> bytes;

  uint64_t elements() const;
  // Element at logical row-major flat index i (whatever the layout), exactly decoded.
  double get(uint64_t i) const;
  // Stores v at logical index i, rounded to nearest-even and saturated to the format's
  // finite range (integers: rounded and clamped).
  void set(uint64_t i, double v);
  // Element index in storage order for logical row-major index i (COL_MAJOR permutes).
  uint64_t storage_index(uint64_t i) const;
};

// Builds and initialises a buffer from its declaration. Randomness comes from
// engine::Rng(seed, "buffer:" + name), so buffers do not shift each other's values.
// `dir` resolves relative .npy paths. Bad declarations (no shape, zero dimension,
// unspecified dtype, npy file missing / wrong shape / unsupported dtype, randint range
// empty...) throw InputErrors located at `where`.
BufferData make_buffer(const proto::Buffer& decl, const std::string& dir, uint64_t seed, const SourceLoc& where);

}  // namespace xpusim::workload
