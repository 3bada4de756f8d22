// The codec of our binary trace format (proto/trace.proto, docs/traces.md "Our binary format"):
// records in and out of a file, and a warp's instructions in and out of InstChunk records.
//
// Reading and writing are streams with bounded memory: RecordWindow reads records through a
// window over the file (pread), growing only to the largest record; ChunkEncoder holds one chunk
// of at most kChunkBytes; ChunkDecoder walks a chunk's packed columns in place. Decoding an
// instruction allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/trace/trace_reader.h"
#include "trace.pb.h"

namespace xpusim::trace {

inline constexpr char kMagic[8] = {'\x89', 'X', 'P', 'U', 'T', 'R', 'C', '\n'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kMaxRecordBytes = size_t{1} << 20;  // a reader refuses larger records
inline constexpr size_t kChunkBytes = 4096;                  // the writer's chunk size (about)
inline constexpr size_t kChunkInsts = 1024;

// Record kinds: the field numbers of Record's oneof.
enum class Rec : uint32_t {
  FileHeader = 1, Memcpy = 2, Kernel = 3, Block = 4, Warp = 5, Code = 6, Insts = 7, KernelEnd = 8, FileEnd = 9
};

// A kernel's static instruction as a Code entry holds it.
struct CodeEntry {
  uint32_t pc = 0;
  uint32_t opcode = 0;          // index into BinaryCode::opcodes
  uint8_t ndst = 0, nsrc = 0;
  std::array<uint8_t, kMaxDst> dst{};
  std::array<uint8_t, kMaxSrc> src{};
  uint32_t mem_width = 0;
  bool has_imm = false;
  int64_t imm = 0;
  uint32_t line_num = 0;
};

// A kernel's code and opcode tables (the CodeDefs records in order).
struct BinaryCode {
  std::vector<std::string> opcodes;
  std::vector<CodeEntry> code;
  // Appends a CodeDefs record; false (and why in `err`) when an entry is malformed.
  bool add(const proto::trace::CodeDefs& defs, std::string& err);
};

// True when the file starts with kMagic.
bool is_binary_trace(const std::string& path);

// Writes records to a file: kMagic at open, then length-delimited Records.
class RecordWriter {
 public:
  explicit RecordWriter(const std::string& path);  // throws InputErrors if it cannot be created
  ~RecordWriter();
  void write(Rec kind, const google::protobuf::MessageLite& m);
  void close();                 // flushes; throws InputErrors on a write error
  uint64_t bytes() const { return bytes_; }

 private:
  void flush();
  std::string path_;
  int fd_ = -1;
  std::string buf_;
  uint64_t bytes_ = 0;
};

// Reads records through a window over an open file, from a given offset on.
class RecordWindow {
 public:
  // `initial` is the window size; it grows only for a record that does not fit.
  explicit RecordWindow(size_t initial = 8192) : initial_(initial) {}
  void open(int fd, const std::string* path, uint64_t offset, uint32_t record);
  // The next record: false at the end of the file. A malformed or cut record throws
  // InputErrors naming the file, record number and byte offset.
  bool next(Rec& kind, const uint8_t*& payload, size_t& size);
  uint32_t record() const { return record_; }        // number of the record last returned
  uint64_t record_offset() const { return rec_off_; }  // its byte offset
  uint64_t offset() const { return buf_off_ + pos_; }  // where the next record starts
  [[noreturn]] void error(const std::string& msg) const;

 private:
  bool fill(size_t want);       // at least `want` unread bytes buffered, unless the file ends
  int fd_ = -1;
  const std::string* path_ = nullptr;
  size_t initial_;
  std::vector<uint8_t> buf_;    // allocated at the first open()
  uint64_t buf_off_ = 0, rec_off_ = 0;
  size_t len_ = 0, pos_ = 0;
  uint32_t record_ = 0;
  bool eof_ = false;
};

// "path:record N (byte O)": where errors in a binary trace point.
SourceLoc record_loc(const std::string& path, uint32_t record, uint64_t offset);

// Turns one warp's instructions into CodeDefs + InstChunk records, interning the static part.
class ChunkEncoder {
 public:
  explicit ChunkEncoder(RecordWriter& out) : out_(out) {}
  void start_kernel();          // empties the code tables
  void add(const InstLine& in); // buffers one instruction, writing a chunk when it is full
  void flush();                 // writes the buffered chunk (at the end of each warp)
  size_t code_entries() const { return code_.size(); }

 private:
  uint32_t intern(const InstLine& in);
  RecordWriter& out_;
  std::vector<CodeEntry> code_;
  std::vector<std::string> opcodes_;
  std::vector<uint32_t> first_by_pc_;   // pc / 16 -> first code index with that pc + 1 (0: none)
  std::vector<uint32_t> next_same_pc_;  // code index -> next index with the same pc + 1
  proto::trace::CodeDefs defs_;         // entries defined since the last chunk
  proto::trace::InstChunk chunk_;
  size_t chunk_bytes_ = 0;
  int64_t prev_code_ = -1;
  uint32_t prev_mask_ = 0xffffffffu;
  uint64_t prev_addr_ = 0;
};

// Decodes the instructions of one InstChunk in place (the bytes must stay valid meanwhile).
class ChunkDecoder {
 public:
  // Starts on a chunk's payload; false (and why in `err`) if its fields are malformed.
  bool start(const uint8_t* payload, size_t size, std::string& err);
  bool at_end() const { return step_.p == step_.end; }
  // The next instruction; false (and why in `err`) if the chunk is malformed.
  bool next(const BinaryCode& code, InstLine& out, std::string& err);
  // After the last instruction: false if a column holds more than the instructions used.
  bool finish(std::string& err) const;

 private:
  struct Span {                 // an unread part of a packed column
    const uint8_t* p = nullptr;
    const uint8_t* end = nullptr;
  };
  Span step_, mask_, addr_;
  int64_t prev_code_ = -1;
  uint32_t prev_mask_ = 0xffffffffu;
  uint64_t prev_addr_ = 0;
};

// One warp's instructions, read from a binary trace through a small window (the binary
// counterpart of WarpCursor).
class BinWarpCursor {
 public:
  // Starts at `w` (its offset is the first record after the Warp record) in the open file `fd`.
  void open(int fd, const std::string* path, const WarpIndex& w, const BinaryCode* code);
  bool next(InstLine& out);     // false once the warp's instructions are exhausted
  uint32_t remaining() const { return remaining_; }

 private:
  RecordWindow win_{2048};      // a few hundred instructions; grows to the warp's largest record
  ChunkDecoder dec_;
  const BinaryCode* code_ = nullptr;
  uint32_t remaining_ = 0;
  bool in_chunk_ = false;
  std::string err_;
};

}  // namespace xpusim::trace
