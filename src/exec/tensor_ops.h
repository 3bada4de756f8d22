// Warp-collective tensor-core semantics: mma.sync (HMMA/IMMA) and ldmatrix (LDSM).
// Fragment layouts follow PTX ISA §9.7.14.5 exactly, as summarised in
// ../shared/reference/ptx_tensor_async.md §2–3, so LDSM + HMMA compose as on NVIDIA GPUs.
//
// Register arrays are warp-major: X[r * 32 + lane] is register r (counting from the
// instruction's first register of that operand) of lane `lane`.
//
// Numerics ("ideal" mode, docs/isa.md): every product is exact; products are added to the
// accumulator in k order with FP32 round-to-nearest-even (float D), or in exact 32-bit
// wrapping / saturating integer arithmetic (s32 D). An f16 D is accumulated in FP32 and
// rounded to FP16 (RN) once at the end. TF32 inputs have their low 13 bits ignored, as the
// hardware does.
#pragma once

#include <cstdint>
#include <string>

namespace xpusim::exec {

enum class MmaElem : uint8_t { F16, BF16, TF32, E4M3, E5M2, S8, U8, S4, U4, F32, S32 };

struct MmaDesc {
  uint8_t m = 16, n = 8, k = 16;
  MmaElem a = MmaElem::F16, b = MmaElem::F16;  // A/B element types (FP8: may differ)
  MmaElem c = MmaElem::F32, d = MmaElem::F32;  // accumulator types (c == d)
  bool satfinite = false;                      // integer: clamp instead of wrap
};

// Empty when the combination exists in PTX mma.sync (m16n8k4/k8 tf32, m16n8k8/k16 f16 and
// bf16, m16n8k16/k32 e4m3/e5m2, m16n8k16/k32 s8/u8, m16n8k32/k64 s4/u4); otherwise why not.
// Accepted: s8/u8 (and s4/u4) mixed between A and B, e4m3/e5m2 mixed; c == d; an f16
// accumulator only with f16 inputs (the PTX 8.7 fp8 -> f16 form is not modelled); satfinite
// only for integer inputs. Everything else, m8n8k4 included, is rejected.
std::string mma_check(const MmaDesc& d);

// Registers per lane of each operand.
int mma_regs_a(const MmaDesc& d);
int mma_regs_b(const MmaDesc& d);
int mma_regs_c(const MmaDesc& d);  // == mma_regs_d

// D = A * B + C for the whole warp. D may alias C (or any other operand). `d` must pass
// mma_check() (other descriptors give unspecified results but never touch memory outside
// the operands' registers). A NaN result is canonical: 0x7fffffff (f32) or 0x7fff (f16).
// No heap allocation; each input element is decoded once per call.
void mma_sync(const MmaDesc& d, const uint32_t* A, const uint32_t* B, const uint32_t* C, uint32_t* D);

// Fragment maps: which matrix element lane `lane` holds as its element i of the operand.
// A: (row, k); B: (k, col); C/D: (row, col). Elements count from 0 in register order, low
// to high within a register.
struct Coord {
  int row;
  int col;
};
int mma_elems_a(const MmaDesc& d);  // per lane
int mma_elems_b(const MmaDesc& d);
int mma_elems_c(const MmaDesc& d);
Coord mma_frag_a(const MmaDesc& d, int lane, int i);
Coord mma_frag_b(const MmaDesc& d, int lane, int i);
Coord mma_frag_c(const MmaDesc& d, int lane, int i);

// ldmatrix.sync.aligned.m8n8.x{num}{.trans}.shared.b16: `num` (1, 2 or 4) 8x8 matrices of
// 16-bit elements; row r of matrix j comes from the shared-memory byte offset given by lane
// 8*j + r. D[j * 32 + lane] receives matrix j's fragment. Returns false (and sets *err) when
// a row address is misaligned (not 16 B) or runs past `smem_bytes`; nothing is written then.
// Only lanes 0 .. 8*num-1 are checked and read. D may alias lane_addr; err may be null.
// With smem null the rows are only checked.
bool ldmatrix(int num, bool trans, const uint32_t* lane_addr, const uint8_t* smem, uint32_t smem_bytes,
              uint32_t* D, std::string* err);

}  // namespace xpusim::exec
