// Our binary trace format (proto/trace.proto): instructions through the chunk codec unchanged
// (every address format, partial and empty masks, wrapping deltas, lineinfo, no immediate),
// chunks bounded in size, Accel-Sim text -> binary -> text without loss, replay cursors that read
// the same instructions from either format, and every malformed file refused at its record.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <unistd.h>

#include <bit>
#include <cctype>
#include <deque>
#include <filesystem>
#include <functional>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "src/trace/trace_codec.h"
#include "src/trace/trace_convert.h"
#include "src/trace/trace_set.h"

using namespace xpusim;
using namespace xpusim::trace;
namespace fs = std::filesystem;

namespace {

fs::path tmp_dir() {
  const auto d = fs::temp_directory_path() / fmt::format("xpusim_codec_test_{}", ::getpid());
  fs::create_directories(d);
  return d;
}

std::string write(const std::string& name, const std::string& text) {
  const auto p = tmp_dir() / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Every field an instruction line carries.
void check_same(const InstLine& a, const InstLine& b) {
  INFO("pc " << a.pc << " opcode " << a.opcode);
  CHECK(a.pc == b.pc);
  CHECK(a.mask == b.mask);
  CHECK(a.ndst == b.ndst);
  CHECK(a.nsrc == b.nsrc);
  CHECK(a.dst == b.dst);
  CHECK(a.src == b.src);
  CHECK(a.opcode == b.opcode);
  CHECK(a.mem_width == b.mem_width);
  CHECK(a.format == b.format);
  CHECK(a.addr == b.addr);
  CHECK(a.base == b.base);
  CHECK(a.stride == b.stride);
  CHECK(a.has_imm == b.has_imm);
  CHECK(a.imm == b.imm);
  CHECK(a.line_num == b.line_num);
}

// InstLine::opcode views its line: keep the text of lines the tests hold on to.
std::string_view keep(std::string_view s) {
  static std::deque<std::string> texts;
  return texts.emplace_back(s);
}

InstLine parsed(const std::string& line) {
  InstLine l;
  std::string err;
  REQUIRE(parse_inst(keep(line), l, err));
  return l;
}

// Records of a file, in order.
struct Recs {
  std::vector<Rec> kinds;
  std::vector<std::string> payloads;
};
Recs read_records(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  RecordWindow w(64);  // small: records straddle the window
  w.open(fd, &path, sizeof kMagic, 0);
  Recs r;
  Rec k;
  const uint8_t* p;
  size_t n;
  while (w.next(k, p, n)) {
    r.kinds.push_back(k);
    r.payloads.emplace_back(reinterpret_cast<const char*>(p), n);
  }
  ::close(fd);
  return r;
}

// A small Accel-Sim trace: two CTAs of two warps, every address format, lineinfo off.
const char* kHeader =
    "-kernel name = _Z6kernelPf\n-kernel id = 3\n-grid dim = (2,1,1)\n-block dim = (64,1,1)\n-shmem = 1024\n"
    "-nregs = 24\n-binary version = 86\n-cuda stream id = 7\n-shmem base_addr = 0x00007fb139000000\n"
    "-local mem base_addr = 0x00007fb137000000\n-nvbit version = 1.7\n-accelsim tracer version = 5\n"
    "-enable lineinfo = 0\n-future field = 42\n\n";

std::string cta(int x) {
  return fmt::format(
      "#BEGIN_TB\nthread block = {},0,0\n"
      "warp = 0\ninsts = 4\n"
      "0000 ffffffff 1 R1 MOV 0 0 0\n"
      "0010 ffffffff 1 R4 LDG.E 1 R2 4 1 0x1000 4 0\n"
      "0020 00000005 1 R4 LDG.E.64 1 R2 8 0 0x7f0000000100 0x7f0000000300 0\n"
      "0030 ffffffff 0 EXIT 0 0 0\n"
      "warp = 1\ninsts = 4\n"
      "0000 ffffffff 1 R1 MOV 0 0\n"
      "0010 0000000f 1 R4 LDG.E 1 R2 4 2 0x2000 -8 16 4 0\n"
      "0020 00000000 1 R4 LDG.E.64 1 R2 8 2 0x3000 0\n"
      "0030 ffffffff 0 EXIT 0 0 0\n"
      "#END_TB\n",
      x);
}

// Instructions of every warp of a scanned kernel, through the replay cursors.
std::vector<InstLine> all_insts(const KernelTrace& k) {
  const int fd = ::open(k.path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  std::vector<InstLine> out;
  WarpCursor tc;
  BinWarpCursor bc;
  InstLine l;
  for (const WarpIndex& w : k.warps) {
    if (k.bin) bc.open(fd, &k.path, w, k.bin.get());
    else tc.open(fd, &k.path, w, k.hdr.lineinfo);
    while (k.bin ? bc.next(l) : tc.next(l)) {
      l.opcode = keep(l.opcode);
      out.push_back(l);
    }
  }
  ::close(fd);
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputErrors& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("trace codec: instructions come back field for field", "[trace][codec]") {
  std::vector<InstLine> in = {
      parsed("0000 ffffffff 1 R1 MOV 0 0 0"),
      parsed("0010 ffffffff 1 R4 LDG.E 1 R2 4 1 0x7fb0fc430e00 4 0"),
      parsed("0020 0000ff00 1 R4 LDG.E 1 R2 4 1 0x1000 -4 0"),          // negative stride, partial mask
      parsed("0030 00000001 1 R4 LDG.E 1 R2 4 1 0x1000 12 0"),          // one lane: the stride is kept
      parsed("0040 00000000 1 R4 LDG.E 1 R2 4 1 0xdead0 8 0"),          // no lane: base and stride kept
      parsed("0050 8000000f 1 R6 LDS.64 1 R1 8 2 0x40 -8 16 4 1000 0"), // base + delta, lanes 0-3 and 31
      parsed("0060 00000000 1 R6 LDS.64 1 R1 8 2 0x40 0"),             // base + delta, no lane
      parsed("0070 80000001 1 R4 LDG.E 1 R2 4 0 0xffffffffffffff00 0x10 0"),  // list, wrapping difference
      parsed("0080 00000000 0 STG.E 2 R2 R8 4 0 0"),                   // list, no lane
      parsed("0090 ffffffff 2 R8 R9 HMMA.16816.F32 3 R12 R16 R255 0"), // no immediate
      parsed("00a0 ffffffff 0 DEPBAR.LE 0 0 -3"),
      parsed("0010 ffffffff 1 R4 LDG.E 1 R2 4 1 0x7fb0fc430f00 4 0"),  // same pc again: same code entry
      parsed("0010 ffffffff 1 R4 LDG.E 1 R2 4 1 0x7fb0fc430f00 4 7"),  // same pc, other immediate: a variant
  };
  in.back().line_num = 42;
  const std::string path = (tmp_dir() / "codec.xtrace").string();
  {
    RecordWriter w(path);
    ChunkEncoder enc(w);
    enc.start_kernel();
    for (const InstLine& l : in) enc.add(l);
    enc.flush();
    CHECK(enc.code_entries() == in.size() - 1);
    w.close();
  }
  const Recs r = read_records(path);
  REQUIRE(r.kinds == std::vector<Rec>{Rec::Code, Rec::Insts});
  BinaryCode code;
  proto::trace::CodeDefs defs;
  REQUIRE(defs.ParseFromString(r.payloads[0]));
  std::string err;
  INFO(err);
  REQUIRE(code.add(defs, err));
  ChunkDecoder dec;
  REQUIRE(dec.start(reinterpret_cast<const uint8_t*>(r.payloads[1].data()), r.payloads[1].size(), err));
  for (const InstLine& want : in) {
    InstLine got;
    REQUIRE_FALSE(dec.at_end());
    REQUIRE(dec.next(code, got, err));
    check_same(got, want);
  }
  CHECK(dec.at_end());
  CHECK(dec.finish(err));
}

TEST_CASE("trace codec: long warps split into bounded chunks", "[trace][codec]") {
  std::mt19937_64 rng(7);
  const std::string path = (tmp_dir() / "long.xtrace").string();
  std::vector<InstLine> in;
  for (int i = 0; i < 5000; ++i) {
    const uint32_t mask = i % 7 ? 0xffffffffu : static_cast<uint32_t>(rng());
    const int kind = static_cast<int>(rng() % 4);
    if (kind == 0) {
      in.push_back(parsed(fmt::format("{:04x} {:08x} 1 R4 FFMA 3 R1 R2 R3 0 0", 16 * (i % 64), mask)));
    } else {  // 32 random addresses, a list: the largest instructions
      std::string t = fmt::format("{:04x} {:08x} 1 R4 LDG.E 1 R2 4 0", 16 * (64 + i % 64), mask);
      for (int l = 0; l < std::popcount(mask); ++l) t += fmt::format(" 0x{:x}", rng());
      in.push_back(parsed(t + " 0"));
    }
  }
  {
    RecordWriter w(path);
    ChunkEncoder enc(w);
    enc.start_kernel();
    for (const InstLine& l : in) enc.add(l);
    enc.flush();
    w.close();
  }
  const Recs r = read_records(path);
  BinaryCode code;
  std::string err;
  size_t n = 0, chunks = 0;
  ChunkDecoder dec;
  for (size_t i = 0; i < r.kinds.size(); ++i) {
    const auto* p = reinterpret_cast<const uint8_t*>(r.payloads[i].data());
    if (r.kinds[i] == Rec::Code) {
      proto::trace::CodeDefs d;
      REQUIRE(d.ParseFromString(r.payloads[i]));
      REQUIRE(code.add(d, err));
      continue;
    }
    ++chunks;
    CHECK(r.payloads[i].size() <= kChunkBytes + 400);  // one instruction of 32 addresses past the limit at most
    REQUIRE(dec.start(p, r.payloads[i].size(), err));
    InstLine got;
    while (!dec.at_end()) {
      REQUIRE(dec.next(code, got, err));
      REQUIRE(n < in.size());
      check_same(got, in[n++]);
    }
    REQUIRE(dec.finish(err));
  }
  CHECK(n == in.size());
  CHECK(chunks > 10);
}

TEST_CASE("trace codec: Accel-Sim -> binary -> Accel-Sim keeps everything", "[trace][codec]") {
  const std::string dir = (tmp_dir() / "rt").string();
  write("rt/k.traceg", std::string(kHeader) + cta(1) + cta(0));  // CTAs out of order, kept so
  const std::string list = write("rt/kernelslist.g", "MemcpyHtoD,0x00007fb0fc400000,200000\nk.traceg\n");
  const std::string bin = (tmp_dir() / "rt.xtrace").string();
  fs::remove(bin);
  const ConvertResult to = convert(list, bin);
  CHECK(to.to_binary);
  CHECK(to.kernels == 1);
  CHECK(to.copies == 1);
  CHECK(to.instructions == 16);
  CHECK(is_binary_trace(bin));
  CHECK_FALSE(is_binary_trace(list));

  const TraceSet a = load_trace(list), b = load_trace(bin);
  CHECK(b.binary);
  REQUIRE(b.list.size() == 2);
  CHECK(b.list[0].command == "MemcpyHtoD");
  CHECK(b.list[0].addr == 0x00007fb0fc400000ull);
  CHECK(b.list[0].bytes == 200000);
  const KernelTrace &ka = a.kernels[0], &kb = b.kernels[0];
  CHECK(kb.hdr.name == ka.hdr.name);
  CHECK(kb.hdr.stream == 7);
  CHECK(kb.hdr.shmem_base == ka.hdr.shmem_base);
  CHECK(kb.hdr.extra == std::vector<std::string>{"-future field = 42"});
  CHECK(kb.list_name == "k.traceg");
  CHECK(kb.instructions == ka.instructions);
  REQUIRE(kb.code.size() == ka.code.size());
  for (const auto& [pc, si] : ka.code) {
    const StaticInst& sb = kb.code.at(pc);
    CHECK(sb.opcode == si.opcode);
    CHECK(sb.count == si.count);
    CHECK(sb.threads == si.threads);
    CHECK(sb.jump == si.jump);
    CHECK(sb.falls == si.falls);
  }
  const std::vector<InstLine> ia = all_insts(ka), ib = all_insts(kb);
  REQUIRE(ia.size() == 16);
  REQUIRE(ib.size() == ia.size());
  for (size_t i = 0; i < ia.size(); ++i) check_same(ib[i], ia[i]);

  // ... and back to text, which reads as the original did, and to binary again, byte for byte.
  const std::string back = (tmp_dir() / "rt_back").string();
  fs::remove_all(back);
  const ConvertResult fro = convert(bin, back);
  CHECK_FALSE(fro.to_binary);
  CHECK(fs::exists(fs::path(back) / "k.traceg"));
  const TraceSet c = load_trace((fs::path(back) / "kernelslist.g").string());
  const std::vector<InstLine> ic = all_insts(c.kernels[0]);
  REQUIRE(ic.size() == ia.size());
  for (size_t i = 0; i < ia.size(); ++i) check_same(ic[i], ia[i]);
  CHECK(c.kernels[0].hdr.extra == ka.hdr.extra);
  const std::string bin2 = (tmp_dir() / "rt2.xtrace").string();
  fs::remove(bin2);
  convert((fs::path(back) / "kernelslist.g").string(), bin2);
  CHECK(slurp(bin2) == slurp(bin));

  // The output directory must not already hold a trace.
  CHECK(error_of([&] { convert(bin, back); }).find("already holds a kernelslist.g") != std::string::npos);
  // A binary output never overwrites a file that is not a binary trace.
  CHECK(error_of([&] { convert(list, list); }).find("refusing to overwrite") != std::string::npos);
}

TEST_CASE("trace codec: lineinfo line numbers survive", "[trace][codec]") {
  std::string h = kHeader;
  h.replace(h.find("-enable lineinfo = 0"), 20, "-enable lineinfo = 1");
  std::string body = cta(0) + cta(1);
  std::string numbered;
  std::istringstream s(body);
  int n = 100;
  for (std::string line; std::getline(s, line);)
    numbered += (std::isxdigit(static_cast<unsigned char>(line[0])) && line.size() > 20 ? fmt::format("{} ", n++) : "") + line + "\n";
  write("li/k.traceg", h + numbered);
  const std::string list = write("li/kernelslist.g", "k.traceg\n");
  const std::string bin = (tmp_dir() / "li.xtrace").string();
  fs::remove(bin);
  convert(list, bin);
  const std::vector<InstLine> a = all_insts(load_trace(list).kernels[0]), b = all_insts(load_trace(bin).kernels[0]);
  REQUIRE(a.size() == b.size());
  CHECK(a[0].line_num == 100);
  for (size_t i = 0; i < a.size(); ++i) check_same(b[i], a[i]);
}

TEST_CASE("trace codec: malformed binary traces name their record", "[trace][codec]") {
  write("bad/k.traceg", std::string(kHeader) + cta(0) + cta(1));
  const std::string list = write("bad/kernelslist.g", "MemcpyHtoD,0x1000,64\nk.traceg\n");
  const std::string bin = (tmp_dir() / "bad.xtrace").string();
  fs::remove(bin);
  convert(list, bin);
  const std::string good = slurp(bin);
  SECTION("truncated anywhere") {
    for (size_t cut : {good.size() - 1, good.size() - 3, good.size() / 2, size_t{12}}) {
      const std::string msg = error_of([&] { scan_binary(write("cut.xtrace", good.substr(0, cut))); });
      INFO(msg);
      CHECK(msg.find("cut.xtrace:record ") != std::string::npos);
      CHECK(msg.find("truncated") != std::string::npos);
    }
  }
  SECTION("an unknown record kind") {
    std::string s = good;
    s[sizeof kMagic + 1] = static_cast<char>(0x7a);  // the first record's tag: field 15
    const std::string msg = error_of([&] { scan_binary(write("kind.xtrace", s)); });
    CHECK(msg.find("kind.xtrace:record 1 (byte 8): unknown record kind") != std::string::npos);
  }
  SECTION("a newer format version") {
    std::string s = good;
    REQUIRE(static_cast<uint8_t>(s[sizeof kMagic + 3]) == 0x08);  // FileHeader.version's tag
    s[sizeof kMagic + 4] = 9;
    CHECK(error_of([&] { scan_binary(write("ver.xtrace", s)); }).find("format version 9") != std::string::npos);
  }
  SECTION("a warp that holds fewer instructions than it says") {
    const Recs r = read_records(bin);
    // rewrite the file record by record, with warp 1 of the first CTA claiming one more instruction
    RecordWriter w((tmp_dir() / "short.xtrace").string());
    int warps = 0;
    for (size_t i = 0; i < r.kinds.size(); ++i) {
      if (r.kinds[i] == Rec::Warp && ++warps == 2) {
        proto::trace::Warp m;
        REQUIRE(m.ParseFromString(r.payloads[i]));
        m.set_insts(m.insts() + 1);
        w.write(Rec::Warp, m);
        continue;
      }
      proto::trace::Record rec;  // any other record unchanged, through the generic message
      std::string wrapped;
      google::protobuf::io::StringOutputStream so(&wrapped);
      {
        google::protobuf::io::CodedOutputStream co(&so);
        co.WriteTag(static_cast<uint32_t>(r.kinds[i]) << 3 | 2);
        co.WriteVarint32(static_cast<uint32_t>(r.payloads[i].size()));
        co.WriteRaw(r.payloads[i].data(), static_cast<int>(r.payloads[i].size()));
      }
      REQUIRE(rec.ParseFromString(wrapped));
      switch (r.kinds[i]) {
        case Rec::FileHeader: w.write(r.kinds[i], rec.file_header()); break;
        case Rec::Memcpy: w.write(r.kinds[i], rec.memcpy()); break;
        case Rec::Kernel: w.write(r.kinds[i], rec.kernel()); break;
        case Rec::Block: w.write(r.kinds[i], rec.block()); break;
        case Rec::Warp: w.write(r.kinds[i], rec.warp()); break;
        case Rec::Code: w.write(r.kinds[i], rec.code()); break;
        case Rec::Insts: w.write(r.kinds[i], rec.insts()); break;
        case Rec::KernelEnd: w.write(r.kinds[i], rec.kernel_end()); break;
        case Rec::FileEnd: w.write(r.kinds[i], rec.file_end()); break;
      }
    }
    w.close();
    const std::string msg = error_of([&] { scan_binary((tmp_dir() / "short.xtrace").string()); });
    INFO(msg);
    CHECK(msg.find("short.xtrace:record ") != std::string::npos);
    CHECK(msg.find("warp 1 of thread block (0,0,0) ends after 4 of its 5 instructions") != std::string::npos);
  }
  SECTION("a grid larger than the file could hold is refused before its index is allocated") {
    const std::string huge = (tmp_dir() / "huge.xtrace").string();
    {
      RecordWriter w(huge);
      proto::trace::FileHeader fh;
      fh.set_version(kFormatVersion);
      w.write(Rec::FileHeader, fh);
      proto::trace::KernelHeader h;
      h.set_name("k");
      h.mutable_grid()->set_x(40000), h.mutable_grid()->set_y(40000), h.mutable_grid()->set_z(1);
      h.mutable_block()->set_x(1024), h.mutable_block()->set_y(1), h.mutable_block()->set_z(1);
      h.set_binary_version(80);
      w.write(Rec::Kernel, h);
      w.close();
    }
    const std::string msg = error_of([&] { scan_binary(huge); });
    INFO(msg);
    CHECK(msg.find("huge.xtrace:record 2 (byte 13): a grid of 1600000000 thread blocks") != std::string::npos);
    std::string text = std::string(kHeader) + cta(0);
    text.replace(text.find("(2,1,1)"), 7, "(40000,40000,1)");
    CHECK(error_of([&] { scan_kernel(write("huge.traceg", text)); }).find("cannot fit in a file of") != std::string::npos);
  }
  SECTION("a text file is read as a kernel list") {
    CHECK(error_of([&] { load_trace(write("notrace.txt", "hello\n")); }).find("notrace.txt:1:") != std::string::npos);
  }
}
