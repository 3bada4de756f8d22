#include "src/trace/trace_codec.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

namespace xpusim::trace {

namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::internal::WireFormatLite;

template <typename... A>
bool fail(std::string& err, fmt::format_string<A...> f, A&&... a) {
  err = fmt::format(f, std::forward<A>(a)...);
  return false;
}

// A varint of a packed column, read in place.
inline bool get_varint(const uint8_t*& p, const uint8_t* end, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && p != end; shift += 7) {
    const uint8_t b = *p++;
    v |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

inline bool get_sint(const uint8_t*& p, const uint8_t* end, int64_t& v) {
  uint64_t u;
  if (!get_varint(p, end, u)) return false;
  v = WireFormatLite::ZigZagDecode64(u);
  return true;
}

bool valid_opcode(const std::string& s) {
  if (s.empty() || s[0] < 'A' || s[0] > 'Z') return false;
  for (char c : s)
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

}  // namespace

SourceLoc record_loc(const std::string& path, uint32_t record, uint64_t offset) {
  return SourceLoc{fmt::format("{}:record {} (byte {})", path, record, offset), 0, 0};
}

bool is_binary_trace(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char head[sizeof kMagic] = {};
  const ssize_t n = ::pread(fd, head, sizeof head, 0);
  ::close(fd);
  return n == static_cast<ssize_t>(sizeof head) && std::memcmp(head, kMagic, sizeof head) == 0;
}

// ---- code tables ------------------------------------------------------------------------------

bool BinaryCode::add(const proto::trace::CodeDefs& defs, std::string& err) {
  for (const std::string& o : defs.opcodes()) {
    if (!valid_opcode(o)) return fail(err, "opcode name '{}' is not a SASS mnemonic (like FFMA or LDG.E)", o);
    opcodes.push_back(o);
  }
  for (const proto::trace::Code& c : defs.code()) {
    const size_t id = code.size();
    if (c.opcode() >= opcodes.size())
      return fail(err, "code entry {} names opcode {}, but {} are defined", id, c.opcode(), opcodes.size());
    if (c.dst_size() > kMaxDst || c.src_size() > kMaxSrc)
      return fail(err, "code entry {} has {} destination and {} source registers (at most {} and {})", id,
                  c.dst_size(), c.src_size(), kMaxDst, kMaxSrc);
    if (c.mem_width() > 1024) return fail(err, "code entry {} has memory width {} (at most 1024)", id, c.mem_width());
    CodeEntry e;
    e.pc = c.pc();
    e.opcode = c.opcode();
    e.ndst = static_cast<uint8_t>(c.dst_size());
    e.nsrc = static_cast<uint8_t>(c.src_size());
    for (int i = 0; i < c.dst_size(); ++i) {
      if (c.dst(i) > 255) return fail(err, "code entry {}: register R{} (at most R255)", id, c.dst(i));
      e.dst[static_cast<size_t>(i)] = static_cast<uint8_t>(c.dst(i));
    }
    for (int i = 0; i < c.src_size(); ++i) {
      if (c.src(i) > 255) return fail(err, "code entry {}: register R{} (at most R255)", id, c.src(i));
      e.src[static_cast<size_t>(i)] = static_cast<uint8_t>(c.src(i));
    }
    e.mem_width = c.mem_width();
    e.has_imm = c.has_imm();
    e.imm = c.imm();
    e.line_num = c.line_num();
    code.push_back(e);
  }
  return true;
}

// ---- records out ------------------------------------------------------------------------------

RecordWriter::RecordWriter(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw InputErrors(SourceLoc{path, 0, 0}, fmt::format("cannot create: {}", std::strerror(errno)));
  buf_.reserve(1 << 16);
  buf_.append(kMagic, sizeof kMagic);
}

RecordWriter::~RecordWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void RecordWriter::write(Rec kind, const google::protobuf::MessageLite& m) {
  const size_t n = m.ByteSizeLong();
  const uint32_t tag = WireFormatLite::MakeTag(static_cast<int>(kind), WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  const size_t inner = CodedOutputStream::VarintSize32(tag) + CodedOutputStream::VarintSize32(static_cast<uint32_t>(n)) + n;
  const size_t at = buf_.size();
  buf_.resize(at + CodedOutputStream::VarintSize32(static_cast<uint32_t>(inner)) + inner);
  auto* p = reinterpret_cast<uint8_t*>(buf_.data() + at);
  p = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(inner), p);
  p = CodedOutputStream::WriteVarint32ToArray(tag, p);
  p = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(n), p);
  m.SerializeWithCachedSizesToArray(p);
  if (buf_.size() >= (1 << 16)) flush();
}

void RecordWriter::flush() {
  size_t done = 0;
  while (done < buf_.size()) {
    const ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw InputErrors(SourceLoc{path_, 0, 0}, fmt::format("write error: {}", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  bytes_ += buf_.size();
  buf_.clear();
}

void RecordWriter::close() {
  if (fd_ < 0) return;
  flush();
  const int r = ::close(fd_);
  fd_ = -1;
  if (r != 0) throw InputErrors(SourceLoc{path_, 0, 0}, fmt::format("write error: {}", std::strerror(errno)));
}

// ---- records in -------------------------------------------------------------------------------

void RecordWindow::open(int fd, const std::string* path, uint64_t offset, uint32_t record) {
  if (buf_.size() < initial_) buf_.resize(initial_);
  fd_ = fd;
  path_ = path;
  buf_off_ = rec_off_ = offset;
  len_ = pos_ = 0;
  record_ = record;
  eof_ = false;
}

void RecordWindow::error(const std::string& msg) const { throw InputErrors(record_loc(*path_, record_, rec_off_), msg); }

bool RecordWindow::fill(size_t want) {
  if (len_ - pos_ >= want) return true;
  if (eof_) return false;
  std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
  buf_off_ += pos_;
  len_ -= pos_;
  pos_ = 0;
  if (want > buf_.size()) buf_.resize(std::max(want, 2 * buf_.size()));
  while (len_ < want) {
    const ssize_t n = ::pread(fd_, buf_.data() + len_, buf_.size() - len_, static_cast<off_t>(buf_off_ + len_));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error(fmt::format("read error: {}", std::strerror(errno)));
    if (n == 0) {
      eof_ = true;
      return false;
    }
    len_ += static_cast<size_t>(n);
  }
  return true;
}

bool RecordWindow::next(Rec& kind, const uint8_t*& payload, size_t& size) {
  rec_off_ = buf_off_ + pos_;
  if (!fill(1)) return false;
  ++record_;
  fill(10);
  uint32_t total = 0;
  int hdr;
  {
    CodedInputStream in(buf_.data() + pos_, static_cast<int>(std::min<size_t>(len_ - pos_, 10)));
    if (!in.ReadVarint32(&total)) error("file ends inside a record's length (truncated file)");
    hdr = in.CurrentPosition();
  }
  if (total > kMaxRecordBytes)
    error(fmt::format("record of {} bytes (at most {}): not a trace of ours, or a corrupt one", total, kMaxRecordBytes));
  if (!fill(static_cast<size_t>(hdr) + total))
    error(fmt::format("file ends inside a record of {} bytes (truncated file)", total));
  const uint8_t* rec = buf_.data() + pos_ + hdr;
  CodedInputStream in(rec, static_cast<int>(total));
  const uint32_t tag = in.ReadTag();
  uint32_t len = 0;
  const uint32_t field = tag >> 3;
  if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED || field < 1 || field > 9)
    error(fmt::format("unknown record kind (tag {})", tag));
  if (!in.ReadVarint32(&len) || static_cast<size_t>(in.CurrentPosition()) + len != total)
    error("malformed record: its message length does not match the record length");
  kind = static_cast<Rec>(field);
  payload = rec + in.CurrentPosition();
  size = len;
  pos_ += static_cast<size_t>(hdr) + total;
  return true;
}

// ---- chunks out -------------------------------------------------------------------------------

void ChunkEncoder::start_kernel() {
  code_.clear();
  opcodes_.clear();
  first_by_pc_.clear();
  next_same_pc_.clear();
  defs_.Clear();
  chunk_.Clear();
  chunk_bytes_ = 0;
  prev_code_ = -1;
  prev_mask_ = 0xffffffffu;
  prev_addr_ = 0;
}

uint32_t ChunkEncoder::intern(const InstLine& in) {
  const size_t slot = in.pc / 16;
  if (slot >= first_by_pc_.size()) first_by_pc_.resize(slot + 1, 0);
  uint32_t last = 0;  // the last entry with this pc + 1 (0: none)
  for (uint32_t id = first_by_pc_[slot]; id; id = next_same_pc_[id - 1]) {
    const CodeEntry& e = code_[id - 1];
    if (e.pc == in.pc && opcodes_[e.opcode] == in.opcode && e.ndst == in.ndst && e.nsrc == in.nsrc && e.dst == in.dst &&
        e.src == in.src && e.mem_width == in.mem_width && e.has_imm == in.has_imm && e.imm == in.imm &&
        e.line_num == in.line_num)
      return id - 1;
    last = id;
  }
  // A new entry (rare: about once per distinct pc).
  CodeEntry e;
  e.pc = in.pc;
  e.opcode = static_cast<uint32_t>(std::find(opcodes_.begin(), opcodes_.end(), in.opcode) - opcodes_.begin());
  if (e.opcode == opcodes_.size()) {
    opcodes_.emplace_back(in.opcode);
    defs_.add_opcodes(std::string(in.opcode));
  }
  e.ndst = in.ndst, e.nsrc = in.nsrc, e.dst = in.dst, e.src = in.src;
  e.mem_width = in.mem_width, e.has_imm = in.has_imm, e.imm = in.imm, e.line_num = in.line_num;
  proto::trace::Code* c = defs_.add_code();
  c->set_pc(e.pc);
  c->set_opcode(e.opcode);
  for (int i = 0; i < e.ndst; ++i) c->add_dst(e.dst[static_cast<size_t>(i)]);
  for (int i = 0; i < e.nsrc; ++i) c->add_src(e.src[static_cast<size_t>(i)]);
  c->set_mem_width(e.mem_width);
  if (e.has_imm) c->set_imm(e.imm);
  c->set_line_num(e.line_num);
  code_.push_back(e);
  next_same_pc_.push_back(0);
  (last ? next_same_pc_[last - 1] : first_by_pc_[slot]) = static_cast<uint32_t>(code_.size());
  return static_cast<uint32_t>(code_.size() - 1);
}

void ChunkEncoder::add(const InstLine& in) {
  const uint32_t id = intern(in);
  const bool changed = in.mask != prev_mask_;
  const uint64_t fmt = in.mem_width ? static_cast<uint64_t>(in.format) : 3;
  const uint64_t step = WireFormatLite::ZigZagEncode64(static_cast<int64_t>(id) - prev_code_ - 1) << 3 |
                        uint64_t{changed} << 2 | fmt;
  prev_code_ = id;
  chunk_.add_step(step);
  chunk_bytes_ += CodedOutputStream::VarintSize64(step);
  if (changed) {
    chunk_.add_mask(in.mask);
    chunk_bytes_ += 4;
    prev_mask_ = in.mask;
  }
  auto put = [&](uint64_t v) {  // a difference, wrapping like the tracer's arithmetic
    const int64_t d = static_cast<int64_t>(v);
    chunk_.add_addr(d);
    chunk_bytes_ += CodedOutputStream::VarintSize64(WireFormatLite::ZigZagEncode64(d));
  };
  if (in.mem_width) {
    const uint32_t m = in.mask;
    int first = m ? std::countr_zero(m) : -1;
    if (in.format == AddrFormat::ListAll) {
      if (first >= 0) {
        put(in.addr[static_cast<size_t>(first)] - prev_addr_);
        prev_addr_ = in.addr[static_cast<size_t>(first)];
        for (int l = first + 1, last = first; l < 32; ++l)
          if ((m >> l) & 1) put(in.addr[static_cast<size_t>(l)] - in.addr[static_cast<size_t>(last)]), last = l;
      }
    } else {
      put(in.base - prev_addr_);
      prev_addr_ = in.base;
      if (in.format == AddrFormat::BaseStride) {
        put(static_cast<uint64_t>(in.stride));
      } else if (first >= 0) {
        for (int l = first + 1, last = first; l < 32; ++l)
          if ((m >> l) & 1) put(in.addr[static_cast<size_t>(l)] - in.addr[static_cast<size_t>(last)]), last = l;
      }
    }
  }
  if (chunk_bytes_ >= kChunkBytes || static_cast<size_t>(chunk_.step_size()) >= kChunkInsts) flush();
}

void ChunkEncoder::flush() {
  if (chunk_.step_size() == 0) return;
  if (defs_.code_size() || defs_.opcodes_size()) {
    out_.write(Rec::Code, defs_);
    defs_.Clear();
  }
  out_.write(Rec::Insts, chunk_);
  chunk_.Clear();
  chunk_bytes_ = 0;
  prev_code_ = -1;
  prev_mask_ = 0xffffffffu;
  prev_addr_ = 0;
}

// ---- chunks in --------------------------------------------------------------------------------

bool ChunkDecoder::start(const uint8_t* payload, size_t size, std::string& err) {
  step_ = mask_ = addr_ = Span{};
  prev_code_ = -1;
  prev_mask_ = 0xffffffffu;
  prev_addr_ = 0;
  CodedInputStream in(payload, static_cast<int>(size));
  while (const uint32_t tag = in.ReadTag()) {
    const uint32_t field = tag >> 3;
    if (field < 1 || field > 3) {  // not ours: skipped, as protobuf does
      if (!WireFormatLite::SkipField(&in, tag)) return fail(err, "malformed instruction chunk (field {})", field);
      continue;
    }
    static constexpr const char* kName[] = {"", "step", "mask", "addr"};
    uint32_t len;
    if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED || !in.ReadVarint32(&len))
      return fail(err, "instruction chunk: column '{}' is not packed", kName[field]);
    const uint8_t* b = payload + in.CurrentPosition();
    if (!in.Skip(static_cast<int>(len))) return fail(err, "instruction chunk: column '{}' runs past the record", kName[field]);
    Span& col = field == 1 ? step_ : field == 2 ? mask_ : addr_;
    if (col.p) return fail(err, "instruction chunk: column '{}' appears twice", kName[field]);
    col = Span{b, b + len};
  }
  if (static_cast<size_t>(in.CurrentPosition()) != size) return fail(err, "malformed instruction chunk");
  if ((mask_.end - mask_.p) % 4) return fail(err, "instruction chunk: mask column of {} bytes (4 per mask)", mask_.end - mask_.p);
  if (step_.p == step_.end) return fail(err, "instruction chunk without instructions");
  return true;
}

bool ChunkDecoder::next(const BinaryCode& code, InstLine& o, std::string& err) {
  uint64_t step;
  if (!get_varint(step_.p, step_.end, step)) return fail(err, "instruction chunk: step column ends inside a number");
  const int64_t id = prev_code_ + 1 + WireFormatLite::ZigZagDecode64(step >> 3);
  if (id < 0 || static_cast<uint64_t>(id) >= code.code.size())
    return fail(err, "instruction names code entry {}, but the kernel defines {} so far", id, code.code.size());
  prev_code_ = id;
  if (step & 4) {
    const uint8_t* q = mask_.p;
    if (mask_.end - q < 4) return fail(err, "instruction chunk: more mask changes than masks");
    prev_mask_ = uint32_t{q[0]} | uint32_t{q[1]} << 8 | uint32_t{q[2]} << 16 | uint32_t{q[3]} << 24;
    mask_.p += 4;
  }
  const CodeEntry& e = code.code[static_cast<size_t>(id)];
  o.pc = e.pc;
  o.mask = prev_mask_;
  o.ndst = e.ndst, o.nsrc = e.nsrc, o.dst = e.dst, o.src = e.src;
  o.opcode = code.opcodes[e.opcode];
  o.mem_width = e.mem_width;
  o.has_imm = e.has_imm, o.imm = e.imm, o.line_num = e.line_num;
  o.addr.fill(0);
  o.base = 0;
  o.stride = 0;
  const uint64_t fmt = step & 3;
  if (!e.mem_width) {
    if (fmt != 3) return fail(err, "instruction at pc {:04x} has addresses but no memory width", e.pc);
    o.format = AddrFormat::None;
    return true;
  }
  if (fmt == 3) return fail(err, "memory instruction at pc {:04x} has no address format", e.pc);
  o.format = static_cast<AddrFormat>(fmt);
  const uint32_t m = o.mask;
  const int first = m ? std::countr_zero(m) : -1;
  int64_t d = 0;
  auto get = [&] {
    if (!get_sint(addr_.p, addr_.end, d)) return fail(err, "instruction chunk: address column ends early (pc {:04x})", e.pc);
    return true;
  };
  // The first active lane's address is `a`; each later active lane adds its own delta.
  auto chain = [&](uint64_t a) {
    o.addr[static_cast<size_t>(first)] = a;
    for (int l = first + 1; l < 32; ++l)
      if ((m >> l) & 1) {
        if (!get()) return false;
        o.addr[static_cast<size_t>(l)] = a += static_cast<uint64_t>(d);
      }
    return true;
  };
  if (o.format == AddrFormat::ListAll) {
    if (first < 0) return true;
    if (!get()) return false;
    prev_addr_ += static_cast<uint64_t>(d);
    return chain(prev_addr_);
  }
  if (!get()) return false;
  o.base = prev_addr_ + static_cast<uint64_t>(d);
  prev_addr_ = o.base;
  if (o.format == AddrFormat::BaseStride) {
    if (!get()) return false;
    o.stride = d;
    uint64_t a = o.base;
    for (int l = first; l >= 0 && l < 32; ++l)
      if ((m >> l) & 1) o.addr[static_cast<size_t>(l)] = a, a += static_cast<uint64_t>(d);
    return true;
  }
  return first < 0 || chain(o.base);
}

bool ChunkDecoder::finish(std::string& err) const {
  if (mask_.p != mask_.end) return fail(err, "instruction chunk: {} masks left over", (mask_.end - mask_.p) / 4);
  if (addr_.p != addr_.end) return fail(err, "instruction chunk: addresses left over after its last instruction");
  return true;
}

// ---- a warp of a binary trace -----------------------------------------------------------------

void BinWarpCursor::open(int fd, const std::string* path, const WarpIndex& w, const BinaryCode* code) {
  win_.open(fd, path, w.offset, w.line - 1);
  code_ = code;
  remaining_ = w.count;
  in_chunk_ = false;
}

bool BinWarpCursor::next(InstLine& out) {
  if (remaining_ == 0) return false;
  for (;;) {
    if (in_chunk_ && !dec_.at_end()) {
      if (!dec_.next(*code_, out, err_)) win_.error(err_);
      --remaining_;
      return true;
    }
    if (in_chunk_ && !dec_.finish(err_)) win_.error(err_);
    Rec kind;
    const uint8_t* p;
    size_t n;
    if (!win_.next(kind, p, n)) win_.error("file ends inside a warp (it changed since it was checked)");
    if (kind == Rec::Code) continue;  // the scan has read the definitions
    if (kind != Rec::Insts) win_.error("a warp's instructions end early (it changed since it was checked)");
    if (!dec_.start(p, n, err_)) win_.error(err_);
    in_chunk_ = true;
  }
}

}  // namespace xpusim::trace
