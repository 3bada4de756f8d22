// The Accel-Sim trace reader: header fields, instruction lines and every address format
// (with the tracer's base+delta quirk), the streaming scan and cursors, and a line number for
// every malformed input.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "src/trace/trace_reader.h"

using namespace xpusim;
using namespace xpusim::trace;

namespace {

std::filesystem::path tmp_dir() {
  const auto d = std::filesystem::temp_directory_path() / fmt::format("xpusim_trace_test_{}", ::getpid());
  std::filesystem::create_directories(d);
  return d;
}

std::string write(const std::string& name, const std::string& text) {
  const auto p = tmp_dir() / name;
  std::ofstream(p) << text;
  return p.string();
}

const char* kHeader =
    "-kernel name = _Z6kernelPf\n"      // 1
    "-kernel id = 3\n"                  // 2
    "-grid dim = (2,1,1)\n"             // 3
    "-block dim = (64,1,1)\n"           // 4
    "-shmem = 1024\n"                   // 5
    "-nregs = 24\n"                     // 6
    "-binary version = 86\n"            // 7
    "-cuda stream id = 7\n"             // 8
    "-shmem base_addr = 0x00007fb139000000\n"      // 9
    "-local mem base_addr = 0x00007fb137000000\n"  // 10
    "-nvbit version = 1.7\n"            // 11
    "-accelsim tracer version = 5\n"    // 12
    "-enable lineinfo = 0\n"            // 13
    "\n"                                // 14
    "#traces format = [line_num] PC mask dest_num [reg_dests] opcode src_num [reg_srcs] mem_width "
    "[adrrescompress?] [mem_addresses] immediate\n"  // 15
    "\n";                               // 16

// One CTA block: two warps of three instructions each.
std::string cta(int x) {
  return fmt::format(
      "#BEGIN_TB\n"
      "thread block = {},0,0\n"
      "warp = 0\n"
      "insts = 3\n"
      "0000 ffffffff 1 R1 MOV 0 0 0\n"
      "0010 ffffffff 1 R4 LDG.E 1 R2 4 1 0x1000 4 0\n"
      "0020 ffffffff 0 EXIT 0 0 0\n"
      "warp = 1\n"
      "insts = 3\n"
      "0000 ffffffff 1 R1 MOV 0 0 0\n"
      "0010 0000000f 1 R4 LDG.E 1 R2 4 2 0x2000 4 -8 16 0\n"
      "0020 ffffffff 0 EXIT 0 0 0\n"
      "#END_TB\n",
      x);
}

std::string good() { return std::string(kHeader) + cta(0) + cta(1); }

// The line an InputErrors points at, and its text.
int error_line(const std::string& path, std::string* text = nullptr) {
  try {
    scan_kernel(path);
  } catch (const InputErrors& e) {
    if (text) *text = e.what();
    return e.errors().at(0).loc.line;
  }
  return -1;
}

}  // namespace

TEST_CASE("trace: instruction lines and address formats", "[trace]") {
  InstLine l;
  std::string err;
  SECTION("no memory, trailing immediate") {
    REQUIRE(parse_inst("00d0 ffffffff 1 R0 FADD 2 R4 R3 0 0", l, err));
    CHECK(l.pc == 0xd0);
    CHECK(l.mask == 0xffffffffu);
    CHECK(l.ndst == 1);
    CHECK(l.dst[0] == 0);
    CHECK(l.opcode == "FADD");
    CHECK(l.nsrc == 2);
    CHECK(l.src[0] == 4);
    CHECK(l.src[1] == 3);
    CHECK(l.mem_width == 0);
    CHECK(l.format == AddrFormat::None);
    CHECK(l.has_imm);
  }
  SECTION("older tracers write no immediate") {
    REQUIRE(parse_inst("0000 ffffffff 1 R1 IMAD.MOV.U32 2 R255 R255 0", l, err));
    CHECK(l.opcode == "IMAD.MOV.U32");
    CHECK(l.src[0] == kRegRZ);
    CHECK_FALSE(l.has_imm);
  }
  SECTION("list of addresses: one per executing lane") {
    REQUIRE(parse_inst("0010 00000005 1 R4 LDG.E.64 1 R2 8 0 0x7f0000000100 0x7f0000000300 0", l, err));
    CHECK(l.format == AddrFormat::ListAll);
    CHECK(l.mem_width == 8);
    CHECK(l.addr[0] == 0x7f0000000100ull);
    CHECK(l.addr[1] == 0);
    CHECK(l.addr[2] == 0x7f0000000300ull);
  }
  SECTION("base + stride: each executing lane adds the stride") {
    REQUIRE(parse_inst("00f0 ffffffff 0 STG.E 2 R6 R9 4 1 0x7fb0fc461c00 4 0", l, err));
    CHECK(l.format == AddrFormat::BaseStride);
    CHECK(l.addr[0] == 0x7fb0fc461c00ull);
    CHECK(l.addr[1] == 0x7fb0fc461c04ull);
    CHECK(l.addr[31] == 0x7fb0fc461c00ull + 31 * 4);
  }
  SECTION("base + stride with a partial mask skips inactive lanes") {
    REQUIRE(parse_inst("00a0 0000ff00 1 R4 LDG.E 1 R4 4 1 0x1000 4 0", l, err));
    CHECK(l.addr[7] == 0);
    CHECK(l.addr[8] == 0x1000);
    CHECK(l.addr[15] == 0x1000 + 7 * 4);
    CHECK(l.addr[16] == 0);
  }
  SECTION("base + delta: as the tracer writes it, popcount - 1 deltas, each from the previous lane") {
    // 4 executing lanes (0, 1, 2, 3): base, then 3 deltas, then the immediate
    REQUIRE(parse_inst("0010 0000000f 1 R4 LDS 1 R2 4 2 0x2000 -8 16 4 0", l, err));
    CHECK(l.format == AddrFormat::BaseDelta);
    CHECK(l.addr[0] == 0x2000);
    CHECK(l.addr[1] == 0x2000 - 8);
    CHECK(l.addr[2] == 0x2000 + 8);
    CHECK(l.addr[3] == 0x2000 + 12);
    CHECK(l.has_imm);
    CHECK(l.imm == 0);
  }
  SECTION("base + delta with Accel-Sim's extra delta is one field too many") {
    CHECK_FALSE(parse_inst("0010 00000003 1 R4 LDS 1 R2 4 2 0x2000 4 4 0", l, err));
    CHECK(err.find("too many fields") != std::string::npos);
  }
  SECTION("malformed lines say what is wrong") {
    CHECK_FALSE(parse_inst("00zz ffffffff 0 EXIT 0 0 0", l, err));
    CHECK(err.find("pc in hex") != std::string::npos);
    CHECK_FALSE(parse_inst("0010 ffffffff 1 R4 LDG.E 1 R2 4 7 0x1000 4 0", l, err));
    CHECK(err.find("unknown address format '7'") != std::string::npos);
    CHECK_FALSE(parse_inst("0010 ffffffff 1 R4 LDG.E 1 R2 4 1 0xqq 4 0", l, err));
    CHECK(err.find("base address in hex") != std::string::npos);
    CHECK_FALSE(parse_inst("0010 ffffffff 2 R4 FADD 0 0", l, err));
    CHECK(err.find("destination register 2 of 2") != std::string::npos);
    CHECK_FALSE(parse_inst("0010 ffffffff 1 R4 FADD 3 R1 R2", l, err));
    CHECK(err.find("source register 3 of 3") != std::string::npos);
    CHECK_FALSE(parse_inst("0010 00000003 1 R4 LDG.E 1 R2 4 0 0x1000", l, err));
    CHECK(err.find("address 2 of 2") != std::string::npos);
  }
}

TEST_CASE("trace: header fields, warp index and streaming cursors", "[trace]") {
  const std::string path = write("good.traceg", good());
  const KernelTrace k = scan_kernel(path);
  CHECK(k.hdr.name == "_Z6kernelPf");
  CHECK(k.hdr.id == 3);
  CHECK(k.hdr.grid.x == 2);
  CHECK(k.hdr.grid.y == 1);
  CHECK(k.hdr.block.x == 64);
  CHECK(k.hdr.shmem == 1024);
  CHECK(k.hdr.nregs == 24);
  CHECK(k.hdr.binary_version == 86);
  CHECK(k.hdr.stream == 7);
  CHECK(k.hdr.shmem_base == 0x00007fb139000000ull);
  CHECK(k.hdr.local_base == 0x00007fb137000000ull);
  CHECK(k.hdr.nvbit_version == "1.7");
  CHECK(k.hdr.tracer_version == 5);
  CHECK_FALSE(k.hdr.lineinfo);
  CHECK(k.warps_per_cta == 2);
  CHECK(k.instructions == 12);
  REQUIRE(k.code.size() == 3);
  CHECK(k.code.at(0x10).opcode == "LDG.E");
  CHECK(k.code.at(0x10).count == 4);
  CHECK(k.code.at(0x10).threads == 2 * (32 + 4));  // per CTA: a full warp and 4 lanes
  CHECK(k.code.at(0x0).falls);
  CHECK(k.warp(1, 0).line == 34);  // CTA 1 starts at line 30: #BEGIN_TB, thread block, warp, insts

  // Cursors over different warps read independently, interleaved.
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  WarpCursor a, b;
  a.open(fd, &path, k.warp(0, 1), false);
  b.open(fd, &path, k.warp(1, 0), false);
  InstLine la, lb;
  REQUIRE(a.next(la));
  REQUIRE(b.next(lb));
  CHECK(la.pc == 0);
  REQUIRE(a.next(la));
  CHECK(la.mask == 0xf);
  CHECK(la.addr[3] == 0x2000 + 12);
  REQUIRE(b.next(lb));
  CHECK(lb.addr[31] == 0x1000 + 31 * 4);
  REQUIRE(a.next(la));
  CHECK(la.opcode == "EXIT");
  CHECK_FALSE(a.next(la));
  CHECK(a.remaining() == 0);
  ::close(fd);
}

TEST_CASE("trace: kernelslist.g", "[trace]") {
  write("k1.traceg", good());
  const std::string list = write("kernelslist.g", "MemcpyHtoD,0x00007fb0fc400000,200000\n\nk1.traceg\n");
  const auto e = read_kernelslist(list);
  REQUIRE(e.size() == 2);
  CHECK_FALSE(e[0].kernel);
  CHECK(e[0].command == "MemcpyHtoD");
  CHECK(e[0].addr == 0x00007fb0fc400000ull);
  CHECK(e[0].bytes == 200000);
  CHECK(e[1].kernel);
  CHECK(e[1].line == 3);
  CHECK(std::filesystem::path(e[1].path).filename() == "k1.traceg");

  auto line_of = [](const std::string& text) {
    try {
      read_kernelslist(write("bad_list.g", text));
    } catch (const InputErrors& err) {
      return err.errors().at(0).loc.line;
    }
    return -1;
  };
  CHECK(line_of("k1.traceg\nmissing.traceg\n") == 2);
  CHECK(line_of("MemcpyHtoD,0xzz,10\n") == 1);
  CHECK(line_of("\nk1.traceg.xz\n") == 2);
}

TEST_CASE("trace: every malformed trace names its line", "[trace]") {
  std::string msg;
  const std::string g = good();
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = g;
    const size_t p = s.find(from);
    REQUIRE(p != std::string::npos);
    return s.replace(p, from.size(), to);
  };
  SECTION("bad header value") {
    CHECK(error_line(write("b.traceg", replace("-grid dim = (2,1,1)", "-grid dim = (2,1)")), &msg) == 3);
    CHECK(msg.find("grid dim") != std::string::npos);
  }
  SECTION("bad header line") {
    CHECK(error_line(write("b.traceg", replace("-nregs = 24", "nregs 24")), &msg) == 6);
  }
  SECTION("missing header field") {
    CHECK(error_line(write("b.traceg", replace("-nregs = 24\n", "")), &msg) == 16);
    CHECK(msg.find("nregs") != std::string::npos);
  }
  SECTION("unsupported binary version") {
    CHECK(error_line(write("b.traceg", replace("-binary version = 86", "-binary version = 61")), &msg) == 7);
  }
  SECTION("bad opcode line: wrong field count") {
    CHECK(error_line(write("b.traceg", replace("0000 ffffffff 1 R1 MOV 0 0 0\n", "0000 ffffffff 1 R1 MOV 0 0 0 9 9\n")),
                     &msg) == 21);
    CHECK(msg.find("too many fields") != std::string::npos);
  }
  SECTION("unknown address format") {
    CHECK(error_line(write("b.traceg", replace("4 1 0x1000 4 0", "4 5 0x1000 4 0")), &msg) == 22);
  }
  SECTION("bad hex in an address") {
    CHECK(error_line(write("b.traceg", replace("0x2000", "0x2g00")), &msg) == 27);
  }
  SECTION("truncated inside a warp") {
    const std::string s = std::string(kHeader) + cta(0) + "#BEGIN_TB\nthread block = 1,0,0\nwarp = 0\ninsts = 3\n0000 ffffffff 1 R1 MOV 0 0 0\n";
    CHECK(error_line(write("b.traceg", s), &msg) == 34);
    CHECK(msg.find("truncated") != std::string::npos);
  }
  SECTION("truncated between thread blocks") {
    CHECK(error_line(write("b.traceg", std::string(kHeader) + cta(0)), &msg) == 29);
    CHECK(msg.find("thread block (1,0,0)") != std::string::npos);
  }
  SECTION("insts counts more lines than the warp has") {
    CHECK(error_line(write("b.traceg", replace("insts = 3", "insts = 4")), &msg) == 24);
  }
  SECTION("same pc, different instruction") {
    CHECK(error_line(write("b.traceg", replace("warp = 1\ninsts = 3\n0000 ffffffff 1 R1 MOV",
                                               "warp = 1\ninsts = 3\n0000 ffffffff 1 R1 IADD3")),
                     &msg) == 26);
    CHECK(msg.find("one pc is one instruction") != std::string::npos);
  }
  SECTION("thread block outside the grid") {
    CHECK(error_line(write("b.traceg", replace("thread block = 0,0,0", "thread block = 5,0,0")), &msg) == 18);
  }
  SECTION("missing file") { CHECK(error_line((tmp_dir() / "none.traceg").string()) == 0); }
}
