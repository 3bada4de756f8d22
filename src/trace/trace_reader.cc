#include "src/trace/trace_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace xpusim::trace {

namespace {

// ---- tokens -----------------------------------------------------------------------------------

bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits on blanks without allocating.
class Tokens {
 public:
  explicit Tokens(std::string_view s) : s_(s) {}
  bool next(std::string_view& t) {
    while (p_ < s_.size() && space(s_[p_])) ++p_;
    if (p_ == s_.size()) return false;
    const size_t b = p_;
    while (p_ < s_.size() && !space(s_[p_])) ++p_;
    t = s_.substr(b, p_ - b);
    return true;
  }

 private:
  std::string_view s_;
  size_t p_ = 0;
};

bool hex_u64(std::string_view t, uint64_t& v) {
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2);
  if (t.empty() || t.size() > 16) return false;
  v = 0;
  for (char c : t) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return true;
}

bool dec_u64(std::string_view t, uint64_t& v) {
  if (t.empty() || t.size() > 19) return false;
  v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

bool dec_i64(std::string_view t, int64_t& v) {
  const bool neg = !t.empty() && t[0] == '-';
  if (neg || (!t.empty() && t[0] == '+')) t.remove_prefix(1);
  uint64_t u;
  if (!dec_u64(t, u)) return false;
  v = neg ? -static_cast<int64_t>(u) : static_cast<int64_t>(u);
  return true;
}

bool reg(std::string_view t, uint8_t& r) {
  uint64_t v;
  if (t.size() < 2 || t[0] != 'R' || !dec_u64(t.substr(1), v) || v > 255) return false;
  r = static_cast<uint8_t>(v);
  return true;
}

template <typename... A>
bool fail(std::string& err, fmt::format_string<A...> f, A&&... a) {
  err = fmt::format(f, std::forward<A>(a)...);
  return false;
}

}  // namespace

// ---- instruction lines ------------------------------------------------------------------------

bool parse_inst(std::string_view line, InstLine& o, std::string& err) {
  Tokens tk(line);
  std::string_view t;
  uint64_t v;
  if (!tk.next(t) || !hex_u64(t, v) || v > UINT32_MAX) return fail(err, "expected the pc in hex, found '{}'", t);
  o.pc = static_cast<uint32_t>(v);
  if (!tk.next(t) || !hex_u64(t, v) || v > UINT32_MAX)
    return fail(err, "expected the active mask in hex (8 digits), found '{}'", t);
  o.mask = static_cast<uint32_t>(v);
  if (!tk.next(t) || !dec_u64(t, v) || v > kMaxDst)
    return fail(err, "expected the number of destination registers (0..{}), found '{}'", kMaxDst, t);
  o.ndst = static_cast<uint8_t>(v);
  o.dst.fill(0);
  o.src.fill(0);
  for (int i = 0; i < o.ndst; ++i)
    if (!tk.next(t) || !reg(t, o.dst[static_cast<size_t>(i)]))
      return fail(err, "expected destination register {} of {} (like R4), found '{}'", i + 1, o.ndst, t);
  if (!tk.next(t) || t.empty() || !(t[0] >= 'A' && t[0] <= 'Z'))
    return fail(err, "expected an opcode (like FFMA or LDG.E), found '{}'", t);
  o.opcode = t;
  if (!tk.next(t) || !dec_u64(t, v) || v > kMaxSrc)
    return fail(err, "expected the number of source registers of {} (0..{}), found '{}'", o.opcode, kMaxSrc, t);
  o.nsrc = static_cast<uint8_t>(v);
  for (int i = 0; i < o.nsrc; ++i)
    if (!tk.next(t) || !reg(t, o.src[static_cast<size_t>(i)]))
      return fail(err, "expected source register {} of {} of {} (like R4), found '{}'", i + 1, o.nsrc, o.opcode, t);
  if (!tk.next(t) || !dec_u64(t, v) || v > 1024)
    return fail(err, "expected the memory width in bytes after the sources of {}, found '{}'", o.opcode, t);
  o.mem_width = static_cast<uint32_t>(v);
  o.format = AddrFormat::None;
  o.addr.fill(0);
  o.base = 0;
  o.stride = 0;
  if (o.mem_width) {
    if (!tk.next(t) || !dec_u64(t, v) || v > 2)
      return fail(err, "unknown address format '{}' (0 list, 1 base+stride, 2 base+delta)", t);
    o.format = static_cast<AddrFormat>(v);
    const int n = std::popcount(o.mask);
    int lane = 0;
    auto next_lane = [&] {
      while (lane < 32 && !((o.mask >> lane) & 1)) ++lane;
      return lane;
    };
    if (o.format == AddrFormat::ListAll) {
      for (int i = 0; i < n; ++i, ++lane) {
        if (!tk.next(t) || !hex_u64(t, v))
          return fail(err, "expected address {} of {} (hex) for the {} executing lanes, found '{}'", i + 1, n, n, t);
        o.addr[static_cast<size_t>(next_lane())] = v;
      }
    } else {
      uint64_t base;
      if (!tk.next(t) || !hex_u64(t, base)) return fail(err, "expected the base address in hex, found '{}'", t);
      o.base = base;
      if (o.format == AddrFormat::BaseStride) {
        int64_t stride;
        if (!tk.next(t) || !dec_i64(t, stride)) return fail(err, "expected the stride (decimal), found '{}'", t);
        o.stride = stride;
        uint64_t a = base;
        for (int i = 0; i < n; ++i, ++lane, a += static_cast<uint64_t>(stride)) o.addr[static_cast<size_t>(next_lane())] = a;
      } else {
        uint64_t a = base;
        for (int i = 0; i < n; ++i, ++lane) {
          if (i > 0) {
            int64_t d;
            if (!tk.next(t) || !dec_i64(t, d))
              return fail(err, "expected delta {} of {} (decimal) for the {} executing lanes after the first, found '{}'",
                          i, n - 1, n - 1, t);
            a += static_cast<uint64_t>(d);
          }
          o.addr[static_cast<size_t>(next_lane())] = a;
        }
      }
    }
  }
  o.has_imm = false;
  o.imm = 0;
  if (tk.next(t)) {
    if (!dec_i64(t, o.imm)) {
      uint64_t h;
      if (!hex_u64(t, h)) return fail(err, "expected the immediate at the end of the line, found '{}'", t);
      o.imm = static_cast<int64_t>(h);
    }
    o.has_imm = true;
  }
  if (tk.next(t)) return fail(err, "unexpected '{}' after the end of the instruction (too many fields)", t);
  return true;
}

// ---- kernelslist.g ----------------------------------------------------------------------------

std::vector<ListEntry> read_kernelslist(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw InputErrors(SourceLoc{path, 0, 0}, fmt::format("cannot open the kernel list: {}", std::strerror(errno)));
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::vector<ListEntry> out;
  ErrorList errors;
  char* buf = nullptr;
  size_t cap = 0;
  int line = 0;
  while (getline(&buf, &cap, f) >= 0) {
    ++line;
    const std::string_view s = trim(buf);
    if (s.empty() || s[0] == '#') continue;
    const SourceLoc at{path, line, 0};
    ListEntry e;
    e.line = line;
    if (s.rfind("Memcpy", 0) == 0) {
      const size_t c1 = s.find(','), c2 = s.find(',', c1 == std::string_view::npos ? s.size() : c1 + 1);
      if (c1 == std::string_view::npos || c2 == std::string_view::npos || !hex_u64(trim(s.substr(c1 + 1, c2 - c1 - 1)), e.addr) ||
          !dec_u64(trim(s.substr(c2 + 1)), e.bytes)) {
        errors.addf(at, "expected 'MemcpyHtoD,0x<address>,<bytes>', found '{}'", s);
        continue;
      }
      e.command = std::string(s.substr(0, c1));
    } else {
      e.kernel = true;
      e.path = (dir / std::string(s)).string();
      e.name = std::string(s);
      std::error_code ec;
      if (s.size() > 3 && s.substr(s.size() - 3) == ".xz")
        errors.addf(at, "'{}' is xz-compressed: decompress it first (xz -dk)", s);
      else if (!std::filesystem::is_regular_file(e.path, ec))
        errors.addf(at, "kernel trace '{}' not found (looked for {})", s, e.path);
    }
    out.push_back(std::move(e));
  }
  std::free(buf);
  std::fclose(f);
  errors.throw_if_any();
  if (out.empty()) throw InputErrors(SourceLoc{path, 0, 0}, "the kernel list names no kernel trace and no copy");
  return out;
}

// ---- .traceg scan -----------------------------------------------------------------------------

namespace {

// "x,y,z" (each 0..2^32-2).
bool triple(std::string_view s, uint64_t (&v)[3]) {
  for (int i = 0; i < 3; ++i) {
    const size_t c = i < 2 ? s.find(',') : s.size();
    if (c == std::string_view::npos || !dec_u64(trim(s.substr(0, c)), v[i]) || v[i] >= UINT32_MAX) return false;
    s = i < 2 ? s.substr(c + 1) : std::string_view();
  }
  return true;
}

// "(x,y,z)" with positive sizes.
bool dim3(std::string_view s, exec::Dim3& d) {
  s = trim(s);
  uint64_t v[3];
  if (s.size() < 2 || s.front() != '(' || s.back() != ')' || !triple(s.substr(1, s.size() - 2), v) || !v[0] || !v[1] ||
      !v[2])
    return false;
  d = {static_cast<uint32_t>(v[0]), static_cast<uint32_t>(v[1]), static_cast<uint32_t>(v[2])};
  return true;
}

// With "-enable lineinfo = 1" each instruction line starts with a source line number: returns
// the rest of the line and the number in `num` (0 if it is not a decimal number).
std::string_view skip_line_number(std::string_view s, uint32_t& num) {
  const size_t sp = s.find(' ');
  uint64_t v = 0;
  num = sp != std::string_view::npos && dec_u64(s.substr(0, sp), v) && v <= UINT32_MAX ? static_cast<uint32_t>(v) : 0;
  return sp == std::string_view::npos ? std::string_view() : trim(s.substr(sp + 1));
}

class Scanner {
 public:
  explicit Scanner(const std::string& path) : path_(path) {
    f_ = std::fopen(path.c_str(), "r");
    if (!f_) throw InputErrors(SourceLoc{path, 0, 0}, fmt::format("cannot open the kernel trace: {}", std::strerror(errno)));
  }
  ~Scanner() {
    std::free(buf_);
    std::fclose(f_);
  }
  KernelTrace run();

 private:
  // The next line, trimmed (false at the end of the file).
  bool next() {
    line_off_ = off_;
    const ssize_t n = getline(&buf_, &cap_, f_);
    if (n < 0) return false;
    off_ += static_cast<uint64_t>(n);
    ++line_;
    s_ = trim(std::string_view(buf_, static_cast<size_t>(n)));
    return true;
  }
  // The next non-blank line.
  bool next_content() {
    while (next())
      if (!s_.empty()) return true;
    return false;
  }
  [[noreturn]] void error(const std::string& msg) const { throw InputErrors(SourceLoc{path_, line_, 0}, msg); }
  void header_line(KernelHeader& h, std::array<bool, 6>& seen);
  uint32_t number_field(std::string_view key);
  uint32_t expect_number(std::string_view key);
  void read_warp(KernelTrace& k, uint64_t cta, const std::string& where);

  std::string path_;
  FILE* f_ = nullptr;
  char* buf_ = nullptr;
  size_t cap_ = 0;
  uint64_t off_ = 0, line_off_ = 0;
  int line_ = 0;
  std::string_view s_;
  InstLine inst_;
  std::string err_;
};

void Scanner::header_line(KernelHeader& h, std::array<bool, 6>& seen) {
  const size_t eq = s_.find('=');
  if (s_[0] != '-' || eq == std::string_view::npos)
    error(fmt::format("bad header line '{}': expected '-<field> = <value>' before the first #BEGIN_TB", s_));
  const std::string_view key = trim(s_.substr(1, eq - 1)), val = trim(s_.substr(eq + 1));
  uint64_t v = 0;
  auto number = [&](uint64_t max) {
    if (!dec_u64(val, v) || v > max) error(fmt::format("bad header line: '{}' wants a number, found '{}'", key, val));
    return v;
  };
  auto hex = [&] {
    if (!hex_u64(val, v)) error(fmt::format("bad header line: '{}' wants a hex address, found '{}'", key, val));
    return v;
  };
  if (key == "kernel name") {
    if (val.empty()) error("bad header line: empty kernel name");
    h.name = std::string(val), seen[0] = true;
  } else if (key == "kernel id") {
    h.id = static_cast<uint32_t>(number(UINT32_MAX));
  } else if (key == "grid dim") {
    if (!dim3(val, h.grid)) error(fmt::format("bad header line: grid dim '{}' is not '(x,y,z)' with positive sizes", val));
    seen[1] = true;
  } else if (key == "block dim") {
    if (!dim3(val, h.block)) error(fmt::format("bad header line: block dim '{}' is not '(x,y,z)' with positive sizes", val));
    if (h.block.count() > 1024) error(fmt::format("bad header line: block dim {} has {} threads (at most 1024)", val, h.block.count()));
    seen[2] = true;
  } else if (key == "shmem") {
    h.shmem = static_cast<uint32_t>(number(UINT32_MAX)), seen[3] = true;
  } else if (key == "nregs") {
    h.nregs = static_cast<uint32_t>(number(255)), seen[4] = true;
  } else if (key == "binary version") {
    h.binary_version = static_cast<uint32_t>(number(1000)), seen[5] = true;
    if (h.binary_version < 70)
      error(fmt::format("binary version {}: only sm_70 and later (Volta, Turing, Ampere, Ada, Hopper) are supported",
                        h.binary_version));
  } else if (key == "cuda stream id") {
    h.stream = number(UINT64_MAX);
  } else if (key == "shmem base_addr") {
    h.shmem_base = hex();
  } else if (key == "local mem base_addr") {
    h.local_base = hex();
  } else if (key == "nvbit version") {
    h.nvbit_version = std::string(val);
  } else if (key == "accelsim tracer version") {
    h.tracer_version = static_cast<uint32_t>(number(1000));
  } else if (key == "enable lineinfo") {
    h.lineinfo = number(1) != 0;
  } else {  // other fields (newer tracers) carry nothing replay needs; conversion keeps them
    h.extra.emplace_back(s_);
  }
}

// "key = N" on the current line.
uint32_t Scanner::number_field(std::string_view key) {
  const size_t eq = s_.find('=');
  uint64_t v;
  if (eq == std::string_view::npos || trim(s_.substr(0, eq)) != key || !dec_u64(trim(s_.substr(eq + 1)), v) || v > UINT32_MAX)
    error(fmt::format("expected '{} = N', found '{}'", key, s_));
  return static_cast<uint32_t>(v);
}

uint32_t Scanner::expect_number(std::string_view key) {
  if (!next_content()) error(fmt::format("file ends where '{} = N' was expected (truncated trace)", key));
  return number_field(key);
}

void Scanner::read_warp(KernelTrace& k, uint64_t cta, const std::string& where) {
  const uint32_t w = number_field("warp");
  const int warp_line = line_;
  if (w >= k.warps_per_cta) error(fmt::format("warp {} of {}: the block has warps 0..{}", w, where, k.warps_per_cta - 1));
  WarpIndex& wi = k.warps[cta * k.warps_per_cta + w];
  if (wi.line) error(fmt::format("warp {} of {} appears twice", w, where));
  const uint32_t n = expect_number("insts");
  if (n == 0) error(fmt::format("warp {} of {} has no instructions", w, where));
  const bool lineinfo = k.hdr.lineinfo;
  uint32_t prev = UINT32_MAX;
  for (uint32_t i = 0; i < n; ++i) {
    if (!next_content())
      error(fmt::format("file ends inside warp {} of {}: 'insts = {}' at line {}, {} instruction lines found (truncated "
                        "trace)",
                        w, where, n, warp_line + 1, i));
    if (i == 0) wi = {line_off_, static_cast<uint32_t>(line_), n};
    uint32_t num = 0;
    const std::string_view body = lineinfo ? skip_line_number(s_, num) : s_;
    if (!parse_inst(body, inst_, err_)) {
      if (s_[0] == '#' || s_.rfind("warp", 0) == 0)
        error(fmt::format("'{}' where instruction {} of {} of warp {} of {} was expected ('insts = {}' counts more lines "
                          "than the warp has)",
                          s_, i + 1, n, w, where, n));
      error("bad instruction line: " + err_);
    }
    if (!note_inst(k, inst_, static_cast<uint32_t>(line_), prev, err_)) error(err_);
  }
  k.instructions += n;
}

KernelTrace Scanner::run() {
  KernelTrace k;
  k.path = path_;
  std::array<bool, 6> seen{};
  // Header: "-field = value" lines and '#' comments up to the first #BEGIN_TB.
  bool body = false;
  while (next_content()) {
    if (s_ == "#BEGIN_TB") {
      body = true;
      break;
    }
    if (s_[0] == '#') continue;
    header_line(k.hdr, seen);
  }
  static constexpr const char* kNames[] = {"kernel name", "grid dim", "block dim", "shmem", "nregs", "binary version"};
  for (size_t i = 0; i < seen.size(); ++i)
    if (!seen[i])
      error(fmt::format("bad header: no '-{} = ...' line before {}", kNames[i], body ? "the first #BEGIN_TB" : "the end of the file"));
  if (!body) error("file ends after the header: no thread block (truncated trace)");
  const uint64_t ctas = k.hdr.grid.count();
  if (ctas > (uint64_t{1} << 31)) error(fmt::format("grid of {} thread blocks is beyond what replay indexes", ctas));
  k.warps_per_cta = static_cast<uint32_t>((k.hdr.block.count() + 31) / 32);
  struct stat st {};
  // every warp takes at least 16 bytes of text: a grid the file cannot hold is refused before
  // its index is allocated
  if (::fstat(fileno(f_), &st) == 0 && ctas * k.warps_per_cta > static_cast<uint64_t>(st.st_size) / 16)
    error(fmt::format("a grid of {} thread blocks of {} warps cannot fit in a file of {} bytes (truncated trace?)", ctas,
                      k.warps_per_cta, st.st_size));
  k.warps.assign(ctas * k.warps_per_cta, WarpIndex{});
  std::vector<bool> cta_seen(ctas, false);
  // Thread blocks: "#BEGIN_TB", "thread block = x,y,z", warps, "#END_TB".
  do {
    if (s_ != "#BEGIN_TB") error(fmt::format("expected #BEGIN_TB, found '{}'", s_));
    if (!next_content()) error("file ends after #BEGIN_TB (truncated trace)");
    const size_t eq = s_.find('=');
    uint64_t v[3];
    if (eq == std::string_view::npos || trim(s_.substr(0, eq)) != "thread block" || !triple(s_.substr(eq + 1), v))
      error(fmt::format("expected 'thread block = x,y,z', found '{}'", s_));
    const exec::Dim3 id{static_cast<uint32_t>(v[0]), static_cast<uint32_t>(v[1]), static_cast<uint32_t>(v[2])};
    const exec::Dim3& g = k.hdr.grid;
    if (id.x >= g.x || id.y >= g.y || id.z >= g.z)
      error(fmt::format("thread block ({},{},{}) lies outside the grid ({},{},{})", id.x, id.y, id.z, g.x, g.y, g.z));
    const uint64_t cta = id.x + uint64_t{g.x} * (id.y + uint64_t{g.y} * id.z);
    const std::string where = fmt::format("thread block ({},{},{})", id.x, id.y, id.z);
    if (cta_seen[cta]) error(where + " appears twice");
    cta_seen[cta] = true;
    uint32_t nwarps = 0;
    for (;;) {
      if (!next_content()) error(fmt::format("file ends inside {} (truncated trace: no #END_TB)", where));
      if (s_ == "#END_TB") break;
      read_warp(k, cta, where);
      ++nwarps;
    }
    if (nwarps != k.warps_per_cta)
      error(fmt::format("{} traces {} warps; its block of {} threads has {}", where, nwarps, k.hdr.block.count(),
                        k.warps_per_cta));
  } while (next_content());
  for (uint64_t c = 0; c < ctas; ++c)
    if (!cta_seen[c]) {
      const exec::Dim3& g = k.hdr.grid;
      throw InputErrors(SourceLoc{path_, line_, 0},
                        fmt::format("file ends before thread block ({},{},{}) of the grid ({},{},{}) was traced "
                                    "(truncated trace, or a partial one: replay needs every thread block)",
                                    c % g.x, (c / g.x) % g.y, c / (uint64_t{g.x} * g.y), g.x, g.y, g.z));
    }
  k.lines = static_cast<uint64_t>(line_);
  return k;
}

}  // namespace

KernelTrace scan_kernel(const std::string& path) { return Scanner(path).run(); }

bool note_inst(KernelTrace& k, const InstLine& in, uint32_t where, uint32_t& prev, std::string& err) {
  if (in.pc % 16) return fail(err, "pc {:04x} is not a multiple of 16 (sm_70 and later instructions are 16 bytes)", in.pc);
  if (in.pc >= (1u << 24)) return fail(err, "pc {:x} lies beyond 16 MiB of code", in.pc);
  auto [it, fresh] = k.code.try_emplace(in.pc);
  StaticInst& si = it->second;
  if (fresh) {
    si.opcode = std::string(in.opcode);
    si.ndst = in.ndst, si.nsrc = in.nsrc, si.dst = in.dst, si.src = in.src;
    si.mem_width = in.mem_width, si.has_imm = in.has_imm, si.imm = in.imm;
    si.line = where;
  } else if (si.opcode != in.opcode || si.ndst != in.ndst || si.nsrc != in.nsrc || si.dst != in.dst || si.src != in.src) {
    return fail(err, "pc {:04x} holds '{}' here but '{}' at {} {}: one pc is one instruction", in.pc, in.opcode,
                si.opcode, k.bin ? "record" : "line", si.line);
  }
  ++si.count;
  si.threads += static_cast<uint64_t>(std::popcount(in.mask));
  if (prev != UINT32_MAX) {
    StaticInst& p = k.code[prev];
    if (in.pc == prev + 16 || p.opcode.rfind("EXIT", 0) == 0) p.falls = true;
    else if (p.jump == UINT32_MAX) p.jump = in.pc;
  }
  prev = in.pc;
  return true;
}

std::string check_header(const KernelHeader& h) {
  if (h.name.empty()) return "no kernel name";
  if (!h.grid.x || !h.grid.y || !h.grid.z)
    return fmt::format("grid dim ({},{},{}) has a zero size", h.grid.x, h.grid.y, h.grid.z);
  if (!h.block.x || !h.block.y || !h.block.z)
    return fmt::format("block dim ({},{},{}) has a zero size", h.block.x, h.block.y, h.block.z);
  if (h.block.count() > 1024) return fmt::format("block dim has {} threads (at most 1024)", h.block.count());
  if (h.nregs > 255) return fmt::format("nregs {} (at most 255)", h.nregs);
  if (h.binary_version < 70)
    return fmt::format("binary version {}: only sm_70 and later (Volta, Turing, Ampere, Ada, Hopper) are supported",
                       h.binary_version);
  if (h.grid.count() > (uint64_t{1} << 31)) return fmt::format("grid of {} thread blocks is beyond what replay indexes", h.grid.count());
  return "";
}

// ---- per-warp cursor --------------------------------------------------------------------------

WarpCursor::WarpCursor() = default;
WarpCursor::~WarpCursor() = default;
WarpCursor::WarpCursor(WarpCursor&&) noexcept = default;
WarpCursor& WarpCursor::operator=(WarpCursor&&) noexcept = default;

void WarpCursor::open(int fd, const std::string* path, const WarpIndex& w, bool lineinfo) {
  lineinfo_ = lineinfo;
  if (!buf_) buf_ = std::make_unique<char[]>(kWindow);
  fd_ = fd;
  path_ = path;
  buf_off_ = w.offset;
  len_ = pos_ = 0;
  line_ = w.line;
  remaining_ = w.count;
  eof_ = false;
}

// Moves the unread part to the front of the window and reads more after it.
bool WarpCursor::fill() {
  if (eof_) return false;
  std::memmove(buf_.get(), buf_.get() + pos_, len_ - pos_);
  buf_off_ += pos_;
  len_ -= pos_;
  pos_ = 0;
  const ssize_t n = pread(fd_, buf_.get() + len_, kWindow - len_, static_cast<off_t>(buf_off_ + len_));
  if (n < 0) throw InputErrors(SourceLoc{*path_, static_cast<int>(line_), 0}, std::string("read error: ") + std::strerror(errno));
  if (n == 0) eof_ = true;
  len_ += static_cast<size_t>(n);
  return n > 0;
}

bool WarpCursor::next(InstLine& out) {
  if (remaining_ == 0) return false;
  for (;;) {
    const char* b = buf_.get() + pos_;
    const char* nl = static_cast<const char*>(std::memchr(b, '\n', len_ - pos_));
    if (!nl && !eof_) {
      if (pos_ == 0 && len_ == kWindow)
        throw InputErrors(SourceLoc{*path_, static_cast<int>(line_), 0},
                          fmt::format("instruction line longer than {} bytes", kWindow));
      fill();
      continue;
    }
    const size_t n = nl ? static_cast<size_t>(nl - b) : len_ - pos_;
    if (!nl && n == 0)
      throw InputErrors(SourceLoc{*path_, static_cast<int>(line_), 0}, "file ends inside a warp (it changed since it was checked)");
    std::string_view s = trim(std::string_view(b, n));
    pos_ += n + (nl ? 1 : 0);
    const uint32_t at = line_++;
    if (s.empty()) continue;
    uint32_t num = 0;
    if (lineinfo_) s = skip_line_number(s, num);
    if (!parse_inst(s, out, err_)) throw InputErrors(SourceLoc{*path_, static_cast<int>(at), 0}, "bad instruction line: " + err_);
    out.line_num = num;
    --remaining_;
    return true;
  }
}

}  // namespace xpusim::trace
