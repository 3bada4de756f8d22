#include "src/trace/trace_set.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "src/trace/trace_codec.h"

namespace xpusim::trace {

namespace {

namespace pt = proto::trace;

const char* kind_name(Rec k) {
  static constexpr const char* kNames[] = {"?",           "file header", "memory copy", "kernel header", "thread block",
                                           "warp",        "code",        "instructions", "kernel end",   "file end"};
  return kNames[static_cast<uint32_t>(k)];
}

exec::Dim3 dim3(const pt::Dim3& d) { return {d.x(), d.y(), d.z()}; }

// An extra header line must read back as one: "-<field> = <value>", one line, a field the
// reader does not take for itself.
bool extra_line_ok(const std::string& x) {
  static constexpr const char* kKnown[] = {"kernel name", "kernel id", "grid dim", "block dim", "shmem", "nregs",
                                           "binary version", "cuda stream id", "shmem base_addr", "local mem base_addr",
                                           "nvbit version", "accelsim tracer version", "enable lineinfo"};
  const size_t eq = x.find('=');
  if (x.size() < 2 || x[0] != '-' || eq == std::string::npos || x.find_first_of("\r\n") != std::string::npos) return false;
  std::string key = x.substr(1, eq - 1);
  while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.erase(0, 1);
  for (const char* k : kKnown)
    if (key == k) return false;
  return true;
}

// One pass over a binary trace: every record checked, the list and each kernel's scan built
// (the binary counterpart of trace_reader.cc's Scanner).
class BinScanner {
 public:
  explicit BinScanner(const std::string& path) : path_(path), win_(size_t{1} << 18) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw InputErrors(SourceLoc{path, 0, 0}, fmt::format("cannot open the trace: {}", std::strerror(errno)));
  }
  ~BinScanner() { ::close(fd_); }
  TraceSet run();

 private:
  [[noreturn]] void error(const std::string& msg) const { win_.error(msg); }
  template <typename M>
  void parse(M& m) {
    if (!m.ParseFromArray(p_, static_cast<int>(n_))) error(fmt::format("malformed {} record", kind_name(kind_)));
  }
  void kernel_header();
  void thread_block();
  void warp();
  void insts();
  void end_warp();
  void end_block();
  void kernel_end();

  std::string path_;
  int fd_ = -1;
  RecordWindow win_;
  Rec kind_{};
  const uint8_t* p_ = nullptr;
  size_t n_ = 0;
  TraceSet set_;
  KernelTrace* k_ = nullptr;             // the kernel being read
  std::shared_ptr<BinaryCode> code_;     // its code tables
  std::vector<bool> cta_seen_;
  std::string block_;                    // "thread block (x,y,z)" while one is open
  uint64_t cta_ = 0;
  uint32_t nwarps_ = 0;
  uint32_t warp_ = 0, remaining_ = 0, insts_ = 0;  // the open warp
  bool in_warp_ = false;
  uint32_t prev_pc_ = UINT32_MAX;
  uint32_t kernel_records_ = 0;
  ChunkDecoder dec_;
  InstLine inst_;
  std::string err_;
};

void BinScanner::kernel_header() {
  if (k_) error("a kernel header inside a kernel (the previous kernel has no end record)");
  pt::KernelHeader h;
  parse(h);
  KernelTrace& k = set_.kernels.emplace_back();
  k.path = path_;
  k.list_name = h.file();
  KernelHeader& kh = k.hdr;
  kh.name = h.name();
  kh.id = h.id();
  kh.grid = dim3(h.grid());
  kh.block = dim3(h.block());
  kh.shmem = h.shmem();
  kh.nregs = h.nregs();
  kh.binary_version = h.binary_version();
  kh.stream = h.stream();
  kh.shmem_base = h.shmem_base();
  kh.local_base = h.local_base();
  kh.nvbit_version = h.nvbit_version();
  kh.tracer_version = h.tracer_version();
  kh.lineinfo = h.lineinfo();
  kh.extra.assign(h.extra().begin(), h.extra().end());
  std::string bad = check_header(kh);
  for (const std::string* t : {&kh.name, &kh.nvbit_version, &k.list_name})
    if (t->find_first_of("\r\n") != std::string::npos) bad = fmt::format("'{}' holds a line break", *t);
  for (const std::string& x : kh.extra)
    if (!extra_line_ok(x)) bad = fmt::format("extra header line '{}' is not '-<field> = <value>' of a field replay does not read", x);
  if (!bad.empty()) error("bad kernel header: " + bad);
  code_ = std::make_shared<BinaryCode>();
  k.bin = code_;
  k.warps_per_cta = static_cast<uint32_t>((kh.block.count() + 31) / 32);
  struct stat st {};  // every warp takes two records, at least 8 bytes: no index for a grid the file cannot hold
  if (::fstat(fd_, &st) == 0 && kh.grid.count() * k.warps_per_cta > static_cast<uint64_t>(st.st_size) / 8)
    error(fmt::format("a grid of {} thread blocks of {} warps cannot fit in a file of {} bytes", kh.grid.count(),
                      k.warps_per_cta, st.st_size));
  k.warps.assign(kh.grid.count() * k.warps_per_cta, WarpIndex{});
  cta_seen_.assign(kh.grid.count(), false);
  k_ = &k;
  kernel_records_ = win_.record();
  ListEntry e;
  e.line = static_cast<int>(win_.record());
  e.kernel = true;
  e.path = path_;
  e.name = h.file();
  set_.list.push_back(std::move(e));
}

void BinScanner::thread_block() {
  if (!k_) error("a thread block outside a kernel");
  end_warp();
  end_block();
  pt::ThreadBlock b;
  parse(b);
  const exec::Dim3 id = dim3(b.id()), g = k_->hdr.grid;
  if (id.x >= g.x || id.y >= g.y || id.z >= g.z)
    error(fmt::format("thread block ({},{},{}) lies outside the grid ({},{},{})", id.x, id.y, id.z, g.x, g.y, g.z));
  cta_ = id.x + uint64_t{g.x} * (id.y + uint64_t{g.y} * id.z);
  block_ = fmt::format("thread block ({},{},{})", id.x, id.y, id.z);
  if (cta_seen_[cta_]) error(block_ + " appears twice");
  cta_seen_[cta_] = true;
  nwarps_ = 0;
}

void BinScanner::warp() {
  if (block_.empty()) error("a warp outside a thread block");
  end_warp();
  pt::Warp w;
  parse(w);
  if (w.warp() >= k_->warps_per_cta)
    error(fmt::format("warp {} of {}: the block has warps 0..{}", w.warp(), block_, k_->warps_per_cta - 1));
  WarpIndex& wi = k_->warps[cta_ * k_->warps_per_cta + w.warp()];
  if (wi.line) error(fmt::format("warp {} of {} appears twice", w.warp(), block_));
  if (w.insts() == 0) error(fmt::format("warp {} of {} has no instructions", w.warp(), block_));
  wi = {win_.offset(), win_.record() + 1, w.insts()};
  warp_ = w.warp();
  remaining_ = insts_ = w.insts();
  in_warp_ = true;
  prev_pc_ = UINT32_MAX;
  ++nwarps_;
}

void BinScanner::insts() {
  if (!in_warp_ || remaining_ == 0) error("instructions outside a warp, or beyond its 'insts' count");
  if (!dec_.start(p_, n_, err_)) error(err_);
  while (!dec_.at_end()) {
    if (remaining_ == 0)
      error(fmt::format("warp {} of {} holds more instructions than its count ({})", warp_, block_, insts_));
    if (!dec_.next(*code_, inst_, err_)) error(err_);
    if (!note_inst(*k_, inst_, win_.record(), prev_pc_, err_)) error(err_);
    --remaining_;
    ++k_->instructions;
  }
  if (!dec_.finish(err_)) error(err_);
}

void BinScanner::end_warp() {
  if (in_warp_ && remaining_)
    error(fmt::format("warp {} of {} ends after {} of its {} instructions", warp_, block_, insts_ - remaining_, insts_));
  in_warp_ = false;
}

void BinScanner::end_block() {
  if (!block_.empty() && nwarps_ != k_->warps_per_cta)
    error(fmt::format("{} holds {} warps; its block of {} threads has {}", block_, nwarps_, k_->hdr.block.count(),
                      k_->warps_per_cta));
  block_.clear();
}

void BinScanner::kernel_end() {
  if (!k_) error("a kernel end record outside a kernel");
  end_warp();
  end_block();
  const exec::Dim3& g = k_->hdr.grid;
  for (uint64_t c = 0; c < cta_seen_.size(); ++c)
    if (!cta_seen_[c])
      error(fmt::format("kernel {} ends before thread block ({},{},{}) of the grid ({},{},{}) (replay needs every "
                        "thread block)",
                        k_->hdr.name, c % g.x, (c / g.x) % g.y, c / (uint64_t{g.x} * g.y), g.x, g.y, g.z));
  pt::KernelEnd e;
  parse(e);
  if (e.instructions() != k_->instructions)
    error(fmt::format("kernel {} holds {} instructions; its end record says {}", k_->hdr.name, k_->instructions,
                      e.instructions()));
  k_->lines = win_.record() - kernel_records_ + 1;  // records, for trace-info
  k_ = nullptr;
  code_.reset();
}

TraceSet BinScanner::run() {
  set_.path = path_;
  set_.binary = true;
  win_.open(fd_, &path_, sizeof kMagic, 0);
  if (!win_.next(kind_, p_, n_) || kind_ != Rec::FileHeader) error("expected the file header record");
  pt::FileHeader fh;
  parse(fh);
  if (fh.version() == 0 || fh.version() > kFormatVersion)
    error(fmt::format("format version {}: this xpusim reads version {}", fh.version(), kFormatVersion));
  while (win_.next(kind_, p_, n_)) {
    switch (kind_) {
      case Rec::Memcpy: {
        if (k_) error("a memory copy inside a kernel (the kernel has no end record)");
        pt::Memcpy m;
        parse(m);
        ListEntry e;
        e.line = static_cast<int>(win_.record());
        e.command = m.command();
        e.addr = m.addr();
        e.bytes = m.bytes();
        if (e.command.rfind("Memcpy", 0) != 0 || e.command.find_first_of(", \t\n") != std::string::npos)
          error(fmt::format("memory copy command '{}' (expected MemcpyHtoD or the like)", e.command));
        set_.list.push_back(std::move(e));
        break;
      }
      case Rec::Kernel: kernel_header(); break;
      case Rec::Block: thread_block(); break;
      case Rec::Warp: warp(); break;
      case Rec::Code: {
        if (!k_) error("code definitions outside a kernel");
        pt::CodeDefs d;
        parse(d);
        if (!code_->add(d, err_)) error(err_);
        break;
      }
      case Rec::Insts: insts(); break;
      case Rec::KernelEnd: kernel_end(); break;
      case Rec::FileEnd: {
        if (k_) error("the file ends inside a kernel (no kernel end record)");
        pt::FileEnd fe;
        parse(fe);
        if (fe.kernels() != set_.kernels.size())
          error(fmt::format("the file holds {} kernels; its end record says {}", set_.kernels.size(), fe.kernels()));
        if (win_.next(kind_, p_, n_)) error("data after the file's end record");
        if (set_.list.empty()) error("the trace holds no kernel and no copy");
        return std::move(set_);
      }
      case Rec::FileHeader: error("a second file header");
    }
  }
  throw InputErrors(record_loc(path_, win_.record(), win_.record_offset()),
                    "file ends without its end record (truncated file)");
}

}  // namespace

TraceSet scan_binary(const std::string& path) { return BinScanner(path).run(); }

TraceSet load_trace(const std::string& path) {
  if (is_binary_trace(path)) return scan_binary(path);
  TraceSet s;
  s.path = path;
  s.list = read_kernelslist(path);
  for (const ListEntry& e : s.list)
    if (e.kernel) {
      KernelTrace& k = s.kernels.emplace_back(scan_kernel(e.path));
      k.list_name = e.name;
    }
  return s;
}

}  // namespace xpusim::trace
