// Reader of Accel-Sim's NVBit SASS traces (docs/traces.md): kernelslist.g, and each kernel's
// .traceg with its header, thread blocks ("#BEGIN_TB" ... "#END_TB"), warps and instruction
// lines with their compressed address formats.
//
// Nothing holds a whole trace. scan_kernel() streams a .traceg once, checking every line, and
// keeps only what is small: the header, one entry per distinct pc (the static code) and the
// file offset of each warp's first instruction. Replay then reads each warp through its own
// WarpCursor, a 4 KiB window over the file, so memory does not grow with the trace.
//
// Every malformed input is an InputErrors naming file:line (exit 2).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/engine/error.h"
#include "src/exec/state.h"

namespace xpusim::trace {

// How a memory instruction's addresses are written (the tracer's enum address_format).
enum class AddrFormat : uint8_t { ListAll = 0, BaseStride = 1, BaseDelta = 2, None = 255 };

inline constexpr int kMaxDst = 4;
inline constexpr int kMaxSrc = 8;
inline constexpr uint32_t kRegRZ = 255;  // the tracer writes RZ as R255

// One instruction line ("00a0 ffffffff 1 R4 LDG.E 1 R4 4 1 0x7fb0fc430e00 4 0"), parsed in
// place: `opcode` views the line.
struct InstLine {
  uint32_t pc = 0;
  uint32_t mask = 0;            // lanes that executed (active and guard true)
  uint8_t ndst = 0;
  uint8_t nsrc = 0;
  std::array<uint8_t, kMaxDst> dst{};
  std::array<uint8_t, kMaxSrc> src{};
  std::string_view opcode;      // with modifiers: "LDG.E.64"
  uint32_t mem_width = 0;       // bytes per lane; 0: not a memory access
  AddrFormat format = AddrFormat::None;
  std::array<uint64_t, 32> addr{};  // per executing lane; 0 for the others
  uint64_t base = 0;            // formats 1 and 2: the base as written (kept when no lane executed)
  int64_t stride = 0;           // format 1: the stride as written (kept when fewer than two lanes)
  bool has_imm = false;         // tracer version 4 and later write a trailing immediate
  int64_t imm = 0;
  uint32_t line_num = 0;        // "-enable lineinfo = 1": the source line number starting the line
};

// Parses an instruction line (without a lineinfo line number). On failure returns false and says why in `err` (a well-formed
// line allocates nothing).
//
// Addresses: list_all gives one address per executing lane; base_stride gives the first
// executing lane's address and a stride, each next executing lane adding the stride;
// base_delta gives the first lane's address and then, as the tracer writes it, one signed
// delta for each *further* executing lane (popcount(mask) - 1 deltas; Accel-Sim's own parser
// reads one more), each relative to the previous executing lane's address.
bool parse_inst(std::string_view line, InstLine& out, std::string& err);

struct KernelHeader {
  std::string name;
  uint32_t id = 0;
  exec::Dim3 grid, block;
  uint32_t shmem = 0;           // shared memory per CTA, bytes
  uint32_t nregs = 0;           // registers per thread
  uint32_t binary_version = 0;  // 70, 75, 80, 86, 89, 90
  uint64_t stream = 0;
  uint64_t shmem_base = 0, local_base = 0;
  std::string nvbit_version;
  uint32_t tracer_version = 0;
  bool lineinfo = false;
  std::vector<std::string> extra;  // "-field = value" lines replay does not read, verbatim
};

// One line of kernelslist.g: a kernel's trace file or a memory copy.
struct ListEntry {
  int line = 0;
  bool kernel = false;
  std::string path;             // kernels: the .traceg, resolved against the list's folder
  std::string name;             // kernels: the line as written ("kernel-1.traceg")
  std::string command;          // copies: "MemcpyHtoD"
  uint64_t addr = 0, bytes = 0; // copies
};

// Reads and checks kernelslist.g (every kernel file it names must exist).
std::vector<ListEntry> read_kernelslist(const std::string& path);

// A distinct pc of a kernel, as the scan saw it.
struct StaticInst {
  std::string opcode;
  uint8_t ndst = 0, nsrc = 0;
  std::array<uint8_t, kMaxDst> dst{};
  std::array<uint8_t, kMaxSrc> src{};
  uint32_t mem_width = 0;
  bool has_imm = false;
  int64_t imm = 0;
  uint32_t line = 0;            // first line it appears on
  uint64_t count = 0;           // dynamic warp instructions
  uint64_t threads = 0;         // dynamic thread instructions (popcount of the masks)
  uint32_t jump = UINT32_MAX;   // a successor pc other than pc + 16, when one was traced
  bool falls = false;           // some warp went on to pc + 16 (or anything, after EXIT)
};

// Where a warp's instructions start in the file.
struct WarpIndex {
  uint64_t offset = 0;          // byte offset of its first instruction line
  uint32_t line = 0;            // that line's number
  uint32_t count = 0;           // "insts = N"
};

struct BinaryCode;  // trace_codec.h: a kernel's code table in our binary format

struct KernelTrace {
  std::string path;
  std::string list_name;                // the kernelslist.g line that named it ("kernel-1.traceg")
  std::shared_ptr<const BinaryCode> bin;  // set when read from our binary format (trace_codec.h)
  KernelHeader hdr;
  std::map<uint32_t, StaticInst> code;  // by pc
  std::vector<WarpIndex> warps;         // CTA-major: warps[cta * warps_per_cta + w]
  uint32_t warps_per_cta = 0;
  uint64_t instructions = 0;            // dynamic warp instructions
  uint64_t lines = 0;

  const WarpIndex& warp(uint64_t cta, uint32_t w) const { return warps[cta * warps_per_cta + w]; }
};

// Streams a .traceg once and checks all of it (see the header comment).
KernelTrace scan_kernel(const std::string& path);

// Checks that a header has every field replay needs ("" if so, else what is missing or wrong).
std::string check_header(const KernelHeader& h);

// Adds one traced instruction of a warp to the kernel's static code (the checks both formats
// share: pc alignment and range, one instruction per pc). `prev` is the warp's previous pc
// (UINT32_MAX at its start); `where` is the line or record number kept for the pc. On failure
// returns false and says why in `err`.
bool note_inst(KernelTrace& k, const InstLine& in, uint32_t where, uint32_t& prev, std::string& err);

// One warp's instructions, read from the file through a small window.
class WarpCursor {
 public:
  WarpCursor();
  ~WarpCursor();
  WarpCursor(WarpCursor&&) noexcept;
  WarpCursor& operator=(WarpCursor&&) noexcept;
  // Starts at `w` in the open file `fd` (named `path` in errors).
  void open(int fd, const std::string* path, const WarpIndex& w, bool lineinfo);
  // The next instruction; false once the warp's instructions are exhausted.
  bool next(InstLine& out);
  uint32_t remaining() const { return remaining_; }

 private:
  static constexpr size_t kWindow = 4096;
  bool fill();
  int fd_ = -1;
  const std::string* path_ = nullptr;
  std::unique_ptr<char[]> buf_;
  uint64_t buf_off_ = 0;        // file offset of buf_[0]
  size_t len_ = 0, pos_ = 0;
  uint32_t line_ = 0;           // number of the next line
  uint32_t remaining_ = 0;
  bool eof_ = false;
  bool lineinfo_ = false;
  std::string err_;
};

}  // namespace xpusim::trace
