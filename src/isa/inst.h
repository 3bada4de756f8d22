// xasm instructions after assembly: what the executor runs and the timing model schedules.
// The language itself is documented in docs/isa.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace xpusim::isa {

// Functional-unit class an instruction executes on (mirrors proto UnitSpec.Kind).
enum class Unit : uint8_t { INT, FP32, FP16, FP64, SFU, TENSOR, LSU, BRANCH, MISC, kCount };
const char* unit_name(Unit u);

enum class Op : uint16_t {
  // integer and logic
  MOV, IADD3, IMAD, LEA, LOP3, SHF, ISETP, SEL, PRMT, IABS, IMNMX, POPC, FLO, BREV, PLOP3,
  // FP32
  FADD, FMUL, FFMA, FMNMX, FSETP, FSEL,
  // packed FP16 / BF16
  HADD2, HMUL2, HFMA2, HMNMX2,
  // FP64
  DADD, DMUL, DFMA, DSETP,
  // special functions and conversions
  MUFU, F2F, F2FP, I2F, F2I,
  // special registers and warp-wide operations
  S2R, SHFL, VOTE, REDUX,
  // memory
  LDG, STG, LDS, STS, LDL, STL, ATOM, ATOMS, RED, LDGSTS, LDGDEPBAR, DEPBAR, LDSM,
  // tensor cores
  HMMA, IMMA,
  // control
  BRA, BSSY, BSYNC, EXIT, BAR, NOP, WARPSYNC,
  kCount
};

inline constexpr uint8_t kRZ = 255;         // the zero register
inline constexpr uint8_t kPT = 7;           // the always-true predicate
inline constexpr uint8_t kNoBarrier = 7;    // "no dependence counter" in control bits
inline constexpr int kMaxRegs = 255;        // R0..R254
inline constexpr int kNumDepCounters = 6;   // SB0..SB5

// NVIDIA-style control bits, per instruction (docs/isa.md "Control bits").
struct Ctrl {
  uint8_t stall = 1;           // cycles before the warp's next instruction may issue, 0..15
  bool yield = false;          // let another warp issue next cycle
  uint8_t wbar = kNoBarrier;   // dependence counter incremented at issue, decremented at write-back
  uint8_t rbar = kNoBarrier;   // dependence counter incremented at issue, decremented after operand read
  uint8_t wait = 0;            // bit i: wait until counter i is zero before issuing
  uint8_t reuse = 0;           // bit i: keep source operand slot i in the register-file cache
  bool given = false;          // written in the source (false: filled by the assembler pass)
};

enum class Opd : uint8_t { None, Reg, Pred, Imm, Const, Mem, SReg, Label, BReg, SBReg };

// Operand flags.
enum : uint8_t {
  kNeg = 1 << 0,     // -R (arithmetic negation)
  kAbs = 1 << 1,     // |R|
  kNot = 1 << 2,     // !P (predicate) or ~R (bitwise)
  kReuse = 1 << 3,   // R.reuse
  kFloatLit = 1 << 4,  // the immediate was written as a floating-point literal
  kWide = 1 << 5,    // [R.64]: a 64-bit register-pair address
};

// Sub-word selectors on a source register (R2.H1, R2.H0_H0, R2.B2).
enum class Sel : uint8_t { None, H0, H1, H0_H0, H1_H1, B0, B1, B2, B3 };

struct Operand {
  Opd kind = Opd::None;
  uint8_t reg = 0;     // register / predicate / special register / barrier index
  uint8_t flags = 0;
  Sel sel = Sel::None;
  uint8_t width = 1;   // consecutive 32-bit registers spanned (1, 2 or 4; more for HMMA C/D)
  int64_t imm = 0;     // integer immediate, constant-bank byte offset, memory offset, label pc
  double fimm = 0;     // the literal's value when written as a float

  bool is_rz() const { return kind == Opd::Reg && reg == kRZ; }
  bool is_pt() const { return kind == Opd::Pred && reg == kPT && !(flags & kNot); }
};

// Modifiers (".GE.U32.AND" etc.) decoded per opcode family; docs/isa.md lists them.
struct Mods {
  uint8_t cmp = 0;      // comparison (Cmp)
  uint8_t bop = 0;      // predicate combine (BoolOp)
  uint8_t type = 0;     // main data type (DataType)
  uint8_t type2 = 0;    // second type (source of a conversion, B of an MMA)
  uint8_t type3 = 0;    // third type (accumulator of an MMA)
  uint8_t rnd = 0;      // rounding (Rnd)
  uint8_t func = 0;     // sub-operation: MUFU function, SHFL/VOTE/REDUX/ATOM op, shift direction
  uint8_t size = 0;     // memory access bytes per lane; LDSM matrix count; MMA shape index
  uint16_t flags = 0;   // ModFlag bits
};

enum ModFlag : uint16_t {
  kSat = 1 << 0,       // .SAT / .SATFINITE
  kFtz = 1 << 1,       // .FTZ
  kHi = 1 << 2,        // .HI
  kWideRes = 1 << 3,   // .WIDE
  kX = 1 << 4,         // .X: carry in
  kSigned = 1 << 5,    // signed integer variant (.S32, .S8, ...)
  kTrans = 1 << 6,     // .MT88 / .TRANS
  kZfill = 1 << 7,     // LDGSTS .ZFILL
  kSx32 = 1 << 8,      // LEA .SX32
  kRelu = 1 << 9,      // .RELU
  kUnpack = 1 << 10,   // F2FP .UNPACK_B
  kLeft = 1 << 11,     // SHF.L
  kBf16 = 1 << 12,     // packed-half ops on BF16 (.BF16_V2)
  kF32Out = 1 << 13,   // HADD2.F32 / HFMA2 with FP32 result
  kBypassL1 = 1 << 14, // memory: not cached in the SM's L1 (.BYPASS; .GPU/.SYS scope, as ld.cg/ld.volatile compile)
};

enum class Cmp : uint8_t { F, LT, EQ, LE, GT, NE, GE, T, NUM, NAN_, LTU, EQU, LEU, GTU, NEU, GEU };
enum class BoolOp : uint8_t { AND, OR, XOR };
// Data types named by modifiers. Float types share numbering with isa::Fmt where possible.
enum class DataType : uint8_t {
  None, U8, S8, U16, S16, U32, S32, U64, S64, U4, S4,
  F16, BF16, F32, F64, TF32, E4M3, E5M2, E3M2, E2M3, E2M1, UE8M0, UE4M3, F16x2, BF16x2,
};
enum class Rnd : uint8_t { RN, RZ, RM, RP, RNA, RNI, RZI, RMI, RPI };  // *I: round to integer

// Special registers read by S2R.
enum class SReg : uint8_t {
  TID_X, TID_Y, TID_Z, CTAID_X, CTAID_Y, CTAID_Z, NTID_X, NTID_Y, NTID_Z, NCTAID_X, NCTAID_Y, NCTAID_Z,
  LANEID, WARPID, SMID, CLOCKLO, CLOCKHI, LANEMASK_EQ, LANEMASK_LT, LANEMASK_LE, LANEMASK_GT, LANEMASK_GE,
  kCount
};
const char* sreg_name(SReg r);  // "SR_TID.X"

// Register ranges an instruction reads and writes, for dependence tracking.
struct RegRange {
  uint8_t reg = 0;
  uint8_t count = 0;
};

struct Inst {
  Op op = Op::NOP;
  Unit unit = Unit::MISC;
  uint8_t guard = kPT;          // @P guard predicate
  bool guard_not = false;       // @!P
  uint8_t ndst = 0;
  uint8_t nsrc = 0;
  std::array<Operand, 3> dst{};
  std::array<Operand, 6> src{};
  Mods m;
  Ctrl ctrl;
  bool fixed_latency = true;    // fixed-latency (stall counts) vs variable (dependence counters)
  // Derived at assembly: what the timing model tracks.
  std::array<RegRange, 6> reads{};
  uint8_t nreads = 0;
  std::array<RegRange, 3> writes{};
  uint8_t nwrites = 0;
  uint8_t pred_reads = 0;       // bit mask of predicates read (incl. the guard)
  uint8_t pred_writes = 0;      // bit mask of predicates written
  // The same as bit sets over dependence slots (kRegSlots), filled by set_slot_masks().
  std::array<uint64_t, 5> read_slots{};
  std::array<uint64_t, 5> write_slots{};
  // Source location, for errors and the pipeline view.
  uint32_t line = 0;
  uint16_t col = 0;
  std::string text;             // the instruction as written (opcode and operands)
};

enum class ParamType : uint8_t { U32, S32, F32, U64, S64, F64 };

struct Param {
  std::string name;
  ParamType type;
  uint32_t offset;              // byte offset in the constant bank
  uint32_t size;
};

struct SharedSymbol {
  std::string name;
  uint32_t offset;
  uint32_t bytes;
};

// Constant-bank layout: built-in launch dimensions, then parameters (docs/isa.md).
inline constexpr uint32_t kCbNtid = 0;      // ntid.x, .y, .z   (u32 each)
inline constexpr uint32_t kCbNctaid = 12;   // nctaid.x, .y, .z
inline constexpr uint32_t kCbParams = 32;   // first parameter

struct Kernel {
  std::string name;
  std::string file;
  std::vector<Param> params;
  uint32_t regs = 0;            // registers per thread
  uint32_t shared_bytes = 0;    // static shared memory
  uint32_t local_bytes = 0;     // per-thread local memory
  uint32_t cbank_bytes = kCbParams;
  std::vector<SharedSymbol> shared_symbols;
  std::vector<Inst> code;       // pc = index
  bool ctrl_given = false;      // every instruction carried control bits in the source
  bool has_ldgsts = false;      // some instruction is an LDGSTS (arms the cp.async ordering check)
};

// Dependence slots: registers R0..R254 are slots 0..254 (255, RZ, is never used), predicates
// P0..P6 are slots 256..262. The control-bit pass and the SM track dependences per slot.
inline constexpr int kRegSlots = 256 + 8;
static_assert(kRegSlots <= 5 * 64, "Inst::read_slots holds every slot");

// Calls f(slot) for every register and predicate the instruction reads (for_each_read) or
// writes (for_each_write), from the operand usage the assembler derived.
template <typename F>
void for_each_read(const Inst& in, F f) {
  for (int i = 0; i < in.nreads; ++i)
    for (int r = 0; r < in.reads[i].count; ++r) f(in.reads[i].reg + r);
  for (int p = 0; p < 7; ++p)
    if (in.pred_reads & (1 << p)) f(256 + p);
}

template <typename F>
void for_each_write(const Inst& in, F f) {
  for (int i = 0; i < in.nwrites; ++i)
    for (int r = 0; r < in.writes[i].count; ++r) f(in.writes[i].reg + r);
  for (int p = 0; p < 7; ++p)
    if (in.pred_writes & (1 << p)) f(256 + p);
}

// Fills read_slots and write_slots from reads, writes, pred_reads and pred_writes (whoever
// builds an Inst calls it once those are set).
inline void set_slot_masks(Inst& in) {
  in.read_slots = {};
  in.write_slots = {};
  for_each_read(in, [&](int sl) { in.read_slots[static_cast<size_t>(sl) >> 6] |= uint64_t{1} << (sl & 63); });
  for_each_write(in, [&](int sl) { in.write_slots[static_cast<size_t>(sl) >> 6] |= uint64_t{1} << (sl & 63); });
}

}  // namespace xpusim::isa
