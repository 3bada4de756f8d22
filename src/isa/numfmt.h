// Number formats: exact decoding and correctly rounded encoding of every element type the
// ISA and the workloads use. Rules per format: ../shared/reference/ptx_tensor_async.md §9
// (PTX ISA §5.2.3 and §9.7.9.21, OCP OFP8 and MX v1.0), summarised in docs/isa.md.
//
// Conventions
//  * A format's bit pattern sits in the low bits of a uint32_t (FP64 uses uint64_t).
//  * decode() is exact: every value of every format here is a double.
//  * encode() rounds a double once, with the given rounding mode:
//      - finite overflow and ±Inf with `satfinite`: ±max finite (sign kept);
//      - finite overflow without `satfinite`: ±Inf where the format has one, else NaN
//        where it has one (E4M3), else ±max (FP6/FP4, which have neither);
//      - NaN: the format's canonical NaN (FP32 0x7fffffff, FP16 0x7fff, BF16 0x7fff,
//        E4M3 0x7f, E5M2 0x7f, UE8M0 0xff, UE4M3 0x7f); formats without NaN (E3M2, E2M3,
//        E2M1) give +max, as cvt.satfinite does;
//      - subnormals are produced and decoded (no flush to zero) unless `ftz` is asked;
//      - unsigned scale formats (UE8M0, UE4M3): negative inputs give 0 for UE4M3; UE8M0 has
//        no zero, its smallest value 2^-127 (code 0) is the result for any x <= 2^-127;
//      - directed modes follow IEEE 754: when the rounding direction points toward zero for
//        the input's sign (RZ; RM for x > 0; RP for x < 0) a finite overflow gives ±max
//        whether or not `satfinite` is set; ±Inf inputs ignore the rounding mode;
//      - overflow keeps the sign, also when it produces NaN (E4M3: -500 -> 0xff);
//      - `ftz` applies to the result, after rounding: a result that is subnormal in the
//        destination becomes a zero of the input's sign (so x just below min_normal that
//        rounds up to min_normal stays min_normal). Inputs are doubles and are never
//        flushed by encode(); an instruction with .ftz flushes its source operands with
//        flush_subnormal() before computing.
//  * TF32 is an FP32 bit pattern with the low 13 mantissa bits zero. Its subnormals are FP32
//    subnormals with those bits zero (min 2^-136); its canonical NaN is 0x7fffe000.
//  * FP64 through the 32-bit decode()/encode() sees only a zero-extended / low 32-bit
//    pattern; use decode_fp64()/encode_fp64() (encode_fp64 canonicalises NaN to
//    0x7fffffffffffffff).
//  * UE4M3 keeps 7 value bits in an 8-bit container; decode() ignores bit 7.
#pragma once

#include <cstdint>
#include <string_view>

namespace xpusim::isa {

enum class Fmt : uint8_t {
  FP64,
  FP32,
  FP16,
  BF16,
  TF32,
  E4M3,
  E5M2,
  E3M2,
  E2M3,
  E2M1,
  UE8M0,
  UE4M3,
};

enum class Round : uint8_t {
  RN,   // to nearest, ties to even
  RNA,  // to nearest, ties away from zero
  RZ,   // toward zero
  RM,   // toward -infinity
  RP,   // toward +infinity
};

struct FmtInfo {
  std::string_view name;  // "fp16", "e4m3", ...
  uint8_t bits;           // storage bits of one element (TF32: 32)
  uint8_t exp_bits;
  uint8_t man_bits;       // explicit mantissa bits (TF32: 10)
  int bias;
  bool has_sign;
  bool has_inf;
  bool has_nan;
  double max_finite;
  double min_normal;
  double min_subnormal;   // 0 when the format has no subnormals (UE8M0)
};

const FmtInfo& info(Fmt f);

// Exact value of a bit pattern (low `bits` bits of `code`; higher bits ignored).
double decode(Fmt f, uint32_t code);
double decode_fp64(uint64_t code);

// Correctly rounded encoding of x (see the conventions above).
uint32_t encode(Fmt f, double x, Round r = Round::RN, bool satfinite = false, bool ftz = false);
uint64_t encode_fp64(double x);

// x, or a zero of x's sign when x is nonzero and below f's smallest normal (.ftz inputs).
double flush_subnormal(Fmt f, double x);

// Fast paths used by the executor's inner loops; same results as decode/encode (with
// satfinite = ftz = false). f16_to_f32 gives the canonical NaN 0x7fffffff for every NaN;
// bf16_to_f32 widens the pattern as is (a NaN stays a NaN, payload kept).
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float x, Round r = Round::RN);
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float x, Round r = Round::RN);

// Float to integer, as F2I/cvt.rni etc.: rounded with r, saturated to the destination range,
// NaN gives 0, ±Inf saturate. bits in {4, 8, 16, 32, 64}. An unsigned 64-bit result is
// returned as its bit pattern (UINT64_MAX reads as -1).
int64_t float_to_int(double x, Round r, int bits, bool is_signed);

// Narrow integer fields: sign- or zero-extend the low `bits` bits.
int64_t int_from_bits(uint32_t code, int bits, bool is_signed);

bool is_nan(Fmt f, uint32_t code);

}  // namespace xpusim::isa
