#include "src/trace/trace_convert.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include "src/trace/trace_codec.h"
#include "src/trace/trace_set.h"

namespace xpusim::trace {

namespace {

namespace fs = std::filesystem;
namespace pt = proto::trace;

uint64_t file_size(const std::string& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

void set_dim(pt::Dim3* d, const exec::Dim3& v) {
  d->set_x(v.x);
  d->set_y(v.y);
  d->set_z(v.z);
}

pt::KernelHeader header_record(const KernelTrace& k) {
  const KernelHeader& h = k.hdr;
  pt::KernelHeader r;
  r.set_file(k.list_name);
  r.set_name(h.name);
  r.set_id(h.id);
  set_dim(r.mutable_grid(), h.grid);
  set_dim(r.mutable_block(), h.block);
  r.set_shmem(h.shmem);
  r.set_nregs(h.nregs);
  r.set_binary_version(h.binary_version);
  r.set_stream(h.stream);
  r.set_shmem_base(h.shmem_base);
  r.set_local_base(h.local_base);
  r.set_nvbit_version(h.nvbit_version);
  r.set_tracer_version(h.tracer_version);
  r.set_lineinfo(h.lineinfo);
  for (const std::string& x : h.extra) r.add_extra(x);
  return r;
}

// One kernel's .traceg into records: its thread blocks and warps in the order of the file.
void kernel_to_binary(const KernelTrace& k, RecordWriter& w, ChunkEncoder& enc, ConvertResult& res) {
  w.write(Rec::Kernel, header_record(k));
  enc.start_kernel();
  std::vector<std::pair<uint64_t, uint64_t>> order;  // (offset, warp index): the file's order
  order.reserve(k.warps.size());
  for (uint64_t i = 0; i < k.warps.size(); ++i) order.emplace_back(k.warps[i].offset, i);
  std::sort(order.begin(), order.end());
  const int fd = ::open(k.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputErrors(SourceLoc{k.path, 0, 0}, fmt::format("cannot open: {}", std::strerror(errno)));
  WarpCursor cur;
  InstLine in;
  uint64_t cta = UINT64_MAX;
  pt::ThreadBlock tb;
  pt::Warp wr;
  try {
    for (const auto& [off, i] : order) {
      if (i / k.warps_per_cta != cta) {  // a thread block's warps are contiguous in the file
        cta = i / k.warps_per_cta;
        const exec::Dim3& g = k.hdr.grid;
        tb.mutable_id()->set_x(static_cast<uint32_t>(cta % g.x));
        tb.mutable_id()->set_y(static_cast<uint32_t>(cta / g.x % g.y));
        tb.mutable_id()->set_z(static_cast<uint32_t>(cta / (uint64_t{g.x} * g.y)));
        w.write(Rec::Block, tb);
      }
      wr.set_warp(static_cast<uint32_t>(i % k.warps_per_cta));
      wr.set_insts(k.warps[i].count);
      w.write(Rec::Warp, wr);
      cur.open(fd, &k.path, k.warps[i], k.hdr.lineinfo);
      while (cur.next(in)) enc.add(in);
      enc.flush();
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  pt::KernelEnd e;
  e.set_instructions(k.instructions);
  w.write(Rec::KernelEnd, e);
  res.instructions += k.instructions;
  ++res.kernels;
}

void to_binary(const std::string& in, const std::string& out, ConvertResult& res) {
  if (fs::exists(out) && (fs::is_directory(out) || !is_binary_trace(out)))
    throw InputErrors(SourceLoc{out, 0, 0}, "exists and is not a binary trace: refusing to overwrite it");
  const TraceSet set = load_trace(in);  // checks all of it first
  res.to_binary = true;
  res.in_bytes = file_size(in);
  for (const KernelTrace& k : set.kernels) res.in_bytes += file_size(k.path);
  const std::string tmp = out + ".tmp";
  try {
    RecordWriter w(tmp);
    ChunkEncoder enc(w);
    pt::FileHeader fh;
    fh.set_version(kFormatVersion);
    fh.set_source(fs::path(in).filename().string());
    w.write(Rec::FileHeader, fh);
    auto kt = set.kernels.begin();
    for (const ListEntry& e : set.list) {
      if (e.kernel) {
        kernel_to_binary(*kt++, w, enc, res);
        continue;
      }
      pt::Memcpy m;
      m.set_command(e.command);
      m.set_addr(e.addr);
      m.set_bytes(e.bytes);
      w.write(Rec::Memcpy, m);
      ++res.copies;
    }
    pt::FileEnd fe;
    fe.set_kernels(static_cast<uint32_t>(set.kernels.size()));
    w.write(Rec::FileEnd, fe);
    w.close();
    fs::rename(tmp, out);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  res.out_bytes = file_size(out);
  res.outputs.push_back(out);
}

// ---- binary -> Accel-Sim text -----------------------------------------------------------------

// A buffered text file.
class TextOut {
 public:
  explicit TextOut(const std::string& path) : path_(path) {
    f_ = std::fopen(path.c_str(), "w");
    if (!f_) throw InputErrors(SourceLoc{path, 0, 0}, fmt::format("cannot create: {}", std::strerror(errno)));
  }
  ~TextOut() {
    if (f_) std::fclose(f_);
  }
  fmt::memory_buffer& buf() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= (1 << 16)) flush();
  }
  void close() {
    flush();
    const int r = std::fclose(f_);
    f_ = nullptr;
    if (r != 0) throw InputErrors(SourceLoc{path_, 0, 0}, fmt::format("write error: {}", std::strerror(errno)));
  }

 private:
  void flush() {
    if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
      throw InputErrors(SourceLoc{path_, 0, 0}, fmt::format("write error: {}", std::strerror(errno)));
    buf_.clear();
  }
  std::string path_;
  FILE* f_ = nullptr;
  fmt::memory_buffer buf_;
};

void write_header(fmt::memory_buffer& b, const KernelHeader& h) {
  auto o = std::back_inserter(b);
  fmt::format_to(o, "-kernel name = {}\n-kernel id = {}\n", h.name, h.id);
  fmt::format_to(o, "-grid dim = ({},{},{})\n-block dim = ({},{},{})\n", h.grid.x, h.grid.y, h.grid.z, h.block.x,
                 h.block.y, h.block.z);
  fmt::format_to(o, "-shmem = {}\n-nregs = {}\n-binary version = {}\n-cuda stream id = {}\n", h.shmem, h.nregs,
                 h.binary_version, h.stream);
  fmt::format_to(o, "-shmem base_addr = 0x{:016x}\n-local mem base_addr = 0x{:016x}\n", h.shmem_base, h.local_base);
  if (!h.nvbit_version.empty()) fmt::format_to(o, "-nvbit version = {}\n", h.nvbit_version);
  if (h.tracer_version) fmt::format_to(o, "-accelsim tracer version = {}\n", h.tracer_version);
  fmt::format_to(o, "-enable lineinfo = {}\n", h.lineinfo ? 1 : 0);
  for (const std::string& x : h.extra) fmt::format_to(o, "{}\n", x);
  fmt::format_to(o,
                 "\n#traces format = [line_num] PC mask dest_num [reg_dests] opcode src_num [reg_srcs] mem_width "
                 "[adrrescompress?] [mem_addresses] immediate\n\n");
}

// One instruction line as the tracer writes it.
void write_inst(fmt::memory_buffer& b, const InstLine& l, bool lineinfo) {
  auto o = std::back_inserter(b);
  if (lineinfo) fmt::format_to(o, "{} ", l.line_num);
  fmt::format_to(o, "{:04x} {:08x} {}", l.pc, l.mask, l.ndst);
  for (int i = 0; i < l.ndst; ++i) fmt::format_to(o, " R{}", l.dst[static_cast<size_t>(i)]);
  fmt::format_to(o, " {} {}", l.opcode, l.nsrc);
  for (int i = 0; i < l.nsrc; ++i) fmt::format_to(o, " R{}", l.src[static_cast<size_t>(i)]);
  fmt::format_to(o, " {}", l.mem_width);
  if (l.mem_width) {
    fmt::format_to(o, " {}", static_cast<int>(l.format));
    if (l.format != AddrFormat::ListAll) fmt::format_to(o, " 0x{:x}", l.base);
    if (l.format == AddrFormat::BaseStride) fmt::format_to(o, " {}", l.stride);
    int last = -1;
    for (int lane = 0; lane < 32 && l.format != AddrFormat::BaseStride; ++lane) {
      if (!((l.mask >> lane) & 1)) continue;
      const uint64_t a = l.addr[static_cast<size_t>(lane)];
      if (l.format == AddrFormat::ListAll) fmt::format_to(o, " 0x{:016x}", a);
      else if (last >= 0) fmt::format_to(o, " {}", static_cast<int64_t>(a - l.addr[static_cast<size_t>(last)]));
      last = lane;
    }
  }
  if (l.has_imm) fmt::format_to(o, " {}", l.imm);
  b.push_back('\n');
}

// A kernelslist.g name for each kernel: its original one when that is a plain file name, else
// kernel-N.traceg.
std::vector<std::string> output_names(const TraceSet& set) {
  std::vector<std::string> names;
  std::set<std::string> used{"kernelslist.g"};
  for (const KernelTrace& k : set.kernels) {
    const std::string& n = k.list_name;
    const bool plain = !n.empty() && n != "." && n != ".." && n.size() < 200 &&
                       std::all_of(n.begin(), n.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'; });
    std::string name = plain && !used.count(n) ? n : fmt::format("kernel-{}.traceg", names.size() + 1);
    for (int i = 2; used.count(name); ++i) name = fmt::format("kernel-{}-{}.traceg", names.size() + 1, i);
    used.insert(name);
    names.push_back(std::move(name));
  }
  return names;
}

// Replays the records of a checked binary trace into Accel-Sim text files.
class TextWriter {
 public:
  TextWriter(const std::string& in, const fs::path& dir, const TraceSet& set, ConvertResult& res)
      : in_(in), dir_(dir), set_(set), names_(output_names(set)), res_(res), win_(size_t{1} << 18) {}
  void run();

 private:
  void end_block() {
    if (block_open_) fmt::format_to(std::back_inserter(out_->buf()), "#END_TB\n\n");
    block_open_ = false;
  }
  template <typename M>
  void parse(M& m) {
    if (!m.ParseFromArray(p_, static_cast<int>(n_))) win_.error("malformed record (the file changed since it was checked)");
  }
  std::string in_;
  fs::path dir_;
  const TraceSet& set_;
  std::vector<std::string> names_;
  ConvertResult& res_;
  RecordWindow win_;
  Rec kind_{};
  const uint8_t* p_ = nullptr;
  size_t n_ = 0;
  std::unique_ptr<TextOut> out_;
  BinaryCode code_;
  bool lineinfo_ = false, block_open_ = false;
};

void TextWriter::run() {
  const int fd = ::open(in_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputErrors(SourceLoc{in_, 0, 0}, fmt::format("cannot open: {}", std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  win_.open(fd, &in_, sizeof kMagic, 0);
  fmt::memory_buffer list;
  size_t kernel = 0;
  InstLine l;
  ChunkDecoder dec;
  std::string err;
  while (win_.next(kind_, p_, n_)) {
    switch (kind_) {
      case Rec::Memcpy: {
        pt::Memcpy m;
        parse(m);
        fmt::format_to(std::back_inserter(list), "{},0x{:016x},{}\n", m.command(), m.addr(), m.bytes());
        ++res_.copies;
        break;
      }
      case Rec::Kernel: {
        const KernelTrace& k = set_.kernels[kernel];
        const std::string path = (dir_ / names_[kernel]).string();
        fmt::format_to(std::back_inserter(list), "{}\n", names_[kernel]);
        out_ = std::make_unique<TextOut>(path);
        res_.outputs.push_back(path);
        write_header(out_->buf(), k.hdr);
        lineinfo_ = k.hdr.lineinfo;
        code_ = BinaryCode{};
        res_.instructions += k.instructions;
        ++res_.kernels;
        ++kernel;
        break;
      }
      case Rec::Block: {
        pt::ThreadBlock b;
        parse(b);
        end_block();
        fmt::format_to(std::back_inserter(out_->buf()), "#BEGIN_TB\n\nthread block = {},{},{}\n\n", b.id().x(),
                       b.id().y(), b.id().z());
        block_open_ = true;
        break;
      }
      case Rec::Warp: {
        pt::Warp w;
        parse(w);
        fmt::format_to(std::back_inserter(out_->buf()), "warp = {}\ninsts = {}\n", w.warp(), w.insts());
        break;
      }
      case Rec::Code: {
        pt::CodeDefs d;
        parse(d);
        if (!code_.add(d, err)) win_.error(err);
        break;
      }
      case Rec::Insts:
        if (!dec.start(p_, n_, err)) win_.error(err);
        while (!dec.at_end()) {
          if (!dec.next(code_, l, err)) win_.error(err);
          write_inst(out_->buf(), l, lineinfo_);
          out_->maybe_flush();
        }
        break;
      case Rec::KernelEnd:
        end_block();
        out_->close();
        res_.out_bytes += file_size(res_.outputs.back());
        out_.reset();
        break;
      default: break;  // the file header and end, checked by the scan
    }
  }
  const std::string lp = (dir_ / "kernelslist.g").string();
  TextOut lo(lp);
  lo.buf().append(list.data(), list.data() + list.size());
  lo.close();
  res_.outputs.push_back(lp);
  res_.out_bytes += file_size(lp);
}

void to_accelsim(const std::string& in, const std::string& out, ConvertResult& res) {
  const fs::path dir(out);
  if (fs::exists(dir / "kernelslist.g"))
    throw InputErrors(SourceLoc{out, 0, 0}, "already holds a kernelslist.g: choose a new or empty directory");
  const TraceSet set = scan_binary(in);  // checks all of it first
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw InputErrors(SourceLoc{out, 0, 0}, "cannot create the output directory");
  res.in_bytes = file_size(in);
  try {
    TextWriter(in, dir, set, res).run();
  } catch (...) {
    for (const std::string& p : res.outputs) fs::remove(p, ec);
    throw;
  }
}

}  // namespace

ConvertResult convert(const std::string& in, const std::string& out) {
  ConvertResult r;
  if (is_binary_trace(in)) to_accelsim(in, out, r);
  else to_binary(in, out, r);
  return r;
}

std::string convert_summary(const ConvertResult& r, const std::string& in, const std::string& out) {
  return fmt::format("{} -> {}: {} kernels, {} copies, {} warp instructions; {} bytes -> {} bytes ({:.1f}x)", in, out,
                     r.kernels, r.copies, r.instructions, r.in_bytes, r.out_bytes,
                     r.out_bytes ? static_cast<double>(r.in_bytes) / static_cast<double>(r.out_bytes) : 0.0);
}

}  // namespace xpusim::trace
